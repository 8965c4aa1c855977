"""Tables of a campaign as rows of text cells: CSV or XLSX in, CSV or XLSX out.

A :class:`TableSchema` lists a table's columns by their canonical English name
and the Vietnamese headers a coordinator may write instead; headers match
without regard to case, diacritics or punctuation ("Họ và tên", "ho va ten" and
"HỌ VÀ TÊN" are all ``full_name``). Reading returns every cell as text (an XLSX
date cell becomes "2025-08-26", a number 2.0 becomes "2") together with the
problems of the file and of its header; what a cell means is the loader's
business (:mod:`scheduler.loader`).

The schemas of the campaign tables (three required, ``pins`` optional) are at
the bottom of this module and documented in ``docs/data-format.md``.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from geo.units import fold
from scheduler.problems import Problem

TABLE_SUFFIXES = (".csv", ".xlsx")
_BOM = "\ufeff"
# Fixed timestamp of every XLSX member, so equal tables give byte-identical files.
_XLSX_TIMESTAMP = datetime(2025, 1, 1)


@dataclass(frozen=True)
class Column:
    """A column: its canonical English name and the Vietnamese headers that mean it."""

    name: str
    vietnamese: tuple[str, ...]
    required: bool = False  # the header must have this column


@dataclass(frozen=True)
class TableSchema:
    """The columns of one table, in the order the exporter writes them."""

    name: str  # file stem: "people" reads people.csv or people.xlsx
    columns: tuple[Column, ...]

    def __post_init__(self) -> None:
        keys: dict[str, str] = {}
        for column in self.columns:
            for header in (column.name, *column.vietnamese):
                key = header_key(header)
                if keys.setdefault(key, column.name) != column.name:
                    raise ValueError(f"{self.name}: header {header!r} means two columns")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    def canonical(self, header: str) -> str | None:
        """The canonical column a header names, or None."""
        key = header_key(header)
        for column in self.columns:
            if key in (header_key(column.name), *(header_key(h) for h in column.vietnamese)):
                return column.name
        return None


@dataclass(frozen=True)
class Row:
    """One data row: its 1-based number (header not counted) and its cells by canonical column."""

    number: int
    cells: Mapping[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass(frozen=True)
class Table:
    """A table as read: the file's name, the canonical columns it has, its non-blank rows."""

    file: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    headings: Mapping[str, str] = field(default_factory=dict)  # canonical column → header as written


def header_key(header: str) -> str:
    """The matching key of a header: folded, punctuation and spaces collapsed ("Xã/Phường" → "xa phuong")."""
    return re.sub(r"[^a-z0-9]+", " ", fold(header)).strip()


def find_table_file(directory: Path, stem: str) -> tuple[Path | None, list[Problem]]:
    """The one ``stem.csv`` or ``stem.xlsx`` of a directory; a problem when there are both or neither."""
    found = [Path(directory) / f"{stem}{suffix}" for suffix in TABLE_SUFFIXES]
    found = [path for path in found if path.is_file()]
    if len(found) == 1:
        return found[0], []
    if not found:
        return None, [Problem(f"{stem}.csv", None, None,
                              f"thiếu tệp {stem}.csv hoặc {stem}.xlsx trong thư mục chiến dịch")]
    return None, [Problem(f"{stem}.csv", None, None,
                          f"có cả {stem}.csv và {stem}.xlsx; hãy giữ một tệp để không nhầm dữ liệu")]


def read_table(path: Path | str, schema: TableSchema) -> tuple[Table, list[Problem]]:
    """Read a CSV or XLSX table and map its header to the schema's canonical columns.

    Parameters
    ----------
    path
        A ``.csv`` file (UTF-8, with or without BOM, ``,`` or ``;`` delimited) or a
        ``.xlsx`` workbook (its first sheet). The first line is the header.
    schema
        The columns the table may have.

    Returns
    -------
    table, problems
        The rows that are not blank, numbered from 1 after the header (blank rows
        keep their number), and the problems of the file: unreadable, missing
        or unknown or repeated columns, cells beyond the header.
    """
    path = Path(path)
    file = path.name
    try:
        if path.suffix.lower() == ".xlsx":
            records, problems = _read_xlsx_records(path)
        else:
            records, problems = _read_csv_records(path)
    except OSError as error:
        return Table(file, (), ()), [Problem(file, None, None, f"không đọc được tệp: {error.strerror or error}")]
    if not records and not problems:
        problems.append(Problem(file, None, None, "tệp trống; dòng đầu tiên phải là tiêu đề cột"))
    if not records:
        return Table(file, (), ()), problems

    header, data = records[0], records[1:]
    positions: dict[str, int] = {}
    headings: dict[str, str] = {}
    for index, text in enumerate(header):
        heading = text.strip()
        if not heading:
            filled = next((n for n, record in enumerate(data, 1)
                           if index < len(record) and record[index].strip()), None)
            if filled is not None:
                problems.append(Problem(file, None, None,
                                        f"cột thứ {index + 1} không có tiêu đề nhưng có dữ liệu (hàng {filled})"))
            continue
        name = schema.canonical(heading)
        if name is None:
            problems.append(Problem(file, None, heading,
                                    f"cột không được hỗ trợ '{heading}'; các cột của {schema.name}: "
                                    + ", ".join(schema.names)))
        elif name in positions:
            problems.append(Problem(file, None, name,
                                    f"cột '{name}' có hai lần (cột thứ {positions[name] + 1} và {index + 1})"))
        else:
            positions[name] = index
            headings[name] = heading
    for column in schema.columns:
        if column.required and column.name not in positions:
            problems.append(Problem(file, None, column.name,
                                    f"thiếu cột bắt buộc '{column.name}' (tiếng Việt: '{column.vietnamese[0]}')"))

    rows = []
    width = len(header)
    for number, record in enumerate(data, 1):
        if not any(cell.strip() for cell in record):
            continue
        extra = [cell for cell in record[width:] if cell.strip()]
        if extra:
            problems.append(Problem(file, number, None,
                                    f"hàng có {len(record)} ô, nhiều hơn {width} cột của tiêu đề"))
        cells = {name: (record[index] if index < len(record) else "") for name, index in positions.items()}
        rows.append(Row(number, cells))
    columns = tuple(sorted(positions, key=positions.get))
    return Table(file, columns, tuple(rows), headings), problems


def _read_csv_records(path: Path) -> tuple[list[list[str]], list[Problem]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        return [], [Problem(path.name, None, None,
                            f"tệp không phải UTF-8 (byte lạ ở dòng {line}); trong Excel hãy lưu bằng "
                            "'CSV UTF-8' hoặc dùng tệp .xlsx")]
    text = text.removeprefix(_BOM)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
    except csv.Error as error:
        row = len(records)  # the record being read; the header is record 0
        return records, [Problem(path.name, row or None, None, f"không đọc được CSV: {error}")]
    return records, []


def cell_text(value) -> str:
    """The text of a spreadsheet cell value: dates ISO, whole numbers without ".0", times HH:MM."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return f"{value.date().isoformat()} {_clock(value.time())}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return _clock(value)
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        if 0 <= seconds < 24 * 3600:
            return _clock(time(seconds // 3600, seconds % 3600 // 60, seconds % 60))
        return str(value)
    return str(value)


def _clock(value: time) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}"
    return text + (f":{value.second:02d}" if value.second else "")


def _read_xlsx_records(path: Path) -> tuple[list[list[str]], list[Problem]]:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(path, data_only=True)
    except OSError:
        raise
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        return [], [Problem(path.name, None, None,
                            f"không mở được tệp Excel ({type(error).__name__}); hãy lưu lại dạng .xlsx")]
    try:
        if not workbook.worksheets:
            return [], []
        sheet = workbook.worksheets[0]
        records = [[cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    while records and not any(cell.strip() for cell in records[-1]):
        records.pop()
    return records, []


def write_table(path: Path | str, schema: TableSchema, rows: Iterable[Mapping[str, str]]) -> None:
    """Write rows under the schema's canonical English header, as CSV or XLSX by the file's suffix.

    CSV is UTF-8 without BOM, ``,``-delimited, ``\\n`` line ends; XLSX is one sheet of
    text cells. Equal rows give byte-identical files in both formats.
    """
    path = Path(path)
    records = [list(schema.names)]
    records += [[str(row.get(name, "")) for name in schema.names] for row in rows]
    if path.suffix.lower() == ".xlsx":
        path.write_bytes(_xlsx_bytes(schema.name, records))
    else:
        buffer = io.StringIO(newline="")
        plain = csv.writer(buffer, lineterminator="\n")
        quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
        for record in records:
            # A lone "\r" is not quoted by the minimal writer under "\n" line ends, yet a reader breaks on it.
            (quoted if any("\r" in cell for cell in record) else plain).writerow(record)
        path.write_bytes(buffer.getvalue().encode("utf-8"))


def _xlsx_bytes(title: str, records: Sequence[Sequence[str]]) -> bytes:
    import openpyxl
    from openpyxl.writer.excel import ExcelWriter

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for record in records:
        sheet.append(record)
    for row in sheet.iter_rows():
        for cell in row:
            cell.data_type = "s"  # text, never a formula, even when it starts with "="
    sheet.freeze_panes = "A2"
    workbook.properties.creator = "Ra Quân"
    workbook.properties.created = workbook.properties.modified = _XLSX_TIMESTAMP
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    # Rewrite the archive with fixed member timestamps.
    stable = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(stable, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_XLSX_TIMESTAMP.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, source.read(info.filename))
    return stable.getvalue()


# --- The campaign's tables ---------------------------------------------------------------------

WARDS = TableSchema("wards", (
    Column("ward", ("xã/phường", "phường/xã", "mã xã/phường", "tên xã/phường"), required=True),
    Column("service_shifts", ("ca phục vụ", "các ca phục vụ")),
    Column("min_support_staff", ("số nhân sự hỗ trợ tối thiểu", "nhân sự hỗ trợ tối thiểu")),
    Column("min_telecom_staff_per_day", ("số nhân sự viễn thông tối thiểu mỗi ngày",
                                         "nhân sự viễn thông tối thiểu mỗi ngày")),
    Column("oncall_24_7", ("trực 24/7", "trực 24 7")),
    Column("night_response_limit_minutes", ("thời gian phản ứng ban đêm tối đa (phút)",
                                            "giới hạn phản ứng ban đêm (phút)")),
    Column("peak_dates", ("ngày cao điểm",)),
    Column("extra_students_on_peak", ("số sinh viên tăng cường ngày cao điểm", "sinh viên tăng cường")),
))

PEOPLE = TableSchema("people", (
    Column("person_id", ("mã", "mã nhân sự", "mã số"), required=True),
    Column("full_name", ("họ và tên", "họ tên"), required=True),
    Column("pool", ("nhóm", "lực lượng"), required=True),
    Column("organisation", ("đơn vị", "trường/đơn vị", "organization"), required=True),
    Column("home_ward", ("xã/phường nơi ở", "nơi ở"), required=True),
    Column("phone", ("số điện thoại", "điện thoại", "sđt"), required=True),
    Column("skills", ("kỹ năng", "kĩ năng")),
    Column("unavailable_dates", ("ngày bận", "ngày không thể trực")),
    Column("available_shifts", ("ca có thể trực",)),
    Column("weekly_cap_hours", ("giờ tối đa mỗi tuần", "số giờ tối đa mỗi tuần")),
    Column("night_eligible", ("trực đêm", "có thể trực đêm")),
    Column("preferred_wards", ("xã/phường ưu tiên", "phường/xã ưu tiên")),
))

MOBILE_POINTS = TableSchema("mobile_points", (
    Column("point_id", ("mã điểm",), required=True),
    Column("ward", ("xã/phường", "phường/xã"), required=True),
    Column("place", ("địa điểm",), required=True),
    Column("date", ("ngày",), required=True),
    Column("start_time", ("giờ bắt đầu",), required=True),
    Column("end_time", ("giờ kết thúc",), required=True),
    Column("students_needed", ("số sinh viên",)),
    Column("telecom_needed", ("số nhân sự viễn thông",)),
    Column("technicians_needed", ("số kỹ thuật viên", "số kĩ thuật viên")),
    Column("skills_needed", ("kỹ năng cần", "kĩ năng cần")),
    Column("priority_group", ("nhóm ưu tiên", "đối tượng ưu tiên")),
))

PINS = TableSchema("pins", (
    Column("person_id", ("mã", "mã nhân sự", "mã số"), required=True),
    Column("ward", ("xã/phường", "phường/xã"), required=True),
    Column("date", ("ngày",), required=True),
    Column("shift", ("ca", "mã ca"), required=True),
))

CAMPAIGN_TABLES = (WARDS, PEOPLE, MOBILE_POINTS)  # required
OPTIONAL_TABLES = (PINS,)  # may be left out
