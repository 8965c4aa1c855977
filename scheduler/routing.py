"""Routes for a :class:`~scheduler.visits.RoutingProblem`, solved with PyVRP (the only module that imports it).

The problem goes to PyVRP as a vehicle routing problem with time windows:

* each stop is a client with its service minutes and the window of its start; when the problem does not
  ask to serve every stop, a stop is optional with a prize (larger for a higher priority) far above any
  travel, so the search serves as many as fit, the most urgent first, then travels least;
* each vehicle (team) is a vehicle type of ``count`` vehicles with its shift as the time window, starting
  and ending at its depots;
* skills are routing profiles: a vehicle whose team lacks a skill sees every stop that needs it at a
  travel time longer than any day, so it can never reach one in time;
* the cost is the travel matrix (minutes in the campaign).

What comes back is timed again by :func:`scheduler.visits.timed_route` from PyVRP's departure times, and
stops PyVRP left out get their reason from :func:`scheduler.visits.unplanned_reason`. The independent
checker (:func:`scheduler.visits.check_routes`) never trusts this module: callers check every plan.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pyvrp
from pyvrp.stop import MultipleCriteria, NoImprovement, StoppingCriterion

from scheduler.visits import Route, RoutePlan, RoutingProblem, Stop, timed_route, unplanned_reason

logger = logging.getLogger(__name__)

# A served stop is worth more than any detour a day's travel could make for it, and a more urgent one more
# than a less urgent one. Kept within a few orders of the travel minutes: PyVRP's penalties adapt to the
# data's scale, and prizes of a million kept it from finding any feasible plan on a ward's day.
PRIZE_BASE = 10_000
PRIZE_STEP = 1_000
_FORBIDDEN_MINUTES = 10 * 24 * 60  # a skill the team lacks: further than any shift


def solve_routes(
    problem: RoutingProblem,
    seconds: float,
    seed: int = 0,
    initial: RoutePlan | None = None,
    patience_iterations: int | None = None,
) -> RoutePlan:
    """The best plan PyVRP finds within ``seconds`` (a promise: the search stops then).

    ``initial`` (a valid plan of the same problem) seeds the search, so a re-solve starts from it.
    ``patience_iterations``: stop sooner, once that many iterations in a row found nothing better (a
    ward's day of a few dozen visits settles in well under its share of time).
    """
    started = time.perf_counter()
    if not problem.stops:
        return RoutePlan((), (), 0.0)
    able = [v for v in problem.vehicles if v.count > 0]
    if not able:
        unplanned = tuple(sorted((s.id, unplanned_reason(problem, s)) for s in problem.stops))
        return RoutePlan((), unplanned, time.perf_counter() - started)
    data, vehicle_of_type = _problem_data(problem, able)
    initial_solution = _initial_solution(problem, data, able, initial) if initial is not None else None
    stop: StoppingCriterion = _Deadline(started + seconds)
    if patience_iterations is not None:
        stop = MultipleCriteria([stop, NoImprovement(patience_iterations)])
    result = pyvrp.solve(
        data,
        stop,
        seed=seed,
        display=False,
        collect_stats=False,
        initial_solution=initial_solution,
    )
    best = result.best
    if not best.is_feasible():
        logger.warning("PyVRP found no feasible plan within %.1f s; serving none by it", seconds)
    routes: list[Route] = []
    served: set[str] = set()
    if best.is_feasible():
        counters: dict[str, int] = {}
        for pyvrp_route in best.routes():
            vehicle = vehicle_of_type[pyvrp_route.vehicle_type()]
            stop_ids = [problem.stops[activity.idx].id for activity in pyvrp_route.schedule() if activity.is_client()]
            if not stop_ids:
                continue
            index = counters.get(vehicle.id, 0)
            counters[vehicle.id] = index + 1
            depart = max(vehicle.start_minute, int(pyvrp_route.start_time()))
            route = timed_route(problem, vehicle, stop_ids, depart)
            routes.append(Route(route.vehicle_id, route.depart_minute, route.visits, route.return_minute, index))
            served.update(stop_ids)
    unplanned = tuple(sorted((s.id, unplanned_reason(problem, s)) for s in problem.stops if s.id not in served))
    routes.sort(key=lambda r: (r.vehicle_id, r.index))
    return RoutePlan(tuple(routes), unplanned, time.perf_counter() - started)


class _Deadline:
    """PyVRP's stopping criterion at a fixed moment: its own MaxRuntime starts counting only at its first
    iteration, after building its neighbourhoods (0.2–0.8 s past the limit on 1,000 clients)."""

    def __init__(self, deadline: float):
        self.deadline = deadline

    def __call__(self, best_cost) -> bool:
        return time.perf_counter() >= self.deadline


def _problem_data(problem: RoutingProblem, vehicles) -> tuple[pyvrp.ProblemData, list]:
    size = len(problem.travel_minutes)
    travel = np.asarray(problem.travel_minutes, dtype=np.int64).reshape(size, size)
    depot_locations = sorted({v.start_location for v in vehicles} | {v.end_location for v in vehicles})
    depot_index = {location: i for i, location in enumerate(depot_locations)}
    # PyVRP numbers depots first, then clients: one location each, in that order.
    order = [*depot_locations, *(s.location for s in problem.stops)]
    matrix = travel[np.ix_(order, order)]
    skill_sets = sorted({v.skills for v in vehicles}, key=lambda s: sorted(s))
    matrices: list = []  # one per profile (PyVRP types them loosely)
    for skills in skill_sets:
        profile = matrix.copy()
        for position, stop in enumerate(problem.stops, len(depot_locations)):
            if not stop.skills <= skills:
                profile[:, position] = _FORBIDDEN_MINUTES
                profile[position, position] = 0
        matrices.append(profile)
    loads = any(v.capacity is not None for v in vehicles)
    total_demand = sum(s.demand for s in problem.stops)
    clients = [
        _client(stop, position, problem.serve_all, loads)
        for position, stop in enumerate(problem.stops, len(depot_locations))
    ]
    depots = [pyvrp.Depot(location=i) for i in range(len(depot_locations))]
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=v.count,
            capacity=[v.capacity if v.capacity is not None else total_demand] if loads else [],
            start_depot=depot_index[v.start_location],
            end_depot=depot_index[v.end_location],
            tw_early=v.start_minute,
            tw_late=v.end_minute,
            profile=skill_sets.index(v.skills),
            name=v.id,
        )
        for v in vehicles
    ]
    locations = [pyvrp.Location(0, 0) for _ in order]
    data = pyvrp.ProblemData(locations, clients, depots, vehicle_types, matrices, matrices)
    return data, list(vehicles)


def _client(stop: Stop, location: int, serve_all: bool, loads: bool) -> pyvrp.Client:
    return pyvrp.Client(
        location=location,
        delivery=[stop.demand] if loads else [],
        service_duration=stop.service_minutes,
        tw_early=stop.earliest_minute,
        tw_late=stop.latest_minute,
        prize=0 if serve_all else PRIZE_BASE + PRIZE_STEP * max(0, 5 - stop.priority),
        required=serve_all,
        name=stop.id,
    )


def _initial_solution(problem: RoutingProblem, data, vehicles, plan: RoutePlan) -> pyvrp.Solution | None:
    """A plan as a PyVRP solution (client indices per route, by vehicle type), or None when it does not map."""
    position = {s.id: i for i, s in enumerate(problem.stops)}
    type_of = {v.id: i for i, v in enumerate(vehicles)}
    routes = []
    for route in plan.routes:
        if route.vehicle_id not in type_of or any(v.stop_id not in position for v in route.visits):
            return None
        visits = [position[v.stop_id] for v in route.visits]
        try:
            routes.append(pyvrp.Route(data, visits, type_of[route.vehicle_id]))
        except (RuntimeError, ValueError) as error:
            logger.info("initial plan not used: %s", error)
            return None
    try:
        return pyvrp.Solution(data, routes)
    except (RuntimeError, ValueError) as error:
        logger.info("initial plan not used: %s", error)
        return None
