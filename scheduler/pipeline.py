"""The one solve pipeline: solve a campaign, fill its gaps, prove and explain the roster, by one deadline.

:func:`solve` is what the command line, the web app's jobs and the benchmarks call;
none of them assembles solve → check → explain itself. Its :class:`SolveResult`
holds the roster with the checker's report, the explanations of the gaps, the
objective split by term, the bound, the status and the wall seconds.

Time: everything is budgeted from one deadline. The cluster solves stop early
enough to leave the closing stages (gap filling, the explained fixes, checking and
explaining) the time they need, estimated from the campaign's size.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from scheduler.explain import Explanation, explain
from scheduler.model import Campaign, Roster
from scheduler.settings import SolveSettings
from scheduler.verify import VerifyReport, objective, unfilled_slots, verify

logger = logging.getLogger(__name__)

# The closing stages, timed on the Hanoi scenario (58,000 person-slots asked) on this project's 2-core
# reference machine: checking and explaining took about 4 s, gap filling 2 s and a round of explained fixes 3 s.
# Per person-slot, with half as much again in hand:
CHECK_SECONDS_PER_SLOT = 1.25 * 4.0 / 58_000  # checking and explaining the roster: always done
FIX_SECONDS_PER_SLOT = 1.25 * 5.0 / 58_000  # widening posts, gap filling and a round of fixes: when there is time
MIN_CHECK_SECONDS = 0.5
CHECK_ONLY_SHARE = 0.4  # of the checking and explaining, the checking
FIX_SHARE = 0.25  # at most this share of the time left goes to filling and fixing


@dataclass(frozen=True)
class SolveResult:
    """A solved, checked and explained roster.

    Attributes
    ----------
    roster
        The assignments and the unfilled slots (the checker's), the objective and the bound.
    report
        The independent checker's report on the roster.
    explanations
        One per unfilled slot, in the report's order (none when the pipeline was told not to explain late
        and the deadline came first: ``figures["explained"]``).
    terms
        The objective's terms, unweighted (:class:`~scheduler.model.SoftWeights` order).
    bound
        The sum of the clusters' CP-SAT bounds (a bound for the clustered problem).
    status
        ``"OPTIMAL"`` (CP-SAT proved every cluster and nothing was added after), ``"FEASIBLE"`` or ``"FAILED"``.
    wall_seconds
        The whole pipeline.
    figures
        The stages' figures: clusters, gap fills, explained fixes, gaps before and after them, seconds.
    """

    roster: Roster
    report: VerifyReport
    explanations: tuple[Explanation, ...]
    terms: dict[str, int]
    bound: int | None
    status: str
    wall_seconds: float
    figures: dict = field(default_factory=dict)

    def is_feasible(self) -> bool:
        """True when the checker finds no broken rule (unfilled slots are data, not breaches)."""
        return self.status != "FAILED" and self.report.ok

    def summary(self) -> str:
        """The figures a coordinator reads first, in Vietnamese, one per line."""
        report, roster = self.report, self.roster
        gap = None
        if roster.objective and self.bound is not None:
            gap = 100.0 * (roster.objective - self.bound) / max(1, abs(roster.objective))
        figures = self.figures
        lines = [
            f"Trạng thái: {self.status} ({figures.get('clusters', 0)} cụm, {figures.get('optimal_clusters', 0)} "
            f"tối ưu, {figures.get('greedy_clusters', 0)} chỉ có lời giải heuristic)",
            f"Phủ: {report.coverage_percent:.2f}% ({report.filled}/{report.asked} lượt người)",
            "Ô chưa đủ người theo quy tắc: " + ", ".join(f"{rule} {n}" for rule, n in report.missing_by_rule().items()),
            f"Vi phạm quy tắc cứng: {len(report.violations)}",
            f"Hàm mục tiêu: {roster.objective}; cận dưới: {self.bound}; khoảng cách: "
            + (f"{gap:.2f}%" if gap is not None else "—"),
            "Thành phần: " + ", ".join(f"{k} {v}" for k, v in self.terms.items()),
            f"Thời gian: {self.wall_seconds:.1f} s; {len(roster.assignments)} phân công",
        ]
        return "\n".join(lines)


def closing_seconds(campaign: Campaign) -> tuple[float, float]:
    """The time kept for checking and explaining, and the time wanted for filling and fixing the gaps."""
    from scheduler.verify import asked_person_slots

    slots = sum(asked_person_slots(campaign).values())
    return max(MIN_CHECK_SECONDS, slots * CHECK_SECONDS_PER_SLOT), slots * FIX_SECONDS_PER_SLOT


def solve(
    campaign: Campaign,
    settings: SolveSettings | None = None,
    *,
    deadline: float | None = None,
    travel: Callable[[str, str], int] | None = None,
    progress: Callable | None = None,
    on_plan: Callable[[int], None] | None = None,
    monolithic: bool = False,
    explain_late: bool = True,
) -> SolveResult:
    """Solve, fill, check and explain a campaign by ``deadline`` (a time.time() value).

    Parameters
    ----------
    campaign
        The campaign.
    settings
        How to solve it; its ``time_limit_seconds`` from now is the deadline unless one is given.
    deadline
        When the whole pipeline must have returned (the caller's own start may be earlier).
    travel
        ``(code_a, code_b) -> minutes``; default the province's cached matrix.
    progress, on_plan
        Called as each cluster is solved, and once with the number of clusters.
    monolithic
        Solve every cluster in one CP-SAT model (for comparison in the benchmark).
    explain_late
        Explain the gaps even when that would end after the deadline (the web stores explanations with
        every version). Without it, a roster checked too close to the deadline comes without explanations
        (``figures["explained"]`` is False) rather than late.
    """
    from scheduler.solver.fill import apply_explained_fixes, fill_gaps, roster_order, widen_posts
    from scheduler.solver.solve import campaign_travel, solve_clusters, solve_monolithic

    settings = settings or SolveSettings()
    started = time.time()
    deadline = started + settings.time_limit_seconds if deadline is None else deadline
    travel = travel or campaign_travel(campaign)
    checking, fixing = closing_seconds(campaign)
    if not settings.fill_gaps:
        fixing = 0.0
    fixing = min(fixing, FIX_SHARE * max(0.0, deadline - time.time() - checking))
    solve_deadline = deadline - checking - fixing
    if monolithic:
        clusters = solve_monolithic(campaign, settings, solve_deadline)
    else:
        clusters = solve_clusters(campaign, settings, solve_deadline, travel, progress, on_plan)
    assignments = sorted(clusters.assignments, key=roster_order)
    unfilled = unfilled_slots(campaign, assignments, travel)
    gaps_before = len(unfilled)
    added, fixes, widened, explained = [], 0, 0, None
    if settings.fill_gaps:
        assignments, widened = widen_posts(campaign, assignments, unfilled, travel)
        added = fill_gaps(
            campaign, assignments, unfilled_slots(campaign, assignments, travel), travel, deadline=deadline - checking
        )
        assignments = sorted(assignments + added, key=roster_order)
        # A round of fixes explains every gap (about 60% of the checking time); the round that finds
        # nothing left to fix explains the final roster, and the checking then only has to verify it.
        assignments, fixes, explained = apply_explained_fixes(
            campaign,
            assignments,
            travel,
            deadline=deadline - CHECK_ONLY_SHARE * checking,
            round_seconds=(1 - CHECK_ONLY_SHARE) * checking,
        )
    unfilled = unfilled_slots(campaign, assignments, travel)
    value, terms = objective(campaign, assignments, unfilled, travel)
    status = "OPTIMAL" if clusters.status == "OPTIMAL" and not (added or fixes or widened) else "FEASIBLE"
    roster = Roster(
        campaign_name=campaign.name,
        status=status,
        assignments=tuple(assignments),
        unfilled=tuple(unfilled),
        objective=value,
        best_bound=clusters.bound,
        wall_seconds=round(time.time() - started, 2),
    )
    report = verify(campaign, roster, travel)
    if explained is not None and [e.unfilled for e in explained] == list(report.unfilled):
        explanations: tuple[Explanation, ...] | None = tuple(explained)  # the fix pass's last round explained it
    elif explain_late or time.time() + (1 - CHECK_ONLY_SHARE) * checking <= deadline:
        explanations = tuple(explain(campaign, roster, report.unfilled, travel))
    else:
        explanations = None
        logger.info("the gaps are not explained: it would end after the deadline")
    wall = time.time() - started
    figures = dict(
        clusters.figures,
        widened_posts=widened,
        gap_fills=len(added),
        explained_fixes=fixes,
        gaps_before_fill=gaps_before,
        gaps_after=len(report.unfilled),
        explained=explanations is not None,
        fixes_left=sum(1 for e in explanations or () if e.fix is not None),
    )
    logger.info(
        "pipeline: %d gaps after the cluster solves, %d after filling and %d fixes; %.1f s",
        gaps_before,
        len(report.unfilled),
        fixes,
        wall,
    )
    roster = Roster(
        roster.campaign_name,
        roster.status,
        roster.assignments,
        roster.unfilled,
        roster.objective,
        roster.best_bound,
        round(wall, 2),
    )
    return SolveResult(roster, report, explanations or (), dict(report.terms), clusters.bound, status, wall, figures)
