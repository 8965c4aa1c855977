"""Solve a campaign's clusters: plan, solve each cluster in parallel, repair, by one deadline.

1. Plan: on-call clusters (:mod:`scheduler.solver.clusters`) and the allocation of
   people to them (:mod:`scheduler.solver.allocate`).
2. Solve each cluster as its own CP-SAT model, in parallel processes (the campaign
   is sent once per process; models are built in the worker).
3. Repair (:mod:`scheduler.solver.repair`): short clusters again with idle people.

Every stage is budgeted from the one ``deadline`` it is given (a :func:`time.time`
value): the first round gets a share of what is left, repair the rest, and each
cluster solve stops by its stage's deadline. Gap filling, checking and explaining
are the pipeline's (:mod:`scheduler.pipeline`). The best bound is the sum of the
clusters' bounds: a bound for the clustered problem, not for every possible roster.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

from geo.travel import province_travel
from scheduler.model import Assignment, Campaign
from scheduler.settings import SolveSettings
from scheduler.solver import engine
from scheduler.solver.allocate import plan_specs
from scheduler.solver.campaign_model import ClusterSpec, assignments_of, build_problem, task_key
from scheduler.solver.repair import widened_specs

logger = logging.getLogger(__name__)

FIRST_ROUND_SHARE = 0.8  # of the time left for solving, when repair follows
SHARE_MARGIN = 0.75  # of a cluster's proportional share of its stage


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


@dataclass
class ClusterSolve:
    """The clusters' rosters and the figures of their solves."""

    assignments: list[Assignment]
    status: str  # "OPTIMAL" when CP-SAT proved every cluster, else "FEASIBLE"
    bound: int
    figures: dict = field(default_factory=dict)


def campaign_travel(campaign: Campaign) -> Callable[[str, str], int]:
    """Whole travel minutes between the campaign's wards (geo's cached province matrix)."""
    return province_travel(campaign.province)


_WORKER_STATE: dict = {}


def _init_worker(campaign: Campaign) -> None:
    _WORKER_STATE["campaign"] = campaign
    _WORKER_STATE["travel"] = campaign_travel(campaign)


def _solve_cluster(
    spec: ClusterSpec, time_limit: float, seed: int, hints=(), threads: int = 1, deadline: float | None = None
) -> ClusterOutcome:
    """Solve one cluster in a worker; never past ``deadline`` (a time.time() value)."""
    campaign = _WORKER_STATE["campaign"]
    problem = build_problem(campaign, spec, _WORKER_STATE["travel"])
    if deadline is not None:
        left = deadline - time.time() - 0.5  # CP-SAT's own set-up and the answer's way back
        time_limit = min(time_limit, left) if left > 0.3 else 0.0
    if hints:
        task_of_key = {task.key: t for t, task in enumerate(problem.tasks)}
        worker_of = {worker.key: i for i, worker in enumerate(problem.workers)}
        for person_id, key in hints:
            if person_id in worker_of and key in task_of_key:
                problem.hints.add((worker_of[person_id], task_of_key[key]))
    result = engine.solve(problem, time_limit_seconds=time_limit, num_workers=threads, seed=seed)
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
    )


def _run(campaign, specs, settings, time_limit_each, progress, hints_of=None, deadline=None):
    outcomes = {}
    specs = sorted(specs, key=lambda spec: -sum(len(t) for t in spec.team.values()))  # largest first
    if settings.processes == 1:
        _init_worker(campaign)
        for spec in specs:
            hints = hints_of(spec) if hints_of else ()
            outcomes[spec.index] = _solve_cluster(
                spec, time_limit_each(spec), settings.seed, hints, settings.cp_sat_workers, deadline
            )
            if progress:
                progress(outcomes[spec.index])
        return outcomes
    with ProcessPoolExecutor(max_workers=settings.processes, initializer=_init_worker, initargs=(campaign,)) as pool:
        futures = {
            pool.submit(
                _solve_cluster,
                spec,
                time_limit_each(spec),
                settings.seed,
                hints_of(spec) if hints_of else (),
                settings.cp_sat_workers,
                deadline,
            ): spec
            for spec in specs
        }
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[outcome.spec.index] = outcome
            if progress:
                progress(outcome)
    return outcomes


def solve_clusters(
    campaign: Campaign,
    settings: SolveSettings,
    deadline: float,
    travel: Callable[[str, str], int] | None = None,
    progress: Callable[[ClusterOutcome], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> ClusterSolve:
    """Plan, solve every cluster and repair the short ones, all by ``deadline`` (a time.time() value)."""
    started = time.time()
    travel = travel or campaign_travel(campaign)
    specs = plan_specs(campaign, travel, settings.max_cluster_size)
    if on_plan:
        on_plan(len(specs))
    left = max(0.0, deadline - time.time())
    first_deadline = time.time() + left * (FIRST_ROUND_SHARE if settings.repair else 1.0)
    sizes = {s.index: sum(len(t) for t in s.team.values()) + 1 for s in specs}
    total_size = sum(sizes.values())

    def first_limit(spec):
        # The processes share the clusters, each solving its own one after another: a cluster gets its part
        # of the processes' time in proportion to its size (less a margin for building models and for
        # uneven shares); the stage's deadline stops any that run late.
        span = max(0.0, first_deadline - time.time())
        return max(0.2, span * settings.processes * sizes[spec.index] / total_size * SHARE_MARGIN)

    outcomes = _run(campaign, specs, settings, first_limit, progress, deadline=first_deadline)
    repaired = 0
    if settings.repair and deadline - time.time() > 1.0:
        new_specs = widened_specs(campaign, list(outcomes.values()), travel)
        if new_specs:
            hints = {
                o.spec.index: [(a.person_id, task_key(campaign, a)) for a in o.assignments] for o in outcomes.values()
            }
            new_sizes = sum(sizes[s.index] for s in new_specs)

            def repair_limit(spec):
                span = max(0.0, deadline - time.time())
                share = min(1.0, settings.processes * sizes[spec.index] / max(new_sizes, 1))
                return max(0.2, span * share * SHARE_MARGIN)

            redone = _run(
                campaign,
                new_specs,
                settings,
                repair_limit,
                None,
                hints_of=lambda spec: hints[spec.index],
                deadline=deadline,
            )
            for index, outcome in redone.items():
                before = outcomes[index].objective
                if outcome.objective is not None and (before is None or outcome.objective <= before):
                    outcomes[index] = outcome
                    repaired += 1
    assignments = [a for o in outcomes.values() for a in o.assignments]
    status = "OPTIMAL" if all(o.status == "OPTIMAL" for o in outcomes.values()) else "FEASIBLE"
    figures = {
        "clusters": len(specs),
        "repaired_clusters": repaired,
        "greedy_clusters": sum(1 for o in outcomes.values() if o.status == "GREEDY"),
        "optimal_clusters": sum(1 for o in outcomes.values() if o.status == "OPTIMAL"),
        "variables": sum(o.variables for o in outcomes.values()),
        "cluster_seconds": time.time() - started,
    }
    logger.info("solved %d clusters in %.1f s (%d repaired)", len(specs), time.time() - started, repaired)
    return ClusterSolve(assignments, status, sum(o.bound or 0 for o in outcomes.values()), figures)


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
