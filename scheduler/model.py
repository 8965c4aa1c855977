"""The campaign's domain model: plain frozen dataclasses.

Everything else in Ra Quân speaks these types. This module imports nothing of
ours and nothing from the solver, the web app or the geographic layer (a test
checks that), so a roster, a scenario or an import can be reasoned about
without any of them.

Times of day are whole minutes after midnight (``start_minute``); a shift
that runs past midnight has ``end_minute`` above 1440 (22:00-06:00 is
1320-1800). Dates are :class:`datetime.date`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

MINUTES_PER_DAY = 24 * 60


class Pool(str, enum.Enum):  # noqa: UP042 (StrEnum would change str() from "Pool.X" to the value)
    """The three pools of people the directive mobilises."""

    STUDENT = "student"  # sinh viên CNTT, đoàn viên thanh niên
    TELECOM = "telecom"  # nhân sự doanh nghiệp viễn thông / CNTT
    TECHNICIAN = "technician"  # cán bộ kỹ thuật, Trung tâm Phục vụ hành chính công

    @property
    def label_vi(self) -> str:
        return POOL_LABELS_VI[self]


POOL_LABELS_VI = {
    Pool.STUDENT: "sinh viên",
    Pool.TELECOM: "nhân sự viễn thông",
    Pool.TECHNICIAN: "kỹ thuật viên",
}


class ShiftKind(str, enum.Enum):  # noqa: UP042 (StrEnum would change str() from "ShiftKind.X" to the value)
    """What a shift is for."""

    SERVICE = "service"  # support staff on site during service hours
    ONCALL = "oncall"  # a technician responsible for the ward (24/7 rule)


class PriorityGroup(str, enum.Enum):  # noqa: UP042 (StrEnum would change str() from "PriorityGroup.X" to the value)
    """People a mobile point serves first (Directive 11, II.4)."""

    ELDERLY = "elderly"  # người cao tuổi
    DISABLED = "disabled"  # người khuyết tật
    POOR = "poor"  # hộ nghèo
    NEAR_POOR = "near_poor"  # hộ cận nghèo
    GENERAL = "general"  # mọi người dân

    @property
    def label_vi(self) -> str:
        return PRIORITY_LABELS_VI[self]


PRIORITY_LABELS_VI = {
    PriorityGroup.ELDERLY: "người cao tuổi",
    PriorityGroup.DISABLED: "người khuyết tật",
    PriorityGroup.POOR: "hộ nghèo",
    PriorityGroup.NEAR_POOR: "hộ cận nghèo",
    PriorityGroup.GENERAL: "người dân",
}


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True)
class Ward:
    """A commune or ward (xã, phường) of the 2025 two-level government."""

    code: str  # official five-digit code, e.g. "00292"
    name: str  # full name with its type, e.g. "Phường Bạch Mai"
    kind: str  # "Phường", "Xã" or "Đặc khu"
    province: str  # e.g. "Thành phố Hà Nội"
    lat: float
    lon: float
    area_km2: float | None  # official area; unknown for a handful of units


@dataclass(frozen=True)
class Shift:
    """A shift definition: an id, a Vietnamese name and its hours."""

    id: str
    name: str
    start_minute: int
    end_minute: int
    kind: ShiftKind

    def __post_init__(self) -> None:
        _require(bool(self.id), "a shift needs an id")
        _require(0 <= self.start_minute < MINUTES_PER_DAY, f"shift {self.id}: start_minute must be within the day")
        _require(
            self.start_minute < self.end_minute <= self.start_minute + MINUTES_PER_DAY,
            f"shift {self.id}: end_minute must follow start_minute by at most a day",
        )

    @property
    def duration_minutes(self) -> int:
        return self.end_minute - self.start_minute

    def night_minutes(self, night_start_minute: int, night_end_minute: int) -> int:
        """Minutes of this shift inside the night window (Labour Code: 22:00-06:00)."""
        return night_overlap_minutes(self.start_minute, self.end_minute, night_start_minute, night_end_minute)


def night_overlap_minutes(start_minute: int, end_minute: int, night_start_minute: int, night_end_minute: int) -> int:
    """Minutes of a slot [start, end) of one day (end may pass midnight) inside a nightly window."""
    total = 0
    for day_offset in (-MINUTES_PER_DAY, 0, MINUTES_PER_DAY):
        start = night_start_minute + day_offset
        end = night_end_minute + day_offset
        if end <= start:
            end += MINUTES_PER_DAY
        total += max(0, min(end_minute, end) - max(start_minute, start))
    return total


@dataclass(frozen=True)
class CampaignRules:
    """The hard rules of the campaign as named settings (CAMPAIGN.md)."""

    min_support_staff_per_shift: int = 2  # Directive 11, II.3
    min_telecom_staff_per_day: int = 1  # Directive 11, III.8
    oncall_24_7: bool = True  # Directive 11, III.5
    night_response_limit_minutes: int = 30  # coordinator setting for night pooling
    mobile_point_travel_limit_minutes: int = 60  # from the staff's ward to the point's ward
    max_work_hours_per_day: int = 8  # Labour Code 2019, art. 105
    max_work_hours_per_week: int = 48  # Labour Code 2019, art. 105
    min_rest_between_shifts_hours: int = 12  # Labour Code 2019, art. 109
    min_weekly_rest_hours: int = 24  # Labour Code 2019, art. 111
    night_start_minute: int = 22 * 60  # Labour Code 2019, art. 106
    night_end_minute: int = 6 * 60
    student_weekly_cap_hours: int = 20  # default when a student has no cap of their own
    ward_staff_list_deadline_minute: int = 15 * 60  # ward plan III.10: list of people by 15:00
    day_response_limit_minutes: int = 30  # dispatch: arrival limit for an incident in service hours
    acknowledge_limit_minutes: int = 10  # dispatch: an assigned technician acknowledges within this, or it escalates
    auto_dispatch_urgent: bool = False  # dispatch: an urgent incident goes to the first candidate at once

    def __post_init__(self) -> None:
        for name in (
            "min_support_staff_per_shift",
            "min_telecom_staff_per_day",
            "night_response_limit_minutes",
            "mobile_point_travel_limit_minutes",
            "max_work_hours_per_day",
            "max_work_hours_per_week",
            "min_rest_between_shifts_hours",
            "min_weekly_rest_hours",
            "student_weekly_cap_hours",
            "day_response_limit_minutes",
            "acknowledge_limit_minutes",
        ):
            _require(getattr(self, name) >= 0, f"rules.{name} must not be negative")
        _require(self.max_work_hours_per_day <= 24, "rules.max_work_hours_per_day must be at most 24")
        _require(self.max_work_hours_per_week <= 168, "rules.max_work_hours_per_week must be at most 168")
        for name in ("night_start_minute", "night_end_minute", "ward_staff_list_deadline_minute"):
            _require(0 <= getattr(self, name) < MINUTES_PER_DAY, f"rules.{name} must be within the day")


@dataclass(frozen=True)
class WardDemand:
    """What one ward needs over the campaign."""

    ward_code: str
    service_shift_ids: tuple[str, ...]  # service shifts staffed every day
    min_support_staff: int  # per service shift (II.3: at least 2)
    min_telecom_staff_per_day: int  # per day (III.8: at least 1)
    oncall_24_7: bool  # a technician responsible every hour (III.5)
    night_response_limit_minutes: int  # for night pooling across wards
    peak_dates: frozenset[date] = frozenset()  # days that want extra students
    extra_students_on_peak: int = 0

    def __post_init__(self) -> None:
        _require(self.min_support_staff >= 0, "min_support_staff must not be negative")
        _require(self.min_telecom_staff_per_day >= 0, "min_telecom_staff_per_day must not be negative")
        _require(self.night_response_limit_minutes >= 0, "night_response_limit_minutes must not be negative")
        _require(self.extra_students_on_peak >= 0, "extra_students_on_peak must not be negative")


@dataclass(frozen=True)
class Person:
    """A volunteer or staff member of one of the three pools."""

    id: str
    name: str
    pool: Pool
    organisation: str  # school, company or centre
    home_ward_code: str  # where they live, or their school's ward
    phone: str  # normalised to the national form, e.g. "0912345678"
    skills: frozenset[str] = frozenset()
    unavailable_dates: frozenset[date] = frozenset()
    unavailable_slots: frozenset[tuple[date, str]] = frozenset()  # (date, shift or mobile point id) they cannot do
    available_shift_ids: frozenset[str] = frozenset()  # empty means every shift
    weekly_cap_hours: int | None = None  # None: the pool's default
    night_eligible: bool = False
    preferred_ward_codes: tuple[str, ...] = ()
    email: str = ""  # optional address for notices; empty when not known

    def __post_init__(self) -> None:
        _require(bool(self.id), "a person needs an id")
        _require(
            self.weekly_cap_hours is None or self.weekly_cap_hours >= 0,
            f"person {self.id}: weekly_cap_hours must not be negative",
        )


@dataclass(frozen=True)
class StaffNeed:
    """A number of people a mobile point needs, by pool or by skill (or both)."""

    count: int
    pool: Pool | None = None
    skill: str | None = None

    def __post_init__(self) -> None:
        _require(self.count > 0, "a staff need counts at least one person")
        _require(self.pool is not None or self.skill is not None, "a staff need names a pool or a skill")


@dataclass(frozen=True)
class MobilePoint:
    """A mobile service point (Điểm Bình dân học vụ số lưu động)."""

    id: str
    ward_code: str
    place: str
    date: date
    start_minute: int
    end_minute: int
    staff_needed: tuple[StaffNeed, ...]
    priority_group: PriorityGroup = PriorityGroup.GENERAL

    def __post_init__(self) -> None:
        _require(bool(self.id), "a mobile point needs an id")
        _require(
            0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY,
            f"mobile point {self.id}: the time slot must lie within one day",
        )
        _require(len(self.staff_needed) > 0, f"mobile point {self.id}: it needs at least one person")

    @property
    def total_staff(self) -> int:
        return sum(need.count for need in self.staff_needed)


@dataclass(frozen=True)
class SoftWeights:
    """Weights of the objective (``[weights]`` in campaign.toml); see docs/rules.md for each term.

    Every term is a whole number in domain units (people missing, minutes,
    assignments), so the objective is an integer that the checker recomputes.
    """

    unfilled: int = 1000  # per person missing from a hard-rule slot
    travel_minutes: int = 1  # per minute from home ward to the assignment's ward
    continuity: int = 30  # per extra ward a person works in beyond the first
    school_together: int = 10  # per extra school among a ward's students beyond the first
    fair_spread: int = 20  # per night shift beyond 2, or weekend assignment beyond 1, in a week
    preferences: int = 5  # per assignment outside a person's preferred wards (when they have some)
    peak_students: int = 50  # per missing extra person on a peak day's service shift

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            _require(
                isinstance(getattr(self, name), int) and getattr(self, name) >= 0,
                f"weights.{name} must be a whole number, not negative",
            )


@dataclass(frozen=True)
class Campaign:
    """A whole campaign: its calendar, rules, wards, people and mobile points."""

    name: str
    province: str
    start_date: date
    days: int
    shifts: tuple[Shift, ...]
    rules: CampaignRules
    wards: tuple[Ward, ...]
    demands: tuple[WardDemand, ...]
    people: tuple[Person, ...]
    mobile_points: tuple[MobilePoint, ...] = ()
    weights: SoftWeights = SoftWeights()
    pins: tuple[Assignment, ...] = ()  # assignments the roster must keep (the Youth Union's choices)
    _index: dict[str, Any] = field(init=False, repr=False, compare=False, hash=False)  # set by __post_init__

    def __post_init__(self) -> None:
        _require(self.days > 0, "a campaign lasts at least one day")
        shift_ids = [s.id for s in self.shifts]
        _require(len(set(shift_ids)) == len(shift_ids), "shift ids must be unique")
        ward_codes = [w.code for w in self.wards]
        _require(len(set(ward_codes)) == len(ward_codes), "ward codes must be unique")
        known = set(ward_codes)
        for demand in self.demands:
            _require(demand.ward_code in known, f"demand for unknown ward {demand.ward_code}")
            for shift_id in demand.service_shift_ids:
                _require(shift_id in shift_ids, f"ward {demand.ward_code}: unknown shift {shift_id}")
        person_ids = {p.id for p in self.people}
        point_ids = {m.id for m in self.mobile_points}
        for pin in self.pins:
            _require(pin.person_id in person_ids, f"pin for unknown person {pin.person_id}")
            _require(pin.ward_code in known, f"pin of {pin.person_id} at unknown ward {pin.ward_code}")
            _require(
                pin.shift_id is None or pin.shift_id in shift_ids,
                f"pin of {pin.person_id}: unknown shift {pin.shift_id}",
            )
            _require(
                pin.mobile_point_id is None or pin.mobile_point_id in point_ids,
                f"pin of {pin.person_id}: unknown mobile point {pin.mobile_point_id}",
            )
        object.__setattr__(
            self,
            "_index",
            {
                "wards": {w.code: w for w in self.wards},
                "shifts": {s.id: s for s in self.shifts},
                "people": {p.id: p for p in self.people},
                "demands": {d.ward_code: d for d in self.demands},
                "points": {m.id: m for m in self.mobile_points},
                "service_shift_ids": frozenset(s.id for s in self.shifts if s.kind is ShiftKind.SERVICE),
            },
        )

    @property
    def end_date(self) -> date:
        """The last day of the campaign (inclusive)."""
        return self.start_date + timedelta(days=self.days - 1)

    @property
    def dates(self) -> tuple[date, ...]:
        return tuple(self.start_date + timedelta(days=i) for i in range(self.days))

    def contains_date(self, day: date) -> bool:
        return 0 <= (day - self.start_date).days < self.days

    @property
    def service_shift_ids(self) -> frozenset[str]:
        """The ids of the service shifts (the others are on call)."""
        return self._index["service_shift_ids"]

    def has(self, kind: str, key: str) -> bool:
        """Whether the campaign has a ``kind`` ("people", "wards", "shifts", "points") of this id or code."""
        return key in self._index[kind]

    def ward(self, code: str) -> Ward:
        return self._index["wards"][code]

    def shift(self, shift_id: str) -> Shift:
        return self._index["shifts"][shift_id]

    def person(self, person_id: str) -> Person:
        return self._index["people"][person_id]

    def demand(self, ward_code: str) -> WardDemand:
        return self._index["demands"][ward_code]

    def mobile_point(self, point_id: str) -> MobilePoint:
        return self._index["points"][point_id]

    def week_index(self, day: date) -> int:
        """The 7-day block of the campaign a day falls in (0 for the first seven days)."""
        return (day - self.start_date).days // 7

    def people_in(self, pool: Pool) -> tuple[Person, ...]:
        return tuple(p for p in self.people if p.pool is pool)

    def weekly_cap_hours(self, person: Person) -> int:
        """A person's weekly cap: their own, or the rule for their pool."""
        if person.weekly_cap_hours is not None:
            return person.weekly_cap_hours
        if person.pool is Pool.STUDENT:
            return self.rules.student_weekly_cap_hours
        return self.rules.max_work_hours_per_week


@dataclass(frozen=True)
class Assignment:
    """One person at one place for one stretch of time.

    A service or on-call shift names ``shift_id``; a mobile point names
    ``mobile_point_id`` and the index of the staff need the person fills. An
    on-call assignment is posted at ``ward_code`` and is responsible for
    ``covered_ward_codes`` (its own ward and, outside service hours, nearby
    wards within their response limit).
    """

    person_id: str
    ward_code: str
    date: date
    shift_id: str | None = None
    mobile_point_id: str | None = None
    need_index: int | None = None
    covered_ward_codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require(
            (self.shift_id is None) != (self.mobile_point_id is None),
            "an assignment names a shift or a mobile point, not both",
        )
        _require(
            (self.mobile_point_id is None) == (self.need_index is None),
            "a mobile-point assignment names the need it fills",
        )


@dataclass(frozen=True)
class Unfilled:
    """A slot a hard rule asks for that the roster could not fill: shortfall as data."""

    rule: str  # the rule's label, e.g. "telecom_presence"
    ward_code: str
    date: date
    shift_id: str | None  # None for a whole-day rule or a mobile point
    missing: int  # people missing
    mobile_point_id: str | None = None
    need: str = ""  # what is missing: a pool, a skill, "technician"


@dataclass(frozen=True)
class Roster:
    """A solve's result: assignments, declared shortfalls and the solve's figures."""

    campaign_name: str
    status: str  # "OPTIMAL", "FEASIBLE" (every ward solved), "PARTIAL" or "FAILED"
    assignments: tuple[Assignment, ...]
    unfilled: tuple[Unfilled, ...] = ()
    objective: int | None = None
    best_bound: int | None = None
    wall_seconds: float | None = None
