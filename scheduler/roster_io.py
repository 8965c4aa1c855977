"""A roster on disk: JSON to keep and reload it, XLSX to print it, CSV to share it.

The JSON file (format tag ``"raquan-roster/1"``) is canonical: keys in a fixed
order, assignments and unfilled slots sorted (:func:`sort_roster`), one entry per
line, dates ISO, UTF-8; equal rosters give byte-identical files, and
``read_roster_json(write_roster_json(roster))`` equals ``sort_roster(roster)``
(the roster itself when it is already in canonical order). Reading refuses
anything else with a :class:`ValueError` naming the file, the entry and the field.

The XLSX workbook is for people: a summary sheet, then one sheet per ward with a
"date × shift" grid of names, ready to print. The CSV has one row per assignment.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from scheduler.cells import format_date, format_time
from scheduler.formulas import csv_cell, text_only
from scheduler.model import Assignment, Campaign, Roster, Unfilled
from scheduler.rules import RULES_BY_LABEL
from scheduler.verify import (
    POOL_ABBREVIATIONS,
    VerifyReport,
    assignment_sort_key,
    unfilled_sort_key,
    verify,
    ward_name,
)

logger = logging.getLogger(__name__)

ROSTER_FORMAT = "raquan-roster/1"

_TOP_KEYS = ("format", "campaign", "status", "objective", "best_bound", "wall_seconds", "assignments", "unfilled")
_ASSIGNMENT_KEYS = ("person_id", "ward_code", "date", "shift_id", "mobile_point_id", "need_index", "covered_ward_codes")
_UNFILLED_KEYS = ("rule", "ward_code", "date", "shift_id", "missing", "mobile_point_id", "need")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
SUMMARY_SHEET = "Tổng hợp"
MOBILE_COLUMN = "Điểm lưu động"
CSV_COLUMNS = ("person_id", "full_name", "pool", "ward", "date", "shift_id", "mobile_point_id", "covered_wards")


# --- JSON ----------------------------------------------------------------------------------------


def sort_roster(roster: Roster) -> Roster:
    """The roster with assignments and unfilled slots in canonical order (what the JSON file holds)."""
    return replace(
        roster,
        assignments=tuple(sorted(roster.assignments, key=assignment_sort_key)),
        unfilled=tuple(sorted(roster.unfilled, key=unfilled_sort_key)),
    )


def _assignment_dict(a: Assignment) -> dict[str, object]:
    entry: dict[str, object] = {"person_id": a.person_id, "ward_code": a.ward_code, "date": a.date.isoformat()}
    if a.shift_id is not None:
        entry["shift_id"] = a.shift_id
    if a.mobile_point_id is not None:
        entry["mobile_point_id"] = a.mobile_point_id
        entry["need_index"] = a.need_index
    if a.covered_ward_codes:
        entry["covered_ward_codes"] = list(a.covered_ward_codes)
    return entry


def _unfilled_dict(u: Unfilled) -> dict[str, object]:
    entry: dict[str, object] = {
        "rule": u.rule,
        "ward_code": u.ward_code,
        "date": u.date.isoformat(),
        "shift_id": u.shift_id,
        "missing": u.missing,
    }
    if u.mobile_point_id is not None:
        entry["mobile_point_id"] = u.mobile_point_id
    if u.need:
        entry["need"] = u.need
    return entry


def roster_json(roster: Roster) -> str:
    """The canonical JSON text of a roster (one assignment or unfilled slot per line)."""
    roster = sort_roster(roster)

    def dump(value) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    def entries(items) -> str:
        if not items:
            return "[]"
        return "[\n" + ",\n".join(f"    {dump(item)}" for item in items) + "\n  ]"

    def number(value, kind):  # plain Python numbers, whatever the solver handed over (numpy's included)
        return None if value is None else kind(value)

    head = {
        "format": ROSTER_FORMAT,
        "campaign": roster.campaign_name,
        "status": roster.status,
        "objective": number(roster.objective, int),
        "best_bound": number(roster.best_bound, int),
        "wall_seconds": number(roster.wall_seconds, float),
    }
    lines = [f"  {dump(key)}: {dump(value)}" for key, value in head.items()]
    lines.append(f'  "assignments": {entries([_assignment_dict(a) for a in roster.assignments])}')
    lines.append(f'  "unfilled": {entries([_unfilled_dict(u) for u in roster.unfilled])}')
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write_roster_json(roster: Roster, path: Path | str) -> Path:
    """Write the roster's canonical JSON (UTF-8) to ``path``; returns the path."""
    path = Path(path)
    path.write_bytes(roster_json(roster).encode("utf-8"))
    logger.info("wrote roster of %d assignments to %s", len(roster.assignments), path)
    return path


class _Reader:
    """Turns a parsed JSON document into a Roster, failing with the file, entry and field."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, message: str) -> NoReturn:
        raise ValueError(f"{self.source}: {where}: {message}")

    def keys(self, entry: object, where: str, allowed: tuple[str, ...], required: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(entry, dict):
            self.fail(where, f"phải là một đối tượng JSON {{...}}, không phải {type(entry).__name__}")
        for key in entry:
            if key not in allowed:
                self.fail(f"{where}.{key}", "trường không được hỗ trợ; các trường: " + ", ".join(allowed))
        for key in required:
            if key not in entry:
                self.fail(f"{where}.{key}", "thiếu trường bắt buộc")
        return entry

    def text(self, entry: dict[str, Any], key: str, where: str) -> str:
        value = entry.get(key)
        if not isinstance(value, str) or not value:
            self.fail(f"{where}.{key}", f"phải là chuỗi không rỗng, không phải {value!r}")
        return value

    def optional_text(self, entry: dict[str, Any], key: str, where: str) -> str | None:
        """The field's text, or None when it is missing or null."""
        if entry.get(key) is None:
            return None
        return self.text(entry, key, where)

    def integer(self, entry: dict[str, Any], key: str, where: str, minimum: int | None = None) -> int:
        value = entry.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"{where}.{key}", f"phải là số nguyên, không phải {value!r}")
        if minimum is not None and value < minimum:
            self.fail(f"{where}.{key}", f"phải từ {minimum} trở lên, không phải {value}")
        return value

    def optional_integer(self, entry: dict[str, Any], key: str, where: str, minimum: int | None = None) -> int | None:
        """The field's integer, or None when it is missing or null."""
        if entry.get(key) is None:
            return None
        return self.integer(entry, key, where, minimum)

    def day(self, entry: dict, key: str, where: str) -> date:
        value = entry.get(key)
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            self.fail(f"{where}.{key}", f"ngày phải ghi dạng yyyy-mm-dd, không phải {value!r}")
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{where}.{key}", f"ngày không tồn tại {value!r}")

    def assignment(self, entry: object, index: int) -> Assignment:
        where = f"assignments[{index}]"
        entry = self.keys(entry, where, _ASSIGNMENT_KEYS, ("person_id", "ward_code", "date"))
        covered = entry.get("covered_ward_codes", [])
        if not isinstance(covered, list) or not all(isinstance(code, str) and code for code in covered):
            self.fail(f"{where}.covered_ward_codes", f"phải là danh sách mã, không phải {covered!r}")
        person_id, ward_code = self.text(entry, "person_id", where), self.text(entry, "ward_code", where)
        day, shift_id = self.day(entry, "date", where), self.optional_text(entry, "shift_id", where)
        mobile_point_id = self.optional_text(entry, "mobile_point_id", where)
        need_index = self.optional_integer(entry, "need_index", where, minimum=0)
        try:
            return Assignment(
                person_id=person_id,
                ward_code=ward_code,
                date=day,
                shift_id=shift_id,
                mobile_point_id=mobile_point_id,
                need_index=need_index,
                covered_ward_codes=tuple(covered),
            )
        except ValueError as error:
            self.fail(where, f"phân công không hợp lệ ({error})")

    def unfilled(self, entry: object, index: int) -> Unfilled:
        where = f"unfilled[{index}]"
        entry = self.keys(entry, where, _UNFILLED_KEYS, ("rule", "ward_code", "date", "missing"))
        need = entry.get("need", "")
        if not isinstance(need, str):
            self.fail(f"{where}.need", f"phải là chuỗi, không phải {need!r}")
        return Unfilled(
            rule=self.text(entry, "rule", where),
            ward_code=self.text(entry, "ward_code", where),
            date=self.day(entry, "date", where),
            shift_id=self.optional_text(entry, "shift_id", where),
            missing=self.integer(entry, "missing", where, minimum=1),
            mobile_point_id=self.optional_text(entry, "mobile_point_id", where),
            need=need,
        )

    def roster(self, document: object) -> Roster:
        document = self.keys(document, "tệp", _TOP_KEYS, ("format", "campaign", "status", "assignments"))
        if document["format"] != ROSTER_FORMAT:
            self.fail("format", f"định dạng {document['format']!r} không phải {ROSTER_FORMAT!r}")
        wall = document.get("wall_seconds")
        if wall is not None and (isinstance(wall, bool) or not isinstance(wall, (int, float))):
            self.fail("wall_seconds", f"phải là số giây, không phải {wall!r}")
        lists = {}
        for key in ("assignments", "unfilled"):
            lists[key] = document.get(key, [])
            if not isinstance(lists[key], list):
                self.fail(key, f"phải là danh sách [...], không phải {type(lists[key]).__name__}")
        return Roster(
            campaign_name=self.text(document, "campaign", "tệp"),
            status=self.text(document, "status", "tệp"),
            assignments=tuple(self.assignment(entry, i) for i, entry in enumerate(lists["assignments"])),
            unfilled=tuple(self.unfilled(entry, i) for i, entry in enumerate(lists["unfilled"])),
            objective=self.optional_integer(document, "objective", "tệp"),
            best_bound=self.optional_integer(document, "best_bound", "tệp"),
            wall_seconds=None if wall is None else float(wall),
        )


def roster_from_json(text: str, source: str = "roster.json") -> Roster:
    """Parse roster JSON text; ``source`` names it in error messages.

    Raises
    ------
    ValueError
        ``"<source>: assignments[12].date: …"`` naming the entry (0-based) and field.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"dòng {error.lineno}, cột {error.colno}"
        raise ValueError(f"{source}: không đọc được JSON ({where}: {error.msg})") from None
    return _Reader(source).roster(document)


def read_roster_json(path: Path | str) -> Roster:
    """Read a roster written by :func:`write_roster_json`.

    Raises
    ------
    ValueError
        When the file is not UTF-8, not JSON, or not a ``raquan-roster/1`` roster; the
        message names the file, the entry's index and the field.
    OSError
        When the file cannot be read.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ValueError(f"{path.name}: tệp không phải UTF-8") from None
    return roster_from_json(text, path.name)


# --- names ---------------------------------------------------------------------------------------


def _person_label(campaign: Campaign, person_id: str) -> str:
    """ "Nguyễn Văn An (SV)"; the id alone for someone the campaign does not know."""
    try:
        person = campaign.person(person_id)
    except KeyError:
        return person_id
    return f"{person.name} ({POOL_ABBREVIATIONS[person.pool]})"


def day_label(day: date) -> str:
    """ "24/07/2025 (Thứ Năm)"."""
    return f"{format_date(day)} ({WEEKDAYS_VI[day.weekday()]})"


def sheet_names(names: list[str], reserved: tuple[str, ...] = ()) -> list[str]:
    """Excel sheet names for ``names``: forbidden characters replaced, at most 31 characters, unique.

    Uniqueness ignores case, as Excel does; a repeat gets " (2)", " (3)"… within the 31 characters.
    """
    taken = {name.casefold() for name in reserved}
    result = []
    for name in names:
        base = re.sub(r"[\[\]:*?/\\]", "-", name).strip("'") or "Sheet"
        candidate, number = base[:31], 1
        while candidate.casefold() in taken:
            number += 1
            suffix = f" ({number})"
            candidate = base[: 31 - len(suffix)] + suffix
        taken.add(candidate.casefold())
        result.append(candidate)
    return result


# --- XLSX ----------------------------------------------------------------------------------------


def ward_grids(campaign: Campaign, roster: Roster) -> dict[str, dict[tuple[date, str], list[str]]]:
    """The cells of every ward's sheet: ward code -> (date, shift id or "Điểm lưu động") -> lines of text.

    A shift's cell lists the people posted there; an on-call shift's cell also lists
    technicians posted elsewhere who cover this ward ("… — trực tại Phường X"). The
    mobile-point cell lists each point of the day with its time, place and people.
    """
    grids: dict[str, dict[tuple[date, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    by_point: dict[str, list[str]] = defaultdict(list)
    for a in sorted(roster.assignments, key=assignment_sort_key):
        label = _person_label(campaign, a.person_id)
        if a.mobile_point_id is not None:
            by_point[a.mobile_point_id].append(label)
            continue
        assert a.shift_id is not None  # an assignment names a shift or a mobile point
        grids[a.ward_code][(a.date, a.shift_id)].append(label)
        remote = f"{label} — trực tại {ward_name(campaign, a.ward_code)}"
        for code in a.covered_ward_codes:
            if code != a.ward_code:
                grids[code][(a.date, a.shift_id)].append(remote)
    for point in sorted(campaign.mobile_points, key=lambda p: (p.date, p.start_minute, p.id)):
        people = ", ".join(by_point.get(point.id, ())) or "chưa có người"
        grids[point.ward_code][(point.date, MOBILE_COLUMN)].append(
            f"{point.id} {format_time(point.start_minute)}–{format_time(point.end_minute)} {point.place}: {people}"
        )
    return grids


def _summary_rows(campaign: Campaign, roster: Roster, report: VerifyReport) -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = [
        ("Chiến dịch", campaign.name),
        ("Trạng thái", roster.status),
        ("Giá trị mục tiêu (bộ giải)", roster.objective),
        ("Cận dưới (bộ giải)", roster.best_bound),
        ("Giá trị mục tiêu (kiểm tra lại)", report.objective),
        ("Độ phủ", round(report.coverage_percent / 100, 6)),
        ("Số phân công", len(roster.assignments)),
        ("Số vi phạm", len(report.violations)),
        ("Thời gian giải (giây)", roster.wall_seconds),
    ]
    for label, missing in report.missing_by_rule().items():
        name = RULES_BY_LABEL[label].name_vi if label in RULES_BY_LABEL else label
        rows.append((f"Thiếu người — {name} ({label})", missing))
    return rows


def write_roster_xlsx(
    campaign: Campaign, roster: Roster, path: Path | str, report: VerifyReport | None = None, travel=None
) -> Path:
    """Write a print-ready workbook: a summary sheet and one "date × shift" sheet per ward.

    Parameters
    ----------
    campaign, roster
        The campaign and its roster.
    path
        The ``.xlsx`` file to write.
    report
        The roster's :class:`~scheduler.verify.VerifyReport`; computed (with ``travel``) when None.
    travel
        ``(code_a, code_b) -> minutes`` for the check; default :func:`geo.travel.travel_minutes`.

    Returns
    -------
    Path
        The file written. Sheet names are the ward names cut to Excel's 31
        characters and made unique; rows are the campaign's dates, columns its
        shifts and a "Điểm lưu động" column; each cell lists "full name (SV|VT|KTV)".
    """
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    path = Path(path)
    if report is None:
        report = verify(campaign, roster, travel)
    workbook = openpyxl.Workbook()
    summary = workbook.active
    assert isinstance(summary, Worksheet)  # a new workbook opens on its one worksheet
    summary.title = SUMMARY_SHEET
    for label, value in _summary_rows(campaign, roster, report):
        summary.append([label, "" if value is None else value])
        if label == "Độ phủ":
            summary.cell(summary.max_row, 2).number_format = "0.00%"
        elif isinstance(value, int):
            summary.cell(summary.max_row, 2).number_format = "#,##0"  # grouped in the reader's locale by Excel
        elif isinstance(value, float):
            summary.cell(summary.max_row, 2).number_format = "#,##0.0"
    summary.column_dimensions["A"].width = 48
    summary.column_dimensions["B"].width = 60
    for cell in summary["A"]:
        cell.font = Font(bold=True)
    _print_setup(summary)

    names = sheet_names([ward.name for ward in campaign.wards], reserved=(SUMMARY_SHEET,))
    grids = ward_grids(campaign, roster)
    for ward, title in zip(campaign.wards, names, strict=True):
        sheet = workbook.create_sheet(title)
        _write_grid(sheet, campaign, grids.get(ward.code, {}))
        sheet.oddHeader.center.text = f"{ward.name} — {campaign.name}"
    _save(workbook, path)
    logger.info("wrote roster workbook %s (%d ward sheets)", path, len(campaign.wards))
    return path


def _write_grid(sheet, campaign: Campaign, grid: dict, title: str | None = None) -> None:
    """A ward's "date × shift" grid on ``sheet``: a heading row (after an optional title row), one row a day."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    columns = [
        (shift.id, f"{shift.name} ({format_time(shift.start_minute)}–{format_time(shift.end_minute)})")
        for shift in campaign.shifts
    ] + [(MOBILE_COLUMN, MOBILE_COLUMN)]
    if title:
        sheet.append([title])
        sheet.cell(1, 1).font = Font(bold=True, size=13)
    heading = sheet.max_row + 1 if title else 1
    sheet.append(["Ngày"] + [text for _, text in columns])
    for cell in sheet[heading]:
        cell.font, cell.alignment = bold, wrap
    for row, day in enumerate(campaign.dates, start=heading + 1):
        sheet.cell(row, 1, day_label(day)).alignment = wrap
        lines = 1
        for column, (key, _) in enumerate(columns, start=2):
            entries = grid.get((day, key), [])
            sheet.cell(row, column, "\n".join(entries)).alignment = wrap
            lines = max(lines, len(entries))
        sheet.row_dimensions[row].height = 15 * lines + 3
    sheet.column_dimensions["A"].width = 24
    for column, (key, _) in enumerate(columns, start=2):
        sheet.column_dimensions[get_column_letter(column)].width = 60 if key == MOBILE_COLUMN else 30
    sheet.freeze_panes = f"B{heading + 1}"
    sheet.print_title_rows = f"{heading}:{heading}"
    _print_setup(sheet)


def write_ward_xlsx(
    campaign: Campaign, roster: Roster, ward_code: str, path: Path | str, gaps: Iterable[tuple[Unfilled, str, str]] = ()
) -> Path:
    """One ward's workbook: "Lịch trực" (date × shift, as in the city workbook), "Danh bạ" (everyone on the
    ward's roster with their phone) and "Thiếu người" (each gap with its explanation and suggestion).

    ``roster`` holds the assignments to show (those at the ward and the on-call shifts covering it);
    ``gaps`` are ``(unfilled slot, explanation, suggestion)``.
    """
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    path = Path(path)
    ward = campaign.ward(ward_code)
    bold = Font(bold=True)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook opens on its one worksheet
    sheet.title = "Lịch trực"
    _write_grid(sheet, campaign, ward_grids(campaign, roster).get(ward_code, {}), f"{ward.name} — {campaign.name}")

    contacts = workbook.create_sheet("Danh bạ")
    contacts.append(["Mã", "Họ và tên", "Nhóm", "Đơn vị", "Điện thoại", "Số ca"])
    for cell in contacts[1]:
        cell.font = bold
    people = {person.id: person for person in campaign.people}
    for person_id, count in sorted(Counter(a.person_id for a in roster.assignments).items()):
        person = people.get(person_id)
        contacts.append(
            [
                person_id,
                person.name if person else "",
                person.pool.label_vi if person else "",
                person.organisation if person else "",
                person.phone if person else "",
                count,
            ]
        )
    for letter, width in zip("ABCDEF", (10, 28, 20, 48, 14, 8), strict=True):
        contacts.column_dimensions[letter].width = width

    missing = workbook.create_sheet("Thiếu người")
    missing.append(["Ngày", "Ca / điểm", "Quy tắc", "Thiếu (người)", "Lý do", "Đề xuất"])
    for cell in missing[1]:
        cell.font = bold
    shifts = {shift.id: shift.name for shift in campaign.shifts}
    for gap, explanation, suggestion in gaps:
        rule = RULES_BY_LABEL[gap.rule].name_vi if gap.rule in RULES_BY_LABEL else gap.rule
        slot = shifts.get(gap.shift_id, gap.shift_id) if gap.shift_id else (gap.mobile_point_id or "cả ngày")
        missing.append([day_label(gap.date), slot, rule, gap.missing, explanation, suggestion])
    for letter, width in zip("ABCDEF", (12, 24, 36, 12, 70, 70), strict=True):
        missing.column_dimensions[letter].width = width
    _save(workbook, path)
    return path


def _save(workbook, path: Path | str) -> None:
    """Save a workbook with every text cell marked as text (a name starting with "=" is no formula)."""
    for sheet in workbook.worksheets:
        text_only(sheet)
    workbook.save(path)


def _print_setup(sheet) -> None:
    """Landscape A4, fitted to the page width."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


# --- CSV -----------------------------------------------------------------------------------------


def roster_csv_rows(campaign: Campaign, roster: Roster) -> list[dict[str, str]]:
    """One row per assignment, in canonical order; see :data:`CSV_COLUMNS`."""
    rows = []
    for a in sorted(roster.assignments, key=assignment_sort_key):
        try:
            person = campaign.person(a.person_id)
            name, pool = person.name, person.pool.value
        except KeyError:
            name, pool = "", ""
        rows.append(
            {
                "person_id": a.person_id,
                "full_name": name,
                "pool": pool,
                "ward": ward_name(campaign, a.ward_code),
                "date": format_date(a.date),
                "shift_id": a.shift_id or "",
                "mobile_point_id": a.mobile_point_id or "",
                "covered_wards": "; ".join(ward_name(campaign, code) for code in a.covered_ward_codes),
            }
        )
    return rows


def write_roster_csv(campaign: Campaign, roster: Roster, path: Path | str) -> Path:
    """Write one row per assignment: person_id, full_name, pool, ward, date (dd/mm/yyyy), shift_id,
    mobile_point_id, covered_wards (names joined by "; ").

    UTF-8 with a BOM, so Excel shows the Vietnamese names right; ``,`` delimited, ``\\n`` line ends.
    """
    path = Path(path)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: csv_cell(value) for key, value in row.items()} for row in roster_csv_rows(campaign, roster))
    path.write_bytes(("\ufeff" + buffer.getvalue()).encode("utf-8"))
    return path
