"""Solve a campaign's clusters: plan, solve each cluster in parallel, repair, by one deadline.

1. Plan: on-call clusters (:mod:`scheduler.solver.clusters`) and the allocation of
   people to them (:mod:`scheduler.solver.allocate`).
2. Solve each cluster as its own CP-SAT model, each a task of a runner
   (:mod:`scheduler.runners`: this process, local processes or Dask workers; the
   campaign is sent once to each, models are built where the task runs).
3. Repair (:mod:`scheduler.solver.repair`): short clusters again with idle people.

:func:`solve_clusters_of` does stages 2 and 3 for many campaigns at once (the
provinces of a country share the workers); :func:`solve_clusters` for one.

Every stage is budgeted from the one ``deadline`` it is given (a :func:`time.time`
value): the first round gets a share of what is left, repair the rest, and each
cluster solve stops by its stage's deadline. Gap filling, checking and explaining
are the pipeline's (:mod:`scheduler.pipeline`). The best bound is the sum of the
clusters' bounds: a bound for the clustered problem, not for every possible roster.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from geo.travel import province_travel
from scheduler.model import Assignment, Campaign
from scheduler.runners import CampaignRef, LocalRunner, campaign_of
from scheduler.settings import SolveSettings
from scheduler.solver import engine
from scheduler.solver.allocate import plan_specs
from scheduler.solver.campaign_model import ClusterSpec, assignments_of, build_problem, task_key
from scheduler.solver.repair import widened_specs

logger = logging.getLogger(__name__)

FIRST_ROUND_SHARE = 0.8  # of the time left for solving, when repair follows
SHARE_MARGIN = 0.75  # of a cluster's proportional share of its stage
KEY = "campaign"  # the one campaign's key in a solve of one


class ClusterSolveError(RuntimeError):
    """A cluster's task failed (the reason says which cluster and why)."""


@dataclass
class ClusterOutcome:
    spec: ClusterSpec
    assignments: list
    shortfalls: dict  # cover name -> people missing
    status: str
    objective: int | None
    bound: int | None
    wall_seconds: float
    variables: int
    key: str = ""  # the campaign's key in a solve of many
    task_seconds: float = 0.0  # the whole task where it ran: building the model and solving it
    clock_stopped: bool = False  # bounded by work (settings.cluster_work), but the clock stopped it first


@dataclass
class ClusterSolve:
    """The clusters' rosters and the figures of their solves."""

    assignments: list[Assignment]
    status: str  # "OPTIMAL" when CP-SAT proved every cluster, else "FEASIBLE"
    bound: int
    figures: dict = field(default_factory=dict)


@dataclass
class ClusterSolves:
    """The cluster stage of many campaigns: each one's :class:`ClusterSolve`, or why it failed."""

    solved: dict[str, ClusterSolve]
    failed: dict[str, str]  # campaign key -> reason
    task_seconds: dict[str, list[float]]  # every cluster task's own time, by round ("clusters", "repair")


def campaign_travel(campaign: Campaign) -> Callable[[str, str], int]:
    """Whole travel minutes between the campaign's wards (geo's cached province matrix)."""
    return province_travel(campaign.province)


def plan(campaign: Campaign | CampaignRef, max_cluster_size: int) -> list[ClusterSpec]:
    """The campaign's clusters and their teams (a task: it runs where the runner puts it)."""
    campaign = campaign_of(campaign)
    return plan_specs(campaign, campaign_travel(campaign), max_cluster_size)


def solve_cluster(
    campaign: Campaign | CampaignRef,
    spec: ClusterSpec,
    time_limit: float,
    seed: int,
    hints=(),
    threads: int = 1,
    deadline: float | None = None,
    work: float | None = None,
    key: str = "",
) -> ClusterOutcome:
    """Solve one cluster where the runner puts it; never past ``deadline`` (a time.time() value).

    With ``work``, the search is bounded by work (:func:`scheduler.solver.engine.solve`) and the time limit
    only stops it when it runs too long.
    """
    started = time.perf_counter()
    campaign = campaign_of(campaign)
    problem = build_problem(campaign, spec, campaign_travel(campaign))
    if deadline is not None:
        left = deadline - time.time() - 0.5  # CP-SAT's own set-up and the answer's way back
        time_limit = min(time_limit, left) if left > 0.3 else 0.0
    if hints:
        task_of_key = {task.key: t for t, task in enumerate(problem.tasks)}
        worker_of = {worker.key: i for i, worker in enumerate(problem.workers)}
        for person_id, task in hints:
            if person_id in worker_of and task in task_of_key:
                problem.hints.add((worker_of[person_id], task_of_key[task]))
    result = engine.solve(problem, time_limit_seconds=time_limit, num_workers=threads, seed=seed, work=work)
    assignments = assignments_of(campaign, problem, result.chosen)
    return ClusterOutcome(
        spec,
        assignments,
        dict(result.shortfalls),
        result.status,
        result.objective,
        result.bound,
        result.wall_seconds,
        result.variables,
        key,
        time.perf_counter() - started,
        result.clock_stopped,
    )


def _size(spec: ClusterSpec) -> int:
    return sum(len(t) for t in spec.team.values()) + 1


def _round(session, jobs, settings, limit_of, deadline, failed, progress, hints_of=None) -> dict:
    """Solve ``jobs`` (campaign key, spec) on the session, largest first; the outcomes by (key, spec index).

    A task that fails fails its campaign (``failed``): its other tasks are given up, the rest go on.
    """
    work = settings.cluster_work or None
    futures = {}
    for key, spec in sorted(jobs, key=lambda job: (-_size(job[1]), job[0], job[1].index)):
        future = session.submit(
            solve_cluster,
            CampaignRef(key),
            spec,
            limit_of(key, spec),
            settings.seed,
            hints_of(key, spec) if hints_of else (),
            settings.cp_sat_workers,
            deadline,
            work,
            key,
        )
        futures[future] = (key, spec)
    outcomes = {}
    for future in session.as_completed(futures):
        key, spec = futures[future]
        if key in failed:
            continue
        try:
            outcome = future.result()
        except Exception as error:  # the task's own error, or the cluster's (its worker lost too often)
            failed[key] = f"cụm {spec.index} ({spec.post}): {type(error).__name__}: {error}"
            logger.error("the cluster solve %s/%d failed: %r", key, spec.index, error)
            session.cancel(f for f, (k, _) in futures.items() if k == key and not f.done())
            continue
        outcomes[key, spec.index] = outcome
        if progress:
            progress(outcome)
    return outcomes


def solve_clusters_of(
    campaigns: Mapping[str, Campaign],
    plans: Mapping[str, list[ClusterSpec]],
    settings: SolveSettings,
    deadline: float,
    session,
    workers: int,
    progress: Callable[[ClusterOutcome], None] | None = None,
    on_repair: Callable[[int], None] | None = None,
) -> ClusterSolves:
    """Solve the planned clusters of many campaigns on one session, then repair the short ones, by ``deadline``.

    Every cluster of every campaign is a task; ``workers`` tasks run at once. A cluster's time is its share of
    the workers' time in proportion to its size (or, with ``settings.cluster_work``, a fixed amount of work).
    """
    started = time.time()
    failed: dict[str, str] = {}
    left = max(0.0, deadline - time.time())
    first_deadline = time.time() + left * (FIRST_ROUND_SHARE if settings.repair else 1.0)
    sizes = {(key, s.index): _size(s) for key, specs in plans.items() for s in specs}
    total_size = sum(sizes.values()) or 1

    def first_limit(key, spec):
        # The workers share the clusters, each solving its own one after another: a cluster gets its part of
        # the workers' time in proportion to its size (less a margin for building models and for uneven
        # shares); the stage's deadline stops any that run late. Bounded by work, a cluster may run up to
        # the stage's deadline.
        span = max(0.0, first_deadline - time.time())
        if settings.cluster_work:
            return span
        return max(0.2, span * workers * sizes[key, spec.index] / total_size * SHARE_MARGIN)

    jobs = [(key, spec) for key, specs in plans.items() for spec in specs]
    outcomes = _round(session, jobs, settings, first_limit, first_deadline, failed, progress)
    repaired = dict.fromkeys(plans, 0)
    task_seconds: dict[str, list[float]] = {"clusters": [o.task_seconds for o in outcomes.values()], "repair": []}
    if settings.repair and (settings.cluster_work or deadline - time.time() > 1.0):
        new_jobs, hints = [], {}
        for key in plans:
            if key in failed:
                continue
            campaign = campaigns[key]
            mine = [outcomes[key, s.index] for s in plans[key]]
            for spec in widened_specs(campaign, mine, campaign_travel(campaign)):
                new_jobs.append((key, spec))
                hints[key, spec.index] = [
                    (a.person_id, task_key(campaign, a)) for a in outcomes[key, spec.index].assignments
                ]
        if new_jobs:
            if on_repair:
                on_repair(len(new_jobs))
            new_sizes = sum(sizes[key, s.index] for key, s in new_jobs) or 1

            def repair_limit(key, spec):
                span = max(0.0, deadline - time.time())
                if settings.cluster_work:
                    return span
                share = min(1.0, workers * sizes[key, spec.index] / new_sizes)
                return max(0.2, span * share * SHARE_MARGIN)

            redone = _round(
                session,
                new_jobs,
                settings,
                repair_limit,
                deadline,
                failed,
                progress,
                hints_of=lambda key, spec: hints[key, spec.index],
            )
            task_seconds["repair"] = [o.task_seconds for o in redone.values()]
            for index, outcome in sorted(redone.items()):
                before = outcomes[index].objective
                if outcome.objective is not None and (before is None or outcome.objective <= before):
                    outcomes[index] = outcome
                    repaired[index[0]] += 1
    solved = {}
    for key, specs in plans.items():
        if key in failed:
            continue
        mine = [outcomes[key, s.index] for s in sorted(specs, key=lambda s: s.index)]
        status = "OPTIMAL" if all(o.status == "OPTIMAL" for o in mine) else "FEASIBLE"
        figures = {
            "clusters": len(specs),
            "repaired_clusters": repaired[key],
            "greedy_clusters": sum(1 for o in mine if o.status == "GREEDY"),
            "optimal_clusters": sum(1 for o in mine if o.status == "OPTIMAL"),
            "variables": sum(o.variables for o in mine),
            "clock_stopped": sum(1 for o in mine if o.clock_stopped),
            "cluster_seconds": time.time() - started,
        }
        solved[key] = ClusterSolve(
            [a for o in mine for a in o.assignments], status, sum(o.bound or 0 for o in mine), figures
        )
    logger.info(
        "solved %d clusters of %d campaigns in %.1f s (%d repaired, %d failed)",
        len(sizes),
        len(plans),
        time.time() - started,
        sum(repaired.values()),
        len(failed),
    )
    return ClusterSolves(solved, failed, task_seconds)


def solve_clusters(
    campaign: Campaign,
    settings: SolveSettings,
    deadline: float,
    travel: Callable[[str, str], int] | None = None,
    progress: Callable[[ClusterOutcome], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    runner=None,
) -> ClusterSolve:
    """Plan, solve every cluster and repair the short ones, all by ``deadline`` (a time.time() value).

    ``runner``: where the cluster solves run (:mod:`scheduler.runners`; default ``settings.processes``
    local processes).
    """
    runner = runner or LocalRunner(settings.processes)
    travel = travel or campaign_travel(campaign)
    specs = plan_specs(campaign, travel, settings.max_cluster_size)
    if on_plan:
        on_plan(len(specs))
    with runner.open({KEY: campaign}) as session:
        result = solve_clusters_of({KEY: campaign}, {KEY: specs}, settings, deadline, session, runner.workers, progress)
    if KEY in result.failed:
        raise ClusterSolveError(result.failed[KEY])
    return result.solved[KEY]


def solve_monolithic(campaign: Campaign, settings: SolveSettings, deadline: float) -> ClusterSolve:
    """The same clusters and allocation as one CP-SAT model on all cores (for comparison).

    The model is the union of the cluster models, so its optimum is the same; what
    differs is that one search must cover all of it by the deadline.
    """
    started = time.time()
    travel = campaign_travel(campaign)
    problems = [
        build_problem(campaign, spec, travel) for spec in plan_specs(campaign, travel, settings.max_cluster_size)
    ]
    problem = engine.merge(problems)
    result = engine.solve(
        problem,
        time_limit_seconds=max(0.0, deadline - time.time() - 0.5),
        num_workers=settings.processes * settings.cp_sat_workers,
        seed=settings.seed,
    )
    return ClusterSolve(
        assignments_of(campaign, problem, result.chosen),
        result.status,
        result.bound or 0,
        {"variables": result.variables, "cluster_seconds": time.time() - started},
    )
