"""The CP-SAT side of the campaign's people rules: each ``add_<label>`` leaves out (or pins) exactly its pairs.

Each test builds one cluster's problem twice, with the whole registry and without the
rule's function, and checks that the function is what removes the pairs the rule forbids.
"""

from __future__ import annotations

import dataclasses

from scheduler.model import Assignment, MobilePoint, Pool, StaffNeed
from scheduler.rules import PEOPLE_RULES
from scheduler.solver.campaign_model import CAMPAIGN_RULES, ClusterSpec, build_problem
from scheduler.solver.engine import WORKER_RULES
from scheduler.solver.rules import CP_SAT_RULES


def cluster(rk, **changes):
    campaign = rk.campaign(days=3, **changes)
    team = {rk.A: ("KT1", "KT2", "KT3", "SV1", "SV2", "VT1", "VT2"), rk.B: ("SV3",), rk.C: ()}
    return campaign, ClusterSpec(0, rk.A, (rk.A, rk.B, rk.C), team)


def pairs(campaign, spec, rk, without=None):
    """The (person id, task key) pairs of the cluster's problem, optionally without one rule."""
    rules = dict(CAMPAIGN_RULES)
    if without:
        rules.pop(without)
    saved = dict(CAMPAIGN_RULES)
    CAMPAIGN_RULES.clear()
    CAMPAIGN_RULES.update(rules)
    try:
        problem = build_problem(campaign, spec, rk.travel)
    finally:
        CAMPAIGN_RULES.clear()
        CAMPAIGN_RULES.update(saved)
    people = {(problem.workers[w].key, problem.tasks[t].key) for w, t in problem.costs}
    fixed = {(problem.workers[w].key, problem.tasks[t].key) for w, t in problem.fixed}
    return people, fixed


def test_the_cp_sat_registry_has_one_add_function_per_people_rule():
    assert list(CP_SAT_RULES) == list(PEOPLE_RULES)
    assert all(function.__name__ == f"add_{label}" for label, function in CP_SAT_RULES.items())
    assert set(WORKER_RULES).isdisjoint(CAMPAIGN_RULES)


def test_add_availability_leaves_out_unavailable_days_and_undeclared_shifts(rk):
    campaign, spec = cluster(rk, demands=(rk.demand(rk.A), rk.demand(rk.B), rk.demand(rk.C)))
    kept, _ = pairs(campaign, spec, rk)
    loose, _ = pairs(campaign, spec, rk, without="availability")
    assert ("VT2", ("service", rk.A, 2, "sang")) in loose - kept  # VT2 is unavailable on day 2
    assert ("SV3", ("service", rk.B, 0, "chieu")) in loose - kept  # SV3 declared only "sang"
    assert ("VT2", ("service", rk.A, 1, "sang")) in kept


def test_add_eligibility_keeps_on_call_for_technicians_and_points_for_their_need(rk):
    point = MobilePoint("P1", rk.A, "Nhà văn hoá", rk.day(1), 8 * 60, 11 * 60, (StaffNeed(1, Pool.TELECOM),))
    campaign, spec = cluster(
        rk, mobile_points=(point,), demands=(rk.demand(rk.A, oncall_24_7=True), rk.demand(rk.B), rk.demand(rk.C))
    )
    kept, _ = pairs(campaign, spec, rk)
    loose, _ = pairs(campaign, spec, rk, without="eligibility")
    oncall = ("oncall", rk.A, 0, "truc_toi", (rk.A,))
    assert ("KT1", oncall) in kept and ("VT1", oncall) in loose - kept
    assert ("VT1", ("mobile", "P1", 0)) in kept and ("SV1", ("mobile", "P1", 0)) in loose - kept


def test_add_night_eligibility_leaves_out_night_tasks_of_others(rk):
    campaign, spec = cluster(rk, demands=(rk.demand(rk.A, oncall_24_7=True), rk.demand(rk.B), rk.demand(rk.C)))
    kept, _ = pairs(campaign, spec, rk)
    loose, _ = pairs(campaign, spec, rk, without="night_eligibility")
    night = ("oncall", rk.A, 0, "truc_dem", (rk.A,))
    assert ("KT1", night) in kept  # night-eligible
    assert ("KT3", night) in loose - kept  # not night-eligible


def test_add_one_ward_per_student_keeps_students_at_their_ward(rk):
    campaign, spec = cluster(rk)
    kept, _ = pairs(campaign, spec, rk)
    loose, _ = pairs(campaign, spec, rk, without="one_ward_per_student")
    assert ("SV3", ("service", rk.B, 0, "sang")) in kept
    assert ("SV3", ("service", rk.A, 0, "sang")) in loose - kept
    assert ("VT1", ("service", rk.B, 0, "sang")) in kept  # telecom staff serve any ward of their cluster


def test_add_pinned_fixes_the_pinned_pair(rk):
    pin = Assignment("SV1", rk.A, rk.day(1), "chieu")
    campaign, spec = cluster(rk)
    campaign = dataclasses.replace(campaign, pins=(pin,))
    _, fixed = pairs(campaign, spec, rk)
    _, loose = pairs(campaign, spec, rk, without="pinned")
    assert fixed == {("SV1", ("service", rk.A, 1, "chieu"))} and not loose
