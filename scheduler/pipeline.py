"""The one solve pipeline: solve a campaign, fill its gaps, prove and explain the roster, by one deadline.

:func:`solve` is what the command line, the web app's jobs and the benchmarks call;
none of them assembles solve → check → explain itself. Its :class:`SolveResult`
holds the roster with the checker's report, the explanations of the gaps, the
objective split by term, the bound, the status and the wall seconds.

:func:`solve_many` runs the same stages for many campaigns (a country's provinces) on
one runner (:mod:`scheduler.runners`, Dask for a country): the cluster stage of all of
them shares the workers, and each campaign's closing stages (:func:`finish`) are a task
of their own. It returns a :class:`ManyResult`: each campaign's :class:`SolveResult`, or
why it failed.

Time: everything is budgeted from one deadline. The cluster solves stop early
enough to leave the closing stages (gap filling, the explained fixes, checking and
explaining) the time they need, estimated from the campaign's size.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from scheduler import clock
from scheduler.changes import RosterChanges, changes_outside, roster_changes
from scheduler.clock import is_history, slot_start
from scheduler.explain import Explanation, explain
from scheduler.explain import explain as explain_gaps  # repair() has a flag named explain
from scheduler.model import Assignment, Campaign, Roster, ShiftKind, Unfilled
from scheduler.runners import CampaignRef, Runner, campaign_of
from scheduler.settings import SolveSettings
from scheduler.verify import VerifyReport, objective, unfilled_slots, verify

if TYPE_CHECKING:
    from scheduler.solver.solve import ClusterSolve

logger = logging.getLogger(__name__)

# The closing stages, timed on the Hanoi scenario (58,000 person-slots asked) on this project's 2-core
# reference machine: checking and explaining took about 4 s, gap filling 2 s and a round of explained fixes 3 s.
# Per person-slot, with half as much again in hand:
CHECK_SECONDS_PER_SLOT = 1.25 * 4.0 / 58_000  # checking and explaining the roster: always done
FIX_SECONDS_PER_SLOT = 1.25 * 5.0 / 58_000  # widening posts, gap filling and a round of fixes: when there is time
MIN_CHECK_SECONDS = 0.5
CHECK_ONLY_SHARE = 0.4  # of the checking and explaining, the checking
FIX_SHARE = 0.25  # at most this share of the time left goes to filling and fixing
CLOSING_PER_OPENING = 2.5  # a repair's closing stages take up to this many times its opening ones
CLOSING_IMBALANCE = 1.3  # many campaigns' closing stages share the workers: their sum over the workers, and more


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
    changes
        Against the published roster, when the solve started from one (:func:`repair`); else None.
    """

    roster: Roster
    report: VerifyReport
    explanations: tuple[Explanation, ...]
    terms: dict[str, int]
    bound: int | None
    status: str
    wall_seconds: float
    figures: dict = field(default_factory=dict)
    changes: RosterChanges | None = None

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
        if self.changes is not None:
            lines.append(
                f"Thay đổi so với bản đã công bố: {self.changes.summary_vi(len(report.unfilled))} "
                f"({len(self.changes.added)} phân công thêm, {len(self.changes.removed)} bỏ, "
                f"{len(self.changes.people)} người)"
            )
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
    published: Roster | None = None,
    now: datetime | None = None,
    runner: Runner | None = None,
) -> SolveResult:
    """Solve, fill, check and explain a campaign by ``deadline`` (a time.time() value).

    With a ``published`` roster, the solve starts from it and changes only what the data forces
    (:func:`repair`, with ``now``: the real time by default).

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
    runner
        Where the cluster solves run (:mod:`scheduler.runners`: local processes or a Dask cluster);
        default ``settings.processes`` local processes.
    """
    from scheduler.solver.solve import campaign_travel, solve_clusters, solve_monolithic

    if published is not None:
        return repair(
            campaign,
            published,
            now or clock.now(),
            settings,
            deadline=deadline,
            travel=travel,
            explain_late=explain_late,
            retry_gaps=True,
            progress=progress,
            on_plan=on_plan,
        )
    settings = settings or SolveSettings()
    started = time.time()
    deadline = started + settings.time_limit_seconds if deadline is None else deadline
    travel = travel or campaign_travel(campaign)
    solve_deadline = deadline - sum(_closing_budget(campaign, settings, deadline))
    if monolithic:
        clusters = solve_monolithic(campaign, settings, solve_deadline)
    else:
        clusters = solve_clusters(campaign, settings, solve_deadline, travel, progress, on_plan, runner)
    return finish(campaign, clusters, settings, started, deadline, explain_late, travel)


def _closing_budget(campaign: Campaign, settings: SolveSettings, deadline: float) -> tuple[float, float]:
    """The time kept for checking and explaining, and for filling and fixing, before ``deadline``."""
    checking, fixing = closing_seconds(campaign)
    if not settings.fill_gaps:
        fixing = 0.0
    fixing = min(fixing, FIX_SHARE * max(0.0, deadline - time.time() - checking))
    return checking, fixing


def finish(
    campaign: Campaign | CampaignRef,
    clusters: ClusterSolve,
    settings: SolveSettings,
    started: float,
    deadline: float,
    explain_late: bool = True,
    travel: Callable[[str, str], int] | None = None,
) -> SolveResult:
    """The closing stages of a solve: widen posts, fill the gaps, apply the explained fixes, check, explain.

    ``clusters`` is the cluster stage's roster; ``started`` the solve's start (a time.time() value), for the
    wall time. A task of its own in a solve of many (it runs where the runner puts it).
    """
    from scheduler.solver.fill import apply_explained_fixes, fill_gaps, roster_order, widen_posts
    from scheduler.solver.solve import campaign_travel

    campaign = campaign_of(campaign)
    travel = travel or campaign_travel(campaign)
    checking, _ = closing_seconds(campaign)
    by_work = settings.cluster_work > 0  # the stages below then run to their end, the deadline only as a stop
    assignments = sorted(clusters.assignments, key=roster_order)
    unfilled = unfilled_slots(campaign, assignments, travel)
    gaps_before = len(unfilled)
    added, fixes, widened, explained = [], 0, 0, None
    if settings.fill_gaps:
        assignments, widened = widen_posts(campaign, assignments, unfilled, travel)
        added = fill_gaps(
            campaign,
            assignments,
            unfilled_slots(campaign, assignments, travel),
            travel,
            deadline=deadline if by_work else deadline - checking,
        )
        assignments = sorted(assignments + added, key=roster_order)
        # A round of fixes explains every gap (about 60% of the checking time); the round that finds
        # nothing left to fix explains the final roster, and the checking then only has to verify it.
        assignments, fixes, explained = apply_explained_fixes(
            campaign,
            assignments,
            travel,
            deadline=deadline if by_work else deadline - CHECK_ONLY_SHARE * checking,
            round_seconds=0.0 if by_work else (1 - CHECK_ONLY_SHARE) * checking,
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


@dataclass(frozen=True)
class ManyResult:
    """A solve of many campaigns (a country's provinces) at once.

    Attributes
    ----------
    results
        Each campaign's :class:`SolveResult` (checked by the independent checker), by the caller's key, in
        the order the campaigns were given.
    failed
        Why a campaign has no result, by key (its planning, one of its clusters or its closing failed).
    wall_seconds
        The whole solve.
    figures
        ``workers``; ``tasks`` by stage; ``task_seconds``: every task's own time where it ran, by stage
        (``plan``, ``clusters``, ``repair``, ``close``); ``stage_seconds``: each stage's wall time.
    """

    results: dict[str, SolveResult]
    failed: dict[str, str]
    wall_seconds: float
    figures: dict = field(default_factory=dict)


def timed(fn: Callable, *args) -> tuple:
    """``fn(*args)`` and the seconds it took where it ran (a task's own time, without its wait or its transfer)."""
    started = time.perf_counter()
    return fn(*args), time.perf_counter() - started


def solve_many(
    campaigns: Mapping[str, Campaign],
    settings: SolveSettings | None = None,
    *,
    runner: Runner,
    deadline: float | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ManyResult:
    """Solve many independent campaigns (a country's provinces) on one runner, by one ``deadline``.

    The same stages as :func:`solve`, each campaign's work split into tasks the runner spreads over its
    workers: planning (a task per campaign), the cluster solves and their repair (a task per cluster, all
    campaigns' clusters sharing the workers), then the closing stages (a task per campaign: gap filling,
    the explained fixes, the independent checker, the explanations when there is time). A campaign whose
    task fails is reported in ``failed`` with the reason; the others go on.

    ``progress(stage, done, total)`` is called as tasks finish (stages ``"plan"``, ``"clusters"``,
    ``"close"``; the repair's tasks count with the clusters).
    """
    from scheduler.solver.solve import plan, solve_clusters_of

    settings = settings or SolveSettings()
    started = time.time()
    deadline = started + settings.time_limit_seconds if deadline is None else deadline
    workers = runner.workers
    failed: dict[str, str] = {}
    counts = {"plan": [0, len(campaigns)], "clusters": [0, 0], "close": [0, 0]}
    stage_seconds = {}

    def tick(stage: str, total: int = 0, done: int = 0) -> None:
        counts[stage][0] += done
        counts[stage][1] += total
        if progress:
            progress(stage, *counts[stage])

    def failure(error: BaseException) -> str:
        return f"{type(error).__name__}: {error}"

    with runner.open(campaigns) as session:
        futures = {session.submit(timed, plan, CampaignRef(key), settings.max_cluster_size): key for key in campaigns}
        plans: dict = {}
        task_seconds: dict[str, list[float]] = {}
        for future in session.as_completed(futures):
            key = futures[future]
            try:
                plans[key], seconds = future.result()
                task_seconds.setdefault("plan", []).append(seconds)
            except Exception as error:  # the task's own error, or the cluster's (its worker lost too often)
                failed[key] = "lập cụm: " + failure(error)
                logger.error("planning %s failed: %r", key, error)
            tick("plan", done=1)
        stage_seconds["plan"] = time.time() - started
        tick("clusters", total=sum(len(specs) for specs in plans.values()))
        closing = sum(sum(_closing_budget(campaigns[key], settings, deadline)) for key in plans)
        solve_deadline = deadline - CLOSING_IMBALANCE * closing / workers
        clusters = solve_clusters_of(
            campaigns,
            dict(sorted(plans.items())),
            settings,
            solve_deadline,
            session,
            workers,
            progress=lambda outcome: tick("clusters", done=1),
            on_repair=lambda n: tick("clusters", total=n),
        )
        failed.update(clusters.failed)
        stage_seconds["clusters"] = time.time() - started - stage_seconds["plan"]
        closing_started = time.time()
        order = sorted(clusters.solved, key=lambda key: -len(clusters.solved[key].assignments))
        tick("close", total=len(order))
        futures = {
            session.submit(
                timed, finish, CampaignRef(key), clusters.solved[key], settings, started, deadline, False
            ): key
            for key in order
        }
        results = {}
        task_seconds.update(clusters.task_seconds)
        for future in session.as_completed(futures):
            key = futures[future]
            try:
                results[key], seconds = future.result()
                task_seconds.setdefault("close", []).append(seconds)
            except Exception as error:
                failed[key] = "khâu kiểm tra: " + failure(error)
                logger.error("closing %s failed: %r", key, error)
            tick("close", done=1)
        stage_seconds["close"] = time.time() - closing_started
    wall = time.time() - started
    figures = {
        "workers": workers,
        "tasks": {stage: total for stage, (_, total) in counts.items()},
        "task_seconds": task_seconds,
        "stage_seconds": stage_seconds,
    }
    logger.info("solved %d campaigns (%d failed) in %.1f s on %d workers", len(results), len(failed), wall, workers)
    ordered = {key: results[key] for key in campaigns if key in results}
    return ManyResult(ordered, {key: failed[key] for key in campaigns if key in failed}, wall, figures)


def _still_open(campaign: Campaign, slot: Unfilled, now: datetime) -> bool:
    """Whether an unfilled slot can still be filled: it (or, for a whole day, one of its shifts) starts after ``now``."""
    if slot.mobile_point_id is not None:
        point = campaign.mobile_point(slot.mobile_point_id)
        return (
            slot_start(campaign, Assignment("", point.ward_code, point.date, mobile_point_id=point.id, need_index=0))
            > now
        )
    if slot.shift_id is not None:
        return slot_start(campaign, Assignment("", slot.ward_code, slot.date, shift_id=slot.shift_id)) > now
    service = [
        s for s in campaign.demand(slot.ward_code).service_shift_ids if campaign.shift(s).kind is ShiftKind.SERVICE
    ]
    return any(slot_start(campaign, Assignment("", slot.ward_code, slot.date, shift_id=s)) > now for s in service)


def _new_gaps(campaign: Campaign, slots: list[Unfilled], before: tuple[Unfilled, ...]) -> list[Unfilled]:
    """The gaps of ``slots`` that ``before`` did not have (a slot short of more people counts by the extra ones)."""
    from dataclasses import replace

    def key(u: Unfilled) -> tuple:
        return (u.rule, u.ward_code, u.date, u.shift_id, u.mobile_point_id, u.need)

    had = {key(u): u.missing for u in before}
    new = []
    for u in slots:
        extra = u.missing - had.get(key(u), 0)
        if extra > 0:
            new.append(u if extra == u.missing else replace(u, missing=extra))
    return new


def _pin_key(a: Assignment) -> tuple:
    return (a.person_id, a.ward_code, a.date, a.shift_id, a.mobile_point_id, a.need_index)


def _with_pins(campaign: Campaign, base: list[Assignment], now: datetime, travel) -> tuple[Campaign, list[Assignment]]:
    """The pins a published roster lacks (pinned since it was made): the campaign without those whose slot has
    started (history stays as it was, so they are moot), and the later ones the people rules let in."""
    from dataclasses import replace

    from scheduler.calendar import Calendar

    have = {_pin_key(a) for a in base}
    missing = [pin for pin in campaign.pins if _pin_key(pin) not in have]
    if not missing:
        return campaign, []
    moot = [pin for pin in missing if is_history(campaign, pin, now)]
    if moot:
        campaign = replace(campaign, pins=tuple(pin for pin in campaign.pins if pin not in moot))
        logger.info("%d pins on slots that have started are left out", len(moot))
    calendar = Calendar(campaign, base, travel)
    added = []
    for pin in missing:
        if pin not in moot and calendar.fits(pin):
            calendar.add(pin)
            added.append(pin)
    return campaign, added


def repair(
    campaign: Campaign,
    published: Roster,
    now: datetime,
    settings: SolveSettings | None = None,
    *,
    deadline: float | None = None,
    travel: Callable[[str, str], int] | None = None,
    explain_late: bool = True,
    retry_gaps: bool = False,
    check_all: bool = True,
    progress: Callable | None = None,
    on_plan: Callable[[int], None] | None = None,
    explain: bool = True,
) -> SolveResult:
    """The published roster, repaired for ``campaign`` (the campaign after its events) with minimal change.

    1. What still holds: the history (slots started by ``now``) stays as it is; a later assignment
       stays when the people rules still allow it (the calendar decides, in date order).
    2. The gaps the events opened after ``now`` (with ``retry_gaps``, every gap open after ``now``)
       are repaired cluster by cluster, on their days only, changing as little as possible
       (:func:`scheduler.solver.live.repair_clusters`); gap filling then adds free people to them.
    3. The checker verifies the roster: the people rules for everyone (``check_all``) or for the
       people whose work changed, coverage and the objective in full; and that no change touches
       the history (``figures["changes_outside"]``, empty when the promise holds).
    The result's ``changes`` are against ``published``. Explanations are made when ``explain_late``
    or when there is time before ``deadline``, never without ``explain`` (a caller that keeps the
    published roster's explanations explains only the new gaps itself). ``on_plan`` and ``progress`` follow the cluster repairs.
    """
    from scheduler.calendar import Calendar
    from scheduler.solver.fill import fill_gaps, roster_order
    from scheduler.solver.live import repair_clusters
    from scheduler.solver.solve import campaign_travel
    from scheduler.verify import valid_assignments

    settings = settings or SolveSettings()
    started = time.time()
    deadline = started + settings.time_limit_seconds if deadline is None else deadline
    travel = travel or campaign_travel(campaign)
    checking, _ = closing_seconds(campaign)
    closing = CHECK_ONLY_SHARE * checking if check_all else 0.2 * checking
    valid = valid_assignments(campaign, published.assignments)
    today = now.date()
    history = [a for a in valid if a.date < today or (a.date == today and is_history(campaign, a, now))]
    future = sorted((a for a in valid if a.date > today or not is_history(campaign, a, now)), key=roster_order)
    base = list(history)
    if retry_gaps:  # the rules themselves may have changed: every later assignment is checked again
        calendar = Calendar(campaign, history, travel)
        for a in future:
            if calendar.fits(a):
                calendar.add(a)
                base.append(a)
    else:
        # Events change who may work when and where, never the time rules, and taking work away
        # breaks no time rule: the rules about the person and the slot alone decide what stays.
        calendar = Calendar(campaign, (), travel)
        for a in future:
            person = campaign.person(a.person_id)
            if calendar.available(person, a) and calendar.eligible(person, a) and calendar.night_allowed(person, a):
                base.append(a)
    dropped = len(history) + len(future) - len(base)
    campaign, pinned = _with_pins(campaign, base, now, travel)
    base += pinned
    open_slots = [u for u in unfilled_slots(campaign, base, travel) if _still_open(campaign, u, now)]
    if not retry_gaps:
        open_slots = _new_gaps(campaign, open_slots, published.unfilled)
    assignments = base
    # The part a repair may change: where the events took work away, the open slots, the clusters repaired.
    kept = set(base)
    allowed = (
        {(a.ward_code, a.date) for a in [*valid, *pinned] if a not in kept or a in pinned} if not retry_gaps else None
    )
    live_figures: dict = {}
    added: list[Assignment] = []
    # What follows the cluster repairs (the gaps again, gap filling, the check) goes over the whole roster as
    # the work above did: on a loaded machine it takes longer, so the reserve grows with what this took.
    closing = max(closing, CLOSING_PER_OPENING * (time.time() - started))
    if on_plan and not open_slots:
        on_plan(0)
    if open_slots:
        fill_seconds = min(1.0, 0.1 * max(0.0, deadline - time.time()))
        live = repair_clusters(
            campaign,
            base,
            open_slots,
            now,
            deadline - closing - fill_seconds,
            settings,
            travel,
            progress=progress,
            on_plan=on_plan,
        )
        assignments, live_figures = live.assignments, live.figures
        if allowed is not None:
            allowed |= live.scope | {(u.ward_code, u.date) for u in open_slots}
        unfilled = unfilled_slots(campaign, assignments, travel)
        still_open = [u for u in unfilled if _still_open(campaign, u, now)]
        if not retry_gaps:
            still_open = _new_gaps(campaign, still_open, published.unfilled)
        if still_open:
            added = [
                a
                for a in fill_gaps(campaign, assignments, still_open, travel, deadline=deadline - closing)
                if not is_history(campaign, a, now)
            ]
    else:
        unfilled = unfilled_slots(campaign, base, travel)
    assignments = sorted(assignments + added, key=roster_order)
    changes = roster_changes(published.assignments, assignments)
    if added:
        unfilled = unfilled_slots(campaign, assignments, travel)
    roster = Roster(campaign.name, "FEASIBLE", tuple(assignments), tuple(unfilled), None, None, None)
    report = verify(campaign, roster, travel, people=None if check_all else changes.people)
    if explain and (explain_late or time.time() + (1 - CHECK_ONLY_SHARE) * checking <= deadline):
        explanations: tuple[Explanation, ...] = tuple(explain_gaps(campaign, roster, report.unfilled, travel))
        explained = True
    else:
        explanations, explained = (), False
    outside = changes_outside(campaign, changes, now, allowed)
    wall = time.time() - started
    figures = dict(
        live_figures,
        dropped=dropped,
        pins_added=len(pinned),
        open_before=sum(u.missing for u in open_slots),
        gap_fills=len(added),
        gaps_after=len(report.unfilled),
        explained=explained,
        changed=changes.changed,
        people_touched=len(changes.people),
        changes_outside=outside,
        checked="all" if check_all else "people touched",
    )
    logger.info(
        "repair: %d assignments dropped, %d person-slots open, %d changes for %d people, %.2f s",
        dropped,
        figures["open_before"],
        changes.changed,
        len(changes.people),
        wall,
    )
    roster = Roster(
        campaign.name, "FEASIBLE", roster.assignments, roster.unfilled, report.objective, None, round(wall, 2)
    )
    status = "FEASIBLE" if not outside else "FAILED"
    return SolveResult(roster, report, explanations, dict(report.terms), None, status, wall, figures, changes)
