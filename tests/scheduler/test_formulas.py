"""No file the project writes lets a spreadsheet run a cell as a formula, and CSV text survives the round trip."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.formulas import FORMULA_STARTS, csv_cell, read_csv_cell

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ['=HYPERLINK("http://x","a")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1", "'=1"]


@given(st.text(max_size=30))
def test_reading_gives_back_what_was_written(text):
    assert read_csv_cell(csv_cell(text)) == text


@given(st.text(max_size=30))
def test_no_written_cell_starts_a_formula(text):
    assert not csv_cell(text)[:1] or csv_cell(text)[0] not in FORMULA_STARTS


def test_plain_text_is_left_alone():
    assert csv_cell("Nguyễn Văn An") == "Nguyễn Văn An" and csv_cell("0912000001") == "0912000001"


def _hostile_campaign(campaign):
    people = tuple(
        dataclasses.replace(person, name=HOSTILE[i % len(HOSTILE)], organisation=HOSTILE[(i + 1) % 5])
        for i, person in enumerate(campaign.people)
    )
    return dataclasses.replace(campaign, people=people)


def _formula_cells(path):
    workbook = openpyxl.load_workbook(path)
    return [
        (sheet.title, cell.coordinate, cell.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


@pytest.mark.parametrize("table_format", ["csv", "xlsx"])
def test_campaign_export_neutralises_formulas(tmp_path, table_format):
    from scheduler.io import export_campaign, load_campaign

    hostile = _hostile_campaign(load_campaign(ROOT / "fixtures" / "tiny"))
    export_campaign(hostile, tmp_path, table_format=table_format)
    people = tmp_path / f"people.{table_format}"
    if table_format == "csv":
        rows = list(csv.reader(io.StringIO(people.read_text(encoding="utf-8"))))
        assert all(not cell[:1] or cell[0] not in FORMULA_STARTS for row in rows for cell in row)
        assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
    else:
        assert _formula_cells(people) == []


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_table_reads_back_the_text_it_wrote(tmp_path, suffix):
    from scheduler.tables import CAMPAIGN_TABLES, read_table, write_table

    schema = next(schema for schema in CAMPAIGN_TABLES if schema.name == "people")
    rows = [{name: f"{HOSTILE[(i + j) % len(HOSTILE)]}{i}" for j, name in enumerate(schema.names)} for i in range(4)]
    write_table(tmp_path / f"people{suffix}", schema, rows)
    table, problems = read_table(tmp_path / f"people{suffix}", schema)
    assert [p for p in problems if p.is_error] == []
    assert [{name: row.get(name) for name in schema.names} for row in table.rows] == rows


def test_roster_exports_neutralise_formulas(rk, tmp_path):
    from scheduler.model import Roster
    from scheduler.roster_io import write_roster_csv, write_roster_xlsx, write_ward_xlsx

    hostile = _hostile_campaign(rk.campaign(days=2))
    people = [person.id for person in hostile.people]
    tiny_roster = Roster(
        hostile.name, "FEASIBLE", (rk.a(people[0], rk.A, 0, "sang"), rk.a(people[1], rk.A, 0, "sang")), ()
    )
    text = write_roster_csv(hostile, tiny_roster, tmp_path / "roster.csv").read_text(encoding="utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
    assert all(not cell[:1] or cell[0] not in FORMULA_STARTS for cell in cells)
    write_roster_xlsx(hostile, tiny_roster, tmp_path / "roster.xlsx")
    assert _formula_cells(tmp_path / "roster.xlsx") == []
    ward = tiny_roster.assignments[0].ward_code
    write_ward_xlsx(hostile, tiny_roster, ward, tmp_path / "ward.xlsx")
    assert _formula_cells(tmp_path / "ward.xlsx") == []
    names = [
        cell.value
        for sheet in openpyxl.load_workbook(tmp_path / "ward.xlsx").worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    assert any(str(value).startswith("=HYPERLINK") for value in names)  # shown as the text it is
