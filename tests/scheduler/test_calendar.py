"""The calendar against the independent checker, rule by rule, on random rosters (Hypothesis).

For each people rule, a roster the checker finds clean is built at random, then a
random candidate assignment: the calendar must say the candidate breaks the rule
exactly when the checker finds the rule broken in the roster with the candidate
added. The rules' settings are drawn too (weekly rest up to 48 hours, rest between
shifts, daily and weekly caps), so the agreement is not tied to the defaults.
"""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler import verify
from scheduler.calendar import Calendar, TimeBook, TimeLimits
from scheduler.model import Assignment, CampaignRules, MobilePoint, Pool, StaffNeed
from scheduler.rules import PEOPLE_RULES
from tests.scheduler.conftest import WARD_A, WARD_B, WARD_C, rule_campaign, rule_day, rule_people, rule_travel

WARDS = (WARD_A, WARD_B, WARD_C)
SHIFTS = ("sang", "chieu", "truc_trua", "truc_toi", "truc_dem")
DAYS = 15  # two full weeks and a day


def campaign_with(rules: CampaignRules, pins=()):
    points = (
        MobilePoint("LD1", WARD_B, "Nhà văn hoá", rule_day(3), 8 * 60, 12 * 60, (StaffNeed(1, Pool.STUDENT),)),
        MobilePoint(
            "LD2",
            WARD_C,
            "Chợ",
            rule_day(9),
            19 * 60,
            23 * 60,
            (StaffNeed(1, skill="vneid"), StaffNeed(1, Pool.TELECOM)),
        ),
    )
    people = tuple(dataclasses.replace(p, night_eligible=True) if p.id == "SV2" else p for p in rule_people())
    return rule_campaign(days=DAYS, rules=rules, mobile_points=points, people=people, pins=tuple(pins))


@st.composite
def rule_settings(draw):
    return CampaignRules(
        max_work_hours_per_day=draw(st.sampled_from((6, 8, 12, 14))),
        max_work_hours_per_week=draw(st.sampled_from((16, 30, 48))),
        min_rest_between_shifts_hours=draw(st.sampled_from((0, 8, 12, 16))),
        min_weekly_rest_hours=draw(st.sampled_from((0, 24, 36, 48))),
        student_weekly_cap_hours=draw(st.sampled_from((8, 20))),
    )


@st.composite
def assignments(draw, campaign, plausible=False):
    """A random assignment; a ``plausible`` one is on call only for technicians covering their post."""
    # Most go to a few people so that their weeks fill up and the time rules bind.
    person = draw(st.sampled_from(("KT1", "SV2", "VT1")) | st.sampled_from([p.id for p in campaign.people]))
    if plausible and campaign.person(person).pool is not Pool.TECHNICIAN:
        shifts = ("sang", "chieu")
    else:
        shifts = SHIFTS
    if draw(st.integers(0, 9)) == 0:
        point = draw(st.sampled_from(campaign.mobile_points))
        need = draw(st.integers(0, len(point.staff_needed) - 1))
        return Assignment(person, point.ward_code, point.date, mobile_point_id=point.id, need_index=need)
    day = rule_day(draw(st.integers(0, campaign.days - 1)))
    ward = draw(st.sampled_from(WARDS))
    shift = draw(st.sampled_from(shifts))
    covered = ()
    if plausible and campaign.shift(shift).kind.value == "oncall":
        covered = (ward,)
    elif campaign.shift(shift).kind.value == "oncall":
        covered = tuple(sorted(draw(st.sets(st.sampled_from(WARDS), max_size=3))))
        if draw(st.booleans()):
            covered = tuple(sorted(set(covered) | {ward}))
    return Assignment(person, ward, day, shift_id=shift, covered_ward_codes=covered)


def violated(campaign, roster, label) -> bool:
    found = verify.check_people_rules(campaign, roster, rule_travel)
    return any(v.rule == label for v in found)


@st.composite
def clean_roster_and_candidate(draw):
    rules = draw(rule_settings())
    campaign = campaign_with(rules)
    gaps = draw(st.sets(st.integers(0, DAYS - 1), max_size=3))
    # A streak: one technician works one shift on most days, so that the rests and the weekly rest bind.
    streak = [
        Assignment(
            "KT1",
            WARD_A,
            rule_day(day),
            shift_id=shift,
            covered_ward_codes=(WARD_A,) if campaign.shift(shift).kind.value == "oncall" else (),
        )
        for day, shift in enumerate(draw(st.lists(st.sampled_from(SHIFTS), max_size=DAYS)))
        if day not in gaps
    ]
    others = draw(st.lists(assignments(campaign, plausible=True), min_size=10, max_size=60))
    roster: list[Assignment] = []
    for candidate in streak + others:
        # Every people rule is about one person's assignments (no pins here): their own are enough to check.
        own = [a for a in roster if a.person_id == candidate.person_id]
        if not verify.check_people_rules(campaign, own + [candidate], rule_travel):
            roster.append(candidate)
    if draw(st.booleans()):
        day, shift = draw(st.integers(0, DAYS - 1)), draw(st.sampled_from(SHIFTS))
        covered = (WARD_A,) if campaign.shift(shift).kind.value == "oncall" else ()
        return campaign, roster, Assignment("KT1", WARD_A, rule_day(day), shift_id=shift, covered_ward_codes=covered)
    return campaign, roster, draw(assignments(campaign))


def agree(label, case):
    campaign, roster, candidate = case
    calendar = Calendar(campaign, roster, rule_travel)
    said = label in calendar.breaks(candidate)
    assert said == violated(campaign, roster + [candidate], label), (label, candidate, calendar.breaks(candidate))


AGREEMENT = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The rests bind only on dense stretches of days: more examples find them.
AGREEMENT_RESTS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@AGREEMENT
@given(clean_roster_and_candidate())
def test_calendar_agrees_with_checker_on_availability(case):
    agree("availability", case)


@AGREEMENT
@given(clean_roster_and_candidate())
def test_calendar_agrees_with_checker_on_eligibility(case):
    agree("eligibility", case)


@AGREEMENT
@given(clean_roster_and_candidate())
def test_calendar_agrees_with_checker_on_night_eligibility(case):
    agree("night_eligibility", case)


@AGREEMENT
@given(clean_roster_and_candidate())
def test_calendar_agrees_with_checker_on_one_place_at_a_time(case):
    agree("one_place_at_a_time", case)


@AGREEMENT
@given(clean_roster_and_candidate())
def test_calendar_agrees_with_checker_on_max_daily_hours(case):
    agree("max_daily_hours", case)


@AGREEMENT
@given(clean_roster_and_candidate())
def test_calendar_agrees_with_checker_on_max_weekly_hours(case):
    agree("max_weekly_hours", case)


@AGREEMENT_RESTS
@given(clean_roster_and_candidate())
def test_calendar_agrees_with_checker_on_min_rest_between_shifts(case):
    agree("min_rest_between_shifts", case)


@AGREEMENT_RESTS
@given(clean_roster_and_candidate())
def test_calendar_agrees_with_checker_on_min_weekly_rest(case):
    agree("min_weekly_rest", case)


@AGREEMENT
@given(clean_roster_and_candidate())
def test_calendar_agrees_with_checker_on_one_ward_per_student(case):
    agree("one_ward_per_student", case)


@AGREEMENT
@given(clean_roster_and_candidate(), st.data())
def test_calendar_agrees_with_checker_on_pinned(case, data):
    """Taking an assignment away breaks ``pinned`` exactly when the checker then misses a pin."""
    campaign, roster, _ = case
    if not roster:
        return
    pins = data.draw(st.lists(st.sampled_from(roster), max_size=3, unique=True))
    campaign = dataclasses.replace(campaign, pins=tuple(pins))
    calendar = Calendar(campaign, roster, rule_travel)
    taken = data.draw(st.sampled_from(roster))
    rest = list(roster)
    rest.remove(taken)
    said = "pinned" in calendar.removal_breaks(taken)
    assert said == bool(verify.check_pinned(campaign, rest))


def test_calendar_agreement_tests_cover_every_people_rule():
    tested = {
        name.removeprefix("test_calendar_agrees_with_checker_on_")
        for name in globals()
        if name.startswith("test_calendar_agrees_with_checker_on_")
    }
    assert tested == set(PEOPLE_RULES)


# --- incremental use ---------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(clean_roster_and_candidate())
def test_calendar_add_then_remove_returns_to_the_same_answers(case):
    campaign, roster, candidate = case
    calendar = Calendar(campaign, roster, rule_travel)
    before = calendar.breaks(candidate)
    for assignment in roster[::2]:
        calendar.remove(assignment)
    for assignment in roster[::2]:
        calendar.add(assignment)
    assert calendar.breaks(candidate) == before
    fresh = Calendar(campaign, [], rule_travel)
    for assignment in roster:
        fresh.add(assignment)
    assert fresh.breaks(candidate) == before


def test_time_book_weekly_rest_counts_the_horizon_edges():
    """A day off at the horizon's start counts the rest from minute 0; the last full week's from its end."""
    limits = TimeLimits(
        daily_cap_minutes=24 * 60,
        rest_minutes=0,
        weekly_rest_minutes=36 * 60,
        week_of_day=tuple(d // 7 for d in range(7)),
        full_weeks=frozenset({0}),
    )
    book = TimeBook()
    for day in range(1, 7):
        book.add(day, day * 1440 + 600, day * 1440 + 660, 0)
    # day 0 is off: from minute 0 to day 1's start (34 h) is under 36 h
    assert not book.has_weekly_rest(0, limits)
    book.remove(1, 1440 + 600, 1440 + 660, 0)
    assert book.has_weekly_rest(0, limits)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clean_roster_and_candidate())
def test_calendar_fits_exactly_when_nothing_breaks(case):
    campaign, roster, candidate = case
    calendar = Calendar(campaign, roster, rule_travel)
    assert calendar.fits(candidate) == (not calendar.breaks(candidate))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clean_roster_and_candidate())
def test_calendar_first_breaks_is_the_start_of_all_breaks(case):
    """``first`` gives the labels up to the first one other than the weekly hours, in the same order."""
    campaign, roster, candidate = case
    calendar = Calendar(campaign, roster, rule_travel)
    every = calendar.breaks(candidate)
    first = calendar.breaks(candidate, first=True)
    assert every[: len(first)] == first
    assert first == every[: next((i + 1 for i, label in enumerate(every) if label != "max_weekly_hours"), len(every))]


def test_time_book_answers_the_time_rules_in_their_registry_order():
    """The engine's worker rules and the time book name the same rules, in the same order."""
    from scheduler.calendar import TIME_RULES
    from scheduler.rules import PEOPLE_RULES
    from scheduler.solver.engine import WORKER_RULES

    assert tuple(WORKER_RULES) == TIME_RULES == tuple(label for label in PEOPLE_RULES if label in TIME_RULES)
