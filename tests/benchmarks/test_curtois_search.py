"""The Curtois–Qu solver's parts: the model of a part of a roster, the first roster and the search.

A small instance with every kind of rule (rotation, per-type limits, minutes, run lengths, days off,
weekends, requests, cover) is solved whole; then parts of that roster — some employees, a window of
days, both — are modelled with the rest held fixed. The part model must accept the roster it came from
(nothing feasible is cut off), every solution of it must be feasible once merged back (nothing
infeasible is let in), and its objective must move exactly as the evaluator's does.
"""

from __future__ import annotations

import logging
import random

import pytest
from ortools.sat.python import cp_model

from benchmarks.curtois.instance import evaluate, parse_instance
from benchmarks.curtois.model import _Model
from benchmarks.curtois.search import SMALL_MODEL, _merge, greedy_start, improve, shift_variable_count, solve_instance

HORIZON = 21


def rich_instance(seed: int = 3):
    """Five employees, 21 days, a day and a night shift (no day after a night) and varied contracts."""
    rng = random.Random(seed)
    staff = [
        "A,D=14|N=4,7200,3840,4,2,2,2",
        "B,D=10|N=6,6720,3360,5,2,2,2",
        "C,D=15|N=0,7680,2880,4,1,1,1",
        "D,D=8|N=8,6720,3840,3,2,2,3",
        "E,D=12|N=3,5760,2400,5,3,2,2",
    ]
    days_off = ["A,3,10", "C,7", "E,0,1"]
    on = [f"{e},{rng.randrange(HORIZON)},{rng.choice('DN')},{rng.randint(1, 3)}" for e in "ABCDE" for _ in range(3)]
    off = [f"{e},{rng.randrange(HORIZON)},{rng.choice('DN')},{rng.randint(1, 3)}" for e in "ABCDE" for _ in range(2)]
    cover = [f"{d},D,{rng.randint(1, 3)},100,1" for d in range(HORIZON)]
    cover += [f"{d},N,{rng.randint(0, 1)},100,1" for d in range(HORIZON)]
    # Requests on the same employee and day would contradict each other; keep the first of each.
    seen, unique = set(), []
    for line in on + off:
        key = tuple(line.split(",")[:2])
        if key not in seen:
            seen.add(key)
            unique.append(line)
    on, off = [line for line in unique if line in on], [line for line in unique if line in off]
    sections = [
        ("SECTION_HORIZON", [str(HORIZON)]),
        ("SECTION_SHIFTS", ["D,480,", "N,480,D"]),
        ("SECTION_STAFF", staff),
        ("SECTION_DAYS_OFF", days_off),
        ("SECTION_SHIFT_ON_REQUESTS", on),
        ("SECTION_SHIFT_OFF_REQUESTS", off),
        ("SECTION_COVER", cover),
    ]
    text = "\n".join(f"{header}\n" + "\n".join(rows) + "\n" for header, rows in sections)
    return parse_instance(text, source="rich.txt", name="rich")


@pytest.fixture(scope="module")
def solved():
    instance = rich_instance()
    result = solve_instance(instance, time_limit_seconds=20)
    assert evaluate(instance, result.solution).feasible
    return instance, result.solution


PARTS = [([1, 3], None), (None, (0, 6)), (None, (5, 12)), (None, (15, 21)), ([0, 2, 4], (8, 16)), ([4], (1, 9))]


def solve_model(built: _Model) -> cp_model.CpSolver | None:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 20
    solver.parameters.num_workers = 2
    status = solver.solve(built.model)
    return solver if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None


@pytest.mark.parametrize("members,days", PARTS)
def test_the_part_model_accepts_the_roster_it_came_from(solved, members, days):
    instance, roster = solved
    built = _Model(instance, members, days, roster)
    for (e, d, s), var in built.x.items():
        built.model.add(var == int(roster[instance.staff[e].id][d] == instance.shifts[s].id))
    assert solve_model(built) is not None


@pytest.mark.parametrize("members,days", PARTS)
def test_the_complete_hint_is_a_solution(solved, members, days):
    instance, roster = solved
    built = _Model(instance, members, days, roster)
    built.hint(roster)
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    assert solver.solve(built.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


@pytest.mark.parametrize("members,days", PARTS)
def test_every_solution_of_a_part_is_feasible_and_its_objective_moves_like_the_evaluators(solved, members, days):
    instance, roster = solved
    # Start from a worse roster than the optimum, so that the part has something to improve.
    start = greedy_start(instance, seed=1)
    start_built = _Model(instance, members, days, start)
    start_built.hint(start)
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    assert solver.solve(start_built.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    start_part = start_built.exact_objective(solver)

    built = _Model(instance, members, days, start)
    solver = solve_model(built)
    merged = _merge(instance, start, built.solution(solver), days)
    evaluation = evaluate(instance, merged)
    assert evaluation.violations == []
    part_change = built.exact_objective(solver) - start_part
    assert evaluation.objective - evaluate(instance, start).objective == part_change
    assert part_change <= 0


def test_a_window_without_the_members_schedules_is_refused(solved):
    instance, _ = solved
    with pytest.raises(ValueError, match="around"):
        _Model(instance, [0], (3, 9), {})


def test_greedy_start_is_feasible_and_improve_never_makes_it_worse(solved):
    instance, optimum = solved
    start = greedy_start(instance, seed=2)
    assert evaluate(instance, start).feasible
    better = improve(instance, start, time_limit_seconds=3, seed=2)
    assert evaluate(instance, better).feasible
    assert evaluate(instance, optimum).objective <= evaluate(instance, better).objective
    assert evaluate(instance, better).objective <= evaluate(instance, start).objective


def test_greedy_start_reports_an_employee_who_cannot_keep_their_own_rules():
    text = (
        "SECTION_HORIZON\n7\nSECTION_SHIFTS\nD,480,\nSECTION_STAFF\nA,D=7,99999,4000,3,1,1,9\n"
        "SECTION_DAYS_OFF\nSECTION_SHIFT_ON_REQUESTS\nSECTION_SHIFT_OFF_REQUESTS\nSECTION_COVER\n0,D,1,100,1\n"
    )
    instance = parse_instance(text, source="t.txt", name="t")  # 4000 minutes need 9 shifts in 7 days
    with pytest.raises(RuntimeError, match="employee A"):
        greedy_start(instance)


def generated_instance(staff: int = 24, horizon: int = 28, seed: int = 5):
    """A made-up instance larger than ``SMALL_MODEL``: three shifts, varied contracts, requests and cover."""
    rng = random.Random(seed)
    ids = [f"E{n}" for n in range(staff)]
    lines = []
    for e in ids:
        most = rng.randint(16, 20)
        lines.append(
            f"{e},D={most}|L={rng.randint(4, 10)}|N={rng.randint(0, 6)},{most * 480},{(most - 4) * 480},"
            f"{rng.randint(4, 6)},{rng.randint(1, 2)},{rng.randint(1, 2)},{rng.randint(2, 3)}"
        )
    days_off = [f"{e},{rng.randrange(horizon)}" for e in ids]
    on = [f"{e},{d},{rng.choice('DLN')},{rng.randint(1, 3)}" for e in ids for d in rng.sample(range(horizon), 3)]
    cover = [
        f"{d},{s},{rng.randint(lo, hi)},100,1"
        for d in range(horizon)
        for s, lo, hi in (("D", 5, 9), ("L", 2, 5), ("N", 1, 3))
    ]
    sections = [
        ("SECTION_HORIZON", [str(horizon)]),
        ("SECTION_SHIFTS", ["D,480,", "L,480,D", "N,480,D|L"]),
        ("SECTION_STAFF", lines),
        ("SECTION_DAYS_OFF", days_off),
        ("SECTION_SHIFT_ON_REQUESTS", on),
        ("SECTION_SHIFT_OFF_REQUESTS", []),
        ("SECTION_COVER", cover),
    ]
    text = "\n".join(f"{header}\n" + "\n".join(rows) + "\n" for header, rows in sections)
    return parse_instance(text, source="generated.txt", name="generated")


def test_the_search_improves_a_first_roster_of_a_larger_instance():
    instance = generated_instance()
    start = greedy_start(instance, seed=0)
    start_objective = evaluate(instance, start).objective
    better = improve(instance, start, time_limit_seconds=4, seed=0)
    evaluation = evaluate(instance, better)
    assert evaluation.violations == []
    assert evaluation.objective < start_objective


def test_a_large_model_goes_from_cp_sat_to_the_search_and_the_evaluator_agrees(caplog):
    instance = generated_instance()
    assert shift_variable_count(instance) > SMALL_MODEL
    with caplog.at_level(logging.INFO, logger="benchmarks.curtois"):
        result = solve_instance(instance, time_limit_seconds=12)
    evaluation = evaluate(instance, result.solution)
    assert evaluation.violations == []
    assert result.objective == evaluation.objective
    assert result.bound <= result.objective
    assert result.seconds < 14
    # At the checkpoint (a quarter of the time) CP-SAT's bound is far below its roster, or it has none yet on a
    # busy machine; either way it stops there and the search runs.
    assert any("stopped at a checkpoint" in record.getMessage() for record in caplog.records)
    assert any(record.getMessage().startswith("generated: search") for record in caplog.records)


def test_a_small_model_is_left_to_cp_sat_alone(solved):
    instance, _ = solved
    assert shift_variable_count(instance) <= SMALL_MODEL
    assert shift_variable_count(instance) == len(_Model(instance).x)


@pytest.mark.parametrize(
    "fixed_pattern,days,wanted_shift,wanted_day",
    [
        ("....N.......", (5, 9), "D", 5),  # a night just before the window: no day shift on its first day
        ("........D...", (4, 8), "N", 7),  # a day shift just after the window: no night on its last day
    ],
)
def test_rotation_holds_across_the_edges_of_a_window(fixed_pattern, days, wanted_shift, wanted_day):
    horizon = len(fixed_pattern)
    cover = [f"{d},{s},0,1,1" for d in range(horizon) for s in "DN" if (d, s) != (wanted_day, wanted_shift)]
    cover.append(f"{wanted_day},{wanted_shift},1,100,1")  # the cover asks for the forbidden shift
    text = (
        f"SECTION_HORIZON\n{horizon}\nSECTION_SHIFTS\nD,480,\nN,480,D\n"
        "SECTION_STAFF\nA,D=99|N=99,99999,0,99,1,1,99\n"
        "SECTION_DAYS_OFF\nSECTION_SHIFT_ON_REQUESTS\nSECTION_SHIFT_OFF_REQUESTS\nSECTION_COVER\n"
        + "\n".join(cover)
        + "\n"
    )
    instance = parse_instance(text, source="t.txt", name="t")
    roster = {"A": tuple(None if c == "." else c for c in fixed_pattern)}
    assert evaluate(instance, roster).feasible
    built = _Model(instance, [0], days, roster)
    solver = solve_model(built)
    merged = _merge(instance, roster, built.solution(solver), days)
    assert evaluate(instance, merged).violations == []
    assert merged["A"][wanted_day] != wanted_shift
