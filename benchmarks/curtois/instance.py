"""The Curtois–Qu shift-scheduling benchmark: reader, independent evaluator and solution files.

The benchmark (schedulingbenchmarks.org, "Nurse Rostering Instances 1..24") is the
public yardstick for the rostering engine. This module knows the text format and the
rules; it imports no solver. The format, the hard rules and the objective are described
in ``SOURCE.md`` next to the instance files; in short:

- each employee works at most one shift a day;
- rotation: a shift may forbid some shifts on the next day;
- at most ``limit(e, s)`` shifts of each type, total minutes within [min, max];
- runs of worked days at most ``MaxConsecutiveShifts`` long (days outside the horizon are off);
- runs of worked days at least ``MinConsecutiveShifts`` long and runs of days off at least
  ``MinConsecutiveDaysOff`` long, except runs that touch day 0 or day H-1;
- at most ``MaxWeekends`` weekends (Saturday ``7w+5`` or Sunday ``7w+6``) with a shift;
- no shift on a day off.

The objective adds the weight of every unmet shift-on request, of every granted
shift-off request, and for every cover row ``wu * under + wo * over``.

Solution files are CSV: a header ``employee,d0,d1,...,d{H-1}`` then one row per
employee, each cell the shift id worked that day or empty for a day off.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)

Solution = dict[str, tuple[str | None, ...]]
"""Employee id -> the shift id worked on each day of the horizon (None for a day off)."""


class CurtoisFormatError(ValueError):
    """A malformed instance file; the message names the file, the section and the line number."""

    def __init__(self, source: str, section: str | None, line_number: int | None, message: str):
        self.source = source
        self.section = section
        self.line_number = line_number
        where = source
        if section:
            where += f", {section}"
        if line_number is not None:
            where += f", line {line_number}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ShiftType:
    """A shift type: its length and the shift types that must not follow it the next day."""

    id: str
    length_minutes: int
    forbidden_next: frozenset[str]


@dataclass(frozen=True)
class Employee:
    """An employee's contract (hard limits) and days off."""

    id: str
    max_shifts: dict[str, int] = field(hash=False)  # shift id -> most shifts of that type over the horizon
    max_total_minutes: int
    min_total_minutes: int
    max_consecutive_shifts: int
    min_consecutive_shifts: int
    min_consecutive_days_off: int
    max_weekends: int
    days_off: frozenset[int] = frozenset()

    def limit(self, shift_id: str) -> int:
        """The most shifts of ``shift_id`` allowed (0 if the contract does not list it)."""
        return self.max_shifts.get(shift_id, 0)


@dataclass(frozen=True)
class Request:
    """A soft shift-on or shift-off request."""

    employee: str
    day: int
    shift: str
    weight: int


@dataclass(frozen=True)
class CoverRow:
    """The preferred number of staff on a shift on a day, with the weights of a shortfall and a surplus."""

    day: int
    shift: str
    requirement: int
    weight_under: int
    weight_over: int


@dataclass(frozen=True)
class Instance:
    """One benchmark instance."""

    name: str
    horizon_days: int
    shifts: tuple[ShiftType, ...]
    staff: tuple[Employee, ...]
    shift_on_requests: tuple[Request, ...]
    shift_off_requests: tuple[Request, ...]
    cover: tuple[CoverRow, ...]

    def shift(self, shift_id: str) -> ShiftType:
        """The shift type with this id."""
        for shift in self.shifts:
            if shift.id == shift_id:
                return shift
        raise KeyError(shift_id)

    def weekends(self) -> list[tuple[int, ...]]:
        """The days of each weekend within the horizon (day 0 is a Monday)."""
        weeks = (self.horizon_days + 1) // 7
        return [tuple(d for d in (7 * w + 5, 7 * w + 6) if d < self.horizon_days) for w in range(weeks)]


@dataclass(frozen=True)
class Evaluation:
    """The objective of a solution, its terms and every broken hard rule (empty if feasible)."""

    objective: int
    violations: list[str]
    terms: dict[str, int] = field(default_factory=dict, hash=False)

    @property
    def feasible(self) -> bool:
        return not self.violations


# --------------------------------------------------------------------------------------------- reading


def read_instance(path: str | Path) -> Instance:
    """Read an instance file.

    Parameters
    ----------
    path : str or Path
        A ``InstanceN.txt`` file.

    Returns
    -------
    Instance

    Raises
    ------
    CurtoisFormatError
        If the file is malformed; the message names the file, the section and the line.
    """
    path = Path(path)
    return parse_instance(path.read_text(encoding="utf-8"), source=path.name, name=path.stem)


def parse_instance(text: str, source: str = "<text>", name: str | None = None) -> Instance:
    """Parse the text of an instance file (see :func:`read_instance`)."""
    rows: dict[str, list[tuple[int, list[str]]]] = {}
    header_line: dict[str, int] = {}
    section = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            if line not in SECTIONS:
                raise CurtoisFormatError(source, line, number, "unknown section")
            if line in rows:
                raise CurtoisFormatError(source, line, number, f"section repeated (first at line {header_line[line]})")
            section = line
            rows[section] = []
            header_line[section] = number
            continue
        if section is None:
            raise CurtoisFormatError(source, None, number, f"data before any section header: {line!r}")
        rows[section].append((number, [cell.strip() for cell in line.split(",")]))
    for wanted in SECTIONS:
        if wanted not in rows:
            raise CurtoisFormatError(source, wanted, None, "section missing")
    return _Builder(source, rows, header_line).build(name or source)


class _Builder:
    """Turns the split rows of each section into an :class:`Instance`, checking every reference."""

    def __init__(self, source: str, rows: dict, header_line: dict):
        self.source, self.rows, self.header_line = source, rows, header_line
        self.section, self.line = None, None

    def fail(self, message: str):
        raise CurtoisFormatError(self.source, self.section, self.line, message)

    def integer(self, text: str, what: str, minimum: int = 0) -> int:
        try:
            value = int(text)
        except ValueError:
            self.fail(f"{what} must be an integer, got {text!r}")
        if value < minimum:
            self.fail(f"{what} must be at least {minimum}, got {value}")
        return value

    def each(self, section: str, fields: int | None = None, at_least: int | None = None):
        """Yield the cells of each row of a section, checking the number of fields."""
        self.section = section
        for self.line, cells in self.rows[section]:  # noqa: B020 (the line is kept for error messages)
            if cells and cells[-1] == "" and (fields is None or len(cells) > fields):
                cells = cells[:-1]  # a trailing comma
            if fields is not None and len(cells) != fields:
                self.fail(f"expected {fields} comma-separated fields, got {len(cells)}")
            if at_least is not None and len(cells) < at_least:
                self.fail(f"expected at least {at_least} comma-separated fields, got {len(cells)}")
            yield cells

    def day(self, text: str) -> int:
        day = self.integer(text, "day")
        if day >= self.horizon_days:
            self.fail(f"day {day} is outside the horizon of {self.horizon_days} days")
        return day

    def shift_id(self, text: str) -> str:
        if text not in self.shift_ids:
            self.fail(f"unknown shift {text!r}")
        return text

    def employee_id(self, text: str) -> str:
        if text not in self.employee_ids:
            self.fail(f"unknown employee {text!r}")
        return text

    def build(self, name: str) -> Instance:
        horizon = list(self.each("SECTION_HORIZON", fields=1))
        if len(horizon) != 1:
            self.line = self.header_line["SECTION_HORIZON"]
            self.fail(f"expected one line with the number of days, got {len(horizon)}")
        self.line = self.rows["SECTION_HORIZON"][0][0]
        self.horizon_days = self.integer(horizon[0][0], "horizon", minimum=1)

        raw_shifts = []
        for cells in self.each("SECTION_SHIFTS", at_least=2):
            if len(cells) > 3:
                self.fail(f"expected 3 comma-separated fields, got {len(cells)}")
            forbidden = [s.strip() for s in cells[2].split("|") if s.strip()] if len(cells) == 3 else []
            raw_shifts.append((self.line, cells[0], self.integer(cells[1], "shift length", minimum=1), forbidden))
        self.shift_ids = set()
        for self.line, shift_id, _, _ in raw_shifts:
            if not shift_id:
                self.fail("empty shift id")
            if shift_id in self.shift_ids:
                self.fail(f"shift {shift_id!r} defined twice")
            self.shift_ids.add(shift_id)
        if not self.shift_ids:
            self.line = self.header_line["SECTION_SHIFTS"]
            self.fail("no shift types")
        shifts = []
        for self.line, shift_id, length, forbidden in raw_shifts:
            shifts.append(ShiftType(shift_id, length, frozenset(self.shift_id(s) for s in forbidden)))

        staff_rows = []
        self.employee_ids = set()
        for cells in self.each("SECTION_STAFF", fields=8):
            employee_id = cells[0]
            if not employee_id or employee_id in self.employee_ids:
                self.fail(f"employee id {employee_id!r} empty or defined twice")
            self.employee_ids.add(employee_id)
            max_shifts = {}
            for item in cells[1].split("|"):
                if not item.strip():
                    continue
                key, sep, value = item.partition("=")
                if not sep:
                    self.fail(f"MaxShifts item {item!r} is not ShiftID=limit")
                max_shifts[self.shift_id(key.strip())] = self.integer(value.strip(), f"MaxShifts of {key.strip()}")
            numbers = [
                self.integer(c, label)
                for c, label in zip(
                    cells[2:],
                    (
                        "MaxTotalMinutes",
                        "MinTotalMinutes",
                        "MaxConsecutiveShifts",
                        "MinConsecutiveShifts",
                        "MinConsecutiveDaysOff",
                        "MaxWeekends",
                    ),
                    strict=False,
                )
            ]  # the row's field count is checked above
            max_total, min_total, max_consecutive, min_consecutive, min_off, max_weekends = numbers
            if min_total > max_total:
                self.fail(f"MinTotalMinutes {min_total} above MaxTotalMinutes {max_total}")
            if min_consecutive > max_consecutive:
                self.fail(f"MinConsecutiveShifts {min_consecutive} above MaxConsecutiveShifts {max_consecutive}")
            staff_rows.append(
                [employee_id, max_shifts, max_total, min_total, max_consecutive, min_consecutive, min_off, max_weekends]
            )

        days_off: dict[str, set[int]] = {}
        for cells in self.each("SECTION_DAYS_OFF", at_least=1):
            employee_id = self.employee_id(cells[0])
            days_off.setdefault(employee_id, set()).update(self.day(c) for c in cells[1:] if c)

        requests = {}
        for section in ("SECTION_SHIFT_ON_REQUESTS", "SECTION_SHIFT_OFF_REQUESTS"):
            requests[section] = tuple(
                Request(
                    self.employee_id(cells[0]),
                    self.day(cells[1]),
                    self.shift_id(cells[2]),
                    self.integer(cells[3], "weight"),
                )
                for cells in self.each(section, fields=4)
            )

        cover, seen = [], set()
        for cells in self.each("SECTION_COVER", fields=5):
            row = CoverRow(
                self.day(cells[0]),
                self.shift_id(cells[1]),
                self.integer(cells[2], "requirement"),
                self.integer(cells[3], "weight for under"),
                self.integer(cells[4], "weight for over"),
            )
            if (row.day, row.shift) in seen:
                self.fail(f"a second cover row for day {row.day}, shift {row.shift!r}")
            seen.add((row.day, row.shift))
            cover.append(row)

        staff = tuple(Employee(*row[:7], row[7], frozenset(days_off.get(row[0], ()))) for row in staff_rows)
        logger.debug("read %s: %d days, %d shifts, %d staff", name, self.horizon_days, len(shifts), len(staff))
        return Instance(
            name,
            self.horizon_days,
            tuple(shifts),
            staff,
            requests["SECTION_SHIFT_ON_REQUESTS"],
            requests["SECTION_SHIFT_OFF_REQUESTS"],
            tuple(cover),
        )


# ------------------------------------------------------------------------------------------ evaluating


def _runs(worked: list[bool]) -> list[tuple[bool, int, int]]:
    """The maximal runs of equal values: (worked, first day, length)."""
    runs = []
    for day, value in enumerate(worked):
        if runs and runs[-1][0] == value:
            runs[-1][2] += 1
        else:
            runs.append([value, day, 1])
    return [tuple(run) for run in runs]


def evaluate(instance: Instance, solution: Solution) -> Evaluation:
    """Check every hard rule of ``SOURCE.md`` and compute the objective, with no solver.

    Parameters
    ----------
    instance : Instance
    solution : dict
        Employee id -> a shift id or None for each day of the horizon.

    Returns
    -------
    Evaluation
        The objective (with its terms ``on_requests``, ``off_requests``, ``cover_under``,
        ``cover_over``) and one message per broken hard rule. Shifts of unknown types or
        days beyond the horizon are reported as violations and left out of the objective.
    """
    horizon = instance.horizon_days
    lengths = {s.id: s.length_minutes for s in instance.shifts}
    forbidden = {s.id: s.forbidden_next for s in instance.shifts}
    violations: list[str] = []
    known = {e.id for e in instance.staff}
    for employee_id in sorted(set(solution) - known):
        violations.append(f"unknown employee {employee_id!r}")

    plan: dict[str, list[str | None]] = {}
    for employee in instance.staff:
        days = list(solution.get(employee.id, ()))
        if employee.id not in solution:
            violations.append(f"{employee.id}: missing from the solution")
        if len(days) != horizon:
            violations.append(f"{employee.id}: {len(days)} days given, the horizon has {horizon}")
            days = (days + [None] * horizon)[:horizon]
        for day, shift_id in enumerate(days):
            if shift_id is not None and shift_id not in lengths:
                violations.append(f"{employee.id} day {day}: unknown shift {shift_id!r}")
                days[day] = None
        plan[employee.id] = days
        violations += _employee_violations(instance, employee, days, lengths, forbidden)

    terms = {"on_requests": 0, "off_requests": 0, "cover_under": 0, "cover_over": 0}
    for request in instance.shift_on_requests:
        if plan[request.employee][request.day] != request.shift:
            terms["on_requests"] += request.weight
    for request in instance.shift_off_requests:
        if plan[request.employee][request.day] == request.shift:
            terms["off_requests"] += request.weight
    for row in instance.cover:
        staffed = sum(1 for days in plan.values() if days[row.day] == row.shift)
        terms["cover_under"] += row.weight_under * max(0, row.requirement - staffed)
        terms["cover_over"] += row.weight_over * max(0, staffed - row.requirement)
    return Evaluation(sum(terms.values()), violations, terms)


def _employee_violations(
    instance: Instance, employee: Employee, days: list[str | None], lengths: dict, forbidden: dict
) -> list[str]:
    """The hard rules of one employee (one shift a day holds by construction of ``days``)."""
    e, horizon = employee.id, instance.horizon_days
    found = []
    for day, shift_id in enumerate(days):
        if shift_id is not None and day in employee.days_off:
            found.append(f"{e} day {day}: works {shift_id} on a day off")
        if day + 1 < horizon and shift_id is not None and days[day + 1] in forbidden[shift_id]:
            found.append(f"{e} days {day}-{day + 1}: rotation, {days[day + 1]} may not follow {shift_id}")
    for shift in instance.shifts:
        count = sum(1 for s in days if s == shift.id)
        if count > employee.limit(shift.id):
            found.append(f"{e}: {count} shifts of {shift.id}, at most {employee.limit(shift.id)}")
    minutes = sum(lengths[s] for s in days if s is not None)
    if minutes > employee.max_total_minutes:
        found.append(f"{e}: {minutes} minutes worked, at most {employee.max_total_minutes}")
    if minutes < employee.min_total_minutes:
        found.append(f"{e}: {minutes} minutes worked, at least {employee.min_total_minutes}")
    for worked, first, length in _runs([s is not None for s in days]):
        last = first + length - 1
        inner = first > 0 and last < horizon - 1  # touches neither edge of the horizon
        if worked and length > employee.max_consecutive_shifts:
            found.append(
                f"{e} days {first}-{last}: {length} consecutive shifts, at most {employee.max_consecutive_shifts}"
            )
        if worked and inner and length < employee.min_consecutive_shifts:
            found.append(
                f"{e} days {first}-{last}: {length} consecutive shifts, at least {employee.min_consecutive_shifts}"
            )
        if not worked and inner and length < employee.min_consecutive_days_off:
            found.append(
                f"{e} days {first}-{last}: {length} consecutive days off, at least {employee.min_consecutive_days_off}"
            )
    weekends = sum(1 for weekend in instance.weekends() if any(days[d] is not None for d in weekend))
    if weekends > employee.max_weekends:
        found.append(f"{e}: {weekends} weekends worked, at most {employee.max_weekends}")
    return found


# ------------------------------------------------------------------------------------------- best known


def read_best_known(data: str | Path) -> dict[str, int]:
    """The best known objective of each instance, from ``best_known.csv`` in the data directory.

    Returns
    -------
    dict
        Instance name (``Instance1``) -> its best known upper bound; empty if the file is absent.
    """
    path = Path(data) / "best_known.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["instance"]: int(row["best_known_upper_bound"]) for row in csv.DictReader(handle)}


# ------------------------------------------------------------------------------------------- solutions


def write_solution(instance: Instance, solution: Solution, path: str | Path) -> None:
    """Write a solution as CSV: ``employee,d0,...,d{H-1}``, one row per employee, empty cell = day off."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["employee"] + [f"d{d}" for d in range(instance.horizon_days)])
        for employee in instance.staff:
            writer.writerow([employee.id] + [s or "" for s in solution[employee.id]])


def read_solution(path: str | Path) -> Solution:
    """Read a solution written by :func:`write_solution`.

    Raises
    ------
    ValueError
        If the header is not ``employee,d0,d1,...`` or a row has the wrong number of cells
        or repeats an employee; the message names the file and the line.
    """
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or rows[0][:1] != ["employee"] or rows[0][1:] != [f"d{d}" for d in range(len(rows[0]) - 1)]:
        raise ValueError(f"{path.name}, line 1: expected the header employee,d0,d1,...")
    days = len(rows[0]) - 1
    solution: Solution = {}
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != days + 1:
            raise ValueError(f"{path.name}, line {number}: expected {days + 1} cells, got {len(row)}")
        if row[0] in solution:
            raise ValueError(f"{path.name}, line {number}: employee {row[0]!r} repeated")
        solution[row[0]] = tuple(cell.strip() or None for cell in row[1:])
    return solution
