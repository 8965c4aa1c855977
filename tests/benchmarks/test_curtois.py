"""The Curtois–Qu benchmark: reader, evaluator on hand-computed cases, solution files, solver and CLI.

The evaluator tests use tiny instances written in the benchmark's text format. Each hard
rule is tried where it holds, where it is broken, and at its boundary. Only Instance1 is
solved (it must reach its known optimum, 607); the data directory is
``../shared/benchmarks/curtois`` relative to the repository root.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from benchmarks.curtois.instance import (
    CurtoisFormatError,
    evaluate,
    parse_instance,
    read_best_known,
    read_instance,
    read_solution,
    write_solution,
)
from raquan.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "benchmarks" / "curtois"
needs_data = pytest.mark.skipif(
    not (DATA / "Instance1.txt").exists(), reason=f"Curtois–Qu instances not found at {DATA}"
)

# ID, MaxShifts, MaxTotalMinutes, MinTotalMinutes, MaxConsecutive, MinConsecutive, MinDaysOff, MaxWeekends
LOOSE = "A,D=99|N=99,99999,0,99,1,1,99"


def instance_text(
    horizon=7, shifts=("D,480,", "N,600,D"), staff=(LOOSE,), days_off=(), on=(), off=(), cover=None
) -> str:
    if cover is None:
        cover = [
            f"{d},{s.split(',')[0]},0,100,1" for d in range(horizon if isinstance(horizon, int) else 7) for s in shifts
        ]
    sections = [
        ("SECTION_HORIZON", [str(horizon)]),
        ("SECTION_SHIFTS", shifts),
        ("SECTION_STAFF", staff),
        ("SECTION_DAYS_OFF", days_off),
        ("SECTION_SHIFT_ON_REQUESTS", on),
        ("SECTION_SHIFT_OFF_REQUESTS", off),
        ("SECTION_COVER", cover),
    ]
    lines = ["# a test instance"]
    for header, rows in sections:
        lines += [header, "# comment", *rows, ""]
    return "\n".join(lines) + "\n"


def make(**kwargs):
    return parse_instance(instance_text(**kwargs), source="test.txt", name="test")


def plan(pattern: str) -> tuple:
    """``"DD.N"`` -> ("D", "D", None, "N")."""
    return tuple(None if c == "." else c for c in pattern)


def violations(instance, *patterns):
    solution = {e.id: plan(p) for e, p in zip(instance.staff, patterns, strict=False)}
    return evaluate(instance, solution).violations


def with_contract(
    max_shifts="D=99|N=99",
    max_minutes=99999,
    min_minutes=0,
    max_consecutive=99,
    min_consecutive=1,
    min_off=1,
    max_weekends=99,
    horizon=7,
    **kwargs,
):
    line = f"A,{max_shifts},{max_minutes},{min_minutes},{max_consecutive},{min_consecutive},{min_off},{max_weekends}"
    return make(horizon=horizon, staff=(line,), **kwargs)


# ------------------------------------------------------------------------------------------ reader


@needs_data
def test_reads_instance1():
    instance = read_instance(DATA / "Instance1.txt")
    assert instance.name == "Instance1" and instance.horizon_days == 14
    assert [(s.id, s.length_minutes, s.forbidden_next) for s in instance.shifts] == [("D", 480, frozenset())]
    assert len(instance.staff) == 8
    a = instance.staff[0]
    assert (
        a.id,
        a.max_shifts,
        a.max_total_minutes,
        a.min_total_minutes,
        a.max_consecutive_shifts,
        a.min_consecutive_shifts,
        a.min_consecutive_days_off,
        a.max_weekends,
        a.days_off,
    ) == ("A", {"D": 14}, 4320, 3360, 5, 2, 2, 1, frozenset({0}))
    assert len(instance.shift_on_requests) == 21 and len(instance.shift_off_requests) == 5
    assert instance.shift_on_requests[0].employee == "A" and instance.shift_on_requests[0].weight == 2
    assert len(instance.cover) == 14 and instance.cover[1].requirement == 7


@needs_data
def test_reads_every_instance_with_its_sizes():
    sizes = {1: (14, 1, 8), 10: (28, 5, 40), 13: (28, 18, 120), 19: (84, 5, 40)}
    for number, (days, shifts, staff) in sizes.items():
        instance = read_instance(DATA / f"Instance{number}.txt")
        assert (instance.horizon_days, len(instance.shifts), len(instance.staff)) == (days, shifts, staff)


def test_reads_forbidden_successors_and_limits():
    instance = make(staff=("A,D=3|N=0,5000,100,4,2,3,1",), days_off=("A,1,3",))
    assert instance.shift("N").forbidden_next == frozenset({"D"})
    assert instance.shift("D").forbidden_next == frozenset()
    a = instance.staff[0]
    assert a.limit("D") == 3 and a.limit("N") == 0 and a.days_off == frozenset({1, 3})


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if line == needle)


@pytest.mark.parametrize(
    "kwargs, bad_line, section, words",
    [
        ({"horizon": "x"}, "x", "SECTION_HORIZON", "horizon must be an integer"),
        ({"shifts": ("D,480,", "N,six,D")}, "N,six,D", "SECTION_SHIFTS", "shift length"),
        ({"shifts": ("D,480,", "N,600,Q")}, "N,600,Q", "SECTION_SHIFTS", "unknown shift 'Q'"),
        ({"staff": ("A,D=1|N=1,100,0,5,1,1",)}, "A,D=1|N=1,100,0,5,1,1", "SECTION_STAFF", "expected 8"),
        ({"staff": ("A,D=1|N=x,100,0,5,1,1,1",)}, "A,D=1|N=x,100,0,5,1,1,1", "SECTION_STAFF", "MaxShifts of N"),
        (
            {"staff": ("A,D=1|N=1,100,200,5,1,1,1",)},
            "A,D=1|N=1,100,200,5,1,1,1",
            "SECTION_STAFF",
            "MinTotalMinutes 200 above",
        ),
        ({"days_off": ("B,1",)}, "B,1", "SECTION_DAYS_OFF", "unknown employee 'B'"),
        ({"days_off": ("A,7",)}, "A,7", "SECTION_DAYS_OFF", "outside the horizon"),
        ({"on": ("A,1,X,1",)}, "A,1,X,1", "SECTION_SHIFT_ON_REQUESTS", "unknown shift 'X'"),
        ({"off": ("A,1,D",)}, "A,1,D", "SECTION_SHIFT_OFF_REQUESTS", "expected 4"),
        ({"cover": ("0,D,1,100,1", "0,D,2,100,1")}, "0,D,2,100,1", "SECTION_COVER", "second cover row"),
        ({"cover": ("0,D,-1,100,1",)}, "0,D,-1,100,1", "SECTION_COVER", "requirement must be at least 0"),
    ],
)
def test_malformed_lines_name_file_section_and_line(kwargs, bad_line, section, words):
    text = instance_text(**kwargs)
    with pytest.raises(CurtoisFormatError) as raised:
        parse_instance(text, source="bad.txt")
    error = raised.value
    assert (error.section, error.line_number) == (section, line_of(text, bad_line))
    assert str(error).startswith(f"bad.txt, {section}, line {error.line_number}: ")
    assert words in str(error)


def test_missing_repeated_unknown_sections_and_stray_data():
    text = instance_text()
    with pytest.raises(CurtoisFormatError, match=r"bad\.txt, SECTION_COVER: section missing"):
        parse_instance(text.split("SECTION_COVER")[0], source="bad.txt")
    with pytest.raises(CurtoisFormatError, match=r"SECTION_HORIZON, line \d+: section repeated"):
        parse_instance(text + "SECTION_HORIZON\n7\n", source="bad.txt")
    with pytest.raises(CurtoisFormatError, match=r"SECTION_WISHES, line 1: unknown section"):
        parse_instance("SECTION_WISHES\n" + text, source="bad.txt")
    with pytest.raises(CurtoisFormatError, match=r"bad\.txt, line 1: data before any section"):
        parse_instance("7\n" + text, source="bad.txt")


def test_read_instance_names_the_file(tmp_path):
    path = tmp_path / "Broken.txt"
    path.write_text(instance_text(horizon="x"), encoding="utf-8")
    with pytest.raises(CurtoisFormatError, match=r"^Broken\.txt, SECTION_HORIZON, line \d+"):
        read_instance(path)


# --------------------------------------------------------------------------------------- evaluator


def test_a_loose_contract_allows_anything_of_the_right_shape():
    assert violations(make(), "DDNN.DD") == []


def test_solution_shape_unknown_shift_wrong_length_and_missing_employee():
    instance = make()
    assert "unknown shift 'X'" in violations(instance, "X......")[0]
    assert "6 days given" in violations(instance, "......")[0]
    found = evaluate(instance, {}).violations
    assert any("missing" in v for v in found)
    assert "unknown employee 'Z'" in evaluate(instance, {"A": plan("......."), "Z": plan(".......")}).violations


def test_rotation():
    instance = make()  # N forbids D on the next day
    assert violations(instance, "DN.....") == []  # D then N is allowed
    assert violations(instance, "N.D....") == []  # a day between
    assert violations(instance, "......N") == []  # nothing carried past the horizon
    found = violations(instance, "ND.....")
    assert len(found) == 1 and "rotation" in found[0] and "days 0-1" in found[0]


def test_max_shifts_per_type():
    instance = with_contract(max_shifts="D=2|N=0")
    assert violations(instance, "D.D....") == []
    assert violations(instance, "D.D.D..") == ["A: 3 shifts of D, at most 2"]
    assert violations(instance, "N......") == ["A: 1 shifts of N, at most 0"]


def test_total_minutes_bounds():
    instance = with_contract(max_minutes=1080, min_minutes=960)  # D = 480, N = 600
    assert violations(instance, "D.D....") == []  # 960: the minimum exactly
    assert violations(instance, "D.N....") == []  # 1080: the maximum exactly
    assert violations(instance, "D......") == ["A: 480 minutes worked, at least 960"]
    assert violations(instance, "N.N....") == ["A: 1200 minutes worked, at most 1080"]


def test_max_consecutive_shifts():
    instance = with_contract(max_consecutive=3)
    assert violations(instance, "DDD.DDD") == []
    assert violations(instance, ".DDDD..") == ["A days 1-4: 4 consecutive shifts, at most 3"]
    # Touching an edge does not excuse a long run: days outside the horizon are off.
    assert violations(instance, "DDDD...") == ["A days 0-3: 4 consecutive shifts, at most 3"]
    assert violations(instance, "...DDDD") == ["A days 3-6: 4 consecutive shifts, at most 3"]


def test_min_consecutive_shifts_with_the_edges_exempt():
    instance = with_contract(min_consecutive=2)
    assert violations(instance, ".DD.DD.") == []
    assert violations(instance, "D......") == []  # touches day 0
    assert violations(instance, "......D") == []  # touches day H-1
    assert violations(instance, "...D...") == ["A days 3-3: 1 consecutive shifts, at least 2"]
    assert violations(instance, ".D.....") == ["A days 1-1: 1 consecutive shifts, at least 2"]
    assert violations(instance, ".....D.") == ["A days 5-5: 1 consecutive shifts, at least 2"]


def test_min_consecutive_days_off_with_the_edges_exempt():
    instance = with_contract(min_off=2)
    assert violations(instance, "D..DD..") == []
    assert violations(instance, ".DDDDDD") == []  # one day off touching day 0
    assert violations(instance, "DDDDDD.") == []  # one day off touching day H-1
    assert violations(instance, "DDD.DDD") == ["A days 3-3: 1 consecutive days off, at least 2"]
    assert violations(instance, "D.DDDDD") == ["A days 1-1: 1 consecutive days off, at least 2"]


def test_max_weekends_at_the_limit_and_one_over():
    instance = with_contract(max_weekends=1, horizon=14)  # weekends: days 5-6 and 12-13
    assert violations(instance, ".....DD.......") == []  # one weekend, both days
    assert violations(instance, ".....D......D.") == ["A: 2 weekends worked, at most 1"]  # Saturdays
    assert violations(instance, "......D......D") == ["A: 2 weekends worked, at most 1"]  # Sundays
    assert violations(instance, "DDDDD..DDDDD..") == []  # weekdays do not count
    assert violations(with_contract(max_weekends=0, horizon=14), "..............") == []
    assert violations(with_contract(max_weekends=0, horizon=14), "......D.......") == [
        "A: 1 weekends worked, at most 0"
    ]


def test_days_off():
    instance = make(days_off=("A,2,4",))
    assert violations(instance, "DD.D.DD") == []
    assert violations(instance, "..D....") == ["A day 2: works D on a day off"]


def test_objective_terms_by_hand():
    # Two employees, two days, shifts D and N; A asks for D on day 0 (weight 2) and N on day 1 (weight 3);
    # B asks not to work D on day 0 (weight 1). Cover: day 0 D wants 2, day 0 N wants 0, day 1 D wants 0,
    # day 1 N wants 1 (under 100 / over 1, except day 1 N under 50 / over 7).
    instance = make(
        horizon=2,
        staff=(LOOSE, "B,D=99|N=99,99999,0,99,1,1,99"),
        on=("A,0,D,2", "A,1,N,3"),
        off=("B,0,D,1",),
        cover=("0,D,2,100,1", "0,N,0,100,1", "1,D,0,100,1", "1,N,1,50,7"),
    )
    # A: D, D (rotation allows); B: D, N.
    result = evaluate(instance, {"A": ("D", "D"), "B": ("D", "N")})
    assert result.violations == []
    # on: A day 1 N unmet -> 3; off: B works D on day 0 -> 1; cover: day 1 D over by 1 -> 1.
    assert result.terms == {"on_requests": 3, "off_requests": 1, "cover_under": 0, "cover_over": 1}
    assert result.objective == 5
    # Nobody works: on 2 + 3; cover day 0 D short 2 -> 200, day 1 N short 1 -> 50.
    empty = evaluate(instance, {"A": (None, None), "B": (None, None)})
    assert empty.terms == {"on_requests": 5, "off_requests": 0, "cover_under": 250, "cover_over": 0}
    assert empty.objective == 255
    # Both on N on day 1: over by one at weight 7.
    both = evaluate(instance, {"A": ("D", "N"), "B": ("D", "N")})
    assert both.terms["cover_over"] == 7 and both.objective == 0 + 1 + 7


# ------------------------------------------------------------------------------------------ solutions


def test_solution_write_read_round_trip(tmp_path):
    instance = make(staff=(LOOSE, "B,D=99|N=99,99999,0,99,1,1,99"))
    solution = {"A": plan("DN..D.N"), "B": plan(".......")}
    path = tmp_path / "out" / "test.csv"
    write_solution(instance, solution, path)
    assert path.read_text(encoding="utf-8").splitlines() == [
        "employee,d0,d1,d2,d3,d4,d5,d6",
        "A,D,N,,,D,,N",
        "B,,,,,,,",
    ]
    assert read_solution(path) == solution


def test_read_solution_rejects_bad_files(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("name,d0\nA,D\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.csv, line 1"):
        read_solution(path)
    path.write_text("employee,d0,d1\nA,D\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.csv, line 2: expected 3 cells"):
        read_solution(path)
    path.write_text("employee,d0\nA,D\nA,\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 3: employee 'A' repeated"):
        read_solution(path)


# ------------------------------------------------------------------------------------- solver and CLI


def test_solver_respects_every_rule_on_a_tight_small_case():
    from benchmarks.curtois.search import solve_instance

    # Cover wants one D every day of 14, but A may work at most 5 in a row, runs of at least 2,
    # at least 2 days off together and one weekend: the evaluator must agree with the solver.
    instance = make(
        horizon=14,
        staff=("A,D=10|N=2,6000,2400,5,2,2,1", "B,D=10|N=2,6000,0,3,2,2,1"),
        days_off=("B,3",),
        on=("A,0,N,2",),
        off=("A,4,D,3",),
        cover=[f"{d},D,1,100,1" for d in range(14)] + [f"{d},N,0,100,1" for d in range(14)],
    )
    result = solve_instance(instance, time_limit_seconds=10, num_workers=2)
    evaluation = evaluate(instance, result.solution)
    assert evaluation.violations == []
    assert result.objective == evaluation.objective
    assert result.status == "OPTIMAL" and result.bound == result.objective


@pytest.mark.parametrize(
    "max_consecutive,min_consecutive,min_off,days_off",
    [
        (3, 2, 2, ()),
        (2, 1, 3, ()),
        (4, 3, 1, ()),
        (3, 2, 2, ("A,2",)),
        (1, 1, 1, ()),
    ],
)
def test_model_accepts_exactly_the_run_patterns_the_evaluator_accepts(
    max_consecutive, min_consecutive, min_off, days_off
):
    """Every work pattern of a 7-day horizon, fixed in the model: feasible there iff the evaluator finds no
    violation. This pins the run network's boundary rules (runs touching day 0 or day 6 are exempt from the
    minimums, the maximum counts from day 0) to the evaluator's."""
    from itertools import product

    from ortools.sat.python import cp_model

    from benchmarks.curtois.model import _Model

    instance = with_contract(
        max_shifts="D=99|N=0",
        max_consecutive=max_consecutive,
        min_consecutive=min_consecutive,
        min_off=min_off,
        days_off=days_off,
        cover=[f"{d},D,0,1,1" for d in range(7)],
    )
    mismatches = []
    for pattern in product("D.", repeat=7):
        built = _Model(instance)
        possible = True
        for d, c in enumerate(pattern):
            if (0, d, 0) in built.x:
                built.model.add(built.x[0, d, 0] == (c == "D"))
            elif c == "D":
                possible = False  # a day off: the model has no variable, so it cannot work
        solver = cp_model.CpSolver()
        feasible = possible and solver.solve(built.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        if feasible != (violations(instance, "".join(pattern)) == []):
            mismatches.append("".join(pattern))
    assert mismatches == []


@needs_data
def test_solver_reaches_the_optimum_of_instance1_and_the_evaluator_agrees():
    from benchmarks.curtois.search import solve_instance

    instance = read_instance(DATA / "Instance1.txt")
    result = solve_instance(instance, time_limit_seconds=20, num_workers=2)
    evaluation = evaluate(instance, result.solution)
    assert evaluation.violations == []
    assert result.objective == evaluation.objective == 607


@needs_data
def test_bench_cli_prints_the_csv_and_writes_the_solution(tmp_path, capsys):
    code = main(
        [
            "bench",
            "curtois",
            "--instances",
            "1",
            "--time-limit",
            "20",
            "--format",
            "csv",
            "--data",
            str(DATA),
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["instance", "objective", "best_known", "gap_pct", "bound", "seconds"]
    assert rows[1][:5] == ["Instance1", "607", "607", "0.00", "607"]
    instance = read_instance(DATA / "Instance1.txt")
    assert evaluate(instance, read_solution(tmp_path / "Instance1.csv")).objective == 607


def test_best_known_values(tmp_path):
    assert read_best_known(tmp_path) == {}
    (tmp_path / "best_known.csv").write_text(
        "instance,best_known_upper_bound\nInstance1,607\nInstance6,1950\n", encoding="utf-8"
    )
    assert read_best_known(tmp_path) == {"Instance1": 607, "Instance6": 1950}


def test_bench_instance_lists():
    from raquan.cli import parse_instance_numbers

    assert parse_instance_numbers("1-3,13,2") == [1, 2, 3, 13]
    with pytest.raises(Exception, match="not an instance list"):
        parse_instance_numbers("one")


def test_bench_fails_on_a_missing_instance(tmp_path, capsys):
    assert main(["bench", "curtois", "--instances", "99", "--data", str(tmp_path)]) == 1
    assert "Instance99.txt" in capsys.readouterr().err


def test_the_reader_and_evaluator_import_no_solver():
    """The evaluator re-checks the solver's rosters, so it must not share the solver's code or OR-Tools."""
    import ast

    tree = ast.parse((ROOT / "benchmarks" / "curtois" / "instance.py").read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert "csv" in names  # the check sees the module's imports
    assert not any(name.split(".")[0] == "ortools" or name.startswith("benchmarks.curtois.") for name in names), names
