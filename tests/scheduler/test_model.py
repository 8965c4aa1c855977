"""The domain model: invariants, availability, night minutes, caps."""

from dataclasses import FrozenInstanceError, replace
from datetime import date

import pytest

from scheduler.model import (
    Assignment,
    CampaignRules,
    MobilePoint,
    Person,
    Pool,
    Shift,
    ShiftKind,
    StaffNeed,
    WardDemand,
)
from scheduler.scenarios import hanoi_shifts, tiny_scenario


def test_model_objects_are_frozen():
    shift = Shift("sang", "Ca sáng", 450, 690, ShiftKind.SERVICE)
    with pytest.raises(FrozenInstanceError):
        shift.start_minute = 0


def test_overnight_shift_ends_after_midnight():
    night = Shift("truc_dem", "Trực đêm", 23 * 60 + 30, 31 * 60 + 30, ShiftKind.ONCALL)
    assert night.duration_minutes == 8 * 60


@pytest.mark.parametrize("start,end", [(600, 600), (600, 500), (-1, 100), (1440, 1500), (0, 1441)])
def test_shift_hours_must_make_sense(start, end):
    with pytest.raises(ValueError):
        Shift("x", "x", start, end, ShiftKind.SERVICE)


def test_night_minutes_follow_the_labour_code_window():
    rules = CampaignRules()
    night = Shift("truc_dem", "Trực đêm", 23 * 60 + 30, 31 * 60 + 30, ShiftKind.ONCALL)
    evening = Shift("truc_toi", "Trực tối", 17 * 60 + 30, 23 * 60 + 30, ShiftKind.ONCALL)
    morning = Shift("sang", "Ca sáng", 7 * 60 + 30, 11 * 60 + 30, ShiftKind.SERVICE)
    early = Shift("som", "Sớm", 5 * 60, 7 * 60, ShiftKind.ONCALL)
    args = (rules.night_start_minute, rules.night_end_minute)
    assert night.night_minutes(*args) == 6 * 60 + 30  # 23:30-06:00
    assert evening.night_minutes(*args) == 90  # 22:00-23:30
    assert morning.night_minutes(*args) == 0
    assert early.night_minutes(*args) == 60  # 05:00-06:00


def test_rules_refuse_negative_settings():
    with pytest.raises(ValueError, match="min_support_staff_per_shift"):
        CampaignRules(min_support_staff_per_shift=-1)
    with pytest.raises(ValueError, match="within the day"):
        CampaignRules(night_start_minute=1440)


def test_person_availability_by_day_and_shift(rk):
    """The calendar's availability (the one place the rule is written outside the solver and the checker)."""
    from scheduler.calendar import Calendar

    person = Person(
        "SV1",
        "An",
        Pool.STUDENT,
        "BK",
        "00316",
        "0912000001",
        unavailable_dates=frozenset({rk.day(1)}),
        available_shift_ids=frozenset({"sang"}),
    )
    anyone = replace(person, id="SV9", available_shift_ids=frozenset())
    calendar = Calendar(rk.campaign(people=(person, anyone)))

    def available(who, day, shift_id):
        return calendar.available(who, Assignment(who.id, rk.A, rk.day(day), shift_id=shift_id))

    assert available(person, 0, "sang")
    assert not available(person, 0, "chieu")
    assert not available(person, 1, "sang")
    assert available(anyone, 0, "chieu")


def test_weekly_cap_falls_back_to_the_pool_rule():
    campaign = tiny_scenario()
    student = campaign.person("SV0001")
    assert campaign.weekly_cap_hours(student) == 16
    assert campaign.weekly_cap_hours(replace(student, weekly_cap_hours=None)) == campaign.rules.student_weekly_cap_hours
    assert campaign.weekly_cap_hours(campaign.person("KT0001")) == campaign.rules.max_work_hours_per_week


def test_campaign_calendar():
    campaign = tiny_scenario()
    assert campaign.start_date == date(2025, 7, 24)
    assert campaign.end_date == date(2025, 7, 26)
    assert len(campaign.dates) == 3
    assert campaign.contains_date(date(2025, 7, 26))
    assert not campaign.contains_date(date(2025, 7, 27))


def test_campaign_refuses_demand_for_an_unknown_ward_or_shift():
    campaign = tiny_scenario()
    stray = replace(campaign.demands[0], ward_code="99999")
    with pytest.raises(ValueError, match="unknown ward"):
        replace(campaign, demands=campaign.demands + (stray,))
    odd = replace(campaign.demands[0], service_shift_ids=("khuya",))
    with pytest.raises(ValueError, match="unknown shift"):
        replace(campaign, demands=(odd,) + campaign.demands[1:])


def test_campaign_equality_ignores_its_index():
    assert tiny_scenario() == tiny_scenario()
    assert replace(tiny_scenario(), days=2) != tiny_scenario()


def test_staff_need_and_mobile_point_invariants():
    with pytest.raises(ValueError):
        StaffNeed(0, pool=Pool.STUDENT)
    with pytest.raises(ValueError):
        StaffNeed(1)
    need = StaffNeed(2, pool=Pool.STUDENT)
    point = MobilePoint("LD1", "00316", "Nhà văn hóa", date(2025, 7, 24), 480, 660, (need, StaffNeed(1, skill="vneid")))
    assert point.total_staff == 3
    with pytest.raises(ValueError, match="within one day"):
        replace(point, start_minute=700)
    with pytest.raises(ValueError, match="at least one person"):
        replace(point, staff_needed=())


def test_ward_demand_refuses_negative_counts():
    with pytest.raises(ValueError):
        WardDemand("00316", ("sang",), -1, 1, True, 30)


def test_hanoi_shifts_cover_every_minute_of_the_day_exactly_once():
    """Service shifts by day, on-call shifts at lunch, in the evening and at night: 24 h, no overlap."""
    minutes = [m % 1440 for shift in hanoi_shifts() for m in range(shift.start_minute, shift.end_minute)]
    assert sorted(minutes) == list(range(1440))
