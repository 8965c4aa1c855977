"""Solve a whole campaign: allocate, solve each cluster in parallel, repair, assemble.

1. Cluster the wards for on-call pooling (:mod:`scheduler.solver.clusters`).
2. Allocate each person to one ward by a min-cost flow per pool: travel
   minutes as cost, each ward's share of the pool in proportion to its demand.
3. Solve each cluster as its own CP-SAT model, in parallel processes (the
   campaign is sent once per process; models are built in the worker).
4. Repair: a cluster left short gets the nearest idle people of the pools it
   lacks (people no cluster used) and is solved again, warm-started.
5. Fill what is still short with anyone in the city who is free and near
   (:mod:`scheduler.solver.fill`).
6. Assemble the roster; its unfilled slots and objective are recomputed by the
   independent checker. The best bound is the sum of the clusters' bounds: a
   bound for the clustered problem (people kept to their cluster), not for
   every possible roster.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Callable

from ortools.graph.python import min_cost_flow

from geo.travel import province_travel

from scheduler.model import Campaign, Pool, Roster, ShiftKind
from scheduler.solver import engine
from scheduler.solver.campaign_model import ClusterSpec, assignments_of, build_problem
from scheduler.solver.clusters import Cluster, build_clusters
from scheduler.solver.fill import fill_gaps

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SolveSettings:
    time_limit_seconds: float = 30.0
    workers: int = 2  # parallel processes
    threads: int = 1  # CP-SAT workers inside each cluster's solve
    seed: int = 0
    repair: bool = True
    fill_gaps: bool = True  # close leftover gaps with anyone free in the city
    max_cluster_size: int = 4

    def __post_init__(self):
        if self.time_limit_seconds <= 0:
            raise ValueError("time_limit_seconds must be positive")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")


@dataclass
class ClusterOutcome:
    spec: ClusterSpec
    assignments: list
    shortfall: int
    status: str
    objective: int | None
    bound: int | None
    wall_seconds: float
    variables: int


def campaign_travel(campaign: Campaign) -> Callable[[str, str], int]:
    """Whole travel minutes between the campaign's wards (geo's cached province matrix)."""
    return province_travel(campaign.province)


def ward_demand_hours(campaign: Campaign, cluster_size: dict[str, int] | None = None) -> dict[Pool, dict[str, float]]:
    """How many hours each ward asks of each pool, to share the pools out in proportion.

    A ward's share of its cluster's on-call shifts is the cluster's on-call hours over its size.
    """
    hours = {pool: defaultdict(float) for pool in Pool}
    service = {s.id: s.duration_minutes / 60 for s in campaign.shifts if s.kind is ShiftKind.SERVICE}
    oncall_hours = sum(s.duration_minutes / 60 for s in campaign.shifts if s.kind is ShiftKind.ONCALL)
    for demand in campaign.demands:
        day_hours = sum(service[s] for s in demand.service_shift_ids)
        shift_hours = day_hours / max(1, len(demand.service_shift_ids))
        days = campaign.days
        peak_days = len(demand.peak_dates)
        if demand.oncall_24_7:
            share = (cluster_size or {}).get(demand.ward_code, 3)
            hours[Pool.TECHNICIAN][demand.ward_code] += days * (day_hours + oncall_hours / share)
        hours[Pool.TELECOM][demand.ward_code] += days * demand.min_telecom_staff_per_day * shift_hours
        support = days * day_hours * demand.min_support_staff + peak_days * day_hours * demand.extra_students_on_peak
        hours[Pool.STUDENT][demand.ward_code] += max(0.0, support - days * day_hours * 1.5)
    for point in campaign.mobile_points:
        slot = (point.end_minute - point.start_minute) / 60
        for need in point.staff_needed:
            pool = need.pool or Pool.STUDENT
            hours[pool][point.ward_code] += need.count * slot
    return hours


def allocate(campaign: Campaign, travel: Callable[[str, str], int],
             clusters: list[Cluster] | None = None) -> dict[str, str]:
    """Person id -> ward code: a min-cost flow per pool, travel minutes as cost.

    Students are shared out among wards, technicians and telecom staff among
    clusters (they serve any ward of their cluster), each unit receiving its share
    of the pool in proportion to its demand hours: the whole part at least, one
    more at most. A person allocated to a cluster belongs to its nearest ward.
    Pinned people go to their pinned ward.
    """
    clusters = clusters or [Cluster(d.ward_code, (d.ward_code,)) for d in campaign.demands]
    cluster_size = {w: len(c.wards) for c in clusters for w in c.wards}
    demand_hours = ward_demand_hours(campaign, cluster_size)
    pinned_ward = {a.person_id: a.ward_code for a in campaign.pins}
    allocation = {}
    for pool in Pool:
        people = campaign.people_in(pool)
        if not people:
            continue
        if pool is Pool.STUDENT:
            units = {d.ward_code: (d.ward_code,) for d in campaign.demands}
        else:
            units = {c.post: c.wards for c in clusters}
        hours = {u: sum(demand_hours[pool][w] for w in wards) for u, wards in units.items()}
        allocation.update(_share_out(people, units, hours, pinned_ward, travel))
    return allocation


def _share_out(people, units: dict[str, tuple[str, ...]], hours: dict[str, float], pinned_ward: dict[str, str],
               travel) -> dict[str, str]:
    """One pool over units of wards by a min-cost flow with a floor and a ceiling per unit."""
    unit_of_ward = {w: u for u, wards in units.items() for w in wards}
    names = sorted(units)
    total = sum(hours.values()) or 1.0
    share = {u: len(people) * hours[u] / total for u in names}
    pinned_here = {u: sum(1 for p in people if unit_of_ward.get(pinned_ward.get(p.id)) == u) for u in names}
    lower = {u: max(math.floor(share[u]), pinned_here[u]) for u in names}
    while sum(lower.values()) > len(people):  # pins can push the floors over the pool's size
        u = max(names, key=lambda v: (lower[v] - pinned_here[v], v))
        lower[u] -= 1
    upper = {u: max(lower[u], math.ceil(share[u]), pinned_here[u]) for u in names}

    def nearest(person, unit):
        return min(units[unit], key=lambda w: (travel(person.home_ward_code, w), w))

    flow = min_cost_flow.SimpleMinCostFlow()
    sink = 0
    person_node = {p.id: 1 + i for i, p in enumerate(people)}
    unit_node = {u: 1 + len(people) + i for i, u in enumerate(names)}
    for person in people:
        flow.set_node_supply(person_node[person.id], 1)
        pinned = pinned_ward.get(person.id)
        targets = [unit_of_ward[pinned]] if pinned in unit_of_ward else names
        for u in targets:
            flow.add_arc_with_capacity_and_unit_cost(person_node[person.id], unit_node[u], 1,
                                                     travel(person.home_ward_code, nearest(person, u)))
    for u in names:
        flow.set_node_supply(unit_node[u], -lower[u])
        if upper[u] > lower[u]:
            flow.add_arc_with_capacity_and_unit_cost(unit_node[u], sink, upper[u] - lower[u], 0)
    flow.set_node_supply(sink, -(len(people) - sum(lower.values())))
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"allocation failed ({status})")
    by_id = {p.id: p for p in people}
    node_unit = {node: u for u, node in unit_node.items()}
    node_person = {node: pid for pid, node in person_node.items()}
    result = {}
    for arc in range(flow.num_arcs()):
        if flow.flow(arc) and flow.tail(arc) in node_person and flow.head(arc) in node_unit:
            pid = node_person[flow.tail(arc)]
            unit = node_unit[flow.head(arc)]
            result[pid] = pinned_ward[pid] if pid in pinned_ward else nearest(by_id[pid], unit)
    return result


_WORKER_STATE: dict = {}


def _init_worker(campaign: Campaign) -> None:
    _WORKER_STATE["campaign"] = campaign
    _WORKER_STATE["travel"] = campaign_travel(campaign)


def _solve_cluster(spec: ClusterSpec, time_limit: float, seed: int, hints=(), threads: int = 1,
                   deadline: float | None = None) -> ClusterOutcome:
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
    shortfall = sum(result.shortfalls.values())
    return ClusterOutcome(spec, assignments, shortfall, result.status, result.objective, result.bound,
                          result.wall_seconds, result.variables)


def _task_key(assignment, campaign: Campaign):
    day_index = (assignment.date - campaign.start_date).days
    if assignment.mobile_point_id is not None:
        return ("mobile", assignment.mobile_point_id, assignment.need_index)
    if assignment.covered_ward_codes:
        return ("oncall", assignment.ward_code, day_index, assignment.shift_id, assignment.covered_ward_codes)
    return ("service", assignment.ward_code, day_index, assignment.shift_id)


def _run(campaign, specs, settings, time_limit_each, progress, hints_of=None, deadline=None):
    outcomes = {}
    specs = sorted(specs, key=lambda spec: -sum(len(t) for t in spec.team.values()))  # largest first
    if settings.workers == 1:
        _init_worker(campaign)
        for spec in specs:
            hints = hints_of(spec) if hints_of else ()
            outcomes[spec.index] = _solve_cluster(spec, time_limit_each(spec), settings.seed, hints, settings.threads,
                                                  deadline)
            if progress:
                progress(outcomes[spec.index])
        return outcomes
    with ProcessPoolExecutor(max_workers=settings.workers, initializer=_init_worker,
                             initargs=(campaign,)) as pool:
        futures = {pool.submit(_solve_cluster, spec, time_limit_each(spec), settings.seed,
                               hints_of(spec) if hints_of else (), settings.threads, deadline): spec for spec in specs}
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[outcome.spec.index] = outcome
            if progress:
                progress(outcome)
    return outcomes


def plan_clusters(campaign: Campaign, travel, settings: SolveSettings) -> list[Cluster]:
    limits = {d.ward_code: d.night_response_limit_minutes for d in campaign.demands}
    return build_clusters([d.ward_code for d in campaign.demands], limits, travel, settings.max_cluster_size)


def plan_specs(campaign: Campaign, travel, settings: SolveSettings) -> list[ClusterSpec]:
    """Clusters and allocation: each cluster's wards with the people allocated to each ward."""
    clusters = plan_clusters(campaign, travel, settings)
    allocation = allocate(campaign, travel, clusters)
    team_of_ward = defaultdict(list)
    for person_id, ward in sorted(allocation.items()):
        team_of_ward[ward].append(person_id)
    return [ClusterSpec(i, c.post, c.wards, {w: tuple(team_of_ward[w]) for w in c.wards})
            for i, c in enumerate(clusters)]


def _assignment_order(a) -> tuple:
    return (a.date, a.ward_code, a.shift_id or "", a.mobile_point_id or "", a.person_id)


def finish(campaign: Campaign, assignments: list, travel, settings: SolveSettings):
    """Gap filling, then the checker's unfilled slots and objective: the last step of every solve."""
    from scheduler.verify import objective as recompute_objective, unfilled_slots

    assignments = sorted(assignments, key=_assignment_order)
    unfilled = unfilled_slots(campaign, assignments, travel)
    added = fill_gaps(campaign, assignments, unfilled, travel) if settings.fill_gaps else []
    if added:
        assignments = sorted(assignments + added, key=_assignment_order)
        unfilled = unfilled_slots(campaign, assignments, travel)
    value, terms = recompute_objective(campaign, assignments, unfilled, travel)
    return assignments, unfilled, added, value, terms


def solve_campaign(campaign: Campaign, settings: SolveSettings = SolveSettings(),
                   progress: Callable[[ClusterOutcome], None] | None = None,
                   on_plan: Callable[[int], None] | None = None) -> tuple[Roster, dict]:
    """Solve the campaign by clusters; returns the roster and the solve's figures.

    The roster's unfilled slots and objective come from the independent checker
    (:mod:`scheduler.verify`); ``figures`` holds the bound, cluster counts and timings.
    """
    started = time.perf_counter()
    travel = campaign_travel(campaign)
    specs = plan_specs(campaign, travel, settings)
    if on_plan:
        on_plan(len(specs))
    setup_seconds = time.perf_counter() - started
    budget = settings.time_limit_seconds - setup_seconds
    first_share = 0.8 if settings.repair else 1.0
    sizes = {s.index: sum(len(t) for t in s.team.values()) + 1 for s in specs}
    total_size = sum(sizes.values())

    def first_limit(spec):
        return max(0.2, budget * first_share * settings.workers * sizes[spec.index] / total_size * 0.75)

    wall_start = time.time() - setup_seconds
    reserve = 0.2 * settings.time_limit_seconds  # loading, gap filling, checking and writing the roster
    first_deadline = wall_start + (settings.time_limit_seconds - reserve) * (first_share if settings.repair else 1.0)
    outcomes = _run(campaign, specs, settings, first_limit, progress, deadline=first_deadline)
    repaired = 0
    if settings.repair:
        short = [o for o in outcomes.values() if o.shortfall > 0]
        used = {a.person_id for o in outcomes.values() for a in o.assignments}
        idle = [p for p in campaign.people if p.id not in used]
        new_specs = []
        taken = set()
        for outcome in sorted(short, key=lambda o: -o.shortfall):
            spec = outcome.spec
            extra = []
            for pool in Pool:
                candidates = sorted((travel(p.home_ward_code, spec.post), p.id) for p in idle
                                    if p.pool is pool and p.id not in taken)
                for _, pid in candidates[: min(6, outcome.shortfall)]:
                    extra.append(pid)
                    taken.add(pid)
            if not extra:
                continue
            team = {w: list(t) for w, t in spec.team.items()}
            for pid in extra:
                person = campaign.person(pid)
                nearest = min(spec.wards, key=lambda w: (travel(person.home_ward_code, w), w))
                team[nearest].append(pid)
            new_specs.append(replace(spec, team={w: tuple(t) for w, t in team.items()}))
        if new_specs:
            elapsed = time.perf_counter() - started
            remaining = settings.time_limit_seconds - elapsed
            hints = {o.spec.index: [(a.person_id, _task_key(a, campaign)) for a in o.assignments]
                     for o in outcomes.values()}
            new_sizes = sum(sizes[s.index] for s in new_specs)

            def repair_limit(spec):
                return max(0.2, remaining * settings.workers * sizes[spec.index] / max(new_sizes, 1) * 0.7)

            redone = _run(campaign, new_specs, settings, repair_limit, None,
                          hints_of=lambda spec: hints[spec.index],
                          deadline=wall_start + settings.time_limit_seconds - reserve)
            for index, outcome in redone.items():
                before = outcomes[index].objective
                if outcome.objective is not None and (before is None or outcome.objective <= before):
                    outcomes[index] = outcome
                    repaired += 1
    assignments, unfilled, added, value, terms = finish(
        campaign, [a for o in outcomes.values() for a in o.assignments], travel, settings)
    heuristic = [o for o in outcomes.values() if o.status == "GREEDY"]
    # Every cluster has a roster (CP-SAT's, or the greedy start improved by ruin-and-recreate):
    # the whole is OPTIMAL only when CP-SAT proved every cluster.
    status = "OPTIMAL" if all(o.status == "OPTIMAL" for o in outcomes.values()) and not added else "FEASIBLE"
    bound = sum(o.bound or 0 for o in outcomes.values())
    wall = time.perf_counter() - started
    roster = Roster(campaign_name=campaign.name, status=status, assignments=tuple(assignments),
                    unfilled=tuple(unfilled), objective=value, best_bound=bound, wall_seconds=round(wall, 2))
    figures = {
        "clusters": len(specs), "repaired_clusters": repaired, "gap_fills": len(added), "greedy_clusters": len(heuristic),
        "variables": sum(o.variables for o in outcomes.values()),
        "optimal_clusters": sum(1 for o in outcomes.values() if o.status == "OPTIMAL"),
        "terms": terms, "wall_seconds": wall, "setup_seconds": setup_seconds,
    }
    logger.info("solved %d clusters in %.1f s: objective %s, bound %s", len(specs), wall, value, bound)
    return roster, figures


def solve_monolithic(campaign: Campaign, settings: SolveSettings = SolveSettings()) -> tuple[Roster, dict]:
    """The same clusters and allocation as one CP-SAT model on all cores (for comparison).

    The model is the union of the cluster models, so its optimum is the same; what
    differs is that one search must cover all of it within the time limit.
    """
    started = time.perf_counter()
    travel = campaign_travel(campaign)
    problems = [build_problem(campaign, spec, travel) for spec in plan_specs(campaign, travel, settings)]
    problem = engine.merge(problems)
    left = settings.time_limit_seconds * 0.8 - (time.perf_counter() - started)
    result = engine.solve(problem, time_limit_seconds=max(0.0, left), num_workers=settings.workers * settings.threads,
                          seed=settings.seed)
    # The same last step as the decomposed solve, so the two differ only in the model.
    assignments, unfilled, _, value, terms = finish(
        campaign, assignments_of(campaign, problem, result.chosen), travel, settings)
    wall = time.perf_counter() - started
    roster = Roster(campaign_name=campaign.name, status=result.status, assignments=tuple(assignments),
                    unfilled=tuple(unfilled), objective=value, best_bound=result.bound, wall_seconds=round(wall, 2))
    return roster, {"variables": result.variables, "terms": terms, "wall_seconds": wall}
