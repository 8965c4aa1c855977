"""Problems found in a campaign's files, and the error that carries them.

A :class:`Problem` names where it is (file, data row, column) and says in
Vietnamese what is wrong and why. Readers collect every problem instead of
stopping at the first, so a coordinator can fix a whole file in one pass.

What is shown is bounded: :func:`bounded` keeps at most
:data:`MAX_PROBLEMS_PER_COLUMN` problems of one severity per column and
:data:`MAX_PROBLEMS_PER_FILE` per file, and puts the rest into one summary
problem per column and per file that counts them (its ``omitted``), so
:func:`problem_count` stays exact. :class:`CheckReport` is a check's result:
the errors, warnings and notes apart, each bounded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SEVERITIES = ("error", "warning", "note")
# The most problems of one severity listed for one column of a file, and for one file; the rest are counted.
MAX_PROBLEMS_PER_COLUMN = 50
MAX_PROBLEMS_PER_FILE = 200
_NOUNS = {"error": "lỗi", "warning": "cảnh báo", "note": "ghi chú"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a campaign's files.

    Attributes
    ----------
    file : str
        The file's name, e.g. ``"people.csv"`` or ``"campaign.toml"``.
    row : int or None
        The spreadsheet line minus one, so that :attr:`line` is the line a spreadsheet shows: with the
        header on line 1 (the usual case) it is the 1-based data row; under title rows it keeps
        counting the lines above the header. ``None`` for a problem of the whole file or of a column.
    column : str or None
        The canonical (English) column name, or the TOML key such as ``"rules.night_start"``.
    message : str
        What is wrong, in Vietnamese.
    heading : str or None
        The column's header as the file wrote it, when it differs from ``column``
        (a Vietnamese header such as ``"Ngày bận"``); shown to the user.
    severity : str
        ``"error"`` (the default: the campaign does not load), ``"warning"`` (it loads, but something
        looks wrong, such as a table with a header and no rows) or ``"note"`` (what the reader did on
        the user's behalf: the header line it found, a column it ignored, an old ward name it
        converted). Only errors block a load.
    omitted : int
        0 for a problem; for a summary that stands for problems not listed (see :func:`bounded`),
        how many it stands for.
    """

    file: str
    row: int | None
    column: str | None
    message: str
    heading: str | None = None
    severity: str = "error"
    omitted: int = 0

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def count(self) -> int:
        """How many problems this one stands for: 1, or for a summary the number it counts."""
        return self.omitted or 1

    @property
    def line(self) -> int | None:
        """The line of the file as a spreadsheet numbers it (the header is line 1)."""
        return None if self.row is None else self.row + 1

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", hàng {self.row} (dòng {self.line})"
        if self.column is not None:
            shown = self.column if self.heading in (None, self.column) else f"'{self.heading}' ({self.column})"
            where += f", {'khoá' if self.file.endswith('.toml') else 'cột'} {shown}"
        return f"{where}: {self.message}"


def problem_count(problems: Iterable[Problem]) -> int:
    """The exact number of problems found, counting what each summary stands for."""
    return sum(problem.count for problem in problems)


def number_vi(value: int) -> str:
    """A whole number as Vietnamese writes it: ``12.345``."""
    return f"{value:,}".replace(",", ".")


def bounded(
    problems: Iterable[Problem], per_column: int = MAX_PROBLEMS_PER_COLUMN, per_file: int = MAX_PROBLEMS_PER_FILE
) -> list[Problem]:
    """The problems to show: a bounded number per column and per file, the rest counted in summaries.

    Parameters
    ----------
    problems
        In the order to show them (file order). Problems of each severity are bounded apart, so
        many notes never hide an error.
    per_column, per_file
        The most problems of one severity listed for one column (or, for problems of no column,
        for the file's other problems) and for one file.

    Returns
    -------
    list of Problem
        The problems listed, grouped by file in the order the files first appear; after each file's
        problems, one summary per column whose problems were cut and one for the file, each with
        ``omitted`` set to how many it stands for, so :func:`problem_count` is the same before and
        after. Time is linear in the problems; applying it again changes nothing.
    """
    listed: dict[str, list[Problem]] = {}
    in_column: dict[tuple, int] = {}
    in_file: dict[tuple, int] = {}
    cut_in_column: dict[tuple, list] = {}  # (severity, file, column) -> [heading, count]
    cut_in_file: dict[tuple, int] = {}
    for problem in problems:
        shown = listed.setdefault(problem.file, [])
        if problem.omitted:  # a summary already
            shown.append(problem)
            continue
        column_key = (problem.severity, problem.file, problem.column)
        file_key = (problem.severity, problem.file)
        if in_column.get(column_key, 0) >= per_column:
            cut = cut_in_column.setdefault(column_key, [problem.heading, 0])
            cut[1] += 1
            continue
        in_column[column_key] = in_column.get(column_key, 0) + 1
        if in_file.get(file_key, 0) >= per_file:
            cut_in_file[file_key] = cut_in_file.get(file_key, 0) + 1
            continue
        in_file[file_key] = in_file.get(file_key, 0) + 1
        shown.append(problem)
    for (severity, file, column), (heading, count) in cut_in_column.items():
        noun = _NOUNS.get(severity, "vấn đề")
        where = "cùng cột" if column is not None else "không thuộc cột nào"
        listed[file].append(
            Problem(
                file,
                None,
                column,
                f"và {number_vi(count)} {noun} khác {where} không được liệt kê "
                f"(chỉ liệt kê {per_column} {noun} đầu tiên)",
                heading,
                severity,
                count,
            )
        )
    for (severity, file), count in cut_in_file.items():
        noun = _NOUNS.get(severity, "vấn đề")
        listed[file].append(
            Problem(
                file,
                None,
                None,
                f"và {number_vi(count)} {noun} khác trong tệp không được liệt kê "
                f"(chỉ liệt kê {per_file} {noun} đầu tiên của mỗi tệp)",
                None,
                severity,
                count,
            )
        )
    return [problem for shown in listed.values() for problem in shown]


@dataclass(frozen=True)
class CheckReport:
    """What checking a campaign found: errors (it does not load), warnings and notes (it loads).

    Attributes
    ----------
    errors, warnings, notes : tuple of Problem
        Each in file order and bounded (see :func:`bounded`); a summary stands for those not listed.
    """

    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    notes: tuple[Problem, ...] = ()

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> CheckReport:
        """Sort problems by severity (an unknown severity counts as an error), keeping their order, and bound each."""
        by_severity: dict[str, list[Problem]] = {severity: [] for severity in SEVERITIES}
        for problem in problems:
            by_severity.get(problem.severity, by_severity["error"]).append(problem)
        return cls(*(tuple(bounded(by_severity[severity])) for severity in SEVERITIES))

    @property
    def ok(self) -> bool:
        """No errors: the campaign loads."""
        return not self.errors

    @property
    def error_count(self) -> int:
        return problem_count(self.errors)

    @property
    def warning_count(self) -> int:
        return problem_count(self.warnings)

    @property
    def note_count(self) -> int:
        return problem_count(self.notes)


class CampaignLoadError(ValueError):
    """A campaign's files have problems; nothing was loaded.

    Attributes
    ----------
    problems : tuple of Problem
        The problems, in file order and bounded (see :func:`bounded`): a summary stands for the
        problems of a column or a file beyond the limits.
    count : int
        The exact number of problems found.
    """

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(bounded(problems))
        self.count = problem_count(self.problems)
        lines = [f"không đọc được chiến dịch: {number_vi(self.count)} lỗi"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))
