"""Every rule of the registry has its tests, on every side that implements it.

The map below names the test functions themselves (not their names), per rule label:
the checker's tests for every rule; for each people rule also the CP-SAT side's and the
calendar's. Renaming or deleting a test breaks the import here; a rule added to the
registry without tests fails the first test.
"""

from __future__ import annotations

import inspect

from scheduler.rules import PEOPLE_RULES, RULES
from tests.scheduler import test_calendar as calendar
from tests.scheduler import test_cp_sat_rules as cp_sat
from tests.scheduler import test_engine as engine
from tests.scheduler import test_solve as solve
from tests.scheduler import test_verify_report as report
from tests.scheduler import test_verify_rules as checker

RULE_TESTS = {
    "min_support_staff": {
        "checker": [
            checker.test_min_support_staff_missing_counts_people_short,
            checker.test_min_support_staff_boundary_counts_distinct_people,
        ],
        "solver": [solve.test_tiny_fills_every_support_shift_of_the_inner_wards],
    },
    "telecom_presence": {
        "checker": [
            checker.test_telecom_presence_missing_when_only_students_or_elsewhere,
            checker.test_telecom_presence_boundary_two_asked_counts_distinct_telecom_people,
        ]
    },
    "oncall_24_7": {
        "checker": [
            checker.test_oncall_24_7_missing_a_technician_in_a_service_shift_and_an_uncovered_on_call,
            checker.test_oncall_24_7_boundary_a_post_exactly_at_the_response_limit,
        ]
    },
    "mobile_point_staffing": {
        "checker": [
            checker.test_mobile_point_staffing_missing_per_need,
            checker.test_mobile_point_staffing_boundary_count_exactly_met,
        ]
    },
    "availability": {
        "checker": [
            checker.test_availability_broken_on_an_unavailable_date,
            checker.test_availability_broken_outside_the_declared_shifts,
        ],
        "cp_sat": [cp_sat.test_add_availability_leaves_out_unavailable_days_and_undeclared_shifts],
        "calendar": [calendar.test_calendar_agrees_with_checker_on_availability],
    },
    "eligibility": {
        "checker": [
            checker.test_eligibility_broken_on_call_by_a_student_or_without_the_post,
            checker.test_eligibility_boundary_travel_to_a_mobile_point_exactly_at_the_limit,
        ],
        "cp_sat": [cp_sat.test_add_eligibility_keeps_on_call_for_technicians_and_points_for_their_need],
        "calendar": [calendar.test_calendar_agrees_with_checker_on_eligibility],
    },
    "night_eligibility": {
        "checker": [checker.test_night_eligibility_boundary_ending_at_22h_passes_one_minute_later_fails],
        "cp_sat": [cp_sat.test_add_night_eligibility_leaves_out_night_tasks_of_others],
        "calendar": [calendar.test_calendar_agrees_with_checker_on_night_eligibility],
    },
    "one_place_at_a_time": {
        "checker": [checker.test_one_place_at_a_time_boundary_one_minute_of_overlap_after_midnight],
        "cp_sat": [
            engine.test_one_place_at_a_time_leaves_an_overlapping_task_short,
            engine.test_one_place_at_a_time_three_way_overlap,
        ],
        "calendar": [calendar.test_calendar_agrees_with_checker_on_one_place_at_a_time],
    },
    "max_daily_hours": {
        "checker": [checker.test_max_daily_hours_boundary_8h_passes_8h01_fails],
        "cp_sat": [engine.test_max_daily_hours_boundary],
        "calendar": [calendar.test_calendar_agrees_with_checker_on_max_daily_hours],
    },
    "max_weekly_hours": {
        "checker": [
            checker.test_max_weekly_hours_boundary_48h_passes_48h01_fails,
            checker.test_max_weekly_hours_an_own_cap_never_passes_the_legal_48h,
        ],
        "cp_sat": [engine.test_max_weekly_hours_boundary],
        "calendar": [calendar.test_calendar_agrees_with_checker_on_max_weekly_hours],
    },
    "min_rest_between_shifts": {
        "checker": [checker.test_min_rest_between_shifts_boundary_12h_passes_11h59_fails],
        "cp_sat": [engine.test_min_rest_between_shifts_boundary],
        "calendar": [calendar.test_calendar_agrees_with_checker_on_min_rest_between_shifts],
    },
    "min_weekly_rest": {
        "checker": [
            checker.test_min_weekly_rest_boundary_24h_passes_23h59_fails,
            checker.test_min_weekly_rest_counts_rest_that_runs_past_the_week,
        ],
        "cp_sat": [
            engine.test_min_weekly_rest_needs_a_day_off_in_a_full_week,
            engine.test_min_weekly_rest_counts_the_rest_around_the_day_off,
        ],
        "calendar": [calendar.test_calendar_agrees_with_checker_on_min_weekly_rest],
    },
    "one_ward_per_student": {
        "checker": [checker.test_one_ward_per_student_broken_by_a_second_ward],
        "cp_sat": [cp_sat.test_add_one_ward_per_student_keeps_students_at_their_ward],
        "calendar": [calendar.test_calendar_agrees_with_checker_on_one_ward_per_student],
    },
    "pinned": {
        "checker": [checker.test_pinned_broken_when_a_pin_is_missing_or_moved],
        "cp_sat": [
            cp_sat.test_add_pinned_fixes_the_pinned_pair,
            solve.test_a_pinned_assignment_is_kept_even_where_it_costs,
        ],
        "calendar": [calendar.test_calendar_agrees_with_checker_on_pinned],
    },
    "travel_minutes": {"checker": [report.test_travel_minutes_term_from_home_to_the_ward]},
    "continuity": {"checker": [report.test_continuity_term_counts_extra_wards_per_person]},
    "school_together": {"checker": [report.test_school_together_term_counts_extra_schools_per_ward]},
    "fair_spread": {"checker": [report.test_fair_spread_term_nights_beyond_two_and_weekends_beyond_one_per_week]},
    "preferences": {"checker": [report.test_preferences_term_counts_assignments_outside_preferred_wards]},
    "peak_students": {"checker": [report.test_peak_students_term_counts_missing_extra_people_on_peak_days]},
}


def test_every_rule_of_the_registry_has_tests_on_each_side():
    assert set(RULE_TESTS) == {rule.label for rule in RULES}
    for label in RULE_TESTS:
        sides = {"checker", "cp_sat", "calendar"} if label in PEOPLE_RULES else {"checker"}
        assert sides <= set(RULE_TESTS[label]), label
        assert all(RULE_TESTS[label][side] for side in sides), label


def test_each_mapped_test_is_a_test_function_that_names_its_rule():
    """A mapped function is a collected test (``test_`` in a test module) whose source names the rule or its code."""
    for label, sides in RULE_TESTS.items():
        for tests in sides.values():
            for test in tests:
                assert inspect.isfunction(test) and test.__name__.startswith("test_"), (label, test)
                assert test.__module__.rsplit(".", 1)[-1].startswith("test_"), (label, test)
