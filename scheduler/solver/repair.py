"""Repair: a cluster left short is solved again with the nearest idle people of the pools it lacks.

After the first round of cluster solves, some clusters have covers short while
people elsewhere in the city are idle (no cluster used them). For each short
cluster (the one missing most people first), the idle people of other teams nearest its post, of the pools its
short covers ask for, join its team at their nearest ward of the cluster, at most
as many per pool as that pool is short (and at most ``MAX_EXTRA_PER_POOL``). The
cluster is then solved again, warm-started from its first roster; the caller keeps
the new roster only when it is no worse.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from scheduler.model import Campaign, Pool
from scheduler.solver.campaign_model import ClusterSpec

MAX_EXTRA_PER_POOL = 6


def pools_short(campaign: Campaign, shortfalls: dict) -> Counter:
    """People missing per pool, from a cluster's short covers (engine cover names -> missing)."""
    short: Counter = Counter()
    for name, missing in shortfalls.items():
        rule = name[0]
        if rule == "telecom_presence":
            short[Pool.TELECOM] += missing
        elif rule == "oncall_24_7":
            short[Pool.TECHNICIAN] += missing
        elif rule == "mobile_point_staffing":
            need = campaign.mobile_point(name[1]).staff_needed[name[2]]
            for pool in [need.pool] if need.pool is not None else list(Pool):
                short[pool] += missing
        else:  # support staff: anyone
            for pool in Pool:
                short[pool] += missing
    return short


def widened_specs(campaign: Campaign, outcomes: list, travel: Callable[[str, str], int]) -> list[ClusterSpec]:
    """The short clusters' specs with idle people of the pools they lack added to their teams.

    ``outcomes`` are the first round's cluster outcomes (``spec``, ``assignments``, ``shortfalls``).
    A person moved to another cluster leaves the team of their own: were both clusters solved again
    with them, both could use them at once.
    """
    used = {a.person_id for o in outcomes for a in o.assignments}
    taken: set[str] = set()
    idle = [p for p in campaign.people if p.id not in used]
    short = sorted((o for o in outcomes if o.shortfalls), key=lambda o: -sum(o.shortfalls.values()))
    extras: dict[int, list[str]] = {}
    for outcome in short:
        spec = outcome.spec
        team = {person_id for people in spec.team.values() for person_id in people}  # idle already, but theirs
        for pool, missing in pools_short(campaign, outcome.shortfalls).items():
            candidates = sorted(
                (travel(p.home_ward_code, spec.post), p.id)
                for p in idle
                if p.pool is pool and p.id not in taken and p.id not in team
            )
            for _, person_id in candidates[: min(MAX_EXTRA_PER_POOL, missing)]:
                extras.setdefault(spec.index, []).append(person_id)
                taken.add(person_id)
    specs = []
    for outcome in short:
        spec = outcome.spec
        if spec.index not in extras:
            continue  # not solved again: its first roster stands, and it does not use its idle people
        wards = {ward: [p for p in people if p not in taken] for ward, people in spec.team.items()}
        for person_id in extras[spec.index]:
            home = campaign.person(person_id).home_ward_code
            wards[min(spec.wards, key=lambda w: (travel(home, w), w))].append(person_id)
        specs.append(replace(spec, team={ward: tuple(people) for ward, people in wards.items()}))
    return specs
