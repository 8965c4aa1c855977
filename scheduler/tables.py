"""Tables of a campaign as rows of text cells: CSV or XLSX in, CSV or XLSX out.

A :class:`TableSchema` lists a table's columns by their canonical English name
and the Vietnamese headers a coordinator may write instead; headers match
without regard to case, diacritics or punctuation ("Họ và tên", "ho va ten" and
"HỌ VÀ TÊN" are all ``full_name``). Reading returns every cell as text (an XLSX
date cell becomes "2025-08-26", a number 2.0 becomes "2") together with the
problems of the file and of its header; what a cell means is the loader's
business (:mod:`scheduler.loader`).

Reading takes the lists offices really send:

* The header need not be the first line. It is the first of the first
  :data:`HEADER_SEARCH_LINES` lines that names every required column (else the
  one naming the most columns), so title lines ("DANH SÁCH SINH VIÊN…", "Kèm
  theo Công văn số…") and blank lines above it are skipped, with a note.
* A workbook's table may be on any sheet: the first sheet that has the columns
  is read, with a note when it is not the first.
* A cell merged down a column (one organisation for four rows) gives its value
  to every row it covers.
* A row-number column ("STT") and a remarks column ("Ghi chú") are ignored, with
  a note; any other unknown column is an error suggesting the nearest known one.

What the reader did on the user's behalf comes back as problems of severity
``"note"``. Row numbers: ``Row.number`` is the line as a spreadsheet numbers it
minus one, so that :attr:`Problem.line <scheduler.problems.Problem.line>`
(``row + 1``) is the true line whatever stands above the header; with the header
on line 1 it is the data row's number.

Limits, checked while reading and quoted by the web: a CSV of more than
:data:`MAX_CSV_BYTES`, a workbook whose members unzip to more than
:data:`MAX_XLSX_UNPACKED_BYTES` (read from the zip directory before openpyxl
opens anything), or a table of more than :data:`MAX_TABLE_ROWS` data rows is
refused. Reading streams and is linear in the file: a CSV is decoded and split
as it is read, and a workbook is opened in openpyxl's read-only mode, which
parses a sheet's XML as its lines are taken, so reading stops at the row limit
without building the rest. Read-only mode does not parse merged ranges, which
need the full workbook in openpyxl; they are read instead in a second streaming
pass over the chosen sheet's XML, once its lines are known to be within the
limit. Only the first :data:`MAX_TABLE_COLUMNS` columns of a sheet are read; a
CSV line longer than :data:`MAX_CSV_LINE_CHARS` and a sheet with more than
:data:`MAX_MERGED_RANGES` merged ranges are refused, so that neither can cost
memory out of proportion to the file.

The schemas of the campaign tables (three required, ``pins`` optional) are at
the bottom of this module and documented in ``docs/data-format.md``.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import functools
import io
import re
import warnings
import zipfile
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from geo.units import fold
from scheduler.formulas import csv_cell, read_csv_cell, text_only
from scheduler.problems import Problem

TABLE_SUFFIXES = (".csv", ".xlsx")
_BOM = "\ufeff"
# Fixed timestamp of every XLSX member, so equal tables give byte-identical files.
_XLSX_TIMESTAMP = datetime(2025, 1, 1)

# --- What the readers accept ---------------------------------------------------------------------
MAX_CSV_BYTES = 20 * 1024 * 1024  # a CSV table's size on disk
MAX_XLSX_UNPACKED_BYTES = 50 * 1024 * 1024  # the sum of a workbook's members once unzipped
MAX_TABLE_ROWS = 50_000  # non-blank data rows below the header
MAX_TABLE_COLUMNS = 100  # columns of a sheet that are read; later ones are not looked at
MAX_MERGED_RANGES = 100_000  # merged ranges of one sheet (two merged columns over the most rows)
MAX_CSV_LINE_CHARS = 1_000_000  # one line of a CSV file; a list of people never comes near it
MAX_SHEET_LINES = 1_048_576  # Excel's last line; a sheet with lines beyond it is refused
_EXCEL_LAST_COLUMN = 16_384  # column XFD: where a merge of whole lines ("2:3") ends
HEADER_SEARCH_LINES = 20  # the header is looked for among this many first lines of each sheet

# Columns lists often have and a campaign does not use: row numbers and remarks. Ignored, with a note.
IGNORED_HEADERS = ("STT", "TT", "Số TT", "Số thứ tự", "Ghi chú")

_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


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
            if header_key(column.name) in _IGNORED_KEYS:
                raise ValueError(f"{self.name}: column {column.name!r} is an ignored header")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    def canonical(self, header: str) -> str | None:
        """The canonical column a header names, or None."""
        return self._by_key.get(header_key(header))

    def nearest(self, header: str) -> tuple[str, str] | None:
        """The header most like ``header`` (as the schema writes it) and its column, or None when none is close."""
        close = difflib.get_close_matches(header_key(header), list(self._written), n=1, cutoff=0.6)
        return self._written[close[0]] if close else None

    @functools.cached_property
    def _by_key(self) -> dict[str, str]:
        return {key: name for key, (_, name) in self._written.items()}

    @functools.cached_property
    def _written(self) -> dict[str, tuple[str, str]]:
        """Every header's key → (the header as written, its column)."""
        return {
            header_key(header): (header, column.name)
            for column in self.columns
            for header in (column.name, *column.vietnamese)
        }


@dataclass(frozen=True)
class Row:
    """One data row: its number (the spreadsheet line minus one) and its cells by canonical column."""

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


_IGNORED_KEYS = frozenset(header_key(header) for header in IGNORED_HEADERS)


@dataclass(frozen=True)
class MemoryFile:
    """A file held in memory: its name (``people.xlsx``) and its bytes, read as that file on disk would be."""

    name: str
    content: bytes

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix


def find_table_file(directory: Path, stem: str) -> tuple[Path | None, list[Problem]]:
    """The one ``stem.csv`` or ``stem.xlsx`` of a directory; a problem when there are both or neither."""
    names = [f"{stem}{suffix}" for suffix in TABLE_SUFFIXES if (Path(directory) / f"{stem}{suffix}").is_file()]
    name, problems = choose_table_file(names, stem)
    return (Path(directory) / name if name is not None else None), problems


def choose_table_file(names: Iterable[str], stem: str) -> tuple[str | None, list[Problem]]:
    """The one name of ``names`` that is ``stem.csv`` or ``stem.xlsx``; a problem when there are both or neither."""
    present = set(names)
    found = [f"{stem}{suffix}" for suffix in TABLE_SUFFIXES if f"{stem}{suffix}" in present]
    if len(found) == 1:
        return found[0], []
    if not found:
        return None, [
            Problem(f"{stem}.csv", None, None, f"thiếu tệp {stem}.csv hoặc {stem}.xlsx trong thư mục chiến dịch")
        ]
    return None, [
        Problem(f"{stem}.csv", None, None, f"có cả {stem}.csv và {stem}.xlsx; hãy giữ một tệp để không nhầm dữ liệu")
    ]


def read_table(path: Path | str | MemoryFile, schema: TableSchema) -> tuple[Table, list[Problem]]:
    """Read a CSV or XLSX table, find its header and map it to the schema's canonical columns.

    Parameters
    ----------
    path
        A ``.csv`` file (UTF-8, with or without BOM, ``,`` or ``;`` delimited) or a
        ``.xlsx`` workbook (the first sheet that has the schema's columns), on disk or
        as a :class:`MemoryFile`; both are read by the same code, with the same problems.
    schema
        The columns the table may have.

    Returns
    -------
    table, problems
        The rows that are not blank, each numbered by its spreadsheet line minus one
        (the first data row under a header on line 1 is row 1), and the problems of
        the file: unreadable or over a limit (:data:`MAX_CSV_BYTES`,
        :data:`MAX_XLSX_UNPACKED_BYTES`, :data:`MAX_TABLE_ROWS`), missing or unknown
        or repeated columns, cells without a header; and notes (severity ``"note"``)
        saying which line was taken as the header, which sheet was read, which
        columns were ignored and which merged cells were spread.
    """
    source = path if isinstance(path, MemoryFile) else Path(path)
    file = source.name
    try:
        if source.suffix.lower() == ".xlsx":
            return _read_workbook(source, schema)
        return _read_csv(source, schema)
    except OSError as error:
        return Table(file, (), ()), [Problem(file, None, None, f"không đọc được tệp: {error.strerror or error}")]


# --- Lines of a CSV file or a worksheet ----------------------------------------------------------


class _TooManyMerged(Exception):
    """A sheet has more than :data:`MAX_MERGED_RANGES` merged ranges."""


class _Unreadable(Exception):
    """The lines of a sheet cannot be read on; ``problem`` says why."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True)
class _Sheet:
    """A CSV file or one worksheet, as lines of text cells."""

    title: str | None  # the worksheet's name; None for a CSV
    lines: Callable[
        [], Generator[list[str], None, None]
    ]  # every line from line 1, read as taken; may raise _Unreadable
    merged: Callable[[], list[tuple[int, int, int, int]]]  # merged ranges: (min_col, min_row, max_col, max_row)
    ragged: bool  # a line may run past the header (CSV); a worksheet's columns all exist


@dataclass(frozen=True)
class _Header:
    """A line that names columns of the schema."""

    line: int  # 1-based
    cells: tuple[str, ...]
    known: int  # how many columns of the schema it names
    complete: bool  # it names every required column


def _find_header(head: Sequence[Sequence[str]], schema: TableSchema) -> _Header | None:
    """The first line naming every required column, else the first naming the most columns, else None."""
    required = set(schema.required)
    best = None
    for line, record in enumerate(head, 1):
        names = {schema.canonical(cell) for cell in record if cell.strip()} - {None}
        if not names:
            continue
        header = _Header(line, tuple(record), len(names), required <= names)
        if header.complete:
            return header
        if best is None or header.known > best.known:
            best = header
    return best


def _head(sheet: _Sheet) -> list[list[str]]:
    """The first HEADER_SEARCH_LINES lines of a sheet (fewer when it is shorter or cannot be read on)."""
    head: list[list[str]] = []
    try:
        with closing(sheet.lines()) as lines:
            for record in lines:
                head.append(record)
                if len(head) == HEADER_SEARCH_LINES:
                    break
    except _Unreadable:
        pass  # reported when the sheet is read
    return head


def _score(header: _Header | None) -> tuple[bool, int]:
    return (header.complete, header.known) if header else (False, 0)


def _read_sheet(file: str, schema: TableSchema, sheet: _Sheet, header: _Header | None) -> tuple[Table, list[Problem]]:
    """The rows under the header (the first non-blank line when no line names a column), streamed.

    A line is blank when it has nothing but in ignored columns (a template numbered down its STT column).
    """
    problems: list[Problem] = []
    header_line, header_cells = (header.line, list(header.cells)) if header else (None, [])
    ignored = _ignored_columns(header_cells)
    records: list[tuple[int, list[str]]] = []  # (line, cells) of the non-blank lines under the header
    try:
        with closing(sheet.lines()) as lines:
            for line, record in enumerate(lines, 1):
                if not any(cell.strip() for index, cell in enumerate(record) if index not in ignored):
                    continue
                if header_line is None:
                    header_line, header_cells = line, record
                    ignored = _ignored_columns(header_cells)
                elif line > header_line:
                    if len(records) == MAX_TABLE_ROWS:
                        return Table(file, (), ()), [
                            Problem(
                                file,
                                None,
                                None,
                                f"tệp {file} có hơn {_number(MAX_TABLE_ROWS)} hàng dữ liệu, vượt giới hạn "
                                f"{_number(MAX_TABLE_ROWS)} hàng của một bảng; hãy chia danh sách thành nhiều đợt "
                                "hoặc xoá các hàng thừa",
                            )
                        ]
                    records.append((line, record))
    except _Unreadable as error:
        problems.append(error.problem)
    if header_line is None:
        if not problems:
            problems.append(Problem(file, None, None, "tệp trống; cần một dòng tiêu đề cột"))
        return Table(file, (), ()), problems

    if header_line > 1:
        above = _first_text(sheet, header_line)
        problems.append(
            Problem(
                file,
                None,
                None,
                f"dòng {header_line} được lấy làm dòng tiêu đề cột; {header_line - 1} dòng phía trên"
                + (f" (tiêu đề văn bản {_quote(above)})" if above else "")
                + " được bỏ qua",
                severity="note",
            )
        )

    positions: dict[str, int] = {}
    headings: dict[str, str] = {}
    for index, text in enumerate(header_cells):
        heading = text.strip()
        if not heading or index in ignored:
            continue
        name = schema.canonical(heading)
        if name is None:
            nearest = schema.nearest(heading)
            hint = f" — có phải '{nearest[0]}' ({nearest[1]})?" if nearest else ""
            problems.append(
                Problem(
                    file,
                    None,
                    heading,
                    f"cột không được hỗ trợ '{heading}'{hint}; các cột của {schema.name}: " + ", ".join(schema.names),
                )
            )
        elif name in positions:
            problems.append(
                Problem(file, None, name, f"cột '{name}' có hai lần (cột thứ {positions[name] + 1} và {index + 1})")
            )
        else:
            positions[name] = index
            headings[name] = heading
    for column in schema.columns:
        if column.required and column.name not in positions:
            problems.append(
                Problem(
                    file,
                    None,
                    column.name,
                    f"thiếu cột bắt buộc '{column.name}' (tiếng Việt: '{column.vietnamese[0]}')",
                )
            )
    if ignored:
        shown = ", ".join(_quote(header_cells[index].strip()) for index in sorted(ignored))
        problems.append(
            Problem(
                file,
                None,
                None,
                f"bỏ qua cột {shown}: số thứ tự và ghi chú không phải dữ liệu của chiến dịch",
                severity="note",
            )
        )

    spread = _spread_merged(file, sheet, records, header_line, problems)
    if spread:
        problems.append(
            Problem(
                file,
                None,
                None,
                f"{spread[0]} ô gộp theo cột (như {spread[1]}): giá trị của ô gộp được dùng cho mọi hàng ô đó phủ",
                severity="note",
            )
        )

    width = len(header_cells)
    filled: dict[int, int] = {}  # a column without a header → the first line with data in it
    rows = []
    for line, record in records:
        number = line - 1
        if sheet.ragged and len(record) > width and any(cell.strip() for cell in record[width:]):
            problems.append(Problem(file, number, None, f"hàng có {len(record)} ô, nhiều hơn {width} cột của tiêu đề"))
        for index, cell in enumerate(record):
            unnamed = not header_cells[index].strip() if index < width else not sheet.ragged
            if unnamed and index not in filled and cell.strip():
                filled[index] = line
        cells = {name: (record[index] if index < len(record) else "") for name, index in positions.items()}
        rows.append(Row(number, cells))
    for index, line in sorted(filled.items()):
        problems.append(
            Problem(file, None, None, f"cột thứ {index + 1} không có tiêu đề nhưng có dữ liệu (dòng {line})")
        )
    columns = tuple(sorted(positions, key=lambda name: positions[name]))
    return Table(file, columns, tuple(rows), headings), problems


def _ignored_columns(header_cells: Sequence[str]) -> set[int]:
    """The positions of a header's row-number and remarks columns (IGNORED_HEADERS)."""
    return {index for index, text in enumerate(header_cells) if header_key(text) in _IGNORED_KEYS}


def _first_text(sheet: _Sheet, before: int) -> str:
    """The first non-blank cell of the lines above ``before``: a title line, usually."""
    try:
        with closing(sheet.lines()) as lines:
            for line, record in enumerate(lines, 1):
                if line >= before:
                    break
                text = next((cell.strip() for cell in record if cell.strip()), "")
                if text:
                    return " ".join(text.split())
    except _Unreadable:
        pass
    return ""


def _spread_merged(
    file: str, sheet: _Sheet, records: list[tuple[int, list[str]]], header_line: int, problems: list[Problem]
) -> tuple[int, str] | None:
    """Give each range merged down a column its top cell's value on every line it covers (in its first column).

    Ranges that start on or above the header are left alone. Returns how many ranges were spread and the
    first of them ("D6:D9"), or None.
    """
    try:
        ranges = sheet.merged()
    except _TooManyMerged:
        problems.append(
            Problem(
                file,
                None,
                None,
                f"trang tính có hơn {MAX_MERGED_RANGES:,} vùng ô gộp".replace(",", ".")
                + "; hãy bỏ gộp ô và ghi đủ từng hàng",
            )
        )
        return None
    except Exception as error:  # a damaged sheet part; its lines were readable
        problems.append(
            Problem(
                file,
                None,
                None,
                f"không đọc được các ô gộp của trang tính ({type(error).__name__}); hãy bỏ gộp ô và ghi đủ từng hàng",
            )
        )
        return None
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)  # column index → (top, bottom) lines
    for min_col, min_row, _, max_row in ranges:
        if min_row > header_line and max_row > min_row and min_col <= MAX_TABLE_COLUMNS:
            spans[min_col - 1].append((min_row, max_row))
    if not spans:
        return None
    by_line = dict(records)
    used: set[tuple[int, int, int]] = set()
    for index, column_spans in spans.items():
        column_spans.sort()
        tops = [top for top, _ in column_spans]
        for line, record in records:
            k = bisect_right(tops, line) - 1
            if k < 0:
                continue
            top, bottom = column_spans[k]
            if not top < line <= bottom or (index < len(record) and record[index].strip()):
                continue
            source = by_line.get(top, [])
            value = source[index] if index < len(source) else ""
            if not value.strip():
                continue
            record.extend([""] * (index + 1 - len(record)))
            record[index] = value
            used.add((index, top, bottom))
    if not used:
        return None
    from openpyxl.utils.cell import get_column_letter

    index, top, bottom = min(used, key=lambda span: (span[1], span[0]))
    letter = get_column_letter(index + 1)
    return len(used), f"{letter}{top}:{letter}{bottom}"


def _number(count: int) -> str:
    """A count as Vietnamese writes it: 50.000."""
    return f"{count:,}".replace(",", ".")


def _megabytes(size_bytes: int) -> str:
    return f"{size_bytes / (1024 * 1024):.0f} MB" if size_bytes >= 1024 * 1024 else f"{size_bytes} byte"


def _quote(text: str, limit: int = 60) -> str:
    return f"'{text if len(text) <= limit else text[:limit] + '…'}'"


# --- CSV -----------------------------------------------------------------------------------------


def _open_binary(source: Path | MemoryFile):
    """The file's bytes as a binary stream."""
    if isinstance(source, MemoryFile):
        return io.BytesIO(source.content)
    return open(source, "rb")


def _open_text(source: Path | MemoryFile):
    """The file as UTF-8 text (a BOM dropped), lines as they are."""
    if isinstance(source, MemoryFile):
        return io.TextIOWrapper(io.BytesIO(source.content), encoding="utf-8-sig", newline="")
    return open(source, encoding="utf-8-sig", newline="")


def _size_bytes(source: Path | MemoryFile) -> int:
    return len(source.content) if isinstance(source, MemoryFile) else source.stat().st_size


def _read_csv(path: Path | MemoryFile, schema: TableSchema) -> tuple[Table, list[Problem]]:
    file = path.name
    size_bytes = _size_bytes(path)
    if size_bytes > MAX_CSV_BYTES:
        return Table(file, (), ()), [
            Problem(
                file,
                None,
                None,
                f"tệp {file} lớn {_megabytes(size_bytes)}, vượt giới hạn {_megabytes(MAX_CSV_BYTES)} của một bảng CSV; "
                "hãy chia danh sách thành nhiều đợt",
            )
        ]
    problem = _utf8_problem(path)
    if problem is not None:
        return Table(file, (), ()), [problem]
    with _open_text(path) as handle:
        first_line = handle.readline()
    # Excel in a Vietnamese locale writes ';'. The delimiter is the one under which a header is found, the
    # first line's more frequent one when both find the same.
    usual = ";" if first_line.count(";") > first_line.count(",") else ","
    sheets = {delimiter: _csv_sheet(path, delimiter) for delimiter in (usual, "," if usual == ";" else ";")}
    headers = {delimiter: _find_header(_head(sheet), schema) for delimiter, sheet in sheets.items()}
    delimiter = max(headers, key=lambda d: _score(headers[d]))
    return _read_sheet(file, schema, sheets[delimiter], headers[delimiter])


def _csv_sheet(path: Path | MemoryFile, delimiter: str) -> _Sheet:
    def lines() -> Generator[list[str], None, None]:
        line = 0
        with _open_text(path) as handle:
            try:
                for record in csv.reader(_bounded_lines(handle, path.name), delimiter=delimiter):
                    line += 1
                    yield [read_csv_cell(cell) for cell in record]  # the writers' formula apostrophe off
            except csv.Error as error:  # the record after `line` records
                raise _Unreadable(Problem(path.name, line or None, None, f"không đọc được CSV: {error}")) from None

    return _Sheet(None, lines, lambda: [], ragged=True)


def _bounded_lines(handle, file: str) -> Iterator[str]:
    """The file's lines, refusing one longer than :data:`MAX_CSV_LINE_CHARS` before the CSV reader splits it
    (a line of millions of empty cells would otherwise become millions of strings)."""
    for number, line in enumerate(iter(lambda: handle.readline(MAX_CSV_LINE_CHARS + 1), ""), start=1):
        if len(line) > MAX_CSV_LINE_CHARS:
            raise _Unreadable(
                Problem(
                    file,
                    None,
                    None,
                    f"dòng {number} dài hơn {MAX_CSV_LINE_CHARS:,} ký tự".replace(",", ".")
                    + "; đây không phải một danh sách",
                )
            )
        yield line


def _utf8_problem(path: Path | MemoryFile) -> Problem | None:
    """A problem naming the line of the first byte that is not UTF-8, or None; reads the file in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with _open_binary(path) as handle:
        while True:
            chunk = handle.read(1 << 16)
            pending = decoder.getstate()[0]
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                line += (pending + chunk)[: error.start].count(b"\n")
                return Problem(
                    path.name,
                    None,
                    None,
                    f"tệp không phải UTF-8 (byte lạ ở dòng {line}); trong Excel hãy lưu bằng "
                    "'CSV UTF-8' hoặc dùng tệp .xlsx",
                )
            if not chunk:
                return None
            line += chunk.count(b"\n")


# --- XLSX ----------------------------------------------------------------------------------------


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


def _unopenable(file: str, error: Exception) -> Problem:
    return Problem(file, None, None, f"không mở được tệp Excel ({type(error).__name__}); hãy lưu lại dạng .xlsx")


def _read_workbook(path: Path | MemoryFile, schema: TableSchema) -> tuple[Table, list[Problem]]:
    import openpyxl

    file = path.name
    opened = io.BytesIO(path.content) if isinstance(path, MemoryFile) else path
    try:
        with zipfile.ZipFile(opened) as archive:
            unpacked_bytes = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as error:
        return Table(file, (), ()), [_unopenable(file, error)]
    if unpacked_bytes > MAX_XLSX_UNPACKED_BYTES:
        return Table(file, (), ()), [
            Problem(
                file,
                None,
                None,
                f"tệp {file} khi giải nén lớn {_megabytes(unpacked_bytes)}, vượt giới hạn "
                f"{_megabytes(MAX_XLSX_UNPACKED_BYTES)} của một tệp Excel; hãy bỏ các trang tính, ảnh và định dạng "
                "không cần, hoặc lưu bảng dạng CSV UTF-8",
            )
        ]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(opened, read_only=True, data_only=True)
    except OSError:
        raise
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        return Table(file, (), ()), [_unopenable(file, error)]
    try:
        sheets = [_worksheet(file, workbook, worksheet) for worksheet in workbook.worksheets]
        if not sheets:
            return Table(file, (), ()), [Problem(file, None, None, "tệp trống; cần một dòng tiêu đề cột")]
        index, header = 0, None
        for position, sheet in enumerate(sheets):
            found = _find_header(_head(sheet), schema)
            if _score(found) > _score(header):
                index, header = position, found
            if header is not None and header.complete:
                break
        table, problems = _read_sheet(file, schema, sheets[index], header)
    finally:
        workbook.close()
    titles = ", ".join(_quote(sheet.title or "") for sheet in sheets)
    if header is not None and header.complete and index > 0:
        problems.insert(
            0,
            Problem(
                file,
                None,
                None,
                f"đọc bảng ở trang tính {_quote(sheets[index].title or '')} (trang thứ {index + 1}); "
                f"các trang trước không có các cột của {schema.name}: "
                + ", ".join(_quote(sheet.title or "") for sheet in sheets[:index]),
                severity="note",
            ),
        )
    elif len(sheets) > 1 and (header is None or not header.complete):
        problems.insert(
            0,
            Problem(
                file,
                None,
                None,
                f"không trang tính nào có dòng tiêu đề đủ các cột bắt buộc của {schema.name} "
                f"({', '.join(schema.required)}) trong {HEADER_SEARCH_LINES} dòng đầu; các trang tính: {titles}; "
                f"đã đọc trang {_quote(sheets[index].title or '')}",
            ),
        )
    return table, problems


def _mentions(source, word: bytes) -> bool:
    """Whether a stream holds ``word``, read in chunks."""
    tail = b""
    while chunk := source.read(1 << 20):
        if word in tail + chunk[: len(word)] or word in chunk:
            return True
        tail = chunk[-len(word) :]
    return False


def _worksheet(file: str, workbook, worksheet) -> _Sheet:
    """A read-only worksheet as a sheet of lines: every line from line 1, at most MAX_TABLE_COLUMNS wide."""
    worksheet.reset_dimensions()  # the stored dimensions may be wrong, or claim a million empty lines

    def lines() -> Generator[list[str], None, None]:
        line = 0
        try:
            for values in worksheet.iter_rows(max_col=MAX_TABLE_COLUMNS, values_only=True):
                line += 1
                if line > MAX_SHEET_LINES:
                    raise _Unreadable(
                        Problem(
                            file,
                            None,
                            None,
                            f"trang tính {_quote(worksheet.title)} của tệp {file} có dòng sau dòng "
                            f"{_number(MAX_SHEET_LINES)}, nhiều hơn Excel cho phép; hãy mở và lưu lại tệp bằng Excel",
                        )
                    )
                if values.count(None) == len(values):  # a blank line: the common case below the table
                    yield []
                    continue
                end = len(values)
                while values[end - 1] is None:
                    end -= 1
                yield [cell_text(value) for value in values[:end]]
        except _Unreadable:
            raise
        except Exception as error:  # a damaged sheet part
            raise _Unreadable(
                Problem(
                    file,
                    line or None,
                    None,
                    f"không đọc được trang tính {_quote(worksheet.title)} "
                    f"({type(error).__name__}); hãy lưu lại dạng .xlsx",
                )
            ) from None

    def merged() -> list[tuple[int, int, int, int]]:
        # openpyxl's read-only worksheet does not parse merged ranges; they follow the lines in the same
        # XML part, which is read here with the archive and part name openpyxl 3.1 keeps for that sheet.
        from xml.etree.ElementTree import iterparse

        from openpyxl.utils.cell import range_boundaries

        ranges: list[tuple[int, int, int, int]] = []
        with workbook._archive.open(worksheet._worksheet_path) as source:
            if not _mentions(source, b"mergeCell"):  # most sheets: one quick pass over the bytes
                return ranges
        with workbook._archive.open(worksheet._worksheet_path) as source:
            data = merges = None
            for event, element in iterparse(source, events=("start", "end")):
                if event == "start":
                    if element.tag == f"{_SHEET_NS}sheetData":
                        data = element
                    elif element.tag == f"{_SHEET_NS}mergeCells":
                        merges = element
                elif element.tag == f"{_SHEET_NS}mergeCell":
                    min_col, min_row, max_col, max_row = range_boundaries(element.get("ref", ""))
                    # A merge of whole columns ("C:C") or whole lines ("2:3") leaves the open ends as None.
                    ranges.append(
                        (min_col or 1, min_row or 1, max_col or _EXCEL_LAST_COLUMN, max_row or MAX_SHEET_LINES)
                    )
                    if len(ranges) > MAX_MERGED_RANGES:
                        raise _TooManyMerged()
                    if merges is not None:
                        merges.clear()  # the ranges read so far are kept as numbers, not as elements
                elif element.tag == f"{_SHEET_NS}row" and data is not None:
                    data.clear()  # keep memory flat over a long sheet
        return ranges

    return _Sheet(worksheet.title, lines, merged, ragged=False)


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
            record = [csv_cell(cell) for cell in record]  # no cell starts a spreadsheet formula
            # A lone "\r" is not quoted by the minimal writer under "\n" line ends, yet a reader breaks on it.
            (quoted if any("\r" in cell for cell in record) else plain).writerow(record)
        path.write_bytes(buffer.getvalue().encode("utf-8"))


def _xlsx_bytes(title: str, records: list[list[str]]) -> bytes:
    import openpyxl
    from openpyxl.worksheet.worksheet import Worksheet
    from openpyxl.writer.excel import ExcelWriter

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook opens on its one worksheet
    sheet.title = title
    for record in records:
        sheet.append(record)
    text_only(sheet)  # text, never a formula, even when it starts with "="
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

WARDS = TableSchema(
    "wards",
    (
        Column("ward", ("xã/phường", "phường/xã", "mã xã/phường", "tên xã/phường"), required=True),
        Column("service_shifts", ("ca phục vụ", "các ca phục vụ")),
        Column("min_support_staff", ("số nhân sự hỗ trợ tối thiểu", "nhân sự hỗ trợ tối thiểu")),
        Column(
            "min_telecom_staff_per_day",
            ("số nhân sự viễn thông tối thiểu mỗi ngày", "nhân sự viễn thông tối thiểu mỗi ngày"),
        ),
        Column("oncall_24_7", ("trực 24/7", "trực 24 7")),
        Column(
            "night_response_limit_minutes",
            ("thời gian phản ứng ban đêm tối đa (phút)", "giới hạn phản ứng ban đêm (phút)"),
        ),
        Column("peak_dates", ("ngày cao điểm",)),
        Column("extra_students_on_peak", ("số sinh viên tăng cường ngày cao điểm", "sinh viên tăng cường")),
    ),
)

PEOPLE = TableSchema(
    "people",
    (
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
        Column("email", ("thư điện tử", "địa chỉ thư điện tử", "e-mail")),
    ),
)

MOBILE_POINTS = TableSchema(
    "mobile_points",
    (
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
    ),
)

PINS = TableSchema(
    "pins",
    (
        Column("person_id", ("mã", "mã nhân sự", "mã số"), required=True),
        Column("ward", ("xã/phường", "phường/xã"), required=True),
        Column("date", ("ngày",), required=True),
        Column("shift", ("ca", "mã ca"), required=True),
    ),
)

CAMPAIGN_TABLES = (WARDS, PEOPLE, MOBILE_POINTS)  # required
OPTIONAL_TABLES = (PINS,)  # may be left out
