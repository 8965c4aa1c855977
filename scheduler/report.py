"""The figures of a roster that coordinators read: coverage per ward and day, each person's load, the daily report.

Plain functions over a :class:`~scheduler.model.Campaign` and a :class:`~scheduler.model.Roster`;
nothing here knows of the web app or a database. A roster's gaps are its declared ``unfilled`` slots
(the checker's, for a roster from the solve pipeline or stored by the web app). An assignment that
names a shift or a mobile point the campaign does not have (a roster solved before the data set
changed) still counts as an assignment of its ward and day, and adds no hours.

People-slots asked are counted as :func:`scheduler.verify.asked_person_slots` counts them, split
by ward and day (:func:`asked_by_ward_and_day`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from scheduler.calendar import weekly_limit_minutes
from scheduler.model import MINUTES_PER_DAY, Campaign, Person, Pool, Roster, ShiftKind, night_overlap_minutes

MINUTES_PER_HOUR = 60


# ------------------------------------------------------------------------------------------------ per ward and day


def asked_by_ward_and_day(campaign: Campaign) -> dict[tuple[str, date], int]:
    """Person-slots the coverage rules ask of each ward on each day (as :func:`asked_person_slots` counts them).

    Per day: each service shift's support staff, the telecom staff of the day, with the 24/7 rule one
    technician per service shift and per on-call shift, and the staff of the ward's mobile points that day.
    The figures of the campaign last asked about are kept (a page asks several times); a new dict each call.
    """
    kept = _asked_kept
    if kept is not None and kept[0] is campaign:
        return dict(kept[1])
    oncall_shifts = sum(1 for shift in campaign.shifts if shift.kind is ShiftKind.ONCALL)
    points: Counter = Counter()
    for point in campaign.mobile_points:
        points[(point.ward_code, point.date)] += point.total_staff
    asked = {}
    dates = campaign.dates
    for demand in campaign.demands:
        per_day = len(demand.service_shift_ids) * demand.min_support_staff + demand.min_telecom_staff_per_day
        if demand.oncall_24_7:
            per_day += len(demand.service_shift_ids) + oncall_shifts
        for day in dates:
            asked[(demand.ward_code, day)] = per_day + points[(demand.ward_code, day)]
    _keep_asked(campaign, asked)
    return dict(asked)


_asked_kept: tuple[Campaign, dict] | None = None  # (the campaign, its figures): campaigns are immutable


def _keep_asked(campaign: Campaign, asked: dict) -> None:
    global _asked_kept
    _asked_kept = (campaign, asked)


def assigned_by_ward_and_day(roster: Roster) -> dict[tuple[str, date], int]:
    """Assignments posted in each ward on each day (an on-call shift counts where it is posted)."""
    return dict(Counter((a.ward_code, a.date) for a in roster.assignments))


def missing_by_ward_and_day(roster: Roster) -> dict[tuple[str, date], int]:
    """People missing in each ward on each day, over the roster's unfilled slots; only (ward, day) with a gap."""
    missing: Counter = Counter()
    for slot in roster.unfilled:
        missing[(slot.ward_code, slot.date)] += slot.missing
    return dict(missing)


def missing_by_rule(roster: Roster) -> dict[str, int]:
    """People missing per coverage rule's label, in label order; only rules with a gap."""
    missing: Counter = Counter()
    for slot in roster.unfilled:
        missing[slot.rule] += slot.missing
    return dict(sorted(missing.items()))


def ward_totals(roster: Roster) -> tuple[dict[str, int], dict[str, int]]:
    """People assigned and people missing per ward over the whole campaign; only wards with some."""
    assigned = Counter(a.ward_code for a in roster.assignments)
    missing: Counter = Counter()
    for slot in roster.unfilled:
        missing[slot.ward_code] += slot.missing
    return dict(assigned), dict(missing)


@dataclass
class WardFigures:
    """One ward over the whole campaign: person-slots asked, people missing, assignments posted there."""

    code: str
    name: str
    asked: int
    missing: int
    assigned: int

    @property
    def percent(self) -> float | None:
        """Filled share of the person-slots asked, in percent; None when nothing is asked."""
        if self.asked == 0:
            return None
        return 100.0 * max(0, self.asked - self.missing) / self.asked


def ward_figures(campaign: Campaign, roster: Roster, assigned: dict[str, int] | None = None) -> list[WardFigures]:
    """Per ward of the campaign, in the campaign's order: asked, missing and assigned over every day.

    ``assigned``: the assignments per ward when they are counted elsewhere (a database counts a stored
    roster's), else counted over ``roster.assignments``.
    """
    asked_total: Counter = Counter()
    for (code, _day), value in asked_by_ward_and_day(campaign).items():
        asked_total[code] += value
    counted, missing = ward_totals(roster)
    assigned = counted if assigned is None else assigned
    return [
        WardFigures(w.code, w.name, asked_total[w.code], missing.get(w.code, 0), assigned.get(w.code, 0))
        for w in campaign.wards
    ]


# ------------------------------------------------------------------------------------------------ people


def slot_minutes(campaign: Campaign, shift_id: str | None, mobile_point_id: str | None) -> tuple[int, int] | None:
    """(start, end) minutes of a shift or a mobile point; None when the campaign has no such one."""
    try:
        if shift_id is not None:
            shift = campaign.shift(shift_id)
            return shift.start_minute, shift.end_minute
        if mobile_point_id is None:
            return None
        point = campaign.mobile_point(mobile_point_id)
        return point.start_minute, point.end_minute
    except KeyError:
        return None


def assignment_counts(roster: Roster) -> dict[str, int]:
    """Assignments per person id; people without any are left out."""
    return dict(Counter(a.person_id for a in roster.assignments))


@dataclass
class PersonLoad:
    """One person's load in a roster.

    Attributes
    ----------
    person : Person
    assignments : int
        Assignments of any kind.
    max_week_hours : float
        Hours in the busiest 7-day block of the campaign (:meth:`Campaign.week_index`).
    nights : int
        Assignments that overlap the night window (``rules.night_start_minute`` to ``night_end_minute``).
    wards : int
        Distinct wards the person is posted in.
    week_hours : dict of int to float
        Hours per 7-day block (week index -> hours), only weeks with some.
    cap_hours : int
        The person's weekly limit as the calendar has it (their cap, never above the legal hours).
    """

    person: Person
    assignments: int
    max_week_hours: float = 0.0
    nights: int = 0
    wards: int = 0
    week_hours: dict[int, float] = field(default_factory=dict)
    cap_hours: int = 0

    @property
    def over_cap(self) -> bool:
        """Whether some week's hours pass the person's weekly cap."""
        return self.max_week_hours > self.cap_hours


def person_loads(campaign: Campaign, roster: Roster, people: Iterable[Person]) -> list[PersonLoad]:
    """The load of each of ``people`` in the roster, in the order given."""
    chosen = list(people)
    wanted = {person.id for person in chosen}
    counts: Counter = Counter()
    week_minutes: dict[str, Counter] = defaultdict(Counter)
    nights: Counter = Counter()
    wards: dict[str, set[str]] = defaultdict(set)
    rules = campaign.rules
    for a in roster.assignments:
        if a.person_id not in wanted:
            continue
        counts[a.person_id] += 1
        wards[a.person_id].add(a.ward_code)
        minutes = slot_minutes(campaign, a.shift_id, a.mobile_point_id)
        if minutes is None:
            continue
        start, end = minutes
        week_minutes[a.person_id][campaign.week_index(a.date)] += end - start
        if night_overlap_minutes(start, end, rules.night_start_minute, rules.night_end_minute) > 0:
            nights[a.person_id] += 1
    loads = []
    for person in chosen:
        weeks = week_minutes.get(person.id, Counter())
        hours = {week: total / MINUTES_PER_HOUR for week, total in sorted(weeks.items())}
        loads.append(
            PersonLoad(
                person,
                counts[person.id],
                max(hours.values()) if hours else 0.0,
                nights[person.id],
                len(wards[person.id]),
                hours,
                weekly_limit_minutes(campaign, person) // 60,
            )
        )
    return loads


# ------------------------------------------------------------------------------------------------ one day


@dataclass
class DailyRow:
    """One ward on one day, as the 16:00 daily report shows it."""

    code: str
    name: str
    assigned: int
    missing: int
    telecom_required: int
    telecom_present: bool
    oncall_required: bool
    oncall_covered_hours: float
    oncall_asked_hours: float


def _is_service(campaign: Campaign, shift_id: str | None) -> bool:
    try:
        return shift_id is not None and campaign.shift(shift_id).kind is ShiftKind.SERVICE
    except KeyError:
        return False


def _duration_minutes(campaign: Campaign, shift_id: str) -> int:
    try:
        return campaign.shift(shift_id).duration_minutes
    except KeyError:
        return 0


def daily_rows(campaign: Campaign, roster: Roster, day: date) -> list[DailyRow]:
    """Per ward on ``day``, in the campaign's order: people assigned, people missing, whether a telecom staff
    member is present (on a service shift or a mobile point), and the hours of the 24/7 duty with a technician.

    The duty's hours asked are those of the ward's service shifts and the on-call shifts, at most a day; an
    hour is covered unless the roster declares that shift's ``oncall_24_7`` slot unfilled.
    """
    assigned: Counter = Counter()
    telecom: set[str] = set()
    for a in roster.assignments:
        if a.date != day:
            continue
        assigned[a.ward_code] += 1
        try:
            pool = campaign.person(a.person_id).pool
        except KeyError:
            continue
        if pool is Pool.TELECOM and (a.mobile_point_id is not None or _is_service(campaign, a.shift_id)):
            telecom.add(a.ward_code)
    missing: Counter = Counter()
    uncovered: dict[str, set[str]] = defaultdict(set)
    for slot in roster.unfilled:
        if slot.date != day:
            continue
        missing[slot.ward_code] += slot.missing
        if slot.rule == "oncall_24_7" and slot.shift_id is not None:
            uncovered[slot.ward_code].add(slot.shift_id)
    oncall_ids = [shift.id for shift in campaign.shifts if shift.kind is ShiftKind.ONCALL]
    rows = []
    for place in campaign.wards:
        demand = campaign.demand(place.code)
        duty = (*demand.service_shift_ids, *oncall_ids) if demand.oncall_24_7 else ()
        asked_minutes = sum(_duration_minutes(campaign, shift_id) for shift_id in duty)
        covered_minutes = sum(
            _duration_minutes(campaign, shift_id) for shift_id in duty if shift_id not in uncovered[place.code]
        )
        rows.append(
            DailyRow(
                place.code,
                place.name,
                assigned[place.code],
                missing[place.code],
                demand.min_telecom_staff_per_day,
                place.code in telecom,
                demand.oncall_24_7,
                covered_minutes / MINUTES_PER_HOUR,
                min(asked_minutes, MINUTES_PER_DAY) / MINUTES_PER_HOUR,
            )
        )
    return rows
