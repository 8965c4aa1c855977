"""What changes the plan while the campaign runs: events, and a campaign with the events applied.

Every change a repair must answer is an :class:`Event` with the time it was recorded
and who recorded it. :func:`apply_events` turns the campaign as imported into the
campaign as it stands after the events (people unavailable on more days or slots,
people added, demands changed, mobile points added or cancelled); the solver and the
checker then work on that campaign as on any other. Events are plain data, written
to and read from JSON-ready dicts (:func:`event_to_dict`, :func:`event_from_dict`),
so the web app stores them and ``raquan repair`` reads them the same way.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from scheduler.model import Campaign, MobilePoint, Person, Pool, PriorityGroup, StaffNeed

# kind -> what it means (Vietnamese, for lists of events)
KINDS = {
    "cancellation": "báo không thể đến",  # a volunteer's "Tôi không thể đến"
    "decline": "không nhận ca mới",  # a volunteer declines a shift a repair gave them
    "absence": "vắng mặt",  # a coordinator's record: sick, away
    "left": "rời chiến dịch",  # from the first date on, for the rest of the campaign
    "unavailable": "báo bận thêm ngày",
    "person_added": "thêm người",
    "demand_changed": "thay đổi nhu cầu của xã, phường",
    "mobile_point_added": "thêm điểm lưu động",
    "mobile_point_cancelled": "huỷ điểm lưu động",
}
PERSON_KINDS = ("cancellation", "decline", "absence", "left", "unavailable")
SLOT_KINDS = ("cancellation", "decline", "unavailable")  # the person kinds whose slot_ids narrow their dates
DEMAND_FIELDS = ("min_support_staff", "min_telecom_staff_per_day", "extra_students_on_peak")


class EventError(ValueError):
    """An event that does not fit the campaign: the message says which event and why."""


@dataclass(frozen=True)
class Event:
    """One change to the plan.

    ``dates`` and ``slot_ids`` (shift or mobile point ids; none means the whole days) say
    when a person cannot work (``slot_ids`` count for the kinds of :data:`SLOT_KINDS`: a cancellation,
    a decline, or busy half-days marked ahead); ``person`` is a person added; ``ward_code`` with
    ``demand`` (field -> new value, among :data:`DEMAND_FIELDS`) a demand changed;
    ``point`` a mobile point added, ``point_id`` one cancelled.
    """

    kind: str
    recorded_at: datetime
    recorded_by: str = ""
    person_id: str | None = None
    dates: tuple[date, ...] = ()
    slot_ids: tuple[str, ...] = ()
    reason: str = ""
    person: Person | None = None
    ward_code: str | None = None
    demand: tuple[tuple[str, int], ...] = ()
    point: MobilePoint | None = None
    point_id: str | None = None
    id: int | None = None  # the store's id, when stored

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise EventError(f"unknown event kind '{self.kind}' (known: {', '.join(KINDS)})")
        if self.kind in PERSON_KINDS and (not self.person_id or not self.dates):
            raise EventError(f"a '{self.kind}' event names a person and at least one date")
        if self.kind == "person_added" and self.person is None:
            raise EventError("a 'person_added' event carries the person")
        if self.kind == "demand_changed":
            if not self.ward_code or not self.demand:
                raise EventError("a 'demand_changed' event names a ward and what changes")
            for name, value in self.demand:
                if name not in DEMAND_FIELDS or not isinstance(value, int) or value < 0:
                    raise EventError(f"demand change '{name}={value}': one of {', '.join(DEMAND_FIELDS)}, 0 or more")
        if self.kind == "mobile_point_added" and self.point is None:
            raise EventError("a 'mobile_point_added' event carries the mobile point")
        if self.kind == "mobile_point_cancelled" and not self.point_id:
            raise EventError("a 'mobile_point_cancelled' event names the mobile point")

    @property
    def label_vi(self) -> str:
        return KINDS[self.kind]


def days_between(first: date, last: date) -> tuple[date, ...]:
    """Every date from ``first`` to ``last``, both included."""
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


def _person(campaign: Campaign, event: Event) -> Person:
    try:
        return campaign.person(event.person_id or "")
    except KeyError:
        raise EventError(f"{event.kind}: no person '{event.person_id}' in the campaign") from None


def _future_slots(campaign: Campaign, day: date, now: datetime) -> set[str]:
    """The shifts and mobile points of ``day`` that have not started by ``now``."""
    minute = (now - datetime.combine(day, datetime.min.time())).total_seconds() / 60
    slots = {s.id for s in campaign.shifts if s.start_minute > minute}
    return slots | {m.id for m in campaign.mobile_points if m.date == day and m.start_minute > minute}


def apply_events(campaign: Campaign, events, now: datetime | None = None) -> Campaign:
    """The campaign as it stands after ``events``, in the order given (the input is not changed).

    With ``now``, history stays as it was: an event's dates before ``now`` are left out, on ``now``'s
    own date only the shifts and mobile points that have not started count, and a mobile point that
    has started is not cancelled.
    Raises :class:`EventError` for an event that names an unknown person, ward or mobile point.
    """
    people = {p.id: p for p in campaign.people}
    demands = {d.ward_code: d for d in campaign.demands}
    points = {m.id: m for m in campaign.mobile_points}
    wards = {w.code for w in campaign.wards}
    for event in events:
        if event.kind in PERSON_KINDS:
            person = people.get(event.person_id or "") or _person(campaign, event)
            dates = set(event.dates)
            if event.kind == "left":
                dates |= set(days_between(min(event.dates), max(campaign.end_date, min(event.dates))))
            slot_ids = set(event.slot_ids) if event.kind in SLOT_KINDS else set()
            slots: set[tuple[date, str]] = set()
            if now is not None:
                today = now.date()
                if today in dates:  # today: the slots still to come, as slots
                    to_come = _future_slots(campaign, today, now)
                    slots |= {(today, s) for s in (to_come & slot_ids if slot_ids else to_come)}
                dates = {d for d in dates if d > today}
            if slot_ids:
                slots |= {(d, s) for d in dates for s in slot_ids}
                dates = set()
            people[person.id] = replace(
                person,
                unavailable_dates=person.unavailable_dates | dates,
                unavailable_slots=person.unavailable_slots | slots,
            )
        elif event.kind == "person_added":
            assert event.person is not None
            if event.person.home_ward_code not in wards:
                raise EventError(f"person_added {event.person.id}: unknown ward {event.person.home_ward_code}")
            people[event.person.id] = event.person
        elif event.kind == "demand_changed":
            if event.ward_code not in demands:
                raise EventError(f"demand_changed: no ward '{event.ward_code}' in the campaign")
            demands[event.ward_code] = replace(demands[event.ward_code], **dict(event.demand))
        elif event.kind == "mobile_point_added":
            assert event.point is not None
            if event.point.ward_code not in wards:
                raise EventError(f"mobile_point_added {event.point.id}: unknown ward {event.point.ward_code}")
            points[event.point.id] = event.point
        elif event.kind == "mobile_point_cancelled":
            if event.point_id not in points:
                raise EventError(f"mobile_point_cancelled: no mobile point '{event.point_id}'")
            point = points[event.point_id]
            started = datetime.combine(point.date, datetime.min.time()) + timedelta(minutes=point.start_minute)
            if now is None or started > now:
                del points[event.point_id]
    pins = tuple(p for p in campaign.pins if p.mobile_point_id is None or p.mobile_point_id in points)
    return replace(
        campaign,
        people=tuple(people.values()),
        demands=tuple(demands[d.ward_code] for d in campaign.demands),
        mobile_points=tuple(points.values()),
        pins=pins,
    )


# --- JSON-ready dicts ---------------------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and isinstance(value.value, str):  # an enum
        return value.value
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if not f.name.startswith("_")}
    return value


def event_to_dict(event: Event) -> dict:
    """The event as a dict of JSON values (fields left at their defaults are left out)."""
    result = {}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if value != f.default:
            result[f.name] = _plain(value)
    if event.demand:
        result["demand"] = dict(event.demand)
    return result


def _person_from(data: dict) -> Person:
    return Person(
        id=data["id"],
        name=data.get("name", ""),
        pool=Pool(data["pool"]),
        organisation=data.get("organisation", ""),
        home_ward_code=data["home_ward_code"],
        phone=data.get("phone", ""),
        skills=frozenset(data.get("skills", ())),
        unavailable_dates=frozenset(date.fromisoformat(d) for d in data.get("unavailable_dates", ())),
        available_shift_ids=frozenset(data.get("available_shift_ids", ())),
        weekly_cap_hours=data.get("weekly_cap_hours"),
        night_eligible=bool(data.get("night_eligible", False)),
        preferred_ward_codes=tuple(data.get("preferred_ward_codes", ())),
        email=data.get("email", ""),
    )


def _point_from(data: dict) -> MobilePoint:
    return MobilePoint(
        id=data["id"],
        ward_code=data["ward_code"],
        place=data.get("place", ""),
        date=date.fromisoformat(data["date"]),
        start_minute=int(data["start_minute"]),
        end_minute=int(data["end_minute"]),
        staff_needed=tuple(
            StaffNeed(int(n["count"]), Pool(n["pool"]) if n.get("pool") else None, n.get("skill"))
            for n in data["staff_needed"]
        ),
        priority_group=PriorityGroup(data.get("priority_group", "general")),
    )


def event_from_dict(data: dict) -> Event:
    """An event from :func:`event_to_dict`'s form; raises :class:`EventError` saying what is wrong."""
    try:
        demand = data.get("demand") or {}
        return Event(
            kind=data["kind"],
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
            recorded_by=data.get("recorded_by", ""),
            person_id=data.get("person_id"),
            dates=tuple(sorted(date.fromisoformat(d) for d in data.get("dates", ()))),
            slot_ids=tuple(data.get("slot_ids", ())),
            reason=data.get("reason", ""),
            person=_person_from(data["person"]) if data.get("person") else None,
            ward_code=data.get("ward_code"),
            demand=tuple(sorted((str(k), int(v)) for k, v in demand.items())),
            point=_point_from(data["point"]) if data.get("point") else None,
            point_id=data.get("point_id"),
            id=data.get("id"),
        )
    except EventError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise EventError(f"event {data!r}: {error}") from None


def parse_event(text: str, recorded_at: datetime, recorded_by: str = "") -> Event:
    """An event from the command line's form ``kind,key=value,...``.

    Keys: ``person``, ``dates`` (``2025-08-01`` or ``2025-08-01..2025-08-03``, several joined by ``+``),
    ``slots`` (shift or mobile point ids joined by ``+``), ``ward``, ``point``, ``reason``, and for a
    demand change the fields of :data:`DEMAND_FIELDS`. For example
    ``cancellation,person=SV0001,dates=2025-08-01..2025-08-03``.
    """
    kind, *parts = [p.strip() for p in text.split(",")]
    values: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep:
            raise EventError(f"--event '{text}': '{part}' is not key=value")
        values[key.strip()] = value.strip()
    dates: list[date] = []
    try:
        for piece in filter(None, values.pop("dates", "").split("+")):
            first, _, last = piece.partition("..")
            dates.extend(days_between(date.fromisoformat(first), date.fromisoformat(last or first)))
        demand = tuple(sorted((k, int(values.pop(k))) for k in DEMAND_FIELDS if k in values))
    except ValueError as error:
        raise EventError(f"--event '{text}': {error}") from None
    event = Event(
        kind=kind,
        recorded_at=recorded_at,
        recorded_by=recorded_by,
        person_id=values.pop("person", None),
        dates=tuple(sorted(set(dates))),
        slot_ids=tuple(filter(None, values.pop("slots", "").split("+"))),
        reason=values.pop("reason", ""),
        ward_code=values.pop("ward", None),
        demand=demand,
        point_id=values.pop("point", None),
    )
    if values:
        raise EventError(f"--event '{text}': unknown keys {', '.join(sorted(values))}")
    return event
