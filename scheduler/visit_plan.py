"""The next day's visits of a ward, planned: teams from the roster, the list placed on the map, routes checked.

:func:`plan_ward_day` is the one pipeline: the ward's teams that day (:func:`scheduler.visits.teams_for_day`),
each request placed (its coordinates, else an approximate point for its address from :mod:`geo.addresses`),
the travel minutes between every place from the motorbike model of :mod:`geo.travel`, the routes from PyVRP
(:func:`scheduler.routing.solve_routes`) and the verdict of the independent checker
(:func:`scheduler.visits.check_routes`). It returns one :class:`WardPlan`.

* A request that needs a home visit is a stop at its address.
* A request that can come is a stop at the gathering place: the ward's first mobile point that day when a
  team works there, else the ward office. Its visit's time is the appointment the person is given, and the
  team is there at that time (the routing counts the time at the point like any other stop).
* A team starts and ends at its base: the ward office for a service shift, its mobile point otherwise.

:func:`replan_ward_day` is the same day after a change (a request cancelled or added, a member dropped out):
it rebuilds the problem from the teams and requests as they now stand and re-plans by insertion from the
plan in force (:func:`scheduler.visits.replan`), keeping the visits done. :func:`plan_city_day` plans
every ward of a day within one time limit. A plan goes to JSON and back (:func:`plan_to_dict`,
:func:`plan_from_dict`) so the web app stores the version in force and can check it again at any time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date

from geo.addresses import approximate_location, office_location
from geo.travel import address_travel_minutes
from scheduler.model import Campaign, PriorityGroup, Roster
from scheduler.routing import solve_routes
from scheduler.visits import (
    PRIORITY_RANK,
    TELECOM_SKILL,
    Route,
    RoutePlan,
    RoutingProblem,
    Stop,
    Team,
    Vehicle,
    Visit,
    VisitRequest,
    check_routes,
    replan,
    teams_for_day,
)

logger = logging.getLogger(__name__)

OFFICE = "office"
# A ward's day stops searching after this many PyVRP iterations without a better plan (or at its time limit).
PATIENCE_ITERATIONS = 2_000


@dataclass(frozen=True)
class Place:
    """A place on the map: a base (office, mobile point) or a request's address."""

    key: str  # "office", a mobile point's id, or "r:<request id>"
    name: str
    lat: float
    lon: float
    approximate: bool


@dataclass(frozen=True)
class WardPlan:
    """One ward's visits for one day: who, where, in what order, and what could not be planned and why."""

    ward_code: str
    day: date
    teams: tuple[Team, ...]
    requests: tuple[VisitRequest, ...]
    places: tuple[Place, ...]  # the travel matrix's locations, in order
    problem: RoutingProblem
    plan: RoutePlan
    problems: tuple[str, ...]  # the checker's findings: empty for a valid plan

    def request(self, request_id: str) -> VisitRequest:
        return next(r for r in self.requests if r.id == request_id)

    def team(self, team_id: str) -> Team:
        return next(t for t in self.teams if t.id == team_id)

    def route_of(self, team_id: str) -> Route | None:
        return next((r for r in self.plan.routes if r.vehicle_id == team_id), None)

    def place_of(self, request_id: str) -> Place:
        return self.places[self.problem.stop(request_id).location]

    @property
    def unplanned(self) -> dict[str, str]:
        return dict(self.plan.unplanned)


def gathering_key(teams: Sequence[Team]) -> str:
    """Where people who can come are seen: the first mobile point a team works at, else the office."""
    return next((t.base for t in teams if t.base != OFFICE), OFFICE)


def locate(request: VisitRequest) -> VisitRequest:
    """The request with a position: its own coordinates, else an approximate point for its address."""
    if request.lat is not None and request.lon is not None:
        return request
    lat, lon = approximate_location(request.ward_code, request.street, request.group_name)
    return replace(request, lat=lat, lon=lon, approximate=True)


def build_problem(
    ward_code: str, day: date, teams: Sequence[Team], requests: Sequence[VisitRequest]
) -> tuple[tuple[Place, ...], RoutingProblem, tuple[VisitRequest, ...]]:
    """The places, the routing problem and the located requests of a ward's day."""
    office_lat, office_lon = office_location(ward_code)
    places = [Place(OFFICE, "Trụ sở xã, phường", office_lat, office_lon, False)]
    index = {OFFICE: 0}
    for team in teams:
        if team.base not in index:
            lat, lon = approximate_location(ward_code, team.place)
            index[team.base] = len(places)
            places.append(Place(team.base, team.place, lat, lon, True))
    gathering = index[gathering_key(teams)]
    located = tuple(locate(r) for r in requests)
    stops = []
    for request in located:
        if request.home_visit:
            index[f"r:{request.id}"] = location = len(places)
            assert request.lat is not None and request.lon is not None
            places.append(Place(f"r:{request.id}", request.address, request.lat, request.lon, request.approximate))
        else:
            location = gathering
        stops.append(
            Stop(
                id=request.id,
                location=location,
                service_minutes=request.service_minutes,
                earliest_minute=request.window_start_minute,
                latest_minute=request.latest_start_minute,
                skills=frozenset({TELECOM_SKILL}) if request.needs_telecom else frozenset(),
                priority=PRIORITY_RANK.get(request.priority_group, len(PRIORITY_RANK)),
            )
        )
    travel = tuple(tuple(row) for row in address_travel_minutes([(p.lat, p.lon) for p in places], ward_code))
    vehicles = tuple(
        Vehicle(
            id=team.id,
            start_location=index[team.base],
            end_location=index[team.base],
            start_minute=team.start_minute,
            end_minute=team.end_minute,
            skills=team.skills,
        )
        for team in teams
        if team.member_ids
    )
    return tuple(places), RoutingProblem(tuple(stops), vehicles, travel), located


def plan_ward_day(
    campaign: Campaign,
    roster: Roster,
    ward_code: str,
    day: date,
    requests: Iterable[VisitRequest],
    seconds: float = 2.0,
    seed: int = 1,
    patience_iterations: int | None = PATIENCE_ITERATIONS,
) -> WardPlan:
    """Plan a ward's visits for ``day`` within ``seconds``; the result carries the checker's verdict."""
    teams = teams_for_day(campaign, roster, ward_code, day)
    on_list = tuple(sorted((r for r in requests if r.ward_code == ward_code), key=lambda r: r.id))
    places, problem, located = build_problem(ward_code, day, teams, on_list)
    plan = solve_routes(problem, seconds, seed, patience_iterations=patience_iterations)
    return _checked(ward_code, day, teams, located, places, problem, plan)


def replan_ward_day(
    campaign: Campaign,
    roster: Roster,
    previous: WardPlan,
    requests: Iterable[VisitRequest],
    done_ids: Iterable[str] = (),
    now_minute: int | None = None,
) -> WardPlan:
    """The day re-planned after a change, changing as little as possible (see :func:`scheduler.visits.replan`).

    ``roster`` is the roster in force now (a member who dropped out is no longer on it), ``requests`` the
    list as it stands (cancelled ones left out). Visits in ``done_ids`` keep their team and times.
    """
    done = set(done_ids)
    teams = teams_for_day(campaign, roster, previous.ward_code, previous.day)
    # A team whose members left after some visits stays, closed, so that what it did keeps its place.
    current = {t.id for t in teams}
    closed = tuple(
        previous.team(r.vehicle_id)
        for r in previous.plan.routes
        if r.vehicle_id not in current and any(v.stop_id in done for v in r.visits)
    )
    teams = (*teams, *closed)
    on_list = tuple(sorted((r for r in requests if r.ward_code == previous.ward_code), key=lambda r: r.id))
    places, problem, located = build_problem(previous.ward_code, previous.day, teams, on_list)
    plan = replan(
        problem,
        _mapped(previous, problem, done),
        done_ids=done,
        now_minute=now_minute,
        closed_ids=[t.id for t in closed],
    )
    return _checked(previous.ward_code, previous.day, teams, located, places, problem, plan)


def _mapped(previous: WardPlan, problem: RoutingProblem, done: set[str]) -> RoutePlan:
    """The previous plan with done visits' times kept and the rest left for :func:`replan` to time again."""
    known = {s.id for s in problem.stops}
    routes = []
    for route in previous.plan.routes:
        visits = tuple(v for v in route.visits if v.stop_id in known)
        routes.append(replace(route, visits=visits))
    unplanned = tuple((s, r) for s, r in previous.plan.unplanned if s in known and s not in done)
    return RoutePlan(tuple(routes), unplanned, previous.plan.solve_seconds)


def _checked(ward_code, day, teams, located, places, problem, plan) -> WardPlan:
    problems = tuple(check_routes(problem, plan))
    if problems:
        logger.error("the plan of %s on %s fails its check: %s", ward_code, day, "; ".join(problems[:3]))
    return WardPlan(ward_code, day, tuple(teams), tuple(located), places, problem, plan, problems)


def plan_city_day(
    campaign: Campaign,
    roster: Roster,
    day: date,
    requests: Iterable[VisitRequest],
    seconds: float = 60.0,
    seed: int = 1,
    patience_iterations: int | None = PATIENCE_ITERATIONS,
) -> dict[str, WardPlan]:
    """Every ward's plan for ``day`` within ``seconds`` in all (a promise): each ward gets a share of what is
    left in proportion to its stops, so a small ward does not wait on a large one."""
    started = time.perf_counter()
    by_ward: dict[str, list[VisitRequest]] = {}
    for request in requests:
        by_ward.setdefault(request.ward_code, []).append(request)
    wards = sorted(by_ward, key=lambda code: -len(by_ward[code]))
    plans: dict[str, WardPlan] = {}
    remaining_stops = sum(len(v) for v in by_ward.values())
    for code in wards:
        left = seconds - (time.perf_counter() - started)
        share = left * len(by_ward[code]) / max(1, remaining_stops) * 0.9  # a tenth kept for building and checking
        plans[code] = plan_ward_day(
            campaign, roster, code, day, by_ward[code], max(0.02, share), seed, patience_iterations
        )
        remaining_stops -= len(by_ward[code])
    return plans


# --- JSON -------------------------------------------------------------------------------------------


def plan_to_dict(plan: WardPlan) -> dict:
    """A JSON-ready dict of a ward's plan (dates as ISO text, sets as sorted lists)."""

    def request(r: VisitRequest) -> dict:
        data = asdict(r)
        data["service_date"] = r.service_date.isoformat()
        data["priority_group"] = r.priority_group.value
        return data

    def team(t: Team) -> dict:
        data = asdict(t)
        data["day"] = t.day.isoformat()
        data["member_ids"] = list(t.member_ids)
        return data

    return {
        "ward_code": plan.ward_code,
        "day": plan.day.isoformat(),
        "teams": [team(t) for t in plan.teams],
        "requests": [request(r) for r in plan.requests],
        "places": [asdict(p) for p in plan.places],
        "stops": [{**asdict(s), "skills": sorted(s.skills)} for s in plan.problem.stops],
        "vehicles": [{**asdict(v), "skills": sorted(v.skills)} for v in plan.problem.vehicles],
        "travel_minutes": [list(map(int, row)) for row in plan.problem.travel_minutes],
        "routes": [
            {
                "vehicle_id": r.vehicle_id,
                "index": r.index,
                "depart_minute": r.depart_minute,
                "return_minute": r.return_minute,
                "visits": [[v.stop_id, v.arrive_minute, v.start_minute, v.end_minute] for v in r.visits],
            }
            for r in plan.plan.routes
        ],
        "unplanned": [list(u) for u in plan.plan.unplanned],
        "solve_seconds": plan.plan.solve_seconds,
        "problems": list(plan.problems),
    }


def plan_from_dict(data: Mapping) -> WardPlan:
    """The plan :func:`plan_to_dict` wrote; its checker verdict is computed again, not read."""
    requests = tuple(
        VisitRequest(
            **{
                **r,
                "service_date": date.fromisoformat(r["service_date"]),
                "priority_group": PriorityGroup(r["priority_group"]),
            }
        )
        for r in data["requests"]
    )
    teams = tuple(
        Team(**{**t, "day": date.fromisoformat(t["day"]), "member_ids": tuple(t["member_ids"])}) for t in data["teams"]
    )
    problem = RoutingProblem(
        tuple(Stop(**{**s, "skills": frozenset(s["skills"])}) for s in data["stops"]),
        tuple(Vehicle(**{**v, "skills": frozenset(v["skills"])}) for v in data["vehicles"]),
        tuple(tuple(row) for row in data["travel_minutes"]),
    )
    plan = RoutePlan(
        tuple(
            Route(
                r["vehicle_id"],
                r["depart_minute"],
                tuple(Visit(*v) for v in r["visits"]),
                r["return_minute"],
                r["index"],
            )
            for r in data["routes"]
        ),
        tuple((s, reason) for s, reason in data["unplanned"]),
        data.get("solve_seconds", 0.0),
    )
    places = tuple(Place(**p) for p in data["places"])
    day = date.fromisoformat(data["day"])
    return WardPlan(data["ward_code"], day, teams, requests, places, problem, plan, tuple(check_routes(problem, plan)))
