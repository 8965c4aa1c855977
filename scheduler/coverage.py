"""Coverage of a roster by day and by shift, and the spread of people's weekly hours: what the coverage map's
chooser and the charts read.

Person-slots asked are split as :func:`scheduler.report.asked_by_ward_and_day` counts them (and so as
:func:`scheduler.verify.asked_person_slots` does): a service shift asks its support staff and, with the 24/7
rule, one technician; an on-call shift asks one technician with the 24/7 rule; the day's telecom staff and the
mobile points' staff belong to no shift. People missing are the roster's declared ``unfilled`` slots. Plain
functions over a :class:`~scheduler.model.Campaign` and a :class:`~scheduler.model.Roster`; no web import.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from scheduler.calendar import weekly_limit_minutes
from scheduler.model import Campaign, Pool, Roster, ShiftKind, WardDemand
from scheduler.report import (
    MINUTES_PER_HOUR,
    WardFigures,
    asked_by_ward_and_day,
    missing_by_ward_and_day,
    slot_minutes,
    ward_figures,
)


@dataclass(frozen=True)
class DayCoverage:
    """One day (of the city or of one ward): person-slots asked and people missing."""

    day: date
    asked: int
    missing: int

    @property
    def filled(self) -> int:
        """Person-slots with someone in them."""
        return max(0, self.asked - self.missing)

    @property
    def percent(self) -> float | None:
        """Filled share of the person-slots asked, in percent; None when nothing is asked."""
        if self.asked == 0:
            return None
        return 100.0 * self.filled / self.asked


def shift_asked_per_day(campaign: Campaign, demand: WardDemand, shift_id: str) -> int:
    """Person-slots one shift asks of a ward on each campaign day (0 for a shift the ward does not run)."""
    try:
        kind = campaign.shift(shift_id).kind
    except KeyError:
        return 0
    asked = 0
    if shift_id in demand.service_shift_ids:
        asked += demand.min_support_staff
        if demand.oncall_24_7:
            asked += 1
    elif kind is ShiftKind.ONCALL and demand.oncall_24_7:
        asked += 1
    return asked


def coverage_by_day(campaign: Campaign, roster: Roster, ward_code: str | None = None) -> list[DayCoverage]:
    """Each campaign day, in order: asked and missing over every ward (or over ``ward_code`` only)."""
    asked: Counter = Counter()
    for (code, day), value in asked_by_ward_and_day(campaign).items():
        if ward_code is None or code == ward_code:
            asked[day] += value
    missing: Counter = Counter()
    for (code, day), value in missing_by_ward_and_day(roster).items():
        if ward_code is None or code == ward_code:
            missing[day] += value
    return [DayCoverage(day, asked[day], missing[day]) for day in campaign.dates]


def ward_coverage(
    campaign: Campaign, roster: Roster, day: date | None = None, shift_id: str | None = None
) -> list[WardFigures]:
    """Per ward of the campaign, in its order: asked, missing and assigned on ``day`` (None: every day) and in
    ``shift_id`` (None: every shift, the day's telecom staff and the mobile points)."""
    if day is None and shift_id is None:
        return ward_figures(campaign, roster)
    days = 1 if day is not None else campaign.days
    if shift_id is None:
        asked = {code: value for (code, on), value in asked_by_ward_and_day(campaign).items() if on == day}
    else:
        asked = {
            demand.ward_code: days * shift_asked_per_day(campaign, demand, shift_id) for demand in campaign.demands
        }
    missing: Counter = Counter()
    for slot in roster.unfilled:
        if (day is None or slot.date == day) and (shift_id is None or slot.shift_id == shift_id):
            missing[slot.ward_code] += slot.missing
    assigned: Counter = Counter()
    for a in roster.assignments:
        if (day is None or a.date == day) and (shift_id is None or a.shift_id == shift_id):
            assigned[a.ward_code] += 1
    return [
        WardFigures(w.code, w.name, asked.get(w.code, 0), missing.get(w.code, 0), assigned.get(w.code, 0))
        for w in campaign.wards
    ]


@dataclass(frozen=True)
class WeekLoad:
    """One person's hours in their busiest 7-day block of the campaign, and their weekly limit in hours."""

    person_id: str
    pool: Pool
    hours: float
    cap_hours: int

    @property
    def over_cap(self) -> bool:
        """Whether the busiest week passes the person's weekly limit."""
        return self.hours > self.cap_hours


def busiest_weeks(campaign: Campaign, roster: Roster) -> list[WeekLoad]:
    """Every person of the campaign, in its order: hours in their busiest week and their weekly limit.

    The hours are :func:`scheduler.report.person_loads`' ``max_week_hours`` and the limit its ``cap_hours``
    (the calendar's :func:`~scheduler.calendar.weekly_limit_minutes`), for everyone at once: each slot's
    minutes are looked up once, not once per assignment.
    """
    minutes_of: dict[tuple, int] = {}
    week_of = {day: campaign.week_index(day) for day in campaign.dates}
    totals: dict[tuple[str, int], int] = {}
    for a in roster.assignments:
        slot = (a.shift_id, a.mobile_point_id)
        minutes = minutes_of.get(slot)
        if minutes is None:
            span = slot_minutes(campaign, *slot)
            minutes = minutes_of[slot] = 0 if span is None else span[1] - span[0]
        if minutes:
            week = week_of.get(a.date)
            key = (a.person_id, campaign.week_index(a.date) if week is None else week)
            totals[key] = totals.get(key, 0) + minutes
    busiest: dict[str, int] = {}
    for (person_id, _week), minutes in totals.items():
        if minutes > busiest.get(person_id, 0):
            busiest[person_id] = minutes
    return [
        WeekLoad(
            person.id,
            person.pool,
            busiest.get(person.id, 0) / MINUTES_PER_HOUR,
            weekly_limit_minutes(campaign, person) // MINUTES_PER_HOUR,
        )
        for person in campaign.people
    ]
