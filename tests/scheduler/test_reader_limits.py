"""Files built to cost memory out of proportion to their size are refused with a clear problem."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from scheduler.tables import CAMPAIGN_TABLES, MAX_CSV_LINE_CHARS, MAX_MERGED_RANGES, read_table

PEOPLE = next(schema for schema in CAMPAIGN_TABLES if schema.name == "people")


def _workbook_with_merges(count: int = 0, refs: tuple[str, ...] = ()) -> bytes:
    """A people sheet with a header, one row, and ``count`` one-column merged ranges below (or ``refs``)."""
    refs = refs or tuple(f"A{3 + 2 * i}:A{4 + 2 * i}" for i in range(count))
    workbook = openpyxl.Workbook()
    workbook.active.append(list(PEOPLE.names))
    workbook.active.append(["SV1", "Nguyễn Văn An"] + [""] * (len(PEOPLE.names) - 2))
    template = io.BytesIO()
    workbook.save(template)
    out = io.BytesIO()
    merges = "".join(f'<mergeCell ref="{ref}"/>' for ref in refs)
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"</sheetData>", f'</sheetData><mergeCells count="{len(refs)}">{merges}</mergeCells>'.encode(), 1
                )
            target.writestr(item, data)
    return out.getvalue()


def test_a_sheet_with_too_many_merged_ranges_is_refused(tmp_path):
    path = tmp_path / "people.xlsx"
    path.write_bytes(_workbook_with_merges(MAX_MERGED_RANGES + 1))
    _table, problems = read_table(path, PEOPLE)
    assert any(p.is_error and "vùng ô gộp" in p.message for p in problems)


def test_a_sheet_with_a_few_merged_ranges_is_read(tmp_path):
    path = tmp_path / "people.xlsx"
    path.write_bytes(_workbook_with_merges(3))
    _table, problems = read_table(path, PEOPLE)
    assert not any("vùng ô gộp" in p.message for p in problems)


@pytest.mark.parametrize("ref", ["2:3", "C:C"])
def test_a_merge_of_whole_lines_or_columns_is_a_problem_not_a_crash(tmp_path, ref):
    path = tmp_path / "people.xlsx"
    path.write_bytes(_workbook_with_merges(refs=(ref,)))
    table, problems = read_table(path, PEOPLE)
    assert [row.cells["person_id"] for row in table.rows] == ["SV1"]
    assert any(p.is_error and "không đọc được trang tính" in p.message for p in problems)


def test_a_csv_line_of_millions_of_cells_is_refused_before_it_is_split(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(",".join(PEOPLE.names) + "\n" + "," * (MAX_CSV_LINE_CHARS + 10) + "\n", encoding="utf-8")
    _table, problems = read_table(path, PEOPLE)
    assert any(p.is_error and "dòng 2" in p.message and "ký tự" in p.message for p in problems)
