"""Repair a published roster with as little change as possible: only the affected clusters and days.

The open slots (a cancellation's, a new demand's) are grouped by on-call cluster; each
affected cluster is modelled only on the days around its open slots, with the people
already working there and the nearest people of each pool who could join. Every other
assignment of those people is fixed context (their time rules still see it), and the
published pairs are the start: :func:`scheduler.solver.engine.solve_changes` then
restores coverage first, changes as few assignments as it can next, touches as few
people as it can after that, and only then looks at the soft terms. Clusters are
solved one after another on the roster so far, so a person taken by one is seen by the
next; at the deadline the clusters not reached stay as they were.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from scheduler.clock import is_history
from scheduler.model import Assignment, Campaign, Pool, ShiftKind, Unfilled
from scheduler.settings import SolveSettings
from scheduler.solver import engine
from scheduler.solver.allocate import plan_clusters
from scheduler.solver.campaign_model import ClusterSpec, assignments_of, build_problem, pairs_of, task_key

logger = logging.getLogger(__name__)

NEAREST_PER_POOL = 15  # people of each pool, nearest to the cluster's post, who may join a repair
DAYS_AROUND = 1  # days modelled on each side of an open slot's day
MIN_CLUSTER_SECONDS = 0.3


@dataclass
class LiveSolve:
    """The roster after the cluster repairs, with their figures."""

    assignments: list[Assignment]
    scope: set = field(default_factory=set)  # the (ward, date) pairs modelled
    clusters: int = 0
    optimal: int = 0
    figures: dict = field(default_factory=dict)


_PLANS: dict[tuple, list] = {}


def _clusters(campaign: Campaign, travel: Callable[[str, str], int], max_cluster_size: int) -> list:
    """The campaign's on-call clusters (kept for the next repair of the same wards and limits)."""
    key = (
        tuple((d.ward_code, d.night_response_limit_minutes) for d in campaign.demands),
        id(travel),
        max_cluster_size,
    )
    if key not in _PLANS:
        _PLANS.clear()
        _PLANS[key] = plan_clusters(campaign, travel, max_cluster_size)
    return _PLANS[key]


def _day_index(campaign: Campaign, assignment_or_slot) -> int:
    return (assignment_or_slot.date - campaign.start_date).days


def _cluster_days(campaign: Campaign, open_slots: list[Unfilled], cluster_of_ward: dict[str, int], first_day: int):
    """Cluster index -> the day indexes to model (open slots' days and their neighbours, none before ``first_day``)."""
    days: dict[int, set[int]] = defaultdict(set)
    for slot in open_slots:
        cluster = cluster_of_ward.get(slot.ward_code)
        if cluster is None:
            continue
        day = (slot.date - campaign.start_date).days
        for d in range(day - DAYS_AROUND, day + DAYS_AROUND + 1):
            if first_day <= d < campaign.days:
                days[cluster].add(d)
    return days


def _reach_days(campaign: Campaign, days: set[int]) -> set[int]:
    """The days whose assignments a person's time rules on ``days`` depend on: their weeks, and two days beyond."""
    weeks = {campaign.week_index(campaign.start_date) + d // 7 for d in days}
    reach = {d for d in range(campaign.days) if d // 7 in weeks}
    return {d for r in reach for d in range(r - 2, r + 3) if 0 <= d < campaign.days}


def _team(
    campaign: Campaign,
    cluster_wards: tuple[str, ...],
    post: str,
    days: set[int],
    current: list[Assignment],
    travel: Callable[[str, str], int],
    service_ward: dict[str, str],
) -> dict[str, tuple[str, ...]]:
    """Ward -> people: those working in the cluster on ``days``, and the nearest of each pool who could join.

    A student is listed under the ward of their service shifts (one ward per student), or, with
    none yet, under the cluster's ward nearest to them.
    """
    wards = set(cluster_wards)
    working = {
        a.person_id
        for a in current
        if _day_index(campaign, a) in days and (a.ward_code in wards or a.ward_code == post)
    }
    dates = [campaign.dates[d] for d in sorted(days)]
    chosen = set(working)
    for pool in Pool:
        nearby = sorted(
            (travel(p.home_ward_code, post), p.id)
            for p in campaign.people_in(pool)
            if p.id not in chosen
            and any(d not in p.unavailable_dates for d in dates)
            and (pool is not Pool.STUDENT or service_ward.get(p.id, post) in wards or p.id not in service_ward)
        )
        chosen.update(pid for _, pid in nearby[:NEAREST_PER_POOL])
    team: dict[str, list[str]] = defaultdict(list)
    for pid in sorted(chosen):
        person = campaign.person(pid)
        if person.pool is Pool.STUDENT and pid in service_ward:
            ward = service_ward[pid]
        else:
            ward = min(cluster_wards, key=lambda w: (travel(person.home_ward_code, w), w))
        team[ward].append(pid)
    return {ward: tuple(people) for ward, people in team.items()}


def repair_clusters(
    campaign: Campaign,
    base: list[Assignment],
    open_slots: list[Unfilled],
    now: datetime,
    deadline: float,
    settings: SolveSettings,
    travel: Callable[[str, str], int],
    costs: engine.ChangeCosts | None = None,
    progress: Callable | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> LiveSolve:
    """Repair the clusters of ``open_slots`` in ``base`` (a valid roster), changing as little as possible.

    Slots that have started by ``now`` are history: they are never modelled as free. ``on_plan`` is
    told how many clusters will be repaired, ``progress`` is called (with the cluster's index) after each.
    """
    costs = costs or engine.ChangeCosts()
    now_minute = int((now - datetime.combine(campaign.start_date, datetime.min.time())).total_seconds() // 60)
    clusters = _clusters(campaign, travel, settings.max_cluster_size)
    cluster_of_ward = {w: i for i, c in enumerate(clusters) for w in c.wards}
    first_day = max(0, (now.date() - campaign.start_date).days)
    days_of = _cluster_days(campaign, open_slots, cluster_of_ward, first_day)
    shortfall: Counter[int] = Counter()
    for slot in open_slots:
        if slot.ward_code in cluster_of_ward:
            shortfall[cluster_of_ward[slot.ward_code]] += slot.missing
    order = sorted(days_of, key=lambda c: (-shortfall[c], c))
    if on_plan:
        on_plan(len(order))
    current = list(base)
    result = LiveSolve(current)
    oncall_ids = {s.id for s in campaign.shifts if s.kind is ShiftKind.ONCALL}
    started = time.time()
    for n, index in enumerate(order):
        left = deadline - time.time()
        if left < MIN_CLUSTER_SECONDS:
            logger.info("repair: deadline reached with %d of %d clusters left", len(order) - n, len(order))
            break
        cluster = clusters[index]
        days = days_of[index]
        service_ward = {
            a.person_id: a.ward_code
            for a in current
            if a.shift_id is not None and a.shift_id not in oncall_ids and a.mobile_point_id is None
        }
        team = _team(campaign, cluster.wards, cluster.post, days, current, travel, service_ward)
        members = {pid for people in team.values() for pid in people}
        # The tasks alone first (no people: cheap), to tell the team's modelled assignments from their context.
        keys = {
            task.key
            for task in build_problem(
                campaign, ClusterSpec(index, cluster.post, cluster.wards, {}, frozenset(days)), travel
            ).tasks
        }
        reach = _reach_days(campaign, days)
        in_model, context = [], []
        for a in current:
            if a.person_id not in members:
                continue
            if task_key(campaign, a) in keys:
                in_model.append(a)
            elif _day_index(campaign, a) in reach:
                context.append(a)
        spec = ClusterSpec(index, cluster.post, cluster.wards, team, frozenset(days), tuple(context))
        result.scope |= {(ward, campaign.dates[d]) for ward in cluster.wards for d in days}
        problem = build_problem(campaign, spec, travel)
        published = pairs_of(problem, campaign, in_model)
        # History inside the window: a task that has started keeps exactly its published pairs.
        for t, task in enumerate(problem.tasks):
            if (isinstance(task.key, tuple) and task.key[0] == "context") or task.start > now_minute:
                continue
            for w in range(len(problem.workers)):
                if (w, t) in published:
                    problem.fixed.add((w, t))
                else:
                    problem.costs.pop((w, t), None)
        share = left / max(1, len(order) - n)
        outcome = engine.solve_changes(
            problem,
            published,
            costs,
            time_limit_seconds=max(MIN_CLUSTER_SECONDS, min(left - 0.1, 2 * share)),
            num_workers=settings.cp_sat_workers,
            seed=settings.seed,
        )
        chosen = [a for a in assignments_of(campaign, problem, outcome.chosen) if not is_history(campaign, a, now)]
        kept_history = [a for a in in_model if is_history(campaign, a, now)]
        dropped = {id(a) for a in in_model}
        current = [a for a in current if id(a) not in dropped] + kept_history + chosen
        result.clusters += 1
        result.optimal += outcome.status == "OPTIMAL"
        if progress:
            progress(index)
        logger.debug(
            "repair cluster %d: %d days, %d people, %d pairs, %s in %.2f s",
            index,
            len(days),
            len(members),
            len(problem.costs),
            outcome.status,
            outcome.wall_seconds,
        )
    result.assignments = current
    result.figures = {
        "repair_clusters": result.clusters,
        "repair_clusters_planned": len(order),
        "repair_clusters_optimal": result.optimal,
        "repair_cluster_seconds": round(time.time() - started, 3),
    }
    return result
