"""The independent checker: a roster against the exact definitions of docs/rules.md.

Nothing here comes from the solver. Every rule of :data:`scheduler.rules.RULES`
has one function named by its label:

- people rules, ``check_<label>(campaign, assignments) -> list[Violation]``
  (a valid roster has none);
- coverage rules, ``shortfall_<label>(campaign, assignments) -> list[Unfilled]``
  (the slots the assignments leave short);
- soft rules, ``term_<label>(campaign, assignments) -> int`` (the unweighted
  term of the objective).

:func:`verify` runs them all on a :class:`~scheduler.model.Roster`;
:func:`unfilled_slots` gives the shortfall list a roster must declare, and
:func:`objective` the objective with the campaign's weights. Functions that need
travel times take ``travel``, a callable ``(code_a, code_b) -> minutes``
(default :func:`geo.travel.travel_minutes`); a ward is always 0 minutes from itself.

An assignment that names an unknown person, ward, shift or mobile point, a date
outside the campaign, a need the point does not have, or a point in another ward
or on another day cannot be checked against the rules: :func:`check_invalid_assignment`
reports it (label ``invalid_assignment``) and every other function skips it.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta

from scheduler import timeline
from scheduler.cells import format_date
from scheduler.model import (
    MINUTES_PER_DAY,
    Assignment,
    Campaign,
    Person,
    Pool,
    Roster,
    ShiftKind,
    StaffNeed,
    Unfilled,
    WardDemand,
)
from scheduler.rules import COVERAGE_RULES, PEOPLE_RULES

logger = logging.getLogger(__name__)

Travel = Callable[[str, str], int]

POOL_ABBREVIATIONS = {Pool.STUDENT: "SV", Pool.TELECOM: "VT", Pool.TECHNICIAN: "KTV"}  # on printed rosters
INVALID_ASSIGNMENT = "invalid_assignment"
UNFILLED_MISMATCH = "unfilled_mismatch"
WEEK_DAYS = 7


@dataclass(frozen=True)
class Violation:
    """A breach of a people rule (or a roster that contradicts itself), in the coordinator's words.

    Attributes
    ----------
    rule : str
        The rule's label (``"max_weekly_hours"``), or ``"unfilled_mismatch"`` /
        ``"invalid_assignment"``.
    person_id, ward_code, date, shift_id, mobile_point_id
        Where it happened; None when the rule does not name it (a week's hours
        name the person and the week's first day only).
    message_vi : str
        What is wrong, in Vietnamese.
    """

    rule: str
    person_id: str | None
    ward_code: str | None
    date: date | None
    shift_id: str | None
    mobile_point_id: str | None
    message_vi: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message_vi}"


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify` found.

    Attributes
    ----------
    violations : tuple of Violation
        People rules broken, invalid assignments, and differences between the
        roster's declared unfilled list and the recomputed one.
    unfilled : tuple of Unfilled
        The shortfalls recomputed from the assignments, sorted (:func:`unfilled_sort_key`).
    objective : int
        The objective recomputed with the campaign's weights.
    terms : dict of str to int
        Each term of the objective, unweighted, in :class:`~scheduler.model.SoftWeights` order.
    asked : int
        Person-slots the coverage rules ask for.
    filled : int
        Of those, the ones filled (``asked`` minus the people missing).
    """

    violations: tuple[Violation, ...]
    unfilled: tuple[Unfilled, ...]
    objective: int
    terms: dict[str, int]
    asked: int
    filled: int

    @property
    def ok(self) -> bool:
        """True when there is no violation (unfilled slots are data, not violations)."""
        return not self.violations

    @property
    def coverage_percent(self) -> float:
        """Filled person-slots over asked person-slots, in percent (100 when nothing is asked)."""
        return 100.0 if self.asked == 0 else 100.0 * self.filled / self.asked

    def missing_by_rule(self) -> dict[str, int]:
        """People missing per coverage rule, every coverage rule listed."""
        totals = {label: 0 for label in COVERAGE_RULES}
        for slot in self.unfilled:
            totals[slot.rule] = totals.get(slot.rule, 0) + slot.missing
        return totals


# --- shared helpers ----------------------------------------------------------------------------


class _MemoTravel:
    """A travel function that keeps its answers, 0 for a ward to itself."""

    def __init__(self, travel: Travel) -> None:
        self._travel = travel
        self._cache: dict[tuple[str, str], int] = {}

    def __call__(self, code_a: str, code_b: str) -> int:
        if code_a == code_b:
            return 0
        key = (code_a, code_b)
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = int(self._travel(code_a, code_b))
        return value


def resolve_travel(travel: Travel | None = None) -> Travel:
    """A memoised travel function, 0 for a ward to itself; ``None`` means :func:`geo.travel.travel_minutes`."""
    if travel is None:
        from geo.travel import travel_minutes

        travel = travel_minutes
    if isinstance(travel, _MemoTravel):
        return travel
    return _MemoTravel(travel)


def assignment_sort_key(assignment: Assignment) -> tuple:
    """The canonical order of assignments: date, ward, shift or point, need, person."""
    return (
        assignment.date,
        assignment.ward_code,
        assignment.shift_id or "",
        assignment.mobile_point_id or "",
        -1 if assignment.need_index is None else assignment.need_index,
        assignment.person_id,
        assignment.covered_ward_codes,
    )


def unfilled_sort_key(slot: Unfilled) -> tuple:
    """The canonical order of unfilled slots: date, ward, rule (registry order), shift, point, need."""
    rule = COVERAGE_RULES.index(slot.rule) if slot.rule in COVERAGE_RULES else len(COVERAGE_RULES)
    return (
        slot.date,
        slot.ward_code,
        rule,
        slot.rule,
        slot.shift_id or "",
        slot.mobile_point_id or "",
        slot.need,
        slot.missing,
    )


def need_label(need: StaffNeed) -> str:
    """The ``need`` text of an unfilled mobile-point slot: the pool, the skill, or ``"pool+skill"``."""
    if need.pool is not None and need.skill is not None:
        return f"{need.pool.value}+{need.skill}"
    if need.pool is not None:
        return need.pool.value
    assert need.skill is not None  # a staff need names a pool or a skill
    return need.skill


def need_matches(need: StaffNeed, person: Person) -> bool:
    """Whether a person fills a staff need: the pool and the skill, when the need names them."""
    return (need.pool is None or person.pool is need.pool) and (need.skill is None or need.skill in person.skills)


def weekly_limit_minutes(campaign: Campaign, person: Person) -> int:
    """A person's weekly limit: their cap (own, student default or legal), never above the legal one."""
    return min(campaign.weekly_cap_hours(person), campaign.rules.max_work_hours_per_week) * 60


def is_service(campaign: Campaign, assignment: Assignment) -> bool:
    return assignment.shift_id is not None and assignment.shift_id in campaign.service_shift_ids


def week_dates(campaign: Campaign, week: int) -> tuple[date, date]:
    """The first and last campaign day of a week (the last week may be short)."""
    first = campaign.start_date + timedelta(days=WEEK_DAYS * week)
    return first, min(first + timedelta(days=WEEK_DAYS - 1), campaign.end_date)


def format_minutes(minutes: int) -> str:
    """A duration in Vietnamese: "8 giờ", "8 giờ 1 phút", "45 phút"."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        return f"{sign}{hours} giờ {rest} phút"
    return f"{sign}{hours} giờ" if hours else f"{sign}{rest} phút"


def ward_name(campaign: Campaign, code: str) -> str:
    """The ward's name, or its code when the campaign does not have it."""
    try:
        return campaign.ward(code).name
    except KeyError:
        return code


def slot_name(campaign: Campaign, assignment: Assignment) -> str:
    """ "ca sáng" or "điểm lưu động LD0001", for messages."""
    if assignment.shift_id is not None:
        name = campaign.shift(assignment.shift_id).name
        return name[:1].lower() + name[1:]
    return f"điểm lưu động {assignment.mobile_point_id}"


def _who(campaign: Campaign, person_id: str) -> str:
    return f"{campaign.person(person_id).name} ({person_id})"


def _where(campaign: Campaign, assignment: Assignment) -> str:
    return (
        f"{ward_name(campaign, assignment.ward_code)}, {format_date(assignment.date)}, "
        f"{slot_name(campaign, assignment)}"
    )


def _violation(rule: str, assignment: Assignment, message: str) -> Violation:
    return Violation(
        rule,
        assignment.person_id,
        assignment.ward_code,
        assignment.date,
        assignment.shift_id,
        assignment.mobile_point_id,
        message,
    )


def _invalid_reason(campaign: Campaign, assignment: Assignment) -> str | None:
    """Why an assignment cannot be checked against the rules, or None when it can."""
    if not campaign.has("people", assignment.person_id):
        return f"không có người mã '{assignment.person_id}' trong chiến dịch"
    if not campaign.has("wards", assignment.ward_code):
        return f"xã/phường '{assignment.ward_code}' không thuộc chiến dịch"
    if not campaign.contains_date(assignment.date):
        return f"ngày {format_date(assignment.date)} nằm ngoài chiến dịch"
    if assignment.shift_id is not None:
        if not campaign.has("shifts", assignment.shift_id):
            return f"không có ca '{assignment.shift_id}'"
    else:
        # an assignment without a shift names a mobile point and a need (Assignment checks that)
        assert assignment.mobile_point_id is not None and assignment.need_index is not None
        if not campaign.has("points", assignment.mobile_point_id):
            return f"không có điểm lưu động '{assignment.mobile_point_id}'"
        point = campaign.mobile_point(assignment.mobile_point_id)
        if not 0 <= assignment.need_index < len(point.staff_needed):
            return f"điểm lưu động {point.id} không có nhu cầu số {assignment.need_index}"
        if point.ward_code != assignment.ward_code or point.date != assignment.date:
            return (
                f"điểm lưu động {point.id} ở {ward_name(campaign, point.ward_code)} ngày "
                f"{format_date(point.date)}, không phải nơi và ngày của phân công"
            )
    unknown = [code for code in assignment.covered_ward_codes if not campaign.has("wards", code)]
    if unknown:
        return f"phụ trách xã/phường không thuộc chiến dịch: {', '.join(unknown)}"
    return None


class _Valid(list):
    """Assignments already filtered by :func:`valid_assignments`, so the rules do not filter them again."""


def valid_assignments(campaign: Campaign, assignments: Iterable[Assignment]) -> list[Assignment]:
    """The assignments the rules can be checked on (see :func:`check_invalid_assignment`)."""
    if isinstance(assignments, _Valid):
        return assignments
    return _Valid(a for a in assignments if _invalid_reason(campaign, a) is None)


def _by_person(campaign: Campaign, assignments: Iterable[Assignment]) -> dict[str, list[Assignment]]:
    grouped: dict[str, list[Assignment]] = defaultdict(list)
    for assignment in valid_assignments(campaign, assignments):
        grouped[assignment.person_id].append(assignment)
    return grouped


def _demands(campaign: Campaign) -> dict[str, WardDemand]:
    return {demand.ward_code: demand for demand in campaign.demands}


def _service_people(campaign: Campaign, assignments: Iterable[Assignment]) -> dict[tuple, set[str]]:
    """(ward, date, shift) -> the people with a service assignment there."""
    people: dict[tuple, set[str]] = defaultdict(set)
    for a in valid_assignments(campaign, assignments):
        if is_service(campaign, a):
            people[(a.ward_code, a.date, a.shift_id)].add(a.person_id)
    return people


# --- invalid assignments -----------------------------------------------------------------------


def check_invalid_assignment(campaign: Campaign, assignments: Iterable[Assignment]) -> list[Violation]:
    """Assignments that name what the campaign does not have; the rules skip them."""
    violations = []
    for assignment in assignments:
        reason = _invalid_reason(campaign, assignment)
        if reason is not None:
            violations.append(_violation(INVALID_ASSIGNMENT, assignment, f"phân công không hợp lệ: {reason}"))
    return violations


# --- people rules ------------------------------------------------------------------------------


def check_availability(campaign: Campaign, assignments: Iterable[Assignment]) -> list[Violation]:
    """People work only on the days and shifts they declared.

    A date among the person's unavailable dates is a breach, and so is a slot (a date and a shift or
    mobile point) they said they cannot do; so is a shift outside
    their available shifts when they declared some (a mobile point is not a shift:
    only its date is checked).
    """
    violations = []
    for a in valid_assignments(campaign, assignments):
        person, who = campaign.person(a.person_id), _who(campaign, a.person_id)
        if a.date in person.unavailable_dates:
            message = f"{who} đã đăng ký bận ngày {format_date(a.date)} nhưng được xếp vào {_where(campaign, a)}"
            violations.append(_violation("availability", a, message))
        elif (a.date, a.shift_id or a.mobile_point_id) in person.unavailable_slots:
            message = f"{who} đã báo không thể đến {_where(campaign, a)} nhưng vẫn được xếp vào đó"
            violations.append(_violation("availability", a, message))
        elif a.shift_id is not None and person.available_shift_ids and a.shift_id not in person.available_shift_ids:
            allowed = ", ".join(sorted(person.available_shift_ids))
            message = f"{who} chỉ đăng ký các ca {allowed} nhưng được xếp vào {_where(campaign, a)}"
            violations.append(_violation("availability", a, message))
    return violations


def check_eligibility(
    campaign: Campaign, assignments: Iterable[Assignment], travel: Travel | None = None
) -> list[Violation]:
    """The right person for the place.

    On-call assignments are technicians' and cover their own post; a mobile-point
    assignment matches its need (pool, skill) and the person's home ward is within
    ``mobile_point_travel_limit_minutes`` of the point's ward.
    """
    travel = resolve_travel(travel)
    limit = campaign.rules.mobile_point_travel_limit_minutes
    violations = []
    for a in valid_assignments(campaign, assignments):
        person = campaign.person(a.person_id)
        who = _who(campaign, a.person_id)
        if a.shift_id is not None:
            if campaign.shift(a.shift_id).kind is not ShiftKind.ONCALL:
                continue
            if person.pool is not Pool.TECHNICIAN:
                message = (
                    f"{who} là {person.pool.label_vi}, không phải kỹ thuật viên, nhưng được xếp trực ở "
                    f"{_where(campaign, a)}"
                )
                violations.append(_violation("eligibility", a, message))
            if a.ward_code not in a.covered_ward_codes:
                message = f"{who} trực tại {_where(campaign, a)} nhưng không phụ trách chính xã/phường nơi trực"
                violations.append(_violation("eligibility", a, message))
            continue
        assert a.mobile_point_id is not None and a.need_index is not None  # an assignment names a shift or a point
        point = campaign.mobile_point(a.mobile_point_id)
        need = point.staff_needed[a.need_index]
        if not need_matches(need, person):
            message = (
                f"{who} ({person.pool.label_vi}) không đúng nhu cầu '{need_label(need)}' của điểm lưu động {point.id}"
            )
            violations.append(_violation("eligibility", a, message))
        minutes = travel(person.home_ward_code, point.ward_code)
        if minutes > limit:
            message = f"{who} ở cách điểm lưu động {point.id} {minutes} phút, quá giới hạn {limit} phút"
            violations.append(_violation("eligibility", a, message))
    return violations


def check_night_eligibility(campaign: Campaign, assignments: Iterable[Assignment]) -> list[Violation]:
    """An assignment with any minute in the night window only for night-eligible people."""
    night_cache: dict[tuple, bool] = {}
    violations = []
    for a in valid_assignments(campaign, assignments):
        key = (a.shift_id, a.mobile_point_id)
        if key not in night_cache:
            night_cache[key] = timeline.is_night(campaign, a)
        if night_cache[key] and not campaign.person(a.person_id).night_eligible:
            message = f"{_who(campaign, a.person_id)} không được làm ban đêm nhưng được xếp vào {_where(campaign, a)}"
            violations.append(_violation("night_eligibility", a, message))
    return violations


def check_one_place_at_a_time(campaign: Campaign, assignments: Iterable[Assignment]) -> list[Violation]:
    """No two intervals of one person overlap (touching ends are fine)."""
    violations = []
    for person_id, own in sorted(_by_person(campaign, assignments).items()):
        spans = sorted(
            ((timeline.interval(campaign, a), a) for a in own), key=lambda span: (span[0], assignment_sort_key(span[1]))
        )
        latest: tuple[int, Assignment] | None = None  # the latest end so far and its assignment
        for (start, end), a in spans:
            if latest is not None and start < latest[0]:
                violations.append(
                    _violation(
                        "one_place_at_a_time",
                        a,
                        f"{_who(campaign, person_id)} cùng lúc ở "
                        f"{_where(campaign, a)} và {_where(campaign, latest[1])}",
                    )
                )
            if latest is None or end > latest[0]:
                latest = (end, a)
    return violations


def check_max_daily_hours(campaign: Campaign, assignments: Iterable[Assignment]) -> list[Violation]:
    """The minutes of a person's assignments starting on one date add up to at most the daily limit."""
    limit = campaign.rules.max_work_hours_per_day * 60
    minutes: Counter = Counter()
    for a in valid_assignments(campaign, assignments):
        minutes[(a.person_id, a.date)] += timeline.work_minutes(campaign, a)
    violations = []
    for (person_id, day), total in sorted(minutes.items()):
        if total > limit:
            violations.append(
                Violation(
                    "max_daily_hours",
                    person_id,
                    None,
                    day,
                    None,
                    None,
                    f"{_who(campaign, person_id)} làm {format_minutes(total)} ngày "
                    f"{format_date(day)}, quá {format_minutes(limit)} mỗi ngày",
                )
            )
    return violations


def check_max_weekly_hours(campaign: Campaign, assignments: Iterable[Assignment]) -> list[Violation]:
    """The minutes of a person's assignments in one week (by their date) add up to at most their weekly limit."""
    minutes: Counter = Counter()
    for a in valid_assignments(campaign, assignments):
        minutes[(a.person_id, campaign.week_index(a.date))] += timeline.work_minutes(campaign, a)
    violations = []
    for (person_id, week), total in sorted(minutes.items()):
        limit = weekly_limit_minutes(campaign, campaign.person(person_id))
        if total > limit:
            first, last = week_dates(campaign, week)
            violations.append(
                Violation(
                    "max_weekly_hours",
                    person_id,
                    None,
                    first,
                    None,
                    None,
                    f"{_who(campaign, person_id)} làm {format_minutes(total)} trong tuần "
                    f"{week + 1} ({format_date(first)} – {format_date(last)}), quá mức "
                    f"{format_minutes(limit)}",
                )
            )
    return violations


def check_min_rest_between_shifts(campaign: Campaign, assignments: Iterable[Assignment]) -> list[Violation]:
    """On consecutive working dates, the earliest start of the second is the rest after the latest end of the first."""
    rest = campaign.rules.min_rest_between_shifts_hours * 60
    violations = []
    for person_id, own in sorted(_by_person(campaign, assignments).items()):
        first_start: dict[date, int] = {}
        last_end: dict[date, int] = {}
        for a in own:
            start, end = timeline.interval(campaign, a)
            first_start[a.date] = min(start, first_start.get(a.date, start))
            last_end[a.date] = max(end, last_end.get(a.date, end))
        for day in sorted(first_start):
            following = day + timedelta(days=1)
            if following in first_start:
                gap = first_start[following] - last_end[day]
                if gap < rest:
                    violations.append(
                        Violation(
                            "min_rest_between_shifts",
                            person_id,
                            None,
                            following,
                            None,
                            None,
                            f"{_who(campaign, person_id)} chỉ nghỉ {format_minutes(gap)} từ khi kết thúc ngày "
                            f"{format_date(day)} đến khi bắt đầu ngày {format_date(following)}, cần ít nhất "
                            f"{format_minutes(rest)}",
                        )
                    )
    return violations


def check_min_weekly_rest(campaign: Campaign, assignments: Iterable[Assignment]) -> list[Violation]:
    """Each full week has a day off: a date with no start, and the weekly rest from the latest end before it
    (or the campaign's start) to the earliest start after it (or the campaign's end)."""
    rest = campaign.rules.min_weekly_rest_hours * 60
    campaign_end = campaign.days * MINUTES_PER_DAY
    violations = []
    for person_id, own in sorted(_by_person(campaign, assignments).items()):
        spans = sorted((a.date, *timeline.interval(campaign, a)) for a in own)
        start_dates = {day for day, _, _ in spans}
        for week in timeline.full_weeks(campaign):
            first, last = week_dates(campaign, week)
            longest = None
            day = first
            while day <= last:
                if day not in start_dates:
                    before = max((end for d, _, end in spans if d < day), default=0)
                    after = min((begin for d, begin, _ in spans if d > day), default=campaign_end)
                    longest = after - before if longest is None else max(longest, after - before)
                day += timedelta(days=1)
            if longest is None or longest < rest:
                found = (
                    "không có ngày nào không làm việc"
                    if longest is None
                    else f"nghỉ quanh ngày nghỉ dài nhất {format_minutes(longest)}"
                )
                message = (
                    f"{_who(campaign, person_id)} {found} trong tuần {week + 1} "
                    f"({format_date(first)} – {format_date(last)}), cần ít nhất {format_minutes(rest)}"
                )
                violations.append(Violation("min_weekly_rest", person_id, None, first, None, None, message))
    return violations


def check_one_ward_per_student(campaign: Campaign, assignments: Iterable[Assignment]) -> list[Violation]:
    """A student's service-shift assignments are all in one ward (mobile points, which go to people, aside).

    Each service assignment of a student outside the ward of their first one (in date order) is a breach.
    """
    first_ward: dict[str, Assignment] = {}
    violations = []
    for a in sorted(valid_assignments(campaign, assignments), key=assignment_sort_key):
        if not is_service(campaign, a) or campaign.person(a.person_id).pool is not Pool.STUDENT:
            continue
        first = first_ward.setdefault(a.person_id, a)
        if first.ward_code != a.ward_code:
            message = (
                f"{_who(campaign, a.person_id)} là sinh viên đã hỗ trợ tại {ward_name(campaign, first.ward_code)} "
                f"nhưng được xếp thêm vào {_where(campaign, a)}"
            )
            violations.append(_violation("one_ward_per_student", a, message))
    return violations


def _pin_key(assignment: Assignment) -> tuple:
    return (
        assignment.person_id,
        assignment.ward_code,
        assignment.date,
        assignment.shift_id,
        assignment.mobile_point_id,
        assignment.need_index,
    )


def check_pinned(campaign: Campaign, assignments: Iterable[Assignment]) -> list[Violation]:
    """Every pinned assignment is in the roster as given (covering at least the wards the pin lists)."""
    if not campaign.pins:
        return []
    covered: dict[tuple, list[set[str]]] = defaultdict(list)
    for a in assignments:
        covered[_pin_key(a)].append(set(a.covered_ward_codes))
    violations = []
    for pin in sorted(campaign.pins, key=assignment_sort_key):
        if not any(set(pin.covered_ward_codes) <= wards for wards in covered.get(_pin_key(pin), ())):
            violations.append(
                _violation(
                    "pinned",
                    pin,
                    f"phân công đã ghim không có trong lịch: {_who(campaign, pin.person_id)} ở {_where(campaign, pin)}",
                )
            )
    return violations


PEOPLE_CHECKS = {
    "availability": check_availability,
    "eligibility": check_eligibility,
    "night_eligibility": check_night_eligibility,
    "one_place_at_a_time": check_one_place_at_a_time,
    "max_daily_hours": check_max_daily_hours,
    "max_weekly_hours": check_max_weekly_hours,
    "min_rest_between_shifts": check_min_rest_between_shifts,
    "min_weekly_rest": check_min_weekly_rest,
    "one_ward_per_student": check_one_ward_per_student,
    "pinned": check_pinned,
}
assert tuple(PEOPLE_CHECKS) == PEOPLE_RULES, "one check per people rule, in the registry's order"


def check_people_rules(
    campaign: Campaign, assignments: Iterable[Assignment], travel: Travel | None = None
) -> list[Violation]:
    """Invalid assignments, then every people rule in the registry's order."""
    assignments = list(assignments)
    violations = check_invalid_assignment(campaign, assignments)
    usable = valid_assignments(campaign, assignments)
    for label, check in PEOPLE_CHECKS.items():
        if label == "pinned":  # a pin is matched against every assignment as given
            violations.extend(check(campaign, assignments))
            continue
        found = check_eligibility(campaign, usable, travel) if label == "eligibility" else check(campaign, usable)
        violations.extend(found)
    return violations


# --- coverage rules ----------------------------------------------------------------------------


def shortfall_min_support_staff(campaign: Campaign, assignments: Iterable[Assignment]) -> list[Unfilled]:
    """Per ward, date and service shift of the ward: ``max(0, min_support_staff − #people on it)``."""
    people = _service_people(campaign, assignments)
    unfilled = []
    for demand in campaign.demands:
        if demand.min_support_staff <= 0:
            continue
        for day in campaign.dates:
            for shift_id in demand.service_shift_ids:
                missing = demand.min_support_staff - len(people.get((demand.ward_code, day, shift_id), ()))
                if missing > 0:
                    unfilled.append(Unfilled("min_support_staff", demand.ward_code, day, shift_id, missing))
    return unfilled


def shortfall_telecom_presence(campaign: Campaign, assignments: Iterable[Assignment]) -> list[Unfilled]:
    """Per ward and date: ``max(0, min_telecom − #telecom people with a service or mobile-point assignment)``."""
    telecom: dict[tuple, set[str]] = defaultdict(set)
    for a in valid_assignments(campaign, assignments):
        if campaign.person(a.person_id).pool is Pool.TELECOM and (
            a.mobile_point_id is not None or is_service(campaign, a)
        ):
            telecom[(a.ward_code, a.date)].add(a.person_id)
    unfilled = []
    for demand in campaign.demands:
        if demand.min_telecom_staff_per_day <= 0:
            continue
        for day in campaign.dates:
            missing = demand.min_telecom_staff_per_day - len(telecom.get((demand.ward_code, day), ()))
            if missing > 0:
                unfilled.append(
                    Unfilled("telecom_presence", demand.ward_code, day, None, missing, need=Pool.TELECOM.value)
                )
    return unfilled


def oncall_coverage(
    campaign: Campaign, assignments: Iterable[Assignment], travel: Travel | None = None
) -> set[tuple[str, date, str]]:
    """The (ward, date, shift) with a responsible technician, as ``oncall_24_7`` counts them.

    A service shift counts when a technician has a service assignment there; an
    on-call shift when a technician's on-call assignment lists the ward among its
    covered wards and is posted within the ward's night response limit.
    """
    travel = resolve_travel(travel)
    demands = _demands(campaign)
    covered = set()
    for a in valid_assignments(campaign, assignments):
        if a.shift_id is None:
            continue
        for code in responsible_wards(campaign, a, travel, demands):
            covered.add((code, a.date, a.shift_id))
    return covered


def responsible_wards(
    campaign: Campaign, assignment: Assignment, travel: Travel, demands: dict | None = None
) -> tuple[str, ...]:
    """The wards a (valid) assignment makes its technician responsible for, as ``oncall_24_7`` counts them.

    A technician's service shift: the ward itself. An on-call shift: each covered ward the
    post reaches within that ward's night response limit. Anything else: none.
    """
    if assignment.shift_id is None or campaign.person(assignment.person_id).pool is not Pool.TECHNICIAN:
        return ()
    if campaign.shift(assignment.shift_id).kind is ShiftKind.SERVICE:
        return (assignment.ward_code,)
    demands = _demands(campaign) if demands is None else demands
    return tuple(
        code
        for code in assignment.covered_ward_codes
        if (demand := demands.get(code)) is not None
        and travel(assignment.ward_code, code) <= demand.night_response_limit_minutes
    )


def shortfall_oncall_24_7(
    campaign: Campaign, assignments: Iterable[Assignment], travel: Travel | None = None
) -> list[Unfilled]:
    """Per ward with 24/7 duty, date, and each of its service shifts and each on-call shift: 1 without a technician."""
    covered = oncall_coverage(campaign, assignments, travel)
    oncall_ids = [shift.id for shift in campaign.shifts if shift.kind is ShiftKind.ONCALL]
    unfilled = []
    for demand in campaign.demands:
        if not demand.oncall_24_7:
            continue
        for day in campaign.dates:
            for shift_id in (*demand.service_shift_ids, *oncall_ids):
                if (demand.ward_code, day, shift_id) not in covered:
                    unfilled.append(Unfilled("oncall_24_7", demand.ward_code, day, shift_id, 1, need="technician"))
    return unfilled


def shortfall_mobile_point_staffing(campaign: Campaign, assignments: Iterable[Assignment]) -> list[Unfilled]:
    """Per mobile point and need: ``max(0, count − #assignments to that need)``."""
    counts = Counter(
        (a.mobile_point_id, a.need_index)
        for a in valid_assignments(campaign, assignments)
        if a.mobile_point_id is not None
    )
    unfilled = []
    for point in campaign.mobile_points:
        for index, need in enumerate(point.staff_needed):
            missing = need.count - counts.get((point.id, index), 0)
            if missing > 0:
                unfilled.append(
                    Unfilled(
                        "mobile_point_staffing",
                        point.ward_code,
                        point.date,
                        None,
                        missing,
                        mobile_point_id=point.id,
                        need=need_label(need),
                    )
                )
    return unfilled


def unfilled_slots(
    campaign: Campaign, assignments: Iterable[Assignment], travel: Travel | None = None
) -> list[Unfilled]:
    """Every shortfall of the coverage rules, sorted by :func:`unfilled_sort_key`.

    This is the list a roster must declare as its ``unfilled``.
    """
    assignments = valid_assignments(campaign, assignments)
    unfilled = (
        shortfall_min_support_staff(campaign, assignments)
        + shortfall_telecom_presence(campaign, assignments)
        + shortfall_oncall_24_7(campaign, assignments, travel)
        + shortfall_mobile_point_staffing(campaign, assignments)
    )
    unfilled.sort(key=unfilled_sort_key)
    return unfilled


def asked_person_slots(campaign: Campaign) -> dict[str, int]:
    """Person-slots each coverage rule asks for over the whole campaign."""
    oncall_shifts = sum(1 for shift in campaign.shifts if shift.kind is ShiftKind.ONCALL)
    asked = {label: 0 for label in COVERAGE_RULES}
    for demand in campaign.demands:
        asked["min_support_staff"] += campaign.days * len(demand.service_shift_ids) * demand.min_support_staff
        asked["telecom_presence"] += campaign.days * demand.min_telecom_staff_per_day
        if demand.oncall_24_7:
            asked["oncall_24_7"] += campaign.days * (len(demand.service_shift_ids) + oncall_shifts)
    asked["mobile_point_staffing"] = sum(point.total_staff for point in campaign.mobile_points)
    return asked


def check_unfilled_mismatch(declared: Iterable[Unfilled], recomputed: Iterable[Unfilled]) -> list[Violation]:
    """One violation per unfilled record the roster declares but the assignments do not leave, and vice versa.

    The lists are compared as multisets: order does not matter, repetition does.
    """
    declared, recomputed = Counter(declared), Counter(recomputed)
    violations = []
    for extra, wording in (
        (declared - recomputed, "lịch khai báo nhưng tính lại từ các phân công thì không có"),
        (recomputed - declared, "tính lại thấy nhưng lịch không khai báo"),
    ):
        for slot, count in sorted(extra.items(), key=lambda item: unfilled_sort_key(item[0])):
            where = f"{slot.ward_code}, {format_date(slot.date)}, {slot.shift_id or slot.mobile_point_id or 'cả ngày'}"
            message = f"ca thiếu {slot.missing} người ({slot.rule}, {where}): {wording} (×{count})"
            violations.append(
                Violation(
                    UNFILLED_MISMATCH, None, slot.ward_code, slot.date, slot.shift_id, slot.mobile_point_id, message
                )
            )
    return violations


# --- the objective -----------------------------------------------------------------------------


def term_unfilled(unfilled: Iterable[Unfilled]) -> int:
    """Σ missing over all unfilled records."""
    return sum(slot.missing for slot in unfilled)


def term_travel_minutes(campaign: Campaign, assignments: Iterable[Assignment], travel: Travel | None = None) -> int:
    """Σ over assignments of the minutes from the person's home ward to the assignment's ward."""
    travel = resolve_travel(travel)
    return sum(
        travel(campaign.person(a.person_id).home_ward_code, a.ward_code)
        for a in valid_assignments(campaign, assignments)
    )


def term_continuity(campaign: Campaign, assignments: Iterable[Assignment]) -> int:
    """Σ over people of max(0, #distinct wards they work in − 1)."""
    wards: dict[str, set[str]] = defaultdict(set)
    for a in valid_assignments(campaign, assignments):
        wards[a.person_id].add(a.ward_code)
    return sum(len(codes) - 1 for codes in wards.values())


def term_school_together(campaign: Campaign, assignments: Iterable[Assignment]) -> int:
    """Σ over wards of max(0, #distinct schools among the students working there − 1)."""
    schools: dict[str, set[str]] = defaultdict(set)
    for a in valid_assignments(campaign, assignments):
        person = campaign.person(a.person_id)
        if person.pool is Pool.STUDENT:
            schools[a.ward_code].add(person.organisation)
    return sum(len(names) - 1 for names in schools.values())


def term_fair_spread(campaign: Campaign, assignments: Iterable[Assignment]) -> int:
    """Σ over people and weeks of max(0, #nights − 2) + max(0, #Saturday/Sunday assignments − 1)."""
    nights: Counter = Counter()
    weekends: Counter = Counter()
    night_cache: dict[tuple, bool] = {}
    for a in valid_assignments(campaign, assignments):
        key = (a.person_id, campaign.week_index(a.date))
        slot = (a.shift_id, a.mobile_point_id)
        if slot not in night_cache:
            night_cache[slot] = timeline.is_night(campaign, a)
        nights[key] += night_cache[slot]
        weekends[key] += timeline.is_weekend(a.date)
    return sum(max(0, count - 2) for count in nights.values()) + sum(max(0, count - 1) for count in weekends.values())


def term_preferences(campaign: Campaign, assignments: Iterable[Assignment]) -> int:
    """Σ over assignments of people who named preferred wards, of 1 when the ward is not among them."""
    total = 0
    for a in valid_assignments(campaign, assignments):
        preferred = campaign.person(a.person_id).preferred_ward_codes
        total += bool(preferred) and a.ward_code not in preferred
    return total


def term_peak_students(campaign: Campaign, assignments: Iterable[Assignment]) -> int:
    """Σ over wards, their peak dates (within the campaign) and service shifts of the extra people missing.

    Each is ``min(extra, max(0, min_support_staff + extra − #people on (ward, date, shift)))``.
    """
    people = _service_people(campaign, assignments)
    total = 0
    for demand in campaign.demands:
        extra = demand.extra_students_on_peak
        if extra <= 0:
            continue
        for day in sorted(d for d in demand.peak_dates if campaign.contains_date(d)):
            for shift_id in demand.service_shift_ids:
                present = len(people.get((demand.ward_code, day, shift_id), ()))
                total += min(extra, max(0, demand.min_support_staff + extra - present))
    return total


def objective(
    campaign: Campaign, assignments: Iterable[Assignment], unfilled: Iterable[Unfilled], travel: Travel | None = None
) -> tuple[int, dict[str, int]]:
    """The objective with the campaign's weights, and each unweighted term.

    Parameters
    ----------
    campaign
        Its ``weights`` (:class:`~scheduler.model.SoftWeights`) weigh the terms.
    assignments
        The roster's assignments (invalid ones are skipped).
    unfilled
        The shortfalls (normally :func:`unfilled_slots` of the same assignments).
    travel
        ``(code_a, code_b) -> minutes``; default :func:`geo.travel.travel_minutes`.
    people
        Check the people rules for these people only (a repair's people touched, when the rest of the
        roster was checked before); coverage and the objective are always recomputed in full.

    Returns
    -------
    value, terms
        ``value = Σ weight × term``; ``terms`` in :class:`~scheduler.model.SoftWeights` field order.
    """
    assignments = valid_assignments(campaign, assignments)
    terms = {
        "unfilled": term_unfilled(unfilled),
        "travel_minutes": term_travel_minutes(campaign, assignments, travel),
        "continuity": term_continuity(campaign, assignments),
        "school_together": term_school_together(campaign, assignments),
        "fair_spread": term_fair_spread(campaign, assignments),
        "preferences": term_preferences(campaign, assignments),
        "peak_students": term_peak_students(campaign, assignments),
    }
    names = [f.name for f in fields(campaign.weights)]
    assert list(terms) == names, "one term per weight"
    value = sum(getattr(campaign.weights, name) * terms[name] for name in names)
    return value, terms


# --- the whole roster --------------------------------------------------------------------------


def verify(
    campaign: Campaign, roster: Roster, travel: Travel | None = None, people: set[str] | None = None
) -> VerifyReport:
    """Check a roster against every rule, recompute its shortfalls, objective and coverage.

    Parameters
    ----------
    campaign
        The campaign the roster is for.
    roster
        Its assignments and declared ``unfilled`` list.
    travel
        ``(code_a, code_b) -> minutes``; default :func:`geo.travel.travel_minutes`.

    Returns
    -------
    VerifyReport
        ``report.ok`` when no people rule is broken, no assignment is invalid and the
        declared unfilled list equals the recomputed one (as multisets).
    """
    travel = resolve_travel(travel)
    if roster.campaign_name != campaign.name:
        logger.warning("roster of campaign %r checked against campaign %r", roster.campaign_name, campaign.name)
    assignments = sorted(roster.assignments, key=assignment_sort_key)
    if people is None:
        violations = check_people_rules(campaign, assignments, travel)
    else:  # the people rules hold person by person: checking those whose work changed is enough
        mine = [a for a in assignments if a.person_id in people]
        pins = tuple(pin for pin in campaign.pins if pin.person_id in people)
        violations = check_people_rules(replace(campaign, pins=pins), mine, travel)
    usable = valid_assignments(campaign, assignments)
    unfilled = unfilled_slots(campaign, usable, travel)
    violations += check_unfilled_mismatch(roster.unfilled, unfilled)
    value, terms = objective(campaign, usable, unfilled, travel)
    asked = sum(asked_person_slots(campaign).values())
    report = VerifyReport(tuple(violations), tuple(unfilled), value, terms, asked, asked - term_unfilled(unfilled))
    logger.info(
        "verified %d assignments: %d violations, %d unfilled slots, objective %d, coverage %.2f%%",
        len(assignments),
        len(violations),
        len(unfilled),
        value,
        report.coverage_percent,
    )
    return report
