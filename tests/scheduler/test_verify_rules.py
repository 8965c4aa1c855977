"""Every hard rule of docs/rules.md on hand-built cases: it holds, it is broken, and its exact boundary.

The campaign and helpers are ``rk`` (tests/scheduler/conftest.py): wards A, B, C with travel A–B 20,
A–C 45, B–C 30 minutes; day 0 is Monday 21/07/2025; the Hanoi shifts (sang 07:30–11:30, truc_trua
11:30–13:30, chieu 13:30–17:30, truc_toi 17:30–23:30, truc_dem 23:30–07:30).
"""

from dataclasses import replace

from scheduler.model import CampaignRules, MobilePoint, Pool, ShiftKind, StaffNeed, Unfilled
from scheduler.verify import (
    check_availability,
    check_eligibility,
    check_invalid_assignment,
    check_max_daily_hours,
    check_max_weekly_hours,
    check_min_rest_between_shifts,
    check_min_weekly_rest,
    check_night_eligibility,
    check_one_place_at_a_time,
    check_one_ward_per_student,
    check_pinned,
    shortfall_min_support_staff,
    shortfall_mobile_point_staffing,
    shortfall_oncall_24_7,
    shortfall_telecom_presence,
    unfilled_slots,
)


def rules_of(violations):
    return [(v.rule, v.person_id, v.date) for v in violations]


def with_shifts(rk, *extra, **changes):
    """The rule campaign with extra custom shifts."""
    campaign = rk.campaign(**changes)
    return replace(campaign, shifts=campaign.shifts + tuple(extra))


# --- availability -----------------------------------------------------------------------------


def test_availability_holds_on_a_declared_day(rk):
    assert check_availability(rk.campaign(), [rk.a("VT2", rk.A, 1, "sang"), rk.a("SV3", rk.A, 2, "sang")]) == []


def test_availability_broken_on_an_unavailable_date(rk):
    violations = check_availability(rk.campaign(), [rk.a("VT2", rk.A, 2, "sang")])
    assert rules_of(violations) == [("availability", "VT2", rk.day(2))]
    assert "đã đăng ký bận" in violations[0].message_vi


def test_availability_broken_outside_the_declared_shifts(rk):
    violations = check_availability(rk.campaign(), [rk.a("SV3", rk.A, 0, "chieu")])
    assert rules_of(violations) == [("availability", "SV3", rk.day(0))]
    assert violations[0].shift_id == "chieu"


def test_availability_of_a_mobile_point_checks_the_date_only(rk):
    point = MobilePoint("P1", rk.A, "Nhà văn hóa", rk.day(0), 14 * 60, 17 * 60, (StaffNeed(1, pool=Pool.STUDENT),))
    campaign = rk.campaign(mobile_points=(point,))
    assert check_availability(campaign, [rk.a("SV3", rk.A, 0, point="P1", need=0)]) == []


# --- eligibility ------------------------------------------------------------------------------


def test_eligibility_holds_for_a_technician_on_call_covering_their_post(rk):
    assert check_eligibility(rk.campaign(), [rk.a("KT1", rk.A, 0, "truc_toi", covered=(rk.A, rk.B))], rk.travel) == []


def test_eligibility_broken_on_call_by_a_student_or_without_the_post(rk):
    violations = check_eligibility(
        rk.campaign(),
        [rk.a("SV1", rk.A, 0, "truc_trua", covered=(rk.A,)), rk.a("KT1", rk.A, 0, "truc_toi", covered=(rk.B,))],
        rk.travel,
    )
    assert [(v.rule, v.person_id) for v in violations] == [("eligibility", "SV1"), ("eligibility", "KT1")]


def test_eligibility_of_a_mobile_point_needs_the_pool_and_skill(rk):
    point = MobilePoint(
        "P1", rk.A, "Chợ", rk.day(0), 8 * 60, 11 * 60, (StaffNeed(1, pool=Pool.TELECOM), StaffNeed(1, skill="vneid"))
    )
    campaign = rk.campaign(mobile_points=(point,))
    good = [rk.a("VT1", rk.A, 0, point="P1", need=0), rk.a("VT1", rk.A, 0, point="P1", need=1)]
    assert check_eligibility(campaign, good, rk.travel) == []
    bad = [rk.a("SV1", rk.A, 0, point="P1", need=0), rk.a("SV2", rk.A, 0, point="P1", need=1)]
    assert [v.person_id for v in check_eligibility(campaign, bad, rk.travel)] == ["SV1", "SV2"]


def test_eligibility_boundary_travel_to_a_mobile_point_exactly_at_the_limit(rk):
    """VT1 lives in A, 45 minutes from the point in C: a limit of 45 passes, 44 fails."""
    point = MobilePoint("P1", rk.C, "Chợ", rk.day(0), 8 * 60, 11 * 60, (StaffNeed(1, pool=Pool.TELECOM),))
    assignment = [rk.a("VT1", rk.C, 0, point="P1", need=0)]
    at_limit = rk.campaign(mobile_points=(point,), rules=CampaignRules(mobile_point_travel_limit_minutes=45))
    assert check_eligibility(at_limit, assignment, rk.travel) == []
    over = rk.campaign(mobile_points=(point,), rules=CampaignRules(mobile_point_travel_limit_minutes=44))
    violations = check_eligibility(over, assignment, rk.travel)
    assert rules_of(violations) == [("eligibility", "VT1", rk.day(0))]
    assert "45 phút" in violations[0].message_vi


# --- night_eligibility --------------------------------------------------------------------------


def test_night_eligibility_holds_for_night_eligible_people(rk):
    assert check_night_eligibility(rk.campaign(), [rk.a("KT1", rk.A, 0, "truc_dem", covered=(rk.A,))]) == []


def test_night_eligibility_broken_by_an_evening_on_call_reaching_22h(rk):
    violations = check_night_eligibility(rk.campaign(), [rk.a("KT3", rk.A, 0, "truc_toi", covered=(rk.A,))])
    assert rules_of(violations) == [("night_eligibility", "KT3", rk.day(0))]


def test_night_eligibility_boundary_ending_at_22h_passes_one_minute_later_fails(rk):
    campaign = with_shifts(
        rk,
        rk.shift("to22", "14:00", "22:00"),
        rk.shift("to2201", "14:01", "22:01"),
        rk.shift("from6", "06:00", "10:00"),
        rk.shift("from559", "05:59", "09:59"),
    )
    assert check_night_eligibility(campaign, [rk.a("SV1", rk.A, 0, "to22"), rk.a("SV1", rk.A, 1, "from6")]) == []
    late = check_night_eligibility(campaign, [rk.a("SV1", rk.A, 0, "to2201"), rk.a("SV2", rk.A, 1, "from559")])
    assert rules_of(late) == [("night_eligibility", "SV1", rk.day(0)), ("night_eligibility", "SV2", rk.day(1))]


# --- one_place_at_a_time ------------------------------------------------------------------------


def test_one_place_at_a_time_holds_for_touching_shifts(rk):
    """07:30–11:30 then 11:30–13:30, and the night shift ending 07:30 before the morning shift."""
    assignments = [
        rk.a("KT1", rk.A, 0, "truc_dem", covered=(rk.A,)),
        rk.a("KT1", rk.A, 1, "sang"),
        rk.a("KT1", rk.A, 1, "truc_trua", covered=(rk.A,)),
    ]
    assert check_one_place_at_a_time(rk.campaign(), assignments) == []


def test_one_place_at_a_time_broken_in_two_wards_at_once(rk):
    violations = check_one_place_at_a_time(rk.campaign(), [rk.a("SV1", rk.A, 0, "sang"), rk.a("SV1", rk.B, 0, "sang")])
    assert rules_of(violations) == [("one_place_at_a_time", "SV1", rk.day(0))]


def test_one_place_at_a_time_boundary_one_minute_of_overlap_after_midnight(rk):
    campaign = with_shifts(rk, rk.shift("s0729", "07:29", "11:00"))
    violations = check_one_place_at_a_time(
        campaign, [rk.a("KT1", rk.A, 0, "truc_dem", covered=(rk.A,)), rk.a("KT1", rk.A, 1, "s0729")]
    )
    assert rules_of(violations) == [("one_place_at_a_time", "KT1", rk.day(1))]


# --- max_daily_hours ----------------------------------------------------------------------------


def test_max_daily_hours_boundary_8h_passes_8h01_fails(rk):
    campaign = with_shifts(
        rk, rk.shift("am4", "08:00", "12:00"), rk.shift("pm4", "13:00", "17:00"), rk.shift("pm4m", "13:00", "17:01")
    )
    assert check_max_daily_hours(campaign, [rk.a("VT1", rk.A, 0, "am4"), rk.a("VT1", rk.A, 0, "pm4")]) == []
    violations = check_max_daily_hours(campaign, [rk.a("VT1", rk.A, 0, "am4"), rk.a("VT1", rk.A, 0, "pm4m")])
    assert rules_of(violations) == [("max_daily_hours", "VT1", rk.day(0))]
    assert "8 giờ 1 phút" in violations[0].message_vi


def test_max_daily_hours_counts_a_night_shift_on_the_date_it_starts(rk):
    """sang (4 h) and truc_dem (8 h, 23:30–07:30) both start on day 0: 12 h."""
    violations = check_max_daily_hours(
        rk.campaign(), [rk.a("KT1", rk.A, 0, "sang"), rk.a("KT1", rk.A, 0, "truc_dem", covered=(rk.A,))]
    )
    assert rules_of(violations) == [("max_daily_hours", "KT1", rk.day(0))]
    assert (
        check_max_daily_hours(
            rk.campaign(), [rk.a("KT1", rk.A, 0, "truc_dem", covered=(rk.A,)), rk.a("KT1", rk.A, 1, "sang")]
        )
        == []
    )


# --- max_weekly_hours ---------------------------------------------------------------------------


def test_max_weekly_hours_boundary_48h_passes_48h01_fails(rk):
    campaign = with_shifts(rk, rk.shift("d8", "08:00", "16:00"), rk.shift("d8m", "08:00", "16:01"))
    full = [rk.a("KT1", rk.A, day, "d8") for day in range(6)]
    assert check_max_weekly_hours(campaign, full) == []
    over = full[:5] + [rk.a("KT1", rk.A, 5, "d8m")]
    violations = check_max_weekly_hours(campaign, over)
    assert rules_of(violations) == [("max_weekly_hours", "KT1", rk.day(0))]
    assert "48 giờ 1 phút" in violations[0].message_vi


def test_max_weekly_hours_weeks_are_blocks_from_the_first_day(rk):
    """Six 8-hour days in week 0 and two more in week 1: 48 h and 16 h."""
    campaign = with_shifts(rk, rk.shift("d8", "08:00", "16:00"))
    assignments = [rk.a("KT1", rk.A, day, "d8") for day in (0, 1, 2, 3, 4, 5, 7, 8)]
    assert check_max_weekly_hours(campaign, assignments) == []


def test_max_weekly_hours_student_default_cap_and_own_cap(rk):
    """SV1 has the student default (20 h), SV3 their own 16 h: five and four morning shifts fit, one more fails."""
    campaign = rk.campaign()
    ok = [rk.a("SV1", rk.A, day, "sang") for day in range(5)] + [rk.a("SV3", rk.B, day, "sang") for day in range(4)]
    assert check_max_weekly_hours(campaign, ok) == []
    over = ok + [rk.a("SV1", rk.A, 5, "sang"), rk.a("SV3", rk.B, 4, "sang")]
    assert rules_of(check_max_weekly_hours(campaign, over)) == [
        ("max_weekly_hours", "SV1", rk.day(0)),
        ("max_weekly_hours", "SV3", rk.day(0)),
    ]


def test_max_weekly_hours_an_own_cap_never_passes_the_legal_48h(rk):
    people = tuple(replace(p, weekly_cap_hours=60) if p.id == "KT1" else p for p in rk.people())
    campaign = with_shifts(rk, rk.shift("d8", "08:00", "16:00"), rk.shift("d8m", "08:00", "16:01"), people=people)
    over = [rk.a("KT1", rk.A, day, "d8") for day in range(5)] + [rk.a("KT1", rk.A, 5, "d8m")]
    assert rules_of(check_max_weekly_hours(campaign, over)) == [("max_weekly_hours", "KT1", rk.day(0))]


# --- min_rest_between_shifts --------------------------------------------------------------------


def test_min_rest_between_shifts_boundary_12h_passes_11h59_fails(rk):
    campaign = with_shifts(
        rk,
        rk.shift("late", "12:00", "20:00"),
        rk.shift("early", "08:00", "12:00"),
        rk.shift("early1", "07:59", "11:59"),
    )
    assert check_min_rest_between_shifts(campaign, [rk.a("VT1", rk.A, 0, "late"), rk.a("VT1", rk.A, 1, "early")]) == []
    violations = check_min_rest_between_shifts(campaign, [rk.a("VT1", rk.A, 0, "late"), rk.a("VT1", rk.A, 1, "early1")])
    assert rules_of(violations) == [("min_rest_between_shifts", "VT1", rk.day(1))]
    assert "11 giờ 59 phút" in violations[0].message_vi


def test_min_rest_between_shifts_after_a_night_shift(rk):
    """truc_dem of day 0 ends at 07:30 on day 1: the afternoon shift of day 1 leaves 6 h; the next night 16 h."""
    night = rk.a("KT1", rk.A, 0, "truc_dem", covered=(rk.A,))
    assert rules_of(check_min_rest_between_shifts(rk.campaign(), [night, rk.a("KT1", rk.A, 1, "chieu")])) == [
        ("min_rest_between_shifts", "KT1", rk.day(1))
    ]
    next_night = rk.a("KT1", rk.A, 1, "truc_dem", covered=(rk.A,))
    assert check_min_rest_between_shifts(rk.campaign(), [night, next_night]) == []


def test_min_rest_between_shifts_only_between_consecutive_dates(rk):
    campaign = with_shifts(rk, rk.shift("late", "12:00", "20:00"), rk.shift("early1", "07:59", "11:59"))
    assert check_min_rest_between_shifts(campaign, [rk.a("VT1", rk.A, 0, "late"), rk.a("VT1", rk.A, 2, "early1")]) == []


# --- min_weekly_rest ----------------------------------------------------------------------------


def test_min_weekly_rest_holds_with_a_free_weekend(rk):
    campaign = with_shifts(rk, rk.shift("d8", "08:00", "16:00"))
    assert check_min_weekly_rest(campaign, [rk.a("KT1", rk.A, day, "d8") for day in range(5)]) == []


def test_min_weekly_rest_broken_working_every_day(rk):
    campaign = with_shifts(rk, rk.shift("d8", "08:00", "16:00"))
    violations = check_min_weekly_rest(campaign, [rk.a("KT1", rk.A, day, "d8") for day in range(7)])
    assert rules_of(violations) == [("min_weekly_rest", "KT1", rk.day(0))]
    assert "không có ngày nào không làm việc" in violations[0].message_vi


def test_min_weekly_rest_boundary_24h_passes_23h59_fails(rk):
    """Day 3 is the only day off: day 2's night ends at 04:00 on day 3, day 4 starts at 04:00 (24 h) or 03:59."""
    campaign = with_shifts(
        rk,
        rk.shift("d8", "08:00", "16:00"),
        rk.shift("night", "20:00", "04:00"),
        rk.shift("s0400", "04:00", "08:00"),
        rk.shift("s0359", "03:59", "07:59"),
    )
    week = [rk.a("KT1", rk.A, day, "d8") for day in (0, 1, 5, 6)] + [rk.a("KT1", rk.A, 2, "night")]
    assert check_min_weekly_rest(campaign, week + [rk.a("KT1", rk.A, 4, "s0400")]) == []
    violations = check_min_weekly_rest(campaign, week + [rk.a("KT1", rk.A, 4, "s0359")])
    assert rules_of(violations) == [("min_weekly_rest", "KT1", rk.day(0))]
    assert "23 giờ 59 phút" in violations[0].message_vi


def test_min_weekly_rest_counts_rest_that_runs_past_the_week(rk):
    """Nights 23:30–07:30 on days 0–5, day 6 off: rest runs from 07:30 on day 6 into the next week."""
    assignments = [rk.a("KT1", rk.A, day, "truc_dem", covered=(rk.A,)) for day in range(6)]
    assignments.append(rk.a("KT1", rk.A, 7, "truc_dem", covered=(rk.A,)))
    assert check_min_weekly_rest(rk.campaign(), assignments) == []


def test_min_weekly_rest_nights_every_day_of_a_week_fail(rk):
    assignments = [rk.a("KT1", rk.A, 6, "truc_toi", covered=(rk.A,))]
    assignments += [rk.a("KT1", rk.A, day, "truc_dem", covered=(rk.A,)) for day in range(7, 14)]
    violations = check_min_weekly_rest(rk.campaign(), assignments)
    assert rules_of(violations) == [("min_weekly_rest", "KT1", rk.day(7))]


def test_min_weekly_rest_is_not_checked_in_a_short_last_week(rk):
    campaign = with_shifts(rk, rk.shift("d8", "08:00", "16:00"), days=10)
    assert check_min_weekly_rest(campaign, [rk.a("KT1", rk.A, day, "d8") for day in (7, 8, 9)]) == []


# --- pinned -------------------------------------------------------------------------------------


def test_pinned_holds_when_every_pin_is_in_the_roster(rk):
    pins = (rk.a("SV1", rk.A, 0, "sang"), rk.a("KT1", rk.A, 0, "truc_toi", covered=(rk.A,)))
    campaign = rk.campaign(pins=pins)
    roster = [rk.a("SV1", rk.A, 0, "sang"), rk.a("KT1", rk.A, 0, "truc_toi", covered=(rk.A, rk.B))]
    assert check_pinned(campaign, roster) == []


def test_pinned_broken_when_a_pin_is_missing_or_moved(rk):
    campaign = rk.campaign(pins=(rk.a("SV1", rk.A, 0, "sang"),))
    assert rules_of(check_pinned(campaign, [])) == [("pinned", "SV1", rk.day(0))]
    assert rules_of(check_pinned(campaign, [rk.a("SV1", rk.B, 0, "sang")])) == [("pinned", "SV1", rk.day(0))]


def test_one_ward_per_student_holds_in_one_ward_and_at_points_elsewhere(rk):
    point = MobilePoint("P1", rk.B, "Chợ", rk.day(1), 8 * 60, 11 * 60, (StaffNeed(1, Pool.STUDENT),))
    campaign = rk.campaign(mobile_points=(point,))
    roster = [
        rk.a("SV1", rk.A, 0, "sang"),
        rk.a("SV1", rk.A, 2, "chieu"),
        rk.a("SV1", rk.B, 1, point="P1", need=0),
        rk.a("VT1", rk.A, 0, "chieu"),
        rk.a("VT1", rk.B, 1, "sang"),
    ]
    assert check_one_ward_per_student(campaign, roster) == []


def test_one_ward_per_student_broken_by_a_second_ward(rk):
    roster = [rk.a("SV1", rk.A, 0, "sang"), rk.a("SV1", rk.B, 1, "sang"), rk.a("SV1", rk.A, 2, "sang")]
    assert rules_of(check_one_ward_per_student(rk.campaign(), roster)) == [("one_ward_per_student", "SV1", rk.day(1))]


# --- invalid assignments ------------------------------------------------------------------------


def test_an_assignment_naming_unknown_things_is_invalid_and_skipped_by_the_rules(rk):
    campaign = rk.campaign()
    bad = [
        rk.a("NOBODY", rk.A, 0, "sang"),
        rk.a("SV1", "99999", 0, "sang"),
        rk.a("SV1", rk.A, 30, "sang"),
        rk.a("SV1", rk.A, 0, "dem_khuya"),
        rk.a("SV1", rk.A, 0, point="P9", need=0),
    ]
    assert [v.rule for v in check_invalid_assignment(campaign, bad)] == ["invalid_assignment"] * 5
    assert check_availability(campaign, bad) == [] and check_max_daily_hours(campaign, bad) == []
    assert unfilled_slots(campaign, bad, rk.travel) == []


# --- coverage: min_support_staff ----------------------------------------------------------------


def support_campaign(rk, staff=2):
    return rk.campaign(days=1, demands=(rk.demand(rk.A, min_support_staff=staff),))


def test_min_support_staff_holds_with_two_people_per_service_shift(rk):
    assignments = [
        rk.a("SV1", rk.A, 0, "sang"),
        rk.a("VT1", rk.A, 0, "sang"),
        rk.a("SV2", rk.A, 0, "chieu"),
        rk.a("KT1", rk.A, 0, "chieu"),
    ]
    assert shortfall_min_support_staff(support_campaign(rk), assignments) == []


def test_min_support_staff_missing_counts_people_short(rk):
    """One person in the afternoon (missing 1), nobody in the morning (missing 2); on-call does not count."""
    assignments = [rk.a("SV2", rk.A, 0, "chieu"), rk.a("KT1", rk.A, 0, "truc_trua", covered=(rk.A,))]
    assert shortfall_min_support_staff(support_campaign(rk), assignments) == [
        Unfilled("min_support_staff", rk.A, rk.day(0), "sang", 2),
        Unfilled("min_support_staff", rk.A, rk.day(0), "chieu", 1),
    ]


def test_min_support_staff_boundary_counts_distinct_people(rk):
    twice = [
        rk.a("SV1", rk.A, 0, "sang"),
        rk.a("SV1", rk.A, 0, "sang"),
        rk.a("SV2", rk.A, 0, "chieu"),
        rk.a("SV1", rk.A, 0, "chieu"),
    ]
    assert shortfall_min_support_staff(support_campaign(rk), twice) == [
        Unfilled("min_support_staff", rk.A, rk.day(0), "sang", 1)
    ]


# --- coverage: telecom_presence -----------------------------------------------------------------


def telecom_campaign(rk, count=1, points=()):
    return rk.campaign(days=1, demands=(rk.demand(rk.A, min_telecom_staff_per_day=count),), mobile_points=points)


def test_telecom_presence_holds_with_a_telecom_staff_on_a_service_shift_or_a_point(rk):
    assert shortfall_telecom_presence(telecom_campaign(rk), [rk.a("VT1", rk.A, 0, "chieu")]) == []
    point = MobilePoint("P1", rk.A, "Chợ", rk.day(0), 8 * 60, 11 * 60, (StaffNeed(1, pool=Pool.TELECOM),))
    assert (
        shortfall_telecom_presence(telecom_campaign(rk, points=(point,)), [rk.a("VT1", rk.A, 0, point="P1", need=0)])
        == []
    )


def test_telecom_presence_missing_when_only_students_or_elsewhere(rk):
    assignments = [rk.a("SV1", rk.A, 0, "sang"), rk.a("VT1", rk.B, 0, "sang")]
    assert shortfall_telecom_presence(telecom_campaign(rk), assignments) == [
        Unfilled("telecom_presence", rk.A, rk.day(0), None, 1, need="telecom")
    ]


def test_telecom_presence_boundary_two_asked_counts_distinct_telecom_people(rk):
    campaign = telecom_campaign(rk, count=2)
    assert shortfall_telecom_presence(campaign, [rk.a("VT1", rk.A, 0, "sang"), rk.a("VT2", rk.A, 0, "chieu")]) == []
    assert shortfall_telecom_presence(campaign, [rk.a("VT1", rk.A, 0, "sang"), rk.a("VT1", rk.A, 0, "chieu")]) == [
        Unfilled("telecom_presence", rk.A, rk.day(0), None, 1, need="telecom")
    ]


# --- coverage: oncall_24_7 ----------------------------------------------------------------------


def oncall_campaign(rk, limit=20):
    return rk.campaign(
        days=1, demands=(rk.demand(rk.A, oncall_24_7=True, night_response_limit_minutes=limit), rk.demand(rk.B))
    )


def full_day_of_duty(rk, night_post=None):
    night_post = night_post or rk.B
    return [
        rk.a("KT1", rk.A, 0, "sang"),
        rk.a("KT1", rk.A, 0, "chieu"),
        rk.a("KT1", rk.A, 0, "truc_trua", covered=(rk.A,)),
        rk.a("KT2", rk.B, 0, "truc_toi", covered=(rk.B, rk.A)),
        rk.a("KT2", night_post, 0, "truc_dem", covered=(night_post, rk.A)),
    ]


def test_oncall_24_7_holds_every_hour(rk):
    assert shortfall_oncall_24_7(oncall_campaign(rk), full_day_of_duty(rk), rk.travel) == []


def test_oncall_24_7_missing_a_technician_in_a_service_shift_and_an_uncovered_on_call(rk):
    assignments = [a for a in full_day_of_duty(rk) if a.shift_id not in ("chieu", "truc_trua")]
    assignments.append(rk.a("SV1", rk.A, 0, "chieu"))  # not a technician
    assignments.append(rk.a("KT3", rk.A, 0, "truc_trua", covered=(rk.B,)))  # posted in A but not covering it
    assert shortfall_oncall_24_7(oncall_campaign(rk), assignments, rk.travel) == [
        Unfilled("oncall_24_7", rk.A, rk.day(0), "chieu", 1, need="technician"),
        Unfilled("oncall_24_7", rk.A, rk.day(0), "truc_trua", 1, need="technician"),
    ]


def test_oncall_24_7_boundary_a_post_exactly_at_the_response_limit(rk):
    """The night posts are in B, 20 minutes from A: a limit of 20 passes, 19 fails."""
    assert shortfall_oncall_24_7(oncall_campaign(rk, limit=20), full_day_of_duty(rk), rk.travel) == []
    assert shortfall_oncall_24_7(oncall_campaign(rk, limit=19), full_day_of_duty(rk), rk.travel) == [
        Unfilled("oncall_24_7", rk.A, rk.day(0), "truc_toi", 1, need="technician"),
        Unfilled("oncall_24_7", rk.A, rk.day(0), "truc_dem", 1, need="technician"),
    ]


# --- coverage: mobile_point_staffing ------------------------------------------------------------


def point_campaign(rk):
    point = MobilePoint(
        "P1",
        rk.A,
        "Nhà văn hóa",
        rk.day(0),
        8 * 60,
        11 * 60,
        (StaffNeed(1, pool=Pool.TELECOM), StaffNeed(2, pool=Pool.STUDENT), StaffNeed(1, skill="vneid")),
    )
    return rk.campaign(days=1, mobile_points=(point,))


def test_mobile_point_staffing_holds_with_the_mix_asked(rk):
    assignments = [
        rk.a("VT1", rk.A, 0, point="P1", need=0),
        rk.a("SV1", rk.A, 0, point="P1", need=1),
        rk.a("SV2", rk.A, 0, point="P1", need=1),
        rk.a("VT2", rk.A, 0, point="P1", need=2),
    ]
    assert shortfall_mobile_point_staffing(point_campaign(rk), assignments) == []


def test_mobile_point_staffing_missing_per_need(rk):
    assignments = [rk.a("VT1", rk.A, 0, point="P1", need=0), rk.a("SV1", rk.A, 0, point="P1", need=1)]
    assert shortfall_mobile_point_staffing(point_campaign(rk), assignments) == [
        Unfilled("mobile_point_staffing", rk.A, rk.day(0), None, 1, "P1", "student"),
        Unfilled("mobile_point_staffing", rk.A, rk.day(0), None, 1, "P1", "vneid"),
    ]


def test_mobile_point_staffing_boundary_count_exactly_met(rk):
    one_short = [rk.a("SV1", rk.A, 0, point="P1", need=1)]
    exact = one_short + [rk.a("SV2", rk.A, 0, point="P1", need=1)]
    missing = {u.need: u.missing for u in shortfall_mobile_point_staffing(point_campaign(rk), one_short)}
    assert missing["student"] == 1
    assert "student" not in {u.need for u in shortfall_mobile_point_staffing(point_campaign(rk), exact)}


def test_unfilled_slots_sorted_by_date_ward_and_rule(rk):
    campaign = rk.campaign(
        days=2,
        demands=(
            rk.demand(rk.A, min_support_staff=1, min_telecom_staff_per_day=1),
            rk.demand(rk.B, oncall_24_7=True, service_shift_ids=()),
        ),
    )
    slots = unfilled_slots(campaign, [], rk.travel)
    keys = [(u.date, u.ward_code, u.rule, u.shift_id) for u in slots]
    assert keys == sorted(
        keys,
        key=lambda k: (k[0], k[1], ["min_support_staff", "telecom_presence", "oncall_24_7"].index(k[2]), k[3] or ""),
    )
    assert len(slots) == 2 * (2 + 1) + 2 * 3
    assert all(
        s.kind is ShiftKind.ONCALL
        for s in campaign.shifts
        if s.id in {u.shift_id for u in slots if u.ward_code == rk.B}
    )
