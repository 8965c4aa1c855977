"""Load a campaign from its directory, collecting every problem on the way.

A campaign directory holds four files and an optional fifth (``docs/data-format.md``
describes every column)::

    campaign.toml                 name, province, calendar, [[shifts]], [rules], [weights], [solver], [volunteers]
    wards.csv | wards.xlsx        the campaign's wards and what each needs
    people.csv | people.xlsx      the three pools of people
    mobile_points.csv | .xlsx     the mobile service points
    pins.csv | pins.xlsx          optional: assignments the roster must keep

:func:`check_campaign` returns the errors; :func:`check_campaign_report` returns
them with the warnings and notes (a table with a header and no rows, what the
table reader did on the user's behalf), which never block a load, and
:func:`load_campaign_report` the campaign too. :func:`load_campaign` returns the
:class:`~scheduler.model.Campaign` or raises :class:`CampaignLoadError` with the
errors. Nothing is half-loaded: one error anywhere and no campaign is built.
Bad cell content never raises anything but that error.

The same files held in memory (the web app keeps them in its database) load with
:func:`load_campaign_files` and check with :func:`check_campaign_files`, by the same
code: a directory is listed and its files go through the one loader
(:func:`_load_sources`) as the in-memory ones do, so the campaign and every
problem's file, row, column and wording are the same either way. A file on disk
is read as it is parsed, so the readers' size limits refuse it before it is held
in memory.

Checking costs time and memory linear in the rows: rows sharing an id or a
phone each name the first of them, and what is reported is bounded per column
and per file by :func:`scheduler.problems.bounded` (the rest counted, the
count exact), in the one place every caller goes through (:func:`_load`). A
value repeated down a column is parsed once, and once a table has an error its
remaining rows are checked but not built into model objects.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from geo.units import AdminUnit, Province, UnknownPlaceError, find_province
from scheduler import cells
from scheduler.cells import CellError, clean
from scheduler.model import (
    Assignment,
    Campaign,
    CampaignRules,
    MobilePoint,
    Person,
    Pool,
    PriorityGroup,
    Shift,
    ShiftKind,
    SoftWeights,
    StaffNeed,
    Ward,
    WardDemand,
)
from scheduler.problems import CampaignLoadError, CheckReport, Problem, number_vi
from scheduler.settings import SolveSettings, VolunteerSettings, settings_from_table, volunteer_settings_from_table
from scheduler.tables import (
    MOBILE_POINTS,
    PEOPLE,
    PINS,
    TABLE_SUFFIXES,
    WARDS,
    MemoryFile,
    Table,
    TableSchema,
    choose_table_file,
    read_table,
)

logger = logging.getLogger(__name__)

CAMPAIGN_FILE = "campaign.toml"
Source = Path | MemoryFile  # a campaign file on disk or in memory, read by the same readers
MAX_CAMPAIGN_DAYS = 366

# campaign.toml [rules]: key -> (CampaignRules field, kind, minimum, maximum). Times are "HH:MM".
RULE_KEYS: dict[str, tuple[str, str, int, int]] = {
    "min_support_staff_per_shift": ("min_support_staff_per_shift", "int", 0, 50),
    "min_telecom_staff_per_day": ("min_telecom_staff_per_day", "int", 0, 50),
    "oncall_24_7": ("oncall_24_7", "bool", 0, 1),
    "night_response_limit_minutes": ("night_response_limit_minutes", "int", 0, 1440),
    "mobile_point_travel_limit_minutes": ("mobile_point_travel_limit_minutes", "int", 0, 1440),
    "max_work_hours_per_day": ("max_work_hours_per_day", "int", 0, 24),
    "max_work_hours_per_week": ("max_work_hours_per_week", "int", 0, 168),
    "min_rest_between_shifts_hours": ("min_rest_between_shifts_hours", "int", 0, 168),
    "min_weekly_rest_hours": ("min_weekly_rest_hours", "int", 0, 168),
    "night_start": ("night_start_minute", "time", 0, 0),
    "night_end": ("night_end_minute", "time", 0, 0),
    "student_weekly_cap_hours": ("student_weekly_cap_hours", "int", 0, 168),
    "day_response_limit_minutes": ("day_response_limit_minutes", "int", 0, 1440),
    "acknowledge_limit_minutes": ("acknowledge_limit_minutes", "int", 1, 1440),
    "auto_dispatch_urgent": ("auto_dispatch_urgent", "bool", 0, 1),
    "ward_staff_list_deadline": ("ward_staff_list_deadline_minute", "time", 0, 0),
}
TOP_KEYS = ("name", "province", "start_date", "days", "shifts", "rules", "weights", "solver", "volunteers")
# campaign.toml [weights]: the fields of SoftWeights, whole numbers from 0 to MAX_WEIGHT.
WEIGHT_KEYS = tuple(SoftWeights.__dataclass_fields__)
MAX_WEIGHT = 1_000_000
SHIFT_KEYS = ("id", "name", "start", "end", "kind")

# Bounds of the numbers in the tables.
MAX_STAFF = 50
MAX_POINT_STAFF = 100
MAX_RESPONSE_MINUTES = 1440
MAX_WEEK_HOURS = 168
# The rows a duplicate's first row names; it counts the others.
MAX_DUPLICATE_ROWS_NAMED = 5
# The distinct texts of one column whose reading is remembered while a table is read.
MEMO_VALUES_PER_COLUMN = 4096


def load_campaign(directory: Path | str) -> Campaign:
    """Read a campaign directory into a :class:`~scheduler.model.Campaign`.

    Parameters
    ----------
    directory
        Holds ``campaign.toml`` and ``wards``, ``people``, ``mobile_points`` each as
        ``.csv`` or ``.xlsx``, and optionally ``pins`` (``.csv`` or ``.xlsx``).

    Raises
    ------
    CampaignLoadError
        When anything is wrong; ``error.problems`` lists every problem found, each
        with its file, data row and column. No other exception comes from bad content.
    """
    campaign, report = _load(Path(directory))
    if campaign is None:
        raise CampaignLoadError(report.errors)
    return campaign


def check_campaign(directory: Path | str) -> list[Problem]:
    """The errors of a campaign directory; an empty list means :func:`load_campaign` succeeds.

    The list is bounded as :func:`check_campaign_report` says; warnings and notes are left out.
    """
    return list(_load(Path(directory))[1].errors)


def check_campaign_report(directory: Path | str) -> CheckReport:
    """Check a campaign directory: its errors, warnings and notes apart.

    Parameters
    ----------
    directory
        A campaign directory, as :func:`load_campaign` takes.

    Returns
    -------
    CheckReport
        ``errors`` (the campaign does not load), ``warnings`` (it loads but something looks wrong,
        such as a table with a header and no rows) and ``notes`` (what the table reader did on the
        user's behalf), each in file order and bounded by :func:`scheduler.problems.bounded`:
        at most :data:`~scheduler.problems.MAX_PROBLEMS_PER_COLUMN` per column and
        :data:`~scheduler.problems.MAX_PROBLEMS_PER_FILE` per file are listed, the rest are
        counted in a summary, and ``report.error_count`` is exact.
    """
    return _load(Path(directory))[1]


def load_campaign_report(directory: Path | str) -> tuple[Campaign | None, CheckReport]:
    """Load a campaign directory and say what was found, in one pass.

    Returns
    -------
    campaign, report
        The campaign, or None when ``report.errors`` is not empty, and the report as
        :func:`check_campaign_report` gives it.
    """
    return _load(Path(directory))


def load_campaign_files(files: Mapping[str, bytes]) -> tuple[Campaign | None, CheckReport]:
    """Load a campaign from its files held in memory and say what was found, in one pass.

    Parameters
    ----------
    files
        File name (``campaign.toml``, ``people.xlsx``, ``wards.csv``...) -> the file's bytes:
        the files a campaign directory holds (see :func:`load_campaign`); other names are ignored.

    Returns
    -------
    campaign, report
        As :func:`load_campaign_report` gives them for a directory holding these files: the
        campaign, or None when ``report.errors`` is not empty, and every problem with the same
        file, row, column and wording.
    """
    sources = {name: MemoryFile(name, bytes(content)) for name, content in files.items()}
    campaign, problems = _load_sources(sources)
    return campaign, CheckReport.of(problems)


def check_campaign_files(files: Mapping[str, bytes]) -> CheckReport:
    """Check a campaign's files held in memory: errors, warnings and notes as :func:`check_campaign_report` gives them."""
    return load_campaign_files(files)[1]


# --- campaign.toml -----------------------------------------------------------------------------


@dataclass
class Settings:
    """What campaign.toml gives; a field is None when it could not be read."""

    name: str | None = None
    province: Province | None = None
    start_date: date | None = None
    days: int | None = None
    shifts: tuple[Shift, ...] | None = None
    rules: CampaignRules | None = None
    weights: SoftWeights | None = None
    solver: SolveSettings = field(default_factory=SolveSettings)
    volunteers: VolunteerSettings = field(default_factory=VolunteerSettings)


def read_settings(path: Path | MemoryFile | None) -> tuple[Settings, list[Problem]]:
    """Read campaign.toml, on disk or in memory (None: there is none); unknown keys, in ``[rules]`` and
    ``[weights]`` too, are problems."""
    settings = Settings()
    problems: list[Problem] = []
    file = path.name if path is not None else CAMPAIGN_FILE

    def problem(key, message):
        problems.append(Problem(file, None, key, message))

    if path is None or (isinstance(path, Path) and not path.is_file()):
        problem(None, f"thiếu tệp {CAMPAIGN_FILE} trong thư mục chiến dịch")
        return settings, problems
    try:
        content = path.content if isinstance(path, MemoryFile) else path.read_bytes()
        text = content.decode("utf-8").removeprefix("\ufeff")
        data = tomllib.loads(text)
    except OSError as error:
        problem(None, f"không đọc được tệp: {error.strerror or error}")
        return settings, problems
    except UnicodeDecodeError:
        problem(None, "tệp không phải UTF-8")
        return settings, problems
    except tomllib.TOMLDecodeError as error:
        problem(None, toml_error_vi(error, text))
        return settings, problems

    for key in data:
        if key not in TOP_KEYS:
            problem(key, f"khoá không được hỗ trợ '{key}'; các khoá: {', '.join(TOP_KEYS)}")

    for key in ("name", "province", "start_date", "days", "shifts"):
        if key not in data:
            problem(key, f"thiếu khoá bắt buộc '{key}'")

    if "name" in data:
        try:
            settings.name = cells.parse_free_text(_toml_text(data["name"]), "tên chiến dịch")
        except CellError as error:
            problem("name", str(error))
    if "province" in data:
        try:
            settings.province = find_province(_toml_text(data["province"]))
        except CellError as error:
            problem("province", str(error))
        except UnknownPlaceError as error:
            problem("province", str(error))
    if "start_date" in data:
        value = data["start_date"]
        try:
            if isinstance(value, datetime):
                raise CellError("ngày bắt đầu chỉ ghi ngày, không ghi giờ")
            settings.start_date = value if isinstance(value, date) else cells.parse_date(_toml_text(value))
        except CellError as error:
            problem("start_date", str(error))
    if "days" in data:
        try:
            settings.days = _toml_int(data["days"], 1, MAX_CAMPAIGN_DAYS)
        except CellError as error:
            problem("days", str(error))

    if "shifts" in data:
        settings.shifts = _read_shifts(data["shifts"], problem)
    settings.rules = _read_rules(data.get("rules", {}), problem)
    settings.weights = _read_weights(data.get("weights", {}), problem)
    settings.solver, solver_problems = settings_from_table(data.get("solver", {}))
    for key, message in solver_problems:
        problem(key, message)
    settings.volunteers, volunteer_problems = volunteer_settings_from_table(
        data.get("volunteers", {}), _ward_code_in(settings.province)
    )
    for key, message in volunteer_problems:
        problem(key, message)
    return settings, problems


def _ward_code_in(province: Province | None):
    """A ward as written -> its code in ``province`` (ValueError with the reason); None without a province."""
    if province is None:
        return None

    def ward_code(text: str) -> str:
        try:
            return cells.parse_ward(text, province.name).code
        except CellError as error:
            raise ValueError(str(error)) from None

    return ward_code


def read_volunteer_settings(path: Path | MemoryFile | None) -> VolunteerSettings:
    """``[volunteers]`` of campaign.toml (on disk or in memory): the defaults where it says nothing.

    As with :func:`read_solve_settings`, a campaign whose ``[volunteers]`` has a problem does not load, so
    here a bad key simply keeps its default.
    """
    if path is None or (isinstance(path, Path) and not path.is_file()):
        return VolunteerSettings()
    return read_settings(path)[0].volunteers


def read_solve_settings(path: Path | MemoryFile | None) -> SolveSettings:
    """``[solver]`` of campaign.toml (on disk or in memory) as settings; the defaults where it says nothing.

    A campaign whose ``[solver]`` has a problem does not load (:func:`read_settings` reports it), so
    here a bad key simply keeps its default.
    """
    if path is None or (isinstance(path, Path) and not path.is_file()):
        return SolveSettings()
    return read_settings(path)[0].solver


# tomllib's messages (Python 3.11–3.13 word them so) -> Vietnamese; the first pattern that matches wins.
_TOML_MESSAGES_VI = (
    (r"Invalid value", 'giá trị không hợp lệ (chuỗi phải trong dấu nháy "...", danh sách trong [...])'),
    (
        r"Cannot overwrite a value|Cannot declare .* twice|Duplicate inline table key|Cannot redefine namespace",
        "khoá này đã được khai báo trước đó",
    ),
    (r"Cannot mutate immutable namespace", "không thể thêm khoá vào bảng đã đóng"),
    (r"Expected '=' after a key", "thiếu dấu '=' sau tên khoá"),
    (r"Expected newline or end of document after a statement", "sau một giá trị phải xuống dòng"),
    (r"Expected '\]\]' at the end of an array declaration", "thiếu ']]' cuối dòng khai báo [[...]]"),
    (r"Expected '\]' at the end of a table declaration", "thiếu ']' cuối dòng khai báo bảng [...]"),
    (r"Unterminated string", "chuỗi chưa đóng dấu nháy"),
    (r"Unclosed array", "danh sách chưa đóng ']'"),
    (r"Unclosed inline table", "bảng trên một dòng chưa đóng '}'"),
    (r"Invalid date or datetime", "ngày hoặc giờ không hợp lệ"),
    (r"Invalid initial character for a key part|Invalid statement", "dòng không phải khoá = giá trị"),
    (r"Illegal character|Found invalid character", "có ký tự không được phép"),
    (r"Unescaped '\\'|Invalid hex value|Escaped character", "dấu '\\' trong chuỗi không hợp lệ"),
)


def toml_error_vi(error: tomllib.TOMLDecodeError, text: str) -> str:
    """A TOML syntax error in Vietnamese, with its line and column.

    Parameters
    ----------
    error
        What :func:`tomllib.loads` raised for ``text``.
    text
        The document, to place an error "at end of document".
    """
    message = str(error)
    line = column = None
    if getattr(error, "lineno", None):  # Python 3.14 and later
        line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
    else:
        found = re.search(r"\(at line (\d+), column (\d+)\)$", message)
        if found:
            line, column = int(found[1]), int(found[2])
        elif message.endswith("(at end of document)"):
            lines = text.split("\n")
            line, column = len(lines), len(lines[-1]) + 1
    reason = next(
        (vietnamese for pattern, vietnamese in _TOML_MESSAGES_VI if re.match(pattern, message)), "cú pháp không hợp lệ"
    )
    where = f" ở dòng {line}, cột {column}" if line is not None else ""
    return f"không đọc được TOML{where}: {reason}"


def _toml_text(value) -> str:
    if not isinstance(value, str):
        raise CellError(f"phải là chuỗi trong dấu nháy, không phải {value!r}")
    text = clean(value)
    if not text:
        raise CellError("không được để trống")
    return text


def _toml_int(value, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CellError(f"phải là số nguyên, không phải {value!r}")
    if not minimum <= value <= maximum:
        raise CellError(f"phải từ {minimum} đến {maximum}, không phải {value}")
    return value


def _read_shifts(value, problem) -> tuple[Shift, ...] | None:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        problem("shifts", "mỗi ca là một bảng [[shifts]] với id, name, start, end, kind")
        return None
    if not value:
        problem("shifts", "cần ít nhất một ca [[shifts]]")
        return None
    shifts: list[Shift] = []
    seen: dict[str, int] = {}
    ok = True
    for number, item in enumerate(value, 1):
        where = f"shifts[{number}]"
        for key in item:
            if key not in SHIFT_KEYS:
                problem(f"{where}.{key}", f"khoá không được hỗ trợ '{key}'; các khoá của ca: {', '.join(SHIFT_KEYS)}")
                ok = False
        parsed: dict[str, Any] = {}
        for key, parse in (
            ("id", lambda t: cells.parse_identifier(t, "mã ca")),
            ("name", lambda t: cells.parse_free_text(t, "tên ca")),
            ("start", cells.parse_time),
            ("end", lambda t: cells.parse_time(t, allow_end_of_day=True)),
            ("kind", cells.parse_shift_kind),
        ):
            if key not in item:
                problem(f"{where}.{key}", f"ca thứ {number} thiếu khoá '{key}'")
                continue
            try:
                parsed[key] = parse(_toml_text(item[key]))
            except CellError as error:
                problem(f"{where}.{key}", str(error))
        if len(parsed) < len(SHIFT_KEYS):
            ok = False
            continue
        if parsed["id"] in seen:
            problem(f"{where}.id", f"mã ca '{parsed['id']}' trùng với ca thứ {seen[parsed['id']]}")
            ok = False
            continue
        seen[parsed["id"]] = number
        start, end = parsed["start"], parsed["end"]
        if start == 24 * 60:
            problem(f"{where}.start", "giờ bắt đầu không thể là 24:00")
            ok = False
            continue
        if end == start:
            problem(f"{where}.end", "giờ kết thúc trùng giờ bắt đầu; ca dài 24 giờ hãy chia thành nhiều ca")
            ok = False
            continue
        if end < start:
            end += 24 * 60  # ends the next day
        shifts.append(Shift(parsed["id"], parsed["name"], start, end, parsed["kind"]))
    return tuple(shifts) if ok else None


def _read_rules(value, problem) -> CampaignRules | None:
    if not isinstance(value, dict):
        problem("rules", "'rules' phải là một bảng [rules]")
        return None
    values: dict[str, Any] = {}
    ok = True
    for key, item in value.items():
        if key not in RULE_KEYS:
            problem(f"rules.{key}", f"khoá không được hỗ trợ '{key}'; các khoá của [rules]: {', '.join(RULE_KEYS)}")
            ok = False
            continue
        name, kind, minimum, maximum = RULE_KEYS[key]
        try:
            if kind == "int":
                values[name] = _toml_int(item, minimum, maximum)
            elif kind == "bool":
                if not isinstance(item, bool):
                    raise CellError(f"phải là true hoặc false, không phải {item!r}")
                values[name] = item
            else:
                values[name] = cells.parse_time(_toml_text(item))
        except CellError as error:
            problem(f"rules.{key}", str(error))
            ok = False
    if not ok:
        return None
    try:
        return CampaignRules(**values)
    except ValueError as error:  # bounds are checked above; kept for safety
        problem("rules", f"quy tắc không hợp lệ: {error}")
        return None


def _read_weights(value, problem) -> SoftWeights | None:
    """The ``[weights]`` table: any of the SoftWeights fields, whole numbers 0–MAX_WEIGHT; the others keep their
    default."""
    if not isinstance(value, dict):
        problem("weights", "'weights' phải là một bảng [weights]")
        return None
    values, ok = {}, True
    for key, item in value.items():
        if key not in WEIGHT_KEYS:
            problem(
                f"weights.{key}", f"khoá không được hỗ trợ '{key}'; các khoá của [weights]: " + ", ".join(WEIGHT_KEYS)
            )
            ok = False
            continue
        try:
            values[key] = _toml_int(item, 0, MAX_WEIGHT)
        except CellError as error:
            problem(f"weights.{key}", f"trọng số {str(error)}")
            ok = False
    return SoftWeights(**values) if ok else None


# --- the tables --------------------------------------------------------------------------------


class _Unknown(Exception):
    """A cell cannot be checked because campaign.toml or wards failed; already reported there."""


@dataclass
class _Context:
    """What the tables are checked against: the province, the calendar, the shifts, the wards."""

    settings: Settings
    wards_file: str = "wards.csv"
    campaign_wards: set[str] | None = None  # codes; None while unknown
    people_file: str = "people.csv"
    people: dict[str, Person] | None = None  # by case-folded id; None while unknown

    @property
    def rules(self) -> CampaignRules:
        return self.settings.rules or CampaignRules()

    def commune(self, text: str) -> AdminUnit:
        """The commune of the campaign's province named or coded by ``text`` (see :func:`cells.parse_ward`)."""
        province = self.settings.province
        if province is None:
            raise _Unknown
        return cells.parse_ward(text, province.name)

    def campaign_ward(self, text: str) -> AdminUnit:
        """A commune that must also be one of the campaign's wards (listed in wards.csv)."""
        unit = self.commune(text)
        if self.campaign_wards is not None and unit.code not in self.campaign_wards:
            raise CellError(
                f"xã/phường '{unit.name}' không có trong {self.wards_file} (danh sách xã/phường của chiến dịch)"
            )
        return unit

    def campaign_date(self, text: str) -> date:
        """A date that falls within the campaign."""
        day = cells.parse_date(text)
        start, days = self.settings.start_date, self.settings.days
        if start is not None and days is not None:
            end = date.fromordinal(start.toordinal() + days - 1)
            if not start <= day <= end:
                raise CellError(
                    f"ngày {cells.format_date(day)} nằm ngoài chiến dịch "
                    f"({cells.format_date(start)} – {cells.format_date(end)})"
                )
        return day

    def shift_id(self, text: str, service_only: bool = False) -> str:
        shifts = self.settings.shifts
        if shifts is None:
            return text
        known = {shift.id: shift for shift in shifts}
        if text not in known:
            raise CellError(f"không có ca '{text}'; các ca: {', '.join(known)}")
        if service_only and known[text].kind is not ShiftKind.SERVICE:
            raise CellError(f"ca '{text}' là ca trực, không phải ca phục vụ")
        return text

    def service_shift_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.settings.shifts or () if s.kind is ShiftKind.SERVICE)


class TableState:
    """What the rows of one table share while it is read.

    Attributes
    ----------
    memo : dict
        Column -> cell text -> what the column's parser made of it, so a value repeated down a
        column (a pool, a ward, yes/no) is read once. A column's parser must depend on the text
        alone, and what it returns is shared between rows and must not be changed. At most
        :data:`MEMO_VALUES_PER_COLUMN` texts are remembered per column.
    keys : dict
        Column -> key -> the rows that have it, for the duplicates.
    failed : bool
        The table has an error (its header, a row, a key on two rows): the campaign will not load,
        so the readers still check the rows that follow but no longer build them into model objects.
    """

    def __init__(self, problems: list[Problem]):
        self.memo: dict[str, dict] = {}
        self.keys: dict[str, dict] = defaultdict(lambda: defaultdict(list))
        self.failed = _has_error(problems)

    def key(self, column: str, key, number: int) -> None:
        """Row ``number`` has ``key`` in ``column``; a key on two rows is an error of the table."""
        rows = self.keys[column][key]
        rows.append(number)
        if len(rows) > 1:
            self.failed = True


class RowReader:
    """Reads the cells of one row, turning every failure into a problem of that row and column."""

    def __init__(self, table: Table, row, problems: list[Problem], state: TableState):
        self.table, self.row, self.problems, self.state = table, row, problems, state
        self.failed = False

    def problem(self, column: str | None, message: str) -> None:
        self.failed = self.state.failed = True
        heading = self.table.headings.get(column) if column else None
        self.problems.append(Problem(self.table.file, self.row.number, column, message, heading))

    def cell(self, column: str, parse, default=None, required: bool = False):
        if column not in self.table.columns:
            self.failed = self.failed or required  # the missing column is reported once, at the header
            return default
        raw = self.row.get(column)
        seen = self.state.memo.setdefault(column, {})
        outcome = seen.get(raw)
        if outcome is None:
            outcome = self._parse(column, raw, parse)
            if len(seen) < MEMO_VALUES_PER_COLUMN:
                seen[raw] = outcome
        kind, value = outcome
        if kind == "value":
            return value
        if kind == "empty":
            if required:
                self.problem(column, "ô bắt buộc đang trống")
            return default
        if kind == "unknown":
            self.failed = True
        else:
            self.problem(column, str(value))
        return None

    def _parse(self, column: str, raw: str, parse) -> tuple[str, object]:
        """("value", parsed), ("empty", None), ("unknown", None) or ("error", message)."""
        try:
            text = clean(raw)
            if not text:
                return "empty", None
            with cells.collecting_notes() as notes:  # what the parser did for the user (an old ward name)
                value = parse(text)
            heading = self.table.headings.get(column)
            self.problems.extend(
                Problem(self.table.file, self.row.number, column, note, heading, severity="note") for note in notes
            )  # once per text of a column, at its first row (the memo)
            return "value", value
        except CellError as error:
            return "error", str(error)
        except _Unknown:
            return "unknown", None
        except Exception as error:  # a bug, never the user's fault: report it at the cell, do not crash
            logger.exception("reading %s row %s column %s", self.table.file, self.row.number, column)
            return "error", f"lỗi nội bộ khi đọc ô ({type(error).__name__}: {error})"


def _duplicates(table: Table, column: str, rows_by_key: dict, describe, problems: list[Problem]) -> None:
    """Report each group of rows sharing a key: a problem on every row of the group, in time linear in the rows.

    Each later row names the first; the first names up to :data:`MAX_DUPLICATE_ROWS_NAMED` of the
    later ones and counts the rest ("và N hàng khác").
    """
    heading = table.headings.get(column)
    for key, numbers in rows_by_key.items():
        if len(numbers) < 2:
            continue
        first, later = numbers[0], numbers[1:]
        described = describe(key)
        named = ", ".join(row_name(number) for number in later[:MAX_DUPLICATE_ROWS_NAMED])
        more = len(later) - MAX_DUPLICATE_ROWS_NAMED
        problems.append(
            Problem(
                table.file,
                first,
                column,
                f"{described} trùng với {named}" + (f" và {number_vi(more)} hàng khác" if more > 0 else ""),
                heading,
            )
        )
        message = f"{described} trùng với {row_name(first)}"  # one string shared by every later row
        problems.extend(Problem(table.file, number, column, message, heading) for number in later)


def row_name(number: int) -> str:
    return f"hàng {number} (dòng {number + 1})"


def _read_wards(table: Table, ctx: _Context, problems: list[Problem]) -> list[tuple[Ward, WardDemand]]:
    rules, result = ctx.rules, []
    names: dict[str, str] = {}
    all_resolved = "ward" in table.columns
    state = TableState(problems)
    for row in table.rows:
        r = RowReader(table, row, problems, state)
        unit = r.cell("ward", ctx.commune, required=True)
        if unit is None:
            all_resolved = False
        else:
            state.key("ward", unit.code, row.number)
            names[unit.code] = unit.name
        services = r.cell("service_shifts", lambda t: cells.parse_list(t, lambda s: ctx.shift_id(s, True)), [])
        staff = r.cell(
            "min_support_staff", lambda t: cells.parse_int(t, 0, MAX_STAFF), rules.min_support_staff_per_shift
        )
        telecom = r.cell(
            "min_telecom_staff_per_day", lambda t: cells.parse_int(t, 0, MAX_STAFF), rules.min_telecom_staff_per_day
        )
        oncall = r.cell("oncall_24_7", cells.parse_bool, rules.oncall_24_7)
        response = r.cell(
            "night_response_limit_minutes",
            lambda t: cells.parse_int(t, 0, MAX_RESPONSE_MINUTES),
            rules.night_response_limit_minutes,
        )
        peaks = r.cell("peak_dates", lambda t: cells.parse_list(t, ctx.campaign_date), [])
        extra = r.cell("extra_students_on_peak", lambda t: cells.parse_int(t, 0, MAX_STAFF), 0)
        if r.failed or state.failed:
            continue
        order = {shift.id: index for index, shift in enumerate(ctx.settings.shifts or ())}
        services = (
            tuple(sorted(services, key=lambda s: order.get(s, len(order)))) if services else ctx.service_shift_ids()
        )
        ward = Ward(unit.code, unit.name, unit.kind, unit.province, unit.lat, unit.lon, unit.area_km2)
        result.append(
            (
                row.number,
                ward,
                dict(
                    ward_code=unit.code,
                    service_shift_ids=services,
                    min_support_staff=staff,
                    min_telecom_staff_per_day=telecom,
                    oncall_24_7=oncall,
                    night_response_limit_minutes=response,
                    peak_dates=_frozen(peaks),
                    extra_students_on_peak=extra,
                ),
            )
        )
    by_code = state.keys["ward"]
    _duplicates(table, "ward", by_code, lambda code: f"xã/phường '{names[code]}' ({code})", problems)
    ctx.campaign_wards = set(by_code) if all_resolved else None
    built = []
    for number, ward, fields in result:
        demand = _build(WardDemand, fields, table.file, number, problems)
        if demand is not None:
            built.append((ward, demand))
    return built


EMAIL_MAX_CHARS = 254
_EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def parse_email(text: str) -> str:
    """An e-mail address for notices, its domain in lower case ("An.Nguyen@Example.VN" -> "An.Nguyen@example.vn").

    One ``@``, a local part of letters, digits and ``. _ % + -`` (and the other characters RFC 5322
    allows unquoted), a domain with at least one dot; a ``mailto:`` prefix is dropped.
    """
    address = text.strip().removeprefix("mailto:").strip()
    shown = address if len(address) <= 60 else address[:60] + "…"
    if " " in address:
        raise CellError(f"địa chỉ thư điện tử '{shown}' có dấu cách; mỗi ô chỉ ghi một địa chỉ")
    if address.count("@") != 1:
        raise CellError(f"địa chỉ thư điện tử '{shown}' phải có đúng một ký tự @, ví dụ ten@example.vn")
    if len(address) > EMAIL_MAX_CHARS or not _EMAIL_RE.fullmatch(address):
        raise CellError(f"địa chỉ thư điện tử '{shown}' không hợp lệ, ví dụ đúng: ten@example.vn")
    local, domain = address.split("@")
    return f"{local}@{domain.lower()}"


def _read_people(table: Table, ctx: _Context, problems: list[Problem]) -> list[Person]:
    people = []
    ids: dict[str, str] = {}
    state = TableState(problems)
    for row in table.rows:
        r = RowReader(table, row, problems, state)
        person_id = r.cell("person_id", cells.parse_identifier, required=True)
        if person_id is not None:
            state.key("person_id", person_id.casefold(), row.number)
            ids.setdefault(person_id.casefold(), person_id)
        name = r.cell("full_name", cells.parse_person_name, required=True)
        pool = r.cell("pool", cells.parse_pool, required=True)
        organisation = r.cell("organisation", lambda t: cells.parse_free_text(t, "đơn vị"), required=True)
        home = r.cell("home_ward", ctx.commune, required=True)
        phone = r.cell("phone", cells.parse_phone, required=True)
        if phone is not None:
            state.key("phone", phone, row.number)
        skills = r.cell("skills", lambda t: cells.parse_list(t, cells.parse_skill), [])
        unavailable = r.cell("unavailable_dates", lambda t: cells.parse_list(t, ctx.campaign_date), [])
        shifts = r.cell("available_shifts", lambda t: cells.parse_list(t, ctx.shift_id), [])
        cap = r.cell("weekly_cap_hours", lambda t: cells.parse_int(t, 0, MAX_WEEK_HOURS), None)
        night = r.cell("night_eligible", cells.parse_bool, False)
        preferred = r.cell(
            "preferred_wards", lambda t: cells.parse_list(t, ctx.campaign_ward, key=lambda u: u.code), []
        )
        email = r.cell("email", parse_email, "")
        if r.failed or state.failed:
            continue
        person = _build(
            Person,
            dict(
                id=person_id,
                name=name,
                pool=pool,
                organisation=organisation,
                home_ward_code=home.code,
                phone=phone,
                skills=_frozen(skills),
                unavailable_dates=_frozen(unavailable),
                available_shift_ids=_frozen(shifts),
                weekly_cap_hours=cap,
                night_eligible=night,
                preferred_ward_codes=tuple(unit.code for unit in preferred),
                email=email,
            ),
            table.file,
            row.number,
            problems,
        )
        if person is not None:
            people.append(person)
    _duplicates(table, "person_id", state.keys["person_id"], lambda key: f"mã '{ids[key]}'", problems)
    _duplicates(table, "phone", state.keys["phone"], lambda phone: f"số điện thoại {phone}", problems)
    return people


def _read_mobile_points(table: Table, ctx: _Context, problems: list[Problem]) -> list[MobilePoint]:
    points = []
    ids: dict[str, str] = {}
    state = TableState(problems)
    for row in table.rows:
        r = RowReader(table, row, problems, state)
        point_id = r.cell("point_id", lambda t: cells.parse_identifier(t, "mã điểm"), required=True)
        if point_id is not None:
            state.key("point_id", point_id.casefold(), row.number)
            ids.setdefault(point_id.casefold(), point_id)
        unit = r.cell("ward", ctx.campaign_ward, required=True)
        place = r.cell("place", lambda t: cells.parse_free_text(t, "địa điểm"), required=True)
        day = r.cell("date", ctx.campaign_date, required=True)
        start = r.cell("start_time", cells.parse_time, required=True)
        end = r.cell("end_time", lambda t: cells.parse_time(t, allow_end_of_day=True), required=True)
        counts = {
            pool: r.cell(column, lambda t: cells.parse_int(t, 0, MAX_POINT_STAFF), 0)
            for pool, column in (
                (Pool.STUDENT, "students_needed"),
                (Pool.TELECOM, "telecom_needed"),
                (Pool.TECHNICIAN, "technicians_needed"),
            )
        }
        skills = r.cell("skills_needed", cells.parse_skill_counts, {})
        group = r.cell("priority_group", cells.parse_priority_group, PriorityGroup.GENERAL)
        if start is not None and end is not None and end <= start:
            r.problem(
                "end_time", f"giờ kết thúc {cells.format_time(end)} phải sau giờ bắt đầu {cells.format_time(start)}"
            )
        if r.failed:
            continue
        needs = [StaffNeed(count, pool=pool) for pool, count in counts.items() if count]
        needs += [StaffNeed(count, skill=skill) for skill, count in sorted(skills.items())]
        if not needs:
            r.problem(
                None,
                "điểm lưu động cần ít nhất một người (students_needed, telecom_needed, "
                "technicians_needed hoặc skills_needed)",
            )
            continue
        if state.failed:
            continue
        point = _build(
            MobilePoint,
            dict(
                id=point_id,
                ward_code=unit.code,
                place=place,
                date=day,
                start_minute=start,
                end_minute=end,
                staff_needed=tuple(needs),
                priority_group=group,
            ),
            table.file,
            row.number,
            problems,
        )
        if point is not None:
            points.append(point)
    _duplicates(table, "point_id", state.keys["point_id"], lambda key: f"mã điểm '{ids[key]}'", problems)
    return points


def _read_pins(table: Table, ctx: _Context, problems: list[Problem]) -> list[Assignment]:
    """Pinned assignments: a known person, a campaign ward, a campaign date, a shift they declared free."""
    pins = []
    kinds = {shift.id: shift.kind for shift in ctx.settings.shifts or ()}
    state = TableState(problems)
    for row in table.rows:
        r = RowReader(table, row, problems, state)
        person = r.cell("person_id", lambda t: _pinned_person(t, ctx), required=True)
        unit = r.cell("ward", ctx.campaign_ward, required=True)
        day = r.cell("date", ctx.campaign_date, required=True)
        shift_id = r.cell("shift", ctx.shift_id, required=True)
        if r.failed:
            continue
        if person is None:  # people.csv could not be read: already reported there
            continue
        if day in person.unavailable_dates:
            r.problem("date", f"{person.name} ({person.id}) đã đăng ký bận ngày {cells.format_date(day)}")
        elif person.available_shift_ids and shift_id not in person.available_shift_ids:
            r.problem(
                "shift",
                f"{person.name} ({person.id}) chỉ đăng ký các ca "
                f"{', '.join(sorted(person.available_shift_ids))}, không có ca '{shift_id}'",
            )
        elif kinds.get(shift_id) is ShiftKind.ONCALL and person.pool is not Pool.TECHNICIAN:
            r.problem(
                "shift",
                f"ca '{shift_id}' là ca trực, chỉ dành cho kỹ thuật viên; {person.name} là {person.pool.label_vi}",
            )
        if r.failed:
            continue
        state.key("person_id", (person.id, day, shift_id), row.number)
        if state.failed:
            continue
        covered = (unit.code,) if kinds.get(shift_id) is ShiftKind.ONCALL else ()
        pins.append(Assignment(person.id, unit.code, day, shift_id, covered_ward_codes=covered))
    _duplicates(
        table,
        "person_id",
        state.keys["person_id"],
        lambda key: f"ghim {key[0]} ngày {cells.format_date(key[1])} ca {key[2]}",
        problems,
    )
    return pins


def _pinned_person(text: str, ctx: _Context) -> Person | None:
    """The person a pin names; None when people.csv could not be read (the pin is not checked then)."""
    person_id = cells.parse_identifier(text)
    if ctx.people is None:
        return None
    person = ctx.people.get(person_id.casefold())
    if person is None:
        raise CellError(f"không có người mã '{person_id}' trong {ctx.people_file}")
    return person


_EMPTY: frozenset = frozenset()


def _frozen(values) -> frozenset:
    """``frozenset(values)``; one shared empty set, so a large table of mostly empty lists stays small."""
    return frozenset(values) if values else _EMPTY


def _unneeded_skills(table: Table, people: list[Person], points: list[MobilePoint]) -> list[Problem]:
    """A note for each skill people have that no mobile point asks for: skills only place people at points."""
    needed = {need.skill for point in points for need in point.staff_needed if need.skill}
    holders: dict[str, int] = defaultdict(int)
    for person in people:
        for skill in person.skills - needed:
            holders[skill] += 1
    return [
        Problem(
            table.file,
            None,
            "skills",
            f"kỹ năng '{skill}' ({count} người) không có điểm lưu động nào "
            "cần; kỹ năng chỉ dùng để xếp người vào điểm lưu động cần nó",
            table.headings.get("skills"),
            severity="note",
        )
        for skill, count in sorted(holders.items())
    ]


def _build(cls, fields: dict, file: str, row: int, problems: list[Problem]):
    """A model object; the model's own checks should never fail after the loader's, but if one does it is
    reported at the row rather than raised."""
    try:
        return cls(**fields)
    except (ValueError, TypeError) as error:
        logger.error("model refused %s row %s: %s", file, row, error)
        problems.append(Problem(file, row, None, f"lỗi nội bộ khi tạo dữ liệu của hàng ({error})"))
        return None


def _read(
    sources: Mapping[str, Source], schema: TableSchema, problems: list[Problem], optional: bool = False
) -> Table | None:
    if optional and not any(f"{schema.name}{suffix}" in sources for suffix in TABLE_SUFFIXES):
        return None
    name, found = choose_table_file(sources, schema.name)
    problems.extend(found)
    if name is None:
        return None
    table, read = read_table(sources[name], schema)
    problems.extend(read)
    if table.columns and not table.rows and not any(problem.is_error for problem in read):
        # Pins are optional: a header alone says there are none (the exporter writes one so).
        problems.append(
            Problem(
                table.file,
                None,
                None,
                "bảng có dòng tiêu đề nhưng không có hàng dữ liệu nào",
                severity="note" if optional else "warning",
            )
        )
    return table


def in_file_order(problems: list[Problem], schema: TableSchema) -> list[Problem]:
    """Header problems first, then by row and, within a row, by the schema's column order."""
    order = {name: index for index, name in enumerate(schema.names)}
    return sorted(problems, key=lambda p: (p.row is not None, p.row or 0, order.get(p.column or "", len(order))))


def _safely(read, table: Table | None, ctx: _Context, problems: list[Problem]) -> list:
    """Read a table; a bug in the reader becomes a problem of the file instead of an exception."""
    if table is None:
        return []
    try:
        return read(table, ctx, problems)
    except Exception as error:
        logger.exception("reading %s", table.file)
        problems.append(Problem(table.file, None, None, f"lỗi nội bộ khi đọc tệp ({type(error).__name__}: {error})"))
        return []


def pin_sort_key(pin: Assignment) -> tuple:
    """The order of pins.csv and of ``Campaign.pins`` as loaded: date, ward, shift, person."""
    return (pin.date, pin.ward_code, pin.shift_id or "", pin.person_id)


def _has_error(problems: list[Problem]) -> bool:
    return any(problem.is_error for problem in problems)


def _load(directory: Path) -> tuple[Campaign | None, CheckReport]:
    """The campaign (None when there is an error) and the bounded report of a directory.

    The directory's files go through :func:`_load_sources`, as :func:`load_campaign_files` sends files
    held in memory; the report is bounded in :meth:`CheckReport.of` on both ways.
    """
    if not directory.is_dir():
        problems = [Problem(str(directory), None, None, "không có thư mục chiến dịch này")]
        return None, CheckReport.of(problems)
    sources = {path.name: path for path in directory.iterdir() if path.is_file()}
    campaign, problems = _load_sources(sources)
    return campaign, CheckReport.of(problems)


def _load_sources(sources: Mapping[str, Source]) -> tuple[Campaign | None, list[Problem]]:
    """The campaign (None when there is an error) and every problem found, of any severity, in file order.

    ``sources`` maps each file name of the campaign (``campaign.toml``, ``people.csv``...) to the file.
    """
    try:
        settings, toml_problems = read_settings(sources.get(CAMPAIGN_FILE))
    except Exception as error:  # a bug, reported rather than raised
        logger.exception("reading %s", CAMPAIGN_FILE)
        settings, toml_problems = (
            Settings(),
            [Problem(CAMPAIGN_FILE, None, None, f"lỗi nội bộ khi đọc tệp ({type(error).__name__}: {error})")],
        )
    ctx = _Context(settings)
    tables: dict[str, Table | None] = {}
    file_problems: dict[str, list[Problem]] = {}
    for schema in (WARDS, PEOPLE, MOBILE_POINTS, PINS):
        file_problems[schema.name] = []
        tables[schema.name] = _read(sources, schema, file_problems[schema.name], optional=schema is PINS)

    if tables["wards"] is not None:
        ctx.wards_file = tables["wards"].file
    wards = _safely(_read_wards, tables["wards"], ctx, file_problems["wards"])
    people = _safely(_read_people, tables["people"], ctx, file_problems["people"])
    points = _safely(_read_mobile_points, tables["mobile_points"], ctx, file_problems["mobile_points"])
    if (
        tables["people"] is not None
        and tables["mobile_points"] is not None
        and not _has_error(file_problems["mobile_points"])
    ):
        file_problems["people"] += _unneeded_skills(tables["people"], people, points)
    if tables["people"] is not None:
        ctx.people_file = tables["people"].file
        if not _has_error(file_problems["people"]):
            ctx.people = {person.id.casefold(): person for person in people}
    pins = _safely(_read_pins, tables["pins"], ctx, file_problems["pins"])

    problems = list(toml_problems)
    for schema in (WARDS, PEOPLE, MOBILE_POINTS, PINS):
        problems += in_file_order(file_problems[schema.name], schema)
    if _has_error(problems):
        return None, problems

    wards.sort(key=lambda pair: pair[0].code)
    people.sort(key=lambda person: person.id)
    points.sort(key=lambda point: (point.date, point.start_minute, point.end_minute, point.id))
    pins.sort(key=pin_sort_key)
    # No error: campaign.toml gave every setting (a missing or bad one is an error).
    assert settings.name is not None and settings.province is not None and settings.start_date is not None
    assert settings.days is not None and settings.shifts is not None and settings.rules is not None
    assert settings.weights is not None
    try:
        campaign = Campaign(
            name=settings.name,
            province=settings.province.name,
            start_date=settings.start_date,
            days=settings.days,
            shifts=settings.shifts,
            rules=settings.rules,
            wards=tuple(ward for ward, _ in wards),
            demands=tuple(demand for _, demand in wards),
            people=tuple(people),
            mobile_points=tuple(points),
            weights=settings.weights,
            pins=tuple(pins),
        )
    except ValueError as error:  # the loader's checks should make this unreachable
        logger.error("model refused the campaign: %s", error)
        return None, [*problems, Problem(CAMPAIGN_FILE, None, None, f"lỗi nội bộ khi tạo chiến dịch ({error})")]
    return campaign, problems
