"""Mobile public service: the daily list of people who cannot come, and the teams that visit them.

The ward plan (III.7, III.10) asks the leaders of residential groups and hamlets to list, every day
before 15:00, the people who need an administrative procedure but cannot use the online service or
cannot travel. This module holds that list's vocabulary and the plan of the next day's visits as plain
data, with no solver, web or geographic import:

* :class:`VisitRequest` — one person on the list; :data:`SERVICES` what they may need;
  :func:`service_date_for` the list a request made at a given time goes on (the cut-off is the campaign's
  ``ward_staff_list_deadline_minute``, 15:00 by default).
* :class:`Team` and :func:`teams_for_day` — the teams are the people the roster already puts on a
  ward's mobile points and service shifts that day.
* The routing model, shared by the campaign and the VRPTW benchmark: :class:`RoutingProblem` (stops,
  vehicles, a travel matrix in whole minutes), :class:`RoutePlan` (routes and the stops not served with
  the reason in words).
* :func:`check_routes` — the independent checker: it recomputes every time from the travel matrix and
  verifies windows, shift ends, skills, capacity and that each stop is served at most once. It does not
  import PyVRP (the solver lives in :mod:`scheduler.routing`).
* :func:`replan` — the re-plan on the day, by insertion into the routes as they stand: visits already
  done stay, the rest keep their team and order where they still fit, and only what no longer fits
  moves.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from scheduler.model import Campaign, Pool, PriorityGroup, Roster, ShiftKind

TELECOM_SKILL = "telecom"  # a team that has a telecom-company staff member has this skill

# service -> (Vietnamese label, typical minutes, needs a telecom-company staff member)
SERVICES: dict[str, tuple[str, int, bool]] = {
    "vneid": ("Kích hoạt tài khoản định danh điện tử mức 2 (VNeID)", 20, True),
    "ihanoi": ("Cài đặt và hướng dẫn ứng dụng iHanoi", 15, True),
    "procedure": ("Thủ tục hành chính trực tuyến", 30, False),
    "other": ("Hỗ trợ khác", 20, False),
}
MAX_SERVICE_MINUTES = 240
# Priority order on the list and in the plan: who is served first when not everyone can be.
PRIORITY_RANK = {
    PriorityGroup.DISABLED: 0,
    PriorityGroup.ELDERLY: 1,
    PriorityGroup.POOR: 2,
    PriorityGroup.NEAR_POOR: 3,
    PriorityGroup.GENERAL: 4,
}

# Reasons a stop is not served, in words (the plan lists each unserved request with one).
NO_SKILL = "không có đội nào có nhân sự viễn thông (dịch vụ này cần nhân sự doanh nghiệp viễn thông)"
NO_TEAM = "không có đội nào làm việc ở xã, phường này trong ngày"
OUTSIDE_WINDOWS = "không đội nào đến được trong khung giờ người dân hẹn mà vẫn về kịp trước khi hết ca"
OVER_TIME = "các đội đã kín thời gian trong ngày"
CANCELLED = "đã huỷ"


def service_label(service: str) -> str:
    return SERVICES[service][0] if service in SERVICES else service


@dataclass(frozen=True)
class VisitRequest:
    """One person on a ward's daily list.

    ``window_start_minute``–``window_end_minute`` is when the person can be seen: the visit (or the
    appointment at the point) starts and ends inside it. ``lat``/``lon`` are the address's position;
    ``approximate`` says they were placed from the address text (see :mod:`geo.addresses`).
    """

    id: str
    ward_code: str
    service_date: date  # the day whose list the request is on
    name: str
    priority_group: PriorityGroup
    phone: str
    group_name: str  # tổ dân phố, thôn
    street: str  # street and house number, as text
    home_visit: bool  # needs a visit at home (else can come to a point)
    service: str  # a key of SERVICES
    procedure: str = ""  # the named online procedure, for service "procedure"
    window_start_minute: int = 8 * 60
    window_end_minute: int = 17 * 60
    service_minutes: int = 20
    lat: float | None = None
    lon: float | None = None
    approximate: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        if self.service not in SERVICES:
            raise ValueError(f"request {self.id}: unknown service {self.service!r}")
        if not 0 < self.service_minutes <= MAX_SERVICE_MINUTES:
            raise ValueError(f"request {self.id}: service_minutes must be 1..{MAX_SERVICE_MINUTES}")
        if not 0 <= self.window_start_minute < self.window_end_minute <= 24 * 60:
            raise ValueError(f"request {self.id}: the time window must lie within one day")

    @property
    def needs_telecom(self) -> bool:
        return SERVICES[self.service][2]

    @property
    def address(self) -> str:
        return ", ".join(part for part in (self.street, self.group_name) if part)

    @property
    def latest_start_minute(self) -> int:
        """The latest minute the visit can start and still end inside the window."""
        return self.window_end_minute - self.service_minutes


def default_minutes(service: str) -> int:
    return SERVICES[service][1]


def service_date_for(registered_at: datetime, cutoff_minute: int) -> tuple[date, bool]:
    """The list a request registered at ``registered_at`` goes on, and whether it missed the cut-off.

    Before the cut-off (15:00) it is on the next day's list; after it, on the day after that.
    """
    minute = registered_at.hour * 60 + registered_at.minute
    late = minute >= cutoff_minute
    return registered_at.date() + timedelta(days=2 if late else 1), late


def same_person_key(request: VisitRequest) -> tuple[str, str]:
    """Two requests with this key on one day's list are the same person (flagged)."""
    digits = "".join(ch for ch in request.phone if ch.isdigit())
    return " ".join(request.name.casefold().split()), digits


def duplicates(requests: Iterable[VisitRequest]) -> dict[str, list[str]]:
    """Request id -> the other ids of the same person on the same day's list."""
    groups: dict[tuple, list[str]] = {}
    for request in requests:
        groups.setdefault((request.service_date, request.ward_code, *same_person_key(request)), []).append(request.id)
    return {rid: [o for o in ids if o != rid] for ids in groups.values() if len(ids) > 1 for rid in ids}


# --- Teams ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Team:
    """The people the roster puts on one of a ward's mobile points or service shifts on one day.

    ``base`` is where the team starts and ends its round: ``"office"`` (the ward's office, for a
    service shift) or the mobile point's id.
    """

    id: str  # "<ward>-<day>-<shift or point id>"
    ward_code: str
    day: date
    label: str  # "Ca sáng" or the mobile point's place
    base: str
    place: str
    start_minute: int
    end_minute: int
    member_ids: tuple[str, ...]
    has_telecom: bool

    @property
    def skills(self) -> frozenset[str]:
        return frozenset({TELECOM_SKILL}) if self.has_telecom else frozenset()


def teams_for_day(campaign: Campaign, roster: Roster, ward_code: str, day: date) -> tuple[Team, ...]:
    """The teams of a ward on a day: one per mobile point of the ward and per service shift staffed that day."""
    members: dict[str, list[str]] = {}
    for a in roster.assignments:
        if a.ward_code != ward_code or a.date != day:
            continue
        slot = a.mobile_point_id or a.shift_id
        if slot is None or (a.shift_id is not None and a.shift_id not in campaign.service_shift_ids):
            continue
        members.setdefault(slot, []).append(a.person_id)
    ward_name = campaign.ward(ward_code).name if campaign.has("wards", ward_code) else ward_code

    def team(slot_id: str, label: str, base: str, place: str, start_minute: int, end_minute: int) -> Team:
        ids = tuple(sorted(set(members[slot_id])))
        return Team(
            id=f"{ward_code}-{day.isoformat()}-{slot_id}",
            ward_code=ward_code,
            day=day,
            label=label,
            base=base,
            place=place,
            start_minute=start_minute,
            end_minute=end_minute,
            member_ids=ids,
            has_telecom=_has_telecom(campaign, ids),
        )

    teams = [
        team(shift.id, shift.name, "office", f"Trụ sở {ward_name}", shift.start_minute, shift.end_minute)
        for shift in campaign.shifts
        if shift.kind is ShiftKind.SERVICE and shift.id in members and shift.end_minute <= 24 * 60
    ]
    teams += [
        team(point.id, f"Điểm lưu động {point.place}", point.id, point.place, point.start_minute, point.end_minute)
        for point in campaign.mobile_points
        if point.ward_code == ward_code and point.date == day and point.id in members
    ]
    return tuple(sorted(teams, key=lambda t: (t.start_minute, t.id)))


def _has_telecom(campaign: Campaign, person_ids: Iterable[str]) -> bool:
    return any(campaign.has("people", pid) and campaign.person(pid).pool is Pool.TELECOM for pid in person_ids)


# --- The routing model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stop:
    """A place to serve: a location of the travel matrix, a window for the start of service."""

    id: str
    location: int
    service_minutes: int
    earliest_minute: int
    latest_minute: int  # the latest start of service
    demand: int = 0
    skills: frozenset[str] = frozenset()  # what the vehicle must have
    priority: int = 0  # 0 first; a higher number is dropped first when not all fit


@dataclass(frozen=True)
class Vehicle:
    """A team (or, in the benchmark, a fleet of identical vehicles: ``count`` of them)."""

    id: str
    start_location: int
    end_location: int
    start_minute: int
    end_minute: int  # back at the end location by then
    skills: frozenset[str] = frozenset()
    capacity: int | None = None
    count: int = 1


@dataclass(frozen=True)
class RoutingProblem:
    """Stops, vehicles and the travel matrix: ``travel_minutes[a][b]`` from location a to location b.

    ``serve_all``: every stop must be served (the benchmark); otherwise a stop may be left out, and
    the plan serves as many as it can, the most urgent first, then travels least.
    """

    stops: tuple[Stop, ...]
    vehicles: tuple[Vehicle, ...]
    travel_minutes: Sequence[Sequence[int]]
    serve_all: bool = False

    def stop(self, stop_id: str) -> Stop:
        return self._stops[stop_id]

    @functools.cached_property
    def _stops(self) -> dict[str, Stop]:
        return {s.id: s for s in self.stops}


@dataclass(frozen=True)
class Visit:
    stop_id: str
    arrive_minute: int
    start_minute: int
    end_minute: int


@dataclass(frozen=True)
class Route:
    """One vehicle's round: leaves its start at ``depart_minute``, serves the visits in order, returns."""

    vehicle_id: str
    depart_minute: int
    visits: tuple[Visit, ...]
    return_minute: int
    index: int = 0  # which of the vehicle's ``count`` identical vehicles


@dataclass(frozen=True)
class RoutePlan:
    routes: tuple[Route, ...]
    unplanned: tuple[tuple[str, str], ...] = ()  # (stop id, reason in words)
    solve_seconds: float = 0.0

    @property
    def planned_ids(self) -> set[str]:
        return {v.stop_id for r in self.routes for v in r.visits}

    def travel_total(self, problem: RoutingProblem) -> int:
        """The sum of the travel matrix over every leg of every route (the VRPTW cost)."""
        vehicles = {v.id: v for v in problem.vehicles}
        total = 0
        for route in self.routes:
            vehicle = vehicles[route.vehicle_id]
            path = [vehicle.start_location, *(problem.stop(v.stop_id).location for v in route.visits)]
            path.append(vehicle.end_location)
            total += sum(problem.travel_minutes[a][b] for a, b in zip(path, path[1:], strict=False))
        return total


def timed_route(problem: RoutingProblem, vehicle: Vehicle, stop_ids: Sequence[str], depart_minute: int) -> Route:
    """The route serving ``stop_ids`` in order, leaving at ``depart_minute``, each visit as early as it can start."""
    visits = []
    here, clock = vehicle.start_location, depart_minute
    for stop_id in stop_ids:
        stop = problem.stop(stop_id)
        arrive = clock + problem.travel_minutes[here][stop.location]
        start = max(arrive, stop.earliest_minute)
        visits.append(Visit(stop_id, arrive, start, start + stop.service_minutes))
        here, clock = stop.location, start + stop.service_minutes
    back = clock + problem.travel_minutes[here][vehicle.end_location]
    return Route(vehicle.id, depart_minute, tuple(visits), back)


# --- The independent checker ------------------------------------------------------------------------


def check_routes(problem: RoutingProblem, plan: RoutePlan) -> list[str]:
    """Every way the plan breaks the problem, in words; empty when it is valid.

    Recomputes each route's times from the travel matrix alone: no one arrives sooner than the trip
    from the last place allows, a visit starts neither before its arrival or its window nor after the
    window's latest start and lasts its service minutes; the vehicle leaves no earlier than its start
    and is back by its end; it has every skill its stops need and carries no more than its capacity;
    each stop is served at most once and either served or listed as not served (all served when the
    problem says so). Waiting is allowed anywhere (a team may wait at a door, or resume after a pause).
    """
    problems: list[str] = []
    vehicles = {v.id: v for v in problem.vehicles}
    known = {s.id for s in problem.stops}
    served: dict[str, int] = {}
    used: dict[tuple[str, int], int] = {}
    for number, route in enumerate(plan.routes, 1):
        where = f"lộ trình {number} ({route.vehicle_id})"
        vehicle = vehicles.get(route.vehicle_id)
        if vehicle is None:
            problems.append(f"{where}: không có đội/xe này")
            continue
        if not 0 <= route.index < vehicle.count:
            problems.append(f"{where}: xe số {route.index} không có (đội có {vehicle.count})")
        used[(vehicle.id, route.index)] = used.get((vehicle.id, route.index), 0) + 1
        if route.depart_minute < vehicle.start_minute:
            problems.append(f"{where}: xuất phát {route.depart_minute} trước giờ bắt đầu {vehicle.start_minute}")
        here, clock, load = vehicle.start_location, route.depart_minute, 0
        for visit in route.visits:
            if visit.stop_id not in known:
                problems.append(f"{where}: không có điểm '{visit.stop_id}'")
                continue
            stop = problem.stop(visit.stop_id)
            served[stop.id] = served.get(stop.id, 0) + 1
            earliest_arrival = clock + problem.travel_minutes[here][stop.location]
            if visit.arrive_minute < earliest_arrival:
                problems.append(
                    f"{where}, điểm {stop.id}: đến lúc {visit.arrive_minute}, sớm hơn được ({earliest_arrival})"
                )
            start = visit.start_minute
            if start < max(visit.arrive_minute, stop.earliest_minute):
                problems.append(f"{where}, điểm {stop.id}: bắt đầu {start} trước khi đến hoặc trước khung giờ")
            if visit.end_minute != start + stop.service_minutes:
                problems.append(
                    f"{where}, điểm {stop.id}: kết thúc {visit.end_minute}, phải là {start + stop.service_minutes}"
                )
            if start > stop.latest_minute:
                problems.append(f"{where}, điểm {stop.id}: bắt đầu {start}, sau giờ muộn nhất {stop.latest_minute}")
            missing = stop.skills - vehicle.skills
            if missing:
                problems.append(f"{where}, điểm {stop.id}: đội thiếu {', '.join(sorted(missing))}")
            load += stop.demand
            here, clock = stop.location, max(clock, visit.end_minute)
        back = clock + problem.travel_minutes[here][vehicle.end_location]
        if route.return_minute < back:
            problems.append(f"{where}: ghi về lúc {route.return_minute}, sớm hơn được ({back})")
        if max(back, route.return_minute) > vehicle.end_minute:
            problems.append(
                f"{where}: về lúc {max(back, route.return_minute)}, sau giờ kết thúc ca {vehicle.end_minute}"
            )
        if vehicle.capacity is not None and load > vehicle.capacity:
            problems.append(f"{where}: chở {load}, quá sức chứa {vehicle.capacity}")
    for (vehicle_id, index), count in used.items():
        if count > 1:
            problems.append(f"xe {vehicle_id} số {index} có {count} lộ trình")
    for stop_id, count in served.items():
        if count > 1:
            problems.append(f"điểm {stop_id} được phục vụ {count} lần")
    unplanned = [stop_id for stop_id, _ in plan.unplanned]
    for stop_id in unplanned:
        if stop_id in served:
            problems.append(f"điểm {stop_id} vừa được phục vụ vừa ghi là không phục vụ")
        elif stop_id not in known:
            problems.append(f"không có điểm '{stop_id}' (ghi là không phục vụ)")
    if len(set(unplanned)) != len(unplanned):
        problems.append("một điểm được ghi là không phục vụ hai lần")
    missing_ids = sorted(known - set(served) - set(unplanned))
    if missing_ids:
        problems.append(
            f"{len(missing_ids)} điểm không có trong lộ trình nào và không ghi lý do: {', '.join(missing_ids[:5])}"
        )
    if problem.serve_all and unplanned:
        problems.append(f"{len(unplanned)} điểm không được phục vụ, mà bài toán đòi phục vụ hết")
    return problems


# --- Why a stop is not served ----------------------------------------------------------------------


def unplanned_reason(problem: RoutingProblem, stop: Stop) -> str:
    """Why ``stop`` cannot be served: no vehicle with its skills, outside every window, or the teams are full."""
    able = [v for v in problem.vehicles if stop.skills <= v.skills]
    if not problem.vehicles:
        return NO_TEAM
    if not able:
        return NO_SKILL
    for vehicle in able:
        alone = timed_route(problem, vehicle, [stop.id], vehicle.start_minute)
        visit = alone.visits[0]
        if visit.start_minute <= stop.latest_minute and alone.return_minute <= vehicle.end_minute:
            return OVER_TIME
    return OUTSIDE_WINDOWS


def _fits(problem: RoutingProblem, vehicle: Vehicle, route: Route) -> bool:
    if route.return_minute > vehicle.end_minute:
        return False
    if any(v.start_minute > problem.stop(v.stop_id).latest_minute for v in route.visits):
        return False
    if any(not problem.stop(v.stop_id).skills <= vehicle.skills for v in route.visits):
        return False
    return not (
        vehicle.capacity is not None and sum(problem.stop(v.stop_id).demand for v in route.visits) > vehicle.capacity
    )


# --- Re-plan on the day -----------------------------------------------------------------------------


@dataclass
class _Open:
    vehicle: Vehicle
    index: int
    fixed: list[Visit]  # done or under way: kept as they were
    stop_ids: list[str] = field(default_factory=list)
    depart_minute: int = 0


def replan(
    problem: RoutingProblem,
    previous: RoutePlan,
    done_ids: Iterable[str] = (),
    now_minute: int | None = None,
    closed_ids: Iterable[str] = (),
) -> RoutePlan:
    """The plan after something changed on the day, changing as little as possible.

    ``problem`` is the day as it stands now: cancelled requests are no longer among its stops, a team
    that lost its members is no longer among its vehicles, a team that lost its telecom member no longer
    has the skill. ``done_ids`` are the visits already made (or under way); they stay where they were.
    Each remaining visit keeps its team and its order if the route still fits; what no longer fits, and
    what was not served before, is inserted where it adds the least travel, most urgent first, after
    ``now_minute`` (a team cannot go back in time). What still fits nowhere is listed with its reason.
    ``closed_ids`` are vehicles that take nothing more (a team whose members left after some visits: it
    stays in the problem only so that its done visits keep their place).
    """
    done = set(done_ids)
    closed = set(closed_ids)
    vehicles = {v.id: v for v in problem.vehicles}
    known = {s.id for s in problem.stops}
    opened: dict[tuple[str, int], _Open] = {}
    to_place: list[str] = []
    for route in previous.routes:
        vehicle = vehicles.get(route.vehicle_id)
        kept_done = [v for v in route.visits if v.stop_id in done and v.stop_id in known]
        rest = [v.stop_id for v in route.visits if v.stop_id not in done and v.stop_id in known]
        if vehicle is None or vehicle.id in closed:
            to_place.extend(rest)
        if vehicle is None:
            continue
        if vehicle.id in closed:
            opened[(vehicle.id, route.index)] = _Open(
                vehicle, route.index, kept_done, depart_minute=route.depart_minute
            )
            continue
        slot = _Open(vehicle, route.index, kept_done, depart_minute=route.depart_minute)
        opened[(vehicle.id, route.index)] = slot
        for stop_id in rest:  # keep the order; drop what breaks the route
            slot.stop_ids.append(stop_id)
            if not _open_fits(problem, slot, now_minute):
                slot.stop_ids.pop()
                to_place.append(stop_id)
    for vehicle in problem.vehicles:
        if vehicle.id in closed:
            continue
        for index in range(vehicle.count):
            opened.setdefault((vehicle.id, index), _Open(vehicle, index, [], depart_minute=vehicle.start_minute))
    planned = {s for o in opened.values() for s in o.stop_ids} | {v.stop_id for o in opened.values() for v in o.fixed}
    waiting = [s for s in known - planned - set(to_place) if s not in done]
    candidates = sorted(set(to_place) | set(waiting), key=lambda s: (problem.stop(s).priority, s))
    unplanned = []
    for stop_id in candidates:
        best = None
        for slot in opened.values():
            if slot.vehicle.id in closed or not problem.stop(stop_id).skills <= slot.vehicle.skills:
                continue
            for position in range(len(slot.stop_ids) + 1):
                slot.stop_ids.insert(position, stop_id)
                if _open_fits(problem, slot, now_minute):
                    cost = _open_travel(problem, slot)
                    slot.stop_ids.pop(position)
                    added = cost - _open_travel(problem, slot)
                    if best is None or added < best[0]:
                        best = (added, slot, position)
                else:
                    slot.stop_ids.pop(position)
        if best is None:
            unplanned.append((stop_id, unplanned_reason(problem, problem.stop(stop_id))))
        else:
            best[1].stop_ids.insert(best[2], stop_id)
    routes = []
    for slot in opened.values():
        if not slot.fixed and not slot.stop_ids:
            continue
        routes.append(_open_route(problem, slot, now_minute))
    routes.sort(key=lambda r: (r.vehicle_id, r.index))
    return RoutePlan(tuple(routes), tuple(sorted(unplanned)), previous.solve_seconds)


def _open_route(problem: RoutingProblem, slot: _Open, now_minute: int | None) -> Route:
    """The route of a slot: its done visits as they were, then the rest as early as they can go, not before now."""
    vehicle = slot.vehicle
    if slot.fixed:
        here, clock = problem.stop(slot.fixed[-1].stop_id).location, slot.fixed[-1].end_minute
    else:
        here, clock = vehicle.start_location, max(slot.depart_minute, vehicle.start_minute)
    depart = clock if not slot.fixed else slot.depart_minute
    if now_minute is not None:
        clock = max(clock, now_minute)
        if not slot.fixed:
            depart = clock
    visits = list(slot.fixed)
    for stop_id in slot.stop_ids:
        stop = problem.stop(stop_id)
        arrive = clock + problem.travel_minutes[here][stop.location]
        start = max(arrive, stop.earliest_minute)
        visits.append(Visit(stop_id, arrive, start, start + stop.service_minutes))
        here, clock = stop.location, start + stop.service_minutes
    back = clock + problem.travel_minutes[here][vehicle.end_location]
    return Route(vehicle.id, depart, tuple(visits), back, slot.index)


def _open_fits(problem: RoutingProblem, slot: _Open, now_minute: int | None) -> bool:
    return _fits(problem, slot.vehicle, _open_route(problem, slot, now_minute))


def _open_travel(problem: RoutingProblem, slot: _Open) -> int:
    path = [slot.vehicle.start_location, *(problem.stop(v.stop_id).location for v in slot.fixed)]
    path += [problem.stop(s).location for s in slot.stop_ids]
    path.append(slot.vehicle.end_location)
    return sum(problem.travel_minutes[a][b] for a, b in zip(path, path[1:], strict=False))
