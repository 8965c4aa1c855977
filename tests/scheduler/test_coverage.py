"""Coverage by day and by shift (scheduler.coverage) against the whole-campaign figures and hand counts.

The tiny scenario: three wards over three days from 24/07/2025, two service shifts (sáng, chiều) and three
on-call shifts (trưa, tối, đêm); every ward asks 2 support staff per service shift, 1 telecom staff a day
and a technician around the clock; one mobile point LD0001 in Bất Bạt on 25/07 needs two people.
"""

from __future__ import annotations

import pytest

from scheduler.coverage import DayCoverage, busiest_weeks, coverage_by_day, shift_asked_per_day, ward_coverage
from scheduler.model import Roster, Unfilled
from scheduler.report import asked_by_ward_and_day, ward_figures
from scheduler.scenarios import tiny_scenario


@pytest.fixture(scope="module")
def campaign():
    return tiny_scenario()


def test_a_shift_asks_its_support_staff_and_the_technician(campaign):
    demand = campaign.demands[0]
    assert shift_asked_per_day(campaign, demand, "sang") == 3  # 2 support staff + the 24/7 technician
    assert shift_asked_per_day(campaign, demand, "truc_dem") == 1  # the 24/7 technician
    assert shift_asked_per_day(campaign, demand, "no-such-shift") == 0


def test_the_shifts_with_the_day_telecom_and_the_points_make_up_each_day(campaign):
    asked = asked_by_ward_and_day(campaign)
    points = {}
    for point in campaign.mobile_points:
        points[(point.ward_code, point.date)] = points.get((point.ward_code, point.date), 0) + point.total_staff
    for demand in campaign.demands:
        by_shift = sum(shift_asked_per_day(campaign, demand, shift.id) for shift in campaign.shifts)
        for day in campaign.dates:
            expected = by_shift + demand.min_telecom_staff_per_day + points.get((demand.ward_code, day), 0)
            assert asked[(demand.ward_code, day)] == expected


def test_coverage_by_day_and_by_ward_day_and_shift(campaign):
    first, second = campaign.dates[0], campaign.dates[1]
    code = campaign.wards[0].code
    roster = Roster(
        campaign.name,
        "FEASIBLE",
        (),
        (
            Unfilled("min_support_staff", code, first, "sang", 2),
            Unfilled("oncall_24_7", code, first, "truc_dem", 1),
            Unfilled("telecom_presence", code, second, None, 1),
        ),
    )
    days = coverage_by_day(campaign, roster)
    per_day = sum(asked_by_ward_and_day(campaign)[(w.code, first)] for w in campaign.wards)
    assert days[0] == DayCoverage(first, per_day, 3)
    assert days[1].missing == 1 and days[2].missing == 0
    assert days[2].percent == 100.0 and days[0].filled == per_day - 3
    ward_days = coverage_by_day(campaign, roster, code)
    assert [d.missing for d in ward_days] == [3, 1, 0]
    assert sum(d.asked for d in ward_days) == ward_figures(campaign, roster)[0].asked

    morning = {f.code: f for f in ward_coverage(campaign, roster, first, "sang")}
    assert (morning[code].asked, morning[code].missing) == (3, 2)
    assert all(f.missing == 0 and f.asked == 3 for c, f in morning.items() if c != code)
    whole_day = {f.code: f for f in ward_coverage(campaign, roster, second)}
    assert whole_day[code].missing == 1 and whole_day[code].asked == asked_by_ward_and_day(campaign)[(code, second)]
    every_day = {f.code: f for f in ward_coverage(campaign, roster, None, "truc_dem")}
    assert (every_day[code].asked, every_day[code].missing) == (campaign.days, 1)
    assert ward_coverage(campaign, roster) == ward_figures(campaign, roster)


def test_busiest_weeks_by_hand_and_as_person_loads_has_them(campaign):
    from scheduler.model import Assignment
    from scheduler.report import person_loads

    code = campaign.wards[0].code
    first, second = campaign.dates[0], campaign.dates[1]
    roster = Roster(
        campaign.name,
        "FEASIBLE",
        (
            Assignment("SV0001", code, first, "sang"),  # 4 h
            Assignment("SV0001", code, second, "chieu"),  # 4 h
            Assignment("KT0001", code, first, "truc_dem", covered_ward_codes=(code,)),  # 8 h
            Assignment("KT0001", code, second, "no-such-shift"),  # counts no hours
        ),
    )
    weeks = {load.person_id: load for load in busiest_weeks(campaign, roster)}
    assert [load.person_id for load in busiest_weeks(campaign, roster)] == [p.id for p in campaign.people]
    assert weeks["SV0001"].hours == 8.0 and weeks["KT0001"].hours == 8.0 and weeks["VT0001"].hours == 0.0
    assert weeks["SV0001"].cap_hours == 16 and weeks["KT0001"].cap_hours == 48  # her own cap; the legal hours
    assert not any(load.over_cap for load in weeks.values())
    for load in person_loads(campaign, roster, campaign.people):
        assert (weeks[load.person.id].hours, weeks[load.person.id].cap_hours) == (load.max_week_hours, load.cap_hours)
