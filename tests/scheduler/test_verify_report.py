"""The objective's terms (soft rules) and the whole-roster report of the checker.

Campaign and helpers: ``rk`` (tests/scheduler/conftest.py); travel A–B 20, A–C 45, B–C 30 minutes;
day 0 is Monday 21/07/2025, so days 5 and 6 are a Saturday and a Sunday.
"""

from dataclasses import replace

import pytest

from scheduler.model import Roster, SoftWeights, Unfilled
from scheduler.verify import (
    asked_person_slots,
    objective,
    term_continuity,
    term_fair_spread,
    term_peak_students,
    term_preferences,
    term_school_together,
    term_travel_minutes,
    term_unfilled,
    unfilled_slots,
    verify,
)

# --- the terms ----------------------------------------------------------------------------------


def test_unfilled_term_sums_the_missing_people(rk):
    slots = [
        Unfilled("min_support_staff", rk.A, rk.day(0), "sang", 2),
        Unfilled("telecom_presence", rk.A, rk.day(0), None, 1, need="telecom"),
    ]
    assert term_unfilled(slots) == 3
    assert objective(rk.campaign(), [], slots, rk.travel)[1]["unfilled"] == 3


def test_travel_minutes_term_from_home_to_the_ward(rk):
    """SV1 (home A) in C: 45; in A: 0; KT1 (home A) posted in B: 20."""
    assignments = [
        rk.a("SV1", rk.C, 0, "sang"),
        rk.a("SV1", rk.A, 1, "sang"),
        rk.a("KT1", rk.B, 0, "truc_toi", covered=(rk.B,)),
    ]
    assert term_travel_minutes(rk.campaign(), assignments, rk.travel) == 65
    assert term_travel_minutes(rk.campaign(), assignments[1:2], rk.travel) == 0


def test_continuity_term_counts_extra_wards_per_person(rk):
    assignments = [
        rk.a("SV1", rk.A, 0, "sang"),
        rk.a("SV1", rk.B, 1, "sang"),
        rk.a("SV1", rk.A, 2, "sang"),
        rk.a("SV2", rk.A, 0, "sang"),
        rk.a("SV2", rk.A, 1, "sang"),
    ]
    assert term_continuity(rk.campaign(), assignments) == 1
    assert term_continuity(rk.campaign(), assignments + [rk.a("SV2", rk.C, 3, "sang")]) == 2


def test_school_together_term_counts_extra_schools_per_ward(rk):
    """In A: schools X (SV1, SV3) and Y (SV2) → 1; telecom staff are not students; in B only X → 0."""
    assignments = [
        rk.a("SV1", rk.A, 0, "sang"),
        rk.a("SV3", rk.A, 1, "sang"),
        rk.a("SV2", rk.A, 2, "chieu"),
        rk.a("VT1", rk.A, 0, "sang"),
        rk.a("SV1", rk.B, 3, "sang"),
    ]
    assert term_school_together(rk.campaign(), assignments) == 1
    assert term_school_together(rk.campaign(), assignments[:2]) == 0


def test_fair_spread_term_nights_beyond_two_and_weekends_beyond_one_per_week(rk):
    nights = [rk.a("KT1", rk.A, day, "truc_dem", covered=(rk.A,)) for day in (0, 2)]
    weekend = [rk.a("SV1", rk.A, 5, "sang")]
    assert term_fair_spread(rk.campaign(), nights + weekend) == 0
    third_night = [rk.a("KT1", rk.A, 4, "truc_toi", covered=(rk.A,))]  # 17:30–23:30 has night minutes
    second_weekend_day = [rk.a("SV1", rk.A, 6, "sang")]
    assert term_fair_spread(rk.campaign(), nights + third_night + weekend + second_weekend_day) == 2
    next_week = [rk.a("SV1", rk.A, 12, "sang")]  # the next Saturday
    assert term_fair_spread(rk.campaign(), weekend + next_week) == 0


def test_preferences_term_counts_assignments_outside_preferred_wards(rk):
    people = tuple(replace(p, preferred_ward_codes=(rk.B,)) if p.id == "SV3" else p for p in rk.people())
    campaign = rk.campaign(people=people)
    assignments = [rk.a("SV3", rk.A, 0, "sang"), rk.a("SV3", rk.B, 1, "sang"), rk.a("SV1", rk.C, 0, "sang")]
    assert term_preferences(campaign, assignments) == 1


def test_peak_students_term_counts_missing_extra_people_on_peak_days(rk):
    """A wants 2 + 1 extra on peak day 0: 2 people in the morning → 1, 3 in the afternoon → 0; day 1 is no peak."""
    demand = rk.demand(rk.A, min_support_staff=2, peak_dates=frozenset({rk.day(0)}), extra_students_on_peak=1)
    campaign = rk.campaign(demands=(demand,))
    assignments = [
        rk.a("SV1", rk.A, 0, "sang"),
        rk.a("SV2", rk.A, 0, "sang"),
        rk.a("SV1", rk.A, 0, "chieu"),
        rk.a("SV2", rk.A, 0, "chieu"),
        rk.a("VT1", rk.A, 0, "chieu"),
    ]
    assert term_peak_students(campaign, assignments) == 1
    assert term_peak_students(campaign, []) == 2  # min(extra, 2 + 1 − 0) for each shift
    far_peak = replace(demand, peak_dates=frozenset({rk.day(40)}))
    assert term_peak_students(rk.campaign(demands=(far_peak,)), []) == 0


def test_objective_is_the_weighted_sum_of_the_terms(rk):
    weights = SoftWeights(
        unfilled=7, travel_minutes=2, continuity=3, school_together=5, fair_spread=11, preferences=13, peak_students=17
    )
    demand = rk.demand(rk.A, min_support_staff=1, peak_dates=frozenset({rk.day(0)}), extra_students_on_peak=1)
    campaign = rk.campaign(days=1, demands=(demand,), weights=weights)
    assignments = [rk.a("SV1", rk.A, 0, "sang"), rk.a("SV2", rk.B, 0, "chieu")]
    unfilled = unfilled_slots(campaign, assignments, rk.travel)
    value, terms = objective(campaign, assignments, unfilled, rk.travel)
    assert terms == {
        "unfilled": 1,
        "travel_minutes": 20,
        "continuity": 0,
        "school_together": 0,
        "fair_spread": 0,
        "preferences": 0,
        "peak_students": 1 + 1,
    }
    assert value == 7 * 1 + 2 * 20 + 17 * 2


# --- the report ---------------------------------------------------------------------------------


def test_verify_a_valid_roster_is_ok_in_any_order_of_its_unfilled_list(rk):
    campaign = rk.campaign(days=1, demands=(rk.demand(rk.A, min_support_staff=2),))
    assignments = (rk.a("SV1", rk.A, 0, "sang"),)
    unfilled = unfilled_slots(campaign, assignments, rk.travel)
    assert [(u.shift_id, u.missing) for u in unfilled] == [("chieu", 2), ("sang", 1)]  # shift ids sort
    report = verify(campaign, Roster(campaign.name, "FEASIBLE", assignments, tuple(reversed(unfilled))), rk.travel)
    assert report.ok and report.violations == ()
    assert report.unfilled == tuple(unfilled)
    assert (report.asked, report.filled) == (4, 1)
    assert report.coverage_percent == pytest.approx(25.0)
    assert report.missing_by_rule() == {
        "min_support_staff": 3,
        "telecom_presence": 0,
        "oncall_24_7": 0,
        "mobile_point_staffing": 0,
    }


def test_unfilled_mismatch_when_the_declared_list_differs(rk):
    campaign = rk.campaign(days=1, demands=(rk.demand(rk.A, min_support_staff=2),))
    assignments = (rk.a("SV1", rk.A, 0, "sang"),)
    unfilled = unfilled_slots(campaign, assignments, rk.travel)
    forgotten = verify(campaign, Roster(campaign.name, "FEASIBLE", assignments, tuple(unfilled[:1])), rk.travel)
    assert [(v.rule, v.shift_id) for v in forgotten.violations] == [("unfilled_mismatch", "sang")]
    doubled = verify(
        campaign, Roster(campaign.name, "FEASIBLE", assignments, tuple(unfilled + unfilled[:1])), rk.travel
    )
    assert [(v.rule, v.shift_id) for v in doubled.violations] == [("unfilled_mismatch", "chieu")]
    assert not doubled.ok


def test_verify_reports_people_rules_and_invalid_assignments(rk):
    campaign = rk.campaign(days=3)
    assignments = (
        rk.a("VT2", rk.A, 2, "sang"),
        rk.a("KT3", rk.A, 0, "truc_dem", covered=(rk.A,)),
        rk.a("GHOST", rk.A, 0, "sang"),
    )
    report = verify(campaign, Roster(campaign.name, "FEASIBLE", assignments), rk.travel)
    assert [v.rule for v in report.violations] == ["invalid_assignment", "availability", "night_eligibility"]
    assert "[availability]" in str(report.violations[1])


def test_asked_person_slots_per_rule(rk):
    demand = rk.demand(rk.A, min_support_staff=2, min_telecom_staff_per_day=1, oncall_24_7=True)
    campaign = rk.campaign(days=2, demands=(demand,))
    assert asked_person_slots(campaign) == {
        "min_support_staff": 2 * 2 * 2,
        "telecom_presence": 2,
        "oncall_24_7": 2 * (2 + 3),
        "mobile_point_staffing": 0,
    }


def test_verify_the_tiny_scenario_with_the_real_travel_model():
    """The default travel (geo.travel) works end to end; an empty roster leaves every slot unfilled."""
    from scheduler.scenarios import tiny_scenario

    campaign = tiny_scenario()
    empty = verify(campaign, Roster(campaign.name, "FAILED", ()))
    assert empty.coverage_percent == 0.0
    report = verify(campaign, Roster(campaign.name, "FAILED", (), empty.unfilled))
    assert (
        report.ok
        and report.objective
        == campaign.weights.unfilled * empty.asked + campaign.weights.peak_students * report.terms["peak_students"]
    )
