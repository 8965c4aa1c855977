"""Repair: a short cluster gets the nearest idle people of the pools its short covers ask for."""

from collections import Counter
from types import SimpleNamespace

from scheduler.model import MobilePoint, Pool, StaffNeed
from scheduler.solver.campaign_model import ClusterSpec
from scheduler.solver.repair import MAX_EXTRA_PER_POOL, pools_short, widened_specs


def outcome(spec, shortfalls, assignments=()):
    return SimpleNamespace(spec=spec, shortfalls=shortfalls, assignments=list(assignments))


def test_pools_short_reads_the_pools_each_short_cover_asks_for(rk):
    point = MobilePoint(
        "P1", rk.A, "Chợ", rk.day(0), 480, 600, (StaffNeed(1, Pool.TELECOM), StaffNeed(2, skill="vneid"))
    )
    campaign = rk.campaign(mobile_points=(point,))
    short = pools_short(
        campaign,
        {("telecom_presence", rk.A, 0): 1, ("oncall_24_7", rk.A, 0, "sang"): 2, ("mobile_point_staffing", "P1", 0): 1},
    )
    assert short == Counter({Pool.TECHNICIAN: 2, Pool.TELECOM: 2})
    anyone = pools_short(campaign, {("min_support_staff", rk.A, 0, "sang"): 1, ("mobile_point_staffing", "P1", 1): 2})
    assert anyone == Counter({pool: 3 for pool in Pool})  # support staff and a skill: any pool


def test_a_short_cluster_gets_idle_people_of_the_pools_it_lacks_nearest_its_post(rk):
    campaign = rk.campaign()
    spec = ClusterSpec(0, rk.A, (rk.A,), {rk.A: ("KT1",)})
    busy = rk.a("KT1", rk.A, 0, "sang")
    short = outcome(spec, {("oncall_24_7", rk.A, 0, "chieu"): 1})  # one technician missing
    fine = outcome(ClusterSpec(1, rk.C, (rk.C,), {rk.C: ()}), {})
    specs = widened_specs(campaign, [short, fine], rk.travel)
    assert len(specs) == 1  # the cluster with nothing short is left alone
    added = set(specs[0].team[rk.A]) - {"KT1"}
    assert added == {"KT2"}  # idle technicians: KT2 (B, 20 minutes) before KT3 (C, 45); one is missing
    assert widened_specs(campaign, [outcome(spec, {("oncall_24_7", rk.A, 0, "chieu"): 1}, [busy])], rk.travel)


def test_repair_adds_at_most_what_is_missing_and_never_a_person_twice(rk):
    campaign = rk.campaign()
    first = outcome(ClusterSpec(0, rk.A, (rk.A,), {rk.A: ()}), {("telecom_presence", rk.A, d): 1 for d in range(9)})
    second = outcome(ClusterSpec(1, rk.C, (rk.C,), {rk.C: ()}), {("telecom_presence", rk.C, 0): 1})
    specs = widened_specs(campaign, [second, first], rk.travel)
    teams = [set(s.team[w]) for s in specs for w in s.wards]
    assert teams == [{"VT1", "VT2"}]  # the cluster missing most goes first and takes both idle telecom staff
    assert MAX_EXTRA_PER_POOL == 6


def test_a_person_moved_to_another_cluster_leaves_the_team_of_their_own(rk):
    """SV3 (home B) is idle in cluster A's team; cluster B, short of support, takes them: A's new team drops them,
    or both clusters, solved again, could use SV3 at once."""
    campaign = rk.campaign()
    a = outcome(ClusterSpec(0, rk.A, (rk.A,), {rk.A: ("SV1", "SV3")}), {("min_support_staff", rk.A, 0, "sang"): 1})
    b = outcome(ClusterSpec(1, rk.B, (rk.B,), {rk.B: ()}), {("min_support_staff", rk.B, 0, "sang"): 2})
    specs = {s.index: s for s in widened_specs(campaign, [a, b], rk.travel)}
    assert "SV3" in specs[1].team[rk.B]  # B, missing most, goes first: SV3 lives in B
    assert set(specs) == {0, 1}  # A gains idle people too, so both are solved again
    assert "SV3" not in specs[0].team[rk.A]
    assert not set(specs[0].team[rk.A]) & set(specs[1].team[rk.B])  # nobody is in both teams
