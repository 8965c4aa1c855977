"""Dispatch: which technician to send to a ward's incident, best first, with the reasons in words.

The roster says who is responsible for each ward at each hour (``oncall_24_7``:
a technician on site in the service shifts, the cluster's on-call technician in
the others). When a ward reports an incident, :func:`candidates` lists, in the
order of preference the campaign asks for:

1. the technician responsible for that ward now;
2. the others on duty or on call who can arrive within the ward's response limit
   (``day_response_limit_minutes`` in service hours, ``night_response_limit_minutes`` otherwise);
3. technicians off duty whom the people's calendar lets be called out: the call-out
   is recorded as the current slot at the incident's ward (:attr:`Candidate.callout`),
   so it counts as working time for every labour rule, like any assignment.

Candidates who cannot arrive within the limit come last, soonest first. Among
the others, candidates after the responsible one are ranked by a score in
minutes: the arrival, a penalty when their skills do not match the category,
the ward-minutes left with no responsible technician while they are away
(coverage lost), their hours already worked that day and, for a call-out, the
cost of calling someone off their rest. Each candidate carries a reason in
Vietnamese ("đến sau 12 phút; rời Phường X, Phường Y sẽ không có người trực
trong ~40 phút").

The module also owns the incident's vocabulary (categories, the lifecycle's
states and the steps between them) and the figures the daily report prints
(:func:`incident_figures`, :func:`uncovered_minutes`). It imports no web, solver
or geo code; travel minutes come in as a function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scheduler.calendar import Calendar
from scheduler.model import Assignment, Campaign, Person, Pool, Shift, ShiftKind
from scheduler.verify import resolve_travel, responsible_wards

Travel = Callable[[str, str], int]


# --------------------------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Category:
    """What kind of problem a ward reports."""

    code: str
    label_vi: str
    skill: str | None  # the technician skill that matches it (people.csv's skills column); None: anyone
    service_minutes: int  # typical minutes on site to resolve it (coverage estimates and the simulator)


CATEGORIES: dict[str, Category] = {
    c.code: c
    for c in (
        Category("network", "Mạng, đường truyền", "mang", 45),
        Category("computer", "Máy tính, máy in", "may_tinh", 40),
        Category("portal", "Cổng dịch vụ công, phần mềm một cửa", "mot_cua_dien_tu", 35),
        Category("signature", "Chữ ký số", "chu_ky_so", 30),
        Category("vneid", "VNeID, iHanoi", "vneid", 25),
        Category("procedure", "Hỏi đáp thủ tục, nghiệp vụ", None, 20),
    )
}

# The lifecycle: reported → assigned → acknowledged → on the way → arrived → resolved (or
# resolved remotely by phone), or cancelled; reassigning goes back to "assigned".
REPORTED = "reported"
ASSIGNED = "assigned"
ACKNOWLEDGED = "acknowledged"
ON_THE_WAY = "on_the_way"
ARRIVED = "arrived"
RESOLVED = "resolved"
RESOLVED_REMOTE = "resolved_remote"
CANCELLED = "cancelled"

STATES = (REPORTED, ASSIGNED, ACKNOWLEDGED, ON_THE_WAY, ARRIVED, RESOLVED, RESOLVED_REMOTE, CANCELLED)
STATE_LABELS_VI = {
    REPORTED: "Đã báo",
    ASSIGNED: "Đã giao",
    ACKNOWLEDGED: "Đã nhận",
    ON_THE_WAY: "Đang đến",
    ARRIVED: "Đã đến",
    RESOLVED: "Đã xử lý",
    RESOLVED_REMOTE: "Đã xử lý qua điện thoại",
    CANCELLED: "Đã huỷ",
}
CLOSED_STATES = frozenset({RESOLVED, RESOLVED_REMOTE, CANCELLED})
ENGAGED_STATES = frozenset({ASSIGNED, ACKNOWLEDGED, ON_THE_WAY, ARRIVED})  # a technician is taken by it

# The technician's own steps, and the desk's (assign and reassign go to "assigned").
NEXT_STATES: dict[str, frozenset[str]] = {
    REPORTED: frozenset({ASSIGNED, CANCELLED}),
    ASSIGNED: frozenset({ASSIGNED, ACKNOWLEDGED, ON_THE_WAY, RESOLVED_REMOTE, CANCELLED}),
    ACKNOWLEDGED: frozenset({ASSIGNED, ON_THE_WAY, ARRIVED, RESOLVED_REMOTE, CANCELLED}),
    ON_THE_WAY: frozenset({ASSIGNED, ARRIVED, RESOLVED_REMOTE, CANCELLED}),
    ARRIVED: frozenset({ASSIGNED, RESOLVED, CANCELLED}),
    RESOLVED: frozenset(),
    RESOLVED_REMOTE: frozenset(),
    CANCELLED: frozenset(),
}


def can_move(state: str, to: str) -> bool:
    """Whether the lifecycle allows going from ``state`` to ``to``."""
    return to in NEXT_STATES.get(state, frozenset())


# --------------------------------------------------------------------------------------------- the roster now


def slots_at(campaign: Campaign, at: datetime) -> list[tuple[date, Shift]]:
    """The (date, shift) slots running at ``at`` (a night shift belongs to the date it starts)."""
    running = []
    for days_back in (0, 1):
        day = at.date() - timedelta(days=days_back)
        if not campaign.contains_date(day):
            continue
        midnight = datetime.combine(day, datetime.min.time())
        minute = int((at - midnight).total_seconds() // 60)
        for shift in campaign.shifts:
            if shift.start_minute <= minute < shift.end_minute:
                running.append((day, shift))
    return running


def in_service_hours(campaign: Campaign, ward_code: str, at: datetime) -> bool:
    """Whether one of the ward's service shifts is running at ``at``."""
    demand = campaign.demand(ward_code) if campaign.has("wards", ward_code) else None
    shift_ids = set(demand.service_shift_ids) if demand is not None else set(campaign.service_shift_ids)
    return any(shift.id in shift_ids for _, shift in slots_at(campaign, at))


def response_limit_minutes(campaign: Campaign, ward_code: str, at: datetime) -> int:
    """The ward's arrival limit at ``at``: the day-time limit in its service hours, its night limit otherwise."""
    if in_service_hours(campaign, ward_code, at):
        return campaign.rules.day_response_limit_minutes
    try:
        return campaign.demand(ward_code).night_response_limit_minutes
    except KeyError:
        return campaign.rules.night_response_limit_minutes


def on_duty(campaign: Campaign, assignments: Iterable[Assignment], at: datetime) -> dict[str, Assignment]:
    """Technicians at work at ``at``: person id → the shift assignment they are on."""
    running = {(day, shift.id) for day, shift in slots_at(campaign, at)}
    duty = {}
    for a in assignments:
        if a.shift_id is None or (a.date, a.shift_id) not in running:
            continue
        if campaign.has("people", a.person_id) and campaign.person(a.person_id).pool is Pool.TECHNICIAN:
            duty[a.person_id] = a
    return duty


def responsible_now(
    campaign: Campaign, assignments: Iterable[Assignment], at: datetime, travel: Travel | None = None
) -> dict[str, list[str]]:
    """Ward code → the technicians responsible for it at ``at``, as ``oncall_24_7`` counts them."""
    travel = resolve_travel(travel)
    wards: dict[str, list[str]] = {}
    for person_id, a in sorted(on_duty(campaign, assignments, at).items()):
        for code in responsible_wards(campaign, a, travel):
            wards.setdefault(code, []).append(person_id)
    return wards


# --------------------------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class Incident:
    """A problem a ward reported: what the ranking needs to know of it."""

    id: str
    ward_code: str
    category: str  # a key of CATEGORIES
    urgent: bool  # service at the counter is blocked
    reported_at: datetime


@dataclass(frozen=True)
class Engagement:
    """A technician taken by an incident: where they are (or go) and when they will be free there."""

    person_id: str
    ward_code: str  # the incident's ward
    free_at: datetime  # expected end of the work there


@dataclass(frozen=True)
class Candidate:
    """Someone who could go, with why they rank where they do."""

    person_id: str
    name: str
    tier: str  # "responsible", "on_duty" or "call_out"
    from_ward_code: str  # where they set out from: their post, the incident they are at, or home
    arrival_minutes: int
    limit_minutes: int
    skill_match: bool
    busy_minutes: int  # minutes until they are free of the incident they are at (0 when free)
    uncovered: tuple[tuple[str, int], ...]  # (ward code, minutes) left with no responsible technician
    day_minutes: int  # minutes already worked that day
    callout: Assignment | None  # the slot a call-out is recorded as
    score: float  # lower is better (minutes)
    reason_vi: str

    @property
    def within_limit(self) -> bool:
        return self.arrival_minutes <= self.limit_minutes

    @property
    def uncovered_minutes(self) -> int:
        return sum(minutes for _, minutes in self.uncovered)


SKILL_MISMATCH_MINUTES = 15  # score: a technician without the category's skill counts as 15 minutes farther
UNCOVERED_WEIGHT = 0.10  # score: each ward-minute left uncovered counts as a tenth of an arrival minute
LOAD_MINUTES_PER_HOUR = 1.0  # score: one minute per hour already worked that day
CALLOUT_MINUTES = 20  # score: calling someone off their rest counts as 20 minutes farther
CALLOUT_READY_MINUTES = 10  # arrival: someone off duty needs 10 minutes more to set out
TIER_ORDER = {"responsible": 0, "on_duty": 1, "call_out": 1}  # on duty and call-outs compete by score


def candidates(
    campaign: Campaign,
    assignments: Iterable[Assignment],
    incident: Incident,
    now: datetime,
    travel: Travel | None = None,
    *,
    engagements: Iterable[Engagement] = (),
    callouts: Iterable[Assignment] = (),
    exclude: Iterable[str] = (),
    limit: int | None = 3,
    calendar: Calendar | None = None,
) -> list[Candidate]:
    """The technicians who could go to ``incident`` at ``now``, best first (``limit`` of them; None: all).

    ``assignments`` is the roster in force (the published one with the events applied);
    ``callouts`` the call-outs recorded so far (working time like any assignment);
    ``engagements`` the technicians already taken by incidents; ``exclude`` people not to
    offer again (the one who did not acknowledge). ``calendar``, when the caller keeps
    one, must hold ``assignments`` and ``callouts``.
    """
    travel = resolve_travel(travel)
    assignments = list(assignments)
    callouts = list(callouts)
    worked = assignments + callouts
    category = CATEGORIES[incident.category]
    limit_minutes = response_limit_minutes(campaign, incident.ward_code, now)
    busy = {e.person_id: e for e in engagements}
    excluded = set(exclude)
    duty = on_duty(campaign, worked, now)
    responsible: dict[str, set[str]] = {}  # ward -> technicians responsible and free
    duty_wards: dict[str, tuple[str, ...]] = {}
    for person_id, a in duty.items():
        duty_wards[person_id] = responsible_wards(campaign, a, travel)
        if person_id not in busy:
            for code in duty_wards[person_id]:
                responsible.setdefault(code, set()).add(person_id)
    if calendar is None:
        calendar = Calendar(campaign, worked, travel)
    day_index = (now.date() - campaign.start_date).days
    found: list[Candidate] = []

    for person_id, a in duty.items():
        if person_id in excluded:
            continue
        person = campaign.person(person_id)
        engagement = busy.get(person_id)
        busy_minutes = 0
        origin = a.ward_code
        if engagement is not None:
            busy_minutes = max(0, math.ceil((engagement.free_at - now).total_seconds() / 60))
            origin = engagement.ward_code
        arrival = busy_minutes + travel(origin, incident.ward_code)
        tier = "responsible" if incident.ward_code in duty_wards[person_id] else "on_duty"
        uncovered: list[tuple[str, int]] = []
        if engagement is None:  # leaving the post: the wards only they answer for go uncovered
            away = arrival + category.service_minutes + travel(incident.ward_code, a.ward_code)
            for code in duty_wards[person_id]:
                if code != incident.ward_code and responsible.get(code, set()) <= {person_id}:
                    uncovered.append((code, away))
        found.append(
            _candidate(
                campaign,
                person,
                tier,
                origin,
                arrival,
                limit_minutes,
                category,
                busy_minutes,
                uncovered,
                _day_minutes(calendar, person_id, day_index),
                None,
            )
        )

    callout_slot = _callout_slot(campaign, incident.ward_code, now)
    if callout_slot is not None:
        day, shift = callout_slot
        covered = (incident.ward_code,) if shift.kind is ShiftKind.ONCALL else ()
        for person in campaign.people_in(Pool.TECHNICIAN):
            if person.id in duty or person.id in excluded or person.id in busy:
                continue
            callout = Assignment(person.id, incident.ward_code, day, shift.id, covered_ward_codes=covered)
            if calendar.breaks(callout, first=True):
                continue
            arrival = CALLOUT_READY_MINUTES + travel(person.home_ward_code, incident.ward_code)
            found.append(
                _candidate(
                    campaign,
                    person,
                    "call_out",
                    person.home_ward_code,
                    arrival,
                    limit_minutes,
                    category,
                    0,
                    [],
                    _day_minutes(calendar, person.id, day_index),
                    callout,
                )
            )

    found.sort(key=rank_key)
    return found if limit is None else found[:limit]


def rank_key(candidate: Candidate) -> tuple:
    """Within the limit first (the responsible technician first among them when free), then by score; the rest
    by arrival.

    A responsible technician still at another incident competes by score with the others: waiting for them
    when someone free arrives sooner made late arrivals more likely in the simulator
    (benchmarks/dispatch_sim.py).
    """
    if candidate.within_limit:
        tier = TIER_ORDER[candidate.tier] if candidate.busy_minutes == 0 else TIER_ORDER["on_duty"]
        return (0, tier, candidate.score, candidate.person_id)
    return (1, candidate.arrival_minutes, candidate.score, candidate.person_id)


def _candidate(
    campaign: Campaign,
    person: Person,
    tier: str,
    origin: str,
    arrival: int,
    limit_minutes: int,
    category: Category,
    busy_minutes: int,
    uncovered: list[tuple[str, int]],
    day_minutes: int,
    callout: Assignment | None,
) -> Candidate:
    skill_match = category.skill is None or category.skill in person.skills
    score = (
        arrival
        + (0 if skill_match else SKILL_MISMATCH_MINUTES)
        + UNCOVERED_WEIGHT * sum(minutes for _, minutes in uncovered)
        + LOAD_MINUTES_PER_HOUR * day_minutes / 60
        + (CALLOUT_MINUTES if callout is not None else 0)
    )
    reason = _reason(
        campaign, tier, origin, arrival, limit_minutes, category, skill_match, busy_minutes, uncovered, day_minutes
    )
    return Candidate(
        person.id,
        person.name,
        tier,
        origin,
        arrival,
        limit_minutes,
        skill_match,
        busy_minutes,
        tuple(uncovered),
        day_minutes,
        callout,
        round(score, 2),
        reason,
    )


def _reason(
    campaign: Campaign,
    tier: str,
    origin: str,
    arrival: int,
    limit_minutes: int,
    category: Category,
    skill_match: bool,
    busy_minutes: int,
    uncovered: list[tuple[str, int]],
    day_minutes: int,
) -> str:
    parts = []
    if tier == "responsible":
        parts.append("đang phụ trách xã, phường này")
    elif tier == "call_out":
        parts.append(f"ngoài ca, gọi từ nhà ở {_ward_name(campaign, origin)} (tính là giờ làm)")
    if busy_minutes:
        parts.append(f"đang xử lý sự cố ở {_ward_name(campaign, origin)}, rảnh sau ~{busy_minutes} phút")
    late = "" if arrival <= limit_minutes else f", quá giới hạn {limit_minutes} phút"
    parts.append(f"đến sau {arrival} phút{late}")
    if category.skill is not None:
        parts.append("đúng chuyên môn" if skill_match else "không có chuyên môn này")
    if uncovered:
        names = ", ".join(_ward_name(campaign, code) for code, _ in uncovered)
        minutes = max(minutes for _, minutes in uncovered)
        parts.append(f"rời {names} sẽ không có người trực trong ~{minutes} phút")
    parts.append(f"đã làm {day_minutes / 60:g} giờ hôm nay")
    return "; ".join(parts)


def _ward_name(campaign: Campaign, code: str) -> str:
    return campaign.ward(code).name if campaign.has("wards", code) else code


def _day_minutes(calendar: Calendar, person_id: str, day_index: int) -> int:
    book = calendar.books.get(person_id)
    return book.day_minutes[day_index] if book is not None else 0


def _callout_slot(campaign: Campaign, ward_code: str, at: datetime) -> tuple[date, Shift] | None:
    """The slot a call-out at ``at`` is recorded as: the ward's service shift running then, else an on-call shift."""
    running = slots_at(campaign, at)
    service = set(campaign.demand(ward_code).service_shift_ids) if campaign.has("wards", ward_code) else set()
    for day, shift in running:
        if shift.id in service:
            return day, shift
    for day, shift in running:
        if shift.kind is ShiftKind.ONCALL:
            return day, shift
    return None


# --------------------------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class IncidentRecord:
    """One incident as the daily report counts it."""

    ward_code: str
    reported_at: datetime
    limit_minutes: int
    arrived_at: datetime | None = None
    resolved_at: datetime | None = None
    remote: bool = False  # resolved by phone: no arrival
    cancelled: bool = False


@dataclass(frozen=True)
class IncidentFigures:
    """Response figures of a set of incidents (a ward's, or the city's, over a day)."""

    reported: int
    resolved: int
    arrival_median: float | None
    arrival_p90: float | None
    resolution_median: float | None
    resolution_p90: float | None
    late: int  # arrived after the limit, or not arrived and past it at ``now``


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def incident_figures(records: Iterable[IncidentRecord], now: datetime) -> IncidentFigures:
    """Reported, resolved, median and p90 minutes to arrival and to resolution, and late arrivals."""
    records = list(records)
    live = [r for r in records if not r.cancelled]
    arrivals = [_minutes(r.reported_at, r.arrived_at) for r in live if r.arrived_at is not None]
    resolutions = [_minutes(r.reported_at, r.resolved_at) for r in live if r.resolved_at is not None]
    late = 0
    for r in live:
        if r.remote:
            continue
        if r.arrived_at is not None:
            late += _minutes(r.reported_at, r.arrived_at) > r.limit_minutes
        elif r.resolved_at is None:
            late += _minutes(r.reported_at, now) > r.limit_minutes
    return IncidentFigures(
        reported=len(records),
        resolved=sum(r.resolved_at is not None for r in live),
        arrival_median=percentile(arrivals, 50),
        arrival_p90=percentile(arrivals, 90),
        resolution_median=percentile(resolutions, 50),
        resolution_p90=percentile(resolutions, 90),
        late=late,
    )


def uncovered_minutes(
    intervals: Iterable[tuple[str, datetime, datetime]], start: datetime, end: datetime
) -> dict[str, int]:
    """Ward code → minutes within [start, end) covered by at least one of its uncovered intervals (merged)."""
    by_ward: dict[str, list[tuple[datetime, datetime]]] = {}
    for code, low, high in intervals:
        low, high = max(low, start), min(high, end)
        if low < high:
            by_ward.setdefault(code, []).append((low, high))
    totals = {}
    for code, spans in by_ward.items():
        spans.sort()
        total = 0.0
        current_low, current_high = spans[0]
        for low, high in spans[1:]:
            if low <= current_high:
                current_high = max(current_high, high)
            else:
                total += _minutes(current_low, current_high)
                current_low, current_high = low, high
        total += _minutes(current_low, current_high)
        totals[code] = round(total)
    return totals
