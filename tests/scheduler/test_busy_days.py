"""Busy days a volunteer marks ahead: an ``unavailable`` event for whole days or for some shifts (half-days),
applied by :func:`scheduler.events.apply_events` and respected by the calendar and the repair."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from scheduler.calendar import Calendar
from scheduler.events import Event, apply_events
from scheduler.model import Assignment
from scheduler.pipeline import repair, solve
from scheduler.scenarios import tiny_scenario
from scheduler.settings import SolveSettings
from scheduler.solver.solve import campaign_travel

BEFORE = datetime(2025, 7, 23, 20, 0)
DAY = date(2025, 7, 25)


@pytest.fixture(scope="module")
def tiny():
    return tiny_scenario()


def busy(person_id, *dates, slots=()):
    return Event("unavailable", BEFORE, person_id=person_id, dates=tuple(dates), slot_ids=tuple(slots))


def test_a_busy_morning_keeps_the_afternoon(tiny):
    after = apply_events(tiny, [busy("SV0001", DAY, slots=("sang",))])
    person = after.person("SV0001")
    assert (DAY, "sang") in person.unavailable_slots
    assert DAY not in person.unavailable_dates
    calendar = Calendar(after)
    assert calendar.breaks(Assignment("SV0001", "00316", DAY, "sang")) == ["availability"]
    assert calendar.breaks(Assignment("SV0001", "00316", DAY, "chieu")) == []


def test_a_busy_day_without_slots_is_the_whole_day(tiny):
    after = apply_events(tiny, [busy("SV0001", DAY)])
    assert DAY in after.person("SV0001").unavailable_dates


def test_the_repair_keeps_off_a_busy_half_day(tiny):
    """A repair with busy half-days of the people it could use places none of them there."""
    settings = SolveSettings(time_limit_seconds=5, processes=1)
    published = solve(tiny, settings).roster
    victim = next(a for a in published.assignments if a.date == DAY and a.shift_id == "sang")
    others = sorted({p.id for p in tiny.people if p.pool is tiny.person(victim.person_id).pool} - {victim.person_id})
    events = [Event("cancellation", BEFORE, person_id=victim.person_id, dates=(DAY,), slot_ids=("sang",))]
    events += [busy(person_id, DAY, slots=("sang",)) for person_id in others]
    campaign = apply_events(tiny, events, BEFORE)
    result = repair(campaign, published, BEFORE, settings, travel=campaign_travel(campaign))
    assert result.report.ok
    on_seat = {a.person_id for a in result.roster.assignments if a.date == DAY and a.shift_id == "sang"}
    added = {a.person_id for a in result.roster.assignments if a not in set(published.assignments)}
    assert not (added & on_seat & set(others))
