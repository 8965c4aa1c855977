"""Allocation: which ward (students) or cluster (the other pools) each person serves.

A min-cost flow per pool, travel minutes as cost, each unit receiving its share of
the pool in proportion to the hours it asks of that pool. Clusters
(:mod:`scheduler.solver.clusters`) and this allocation make the plan the cluster
models are built from.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable

from ortools.graph.python import min_cost_flow

from scheduler.model import Campaign, Pool, ShiftKind
from scheduler.solver.campaign_model import ClusterSpec
from scheduler.solver.clusters import Cluster, build_clusters


def ward_demand_hours(campaign: Campaign, cluster_size: dict[str, int] | None = None) -> dict[Pool, dict[str, float]]:
    """How many hours each ward asks of each pool, to share the pools out in proportion.

    A ward's share of its cluster's on-call shifts is the cluster's on-call hours over its size.
    """
    hours: dict[Pool, dict[str, float]] = {pool: defaultdict(float) for pool in Pool}
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


def allocate(
    campaign: Campaign, travel: Callable[[str, str], int], clusters: list[Cluster] | None = None
) -> dict[str, str]:
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
        units: dict[str, tuple[str, ...]]
        if pool is Pool.STUDENT:
            units = {d.ward_code: (d.ward_code,) for d in campaign.demands}
        else:
            units = {c.post: c.wards for c in clusters}
        hours = {u: sum(demand_hours[pool][w] for w in wards) for u, wards in units.items()}
        allocation.update(_share_out(people, units, hours, pinned_ward, travel))
    return allocation


def _share_out(
    people, units: dict[str, tuple[str, ...]], hours: dict[str, float], pinned_ward: dict[str, str], travel
) -> dict[str, str]:
    """One pool over units of wards by a min-cost flow with a floor and a ceiling per unit."""
    unit_of_ward = {w: u for u, wards in units.items() for w in wards}
    names = sorted(units)
    total = sum(hours.values()) or 1.0
    share = {u: len(people) * hours[u] / total for u in names}
    pinned_unit = {p.id: unit_of_ward.get(pinned_ward[p.id]) for p in people if p.id in pinned_ward}
    pinned_here = {u: sum(1 for unit in pinned_unit.values() if unit == u) for u in names}
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
            flow.add_arc_with_capacity_and_unit_cost(
                person_node[person.id], unit_node[u], 1, travel(person.home_ward_code, nearest(person, u))
            )
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


def plan_clusters(campaign: Campaign, travel, max_cluster_size: int) -> list[Cluster]:
    limits = {d.ward_code: d.night_response_limit_minutes for d in campaign.demands}
    return build_clusters([d.ward_code for d in campaign.demands], limits, travel, max_cluster_size)


def plan_specs(campaign: Campaign, travel, max_cluster_size: int) -> list[ClusterSpec]:
    """Clusters and allocation: each cluster's wards with the people allocated to each ward."""
    clusters = plan_clusters(campaign, travel, max_cluster_size)
    allocation = allocate(campaign, travel, clusters)
    team_of_ward = defaultdict(list)
    for person_id, ward in sorted(allocation.items()):
        team_of_ward[ward].append(person_id)
    return [
        ClusterSpec(i, c.post, c.wards, {w: tuple(team_of_ward[w]) for w in c.wards}) for i, c in enumerate(clusters)
    ]
