"""The VRPTW benchmark: the reader on a real Gehring–Homberger instance, and a small solve checked end to end.

The instances are in ``../shared/benchmarks/vrptw`` relative to the repository root. The solve uses the
depot and the first 60 customers of C1_10_1 for 2 seconds, through the campaign's own code path.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchmarks.vrptw import main
from benchmarks.vrptw_io import (
    DATA,
    SCALE,
    VrptwFormatError,
    read_best_known,
    read_instance,
    routing_problem,
    travel_tenths,
    truncated_tenth,
)
from scheduler.routing import solve_routes
from scheduler.visits import Route, RoutePlan, Visit, check_routes

C1 = DATA / "C1_10_1.vrp"
needs_data = pytest.mark.skipif(not C1.exists(), reason=f"VRPTW instances not found at {DATA}")


@pytest.fixture(scope="module")
def c1():
    return read_instance(C1)


@needs_data
def test_reader_counts_windows_and_demands(c1):
    assert c1.name == "C1_10_1"
    assert c1.customers == 1000 and len(c1.demands) == len(c1.windows) == 1001
    assert (c1.vehicles, c1.capacity, c1.service_time) == (250, 200, 90)
    assert c1.coordinates[0] == (250, 250) and c1.coordinates[1] == (387, 297)
    assert c1.windows[0] == (0, 1824)  # the depot
    assert c1.windows[1] == (200, 270)  # node 2 of the file
    assert c1.demands[0] == 0 and c1.demands[3] == 20  # node 4 of the file
    assert read_best_known(DATA / "C1_10_1.sol") == 42444.8


def test_distances_are_truncated_to_tenths():
    # depot (250, 250) to (387, 297): sqrt(137² + 47²) = sqrt(20978) = 144.837… -> 144.8 -> 1448
    assert truncated_tenth(137, 47) == 1448
    assert truncated_tenth(382, 0) == 3820  # an exact distance stays exact
    assert truncated_tenth(3, 4) == 50
    assert truncated_tenth(1, 1) == 14  # 1.414… -> 1.4
    assert truncated_tenth(2, 5) == 53  # 5.385…: truncated, not rounded to 54
    matrix = travel_tenths(((250, 250), (387, 297), (5, 297)))
    assert matrix == [[0, 1448, 2494], [1448, 0, 3820], [2494, 3820, 0]]  # sqrt(245² + 47²) = 249.46…


@needs_data
def test_the_matrix_is_exact_on_the_real_instance(c1):
    points = c1.coordinates[:150]
    matrix = travel_tenths(points)
    for a, (xa, ya) in enumerate(points):
        assert matrix[a] == [truncated_tenth(xa - xb, ya - yb) for xb, yb in points]


@needs_data
def test_routing_problem_is_in_tenths_with_one_fleet(c1):
    problem = routing_problem(c1)
    assert len(problem.stops) == 1000 and problem.serve_all
    (fleet,) = problem.vehicles
    assert (fleet.count, fleet.capacity) == (250, 200)
    assert (fleet.start_location, fleet.end_location) == (0, 0)
    assert (fleet.start_minute, fleet.end_minute) == (0, 18240)  # the depot's window, in tenths
    first = problem.stop("1")
    assert (first.location, first.earliest_minute, first.latest_minute) == (1, 2000, 2700)
    assert (first.service_minutes, first.demand) == (90 * SCALE, 10)
    assert problem.travel_minutes[0][1] == 1448


def test_reader_names_the_bad_line(tmp_path: Path):
    bad = tmp_path / "bad.vrp"
    bad.write_text("NAME : x\nDIMENSION : 1\nVEHICLES : 1\nCAPACITY : 1\nSERVICE_TIME : 1\nNODE_COORD_SECTION\n1 a 2\n")
    with pytest.raises(VrptwFormatError, match="line 7"):
        read_instance(bad)


@pytest.fixture(scope="module")
def small(c1):
    problem = routing_problem(c1, customers=60)
    return problem, solve_routes(problem, seconds=2, seed=1)


@needs_data
def test_a_small_sub_instance_is_solved_and_passes_the_checker(small):
    problem, plan = small
    assert check_routes(problem, plan) == []
    assert plan.planned_ids == {s.id for s in problem.stops} and not plan.unplanned
    assert all(sum(problem.stop(v.stop_id).demand for v in r.visits) <= 200 for r in plan.routes)
    assert plan.travel_total(problem) > 0


@needs_data
def test_the_checker_rejects_a_broken_window(small):
    problem, plan = small
    route = plan.routes[0]
    last = route.visits[-1]
    late = problem.stop(last.stop_id).latest_minute + 1
    shifted = Visit(last.stop_id, last.arrive_minute, late, late + problem.stop(last.stop_id).service_minutes)
    back = shifted.end_minute + problem.travel_minutes[problem.stop(last.stop_id).location][0]
    tampered = Route(route.vehicle_id, route.depart_minute, (*route.visits[:-1], shifted), back, route.index)
    broken = RoutePlan((tampered, *plan.routes[1:]), plan.unplanned)
    assert any(f"điểm {last.stop_id}: bắt đầu {late}, sau giờ muộn nhất" in p for p in check_routes(problem, broken))


@needs_data
def test_the_checker_rejects_an_exceeded_capacity(small):
    problem, plan = small
    route = max(plan.routes, key=lambda r: sum(problem.stop(v.stop_id).demand for v in r.visits))
    load = sum(problem.stop(v.stop_id).demand for v in route.visits)
    smaller = dataclasses.replace(problem.vehicles[0], capacity=load - 1)
    tighter = dataclasses.replace(problem, vehicles=(smaller,))
    assert f"chở {load}, quá sức chứa {load - 1}" in " ".join(check_routes(tighter, plan))


@needs_data
def test_the_script_prints_the_checker_verdict(capsys):
    """The script end to end on a sub-instance: every customer served and the checker's verdict printed."""
    assert main(["--seconds", "1", "--instances", "RC2_10_1", "--customers", "100"]) == 0
    out = capsys.readouterr().out
    assert "first 100 customers" in out and "1 at once" in out
    (line,) = [line for line in out.splitlines() if line.startswith("RC2_10_1")]
    assert "valid; 100/100 served" in line
    assert "average gap" not in out  # no best-known cost for a sub-instance
