"""A roster on disk: canonical JSON both ways, clear refusals, the printable workbook and the CSV."""

import csv
import json

import openpyxl
import pytest

from scheduler.model import MobilePoint, Pool, Roster, StaffNeed, Unfilled
from scheduler.roster_io import (
    ROSTER_FORMAT,
    read_roster_json,
    roster_json,
    sheet_names,
    sort_roster,
    write_roster_csv,
    write_roster_json,
    write_roster_xlsx,
)
from scheduler.verify import unfilled_slots


@pytest.fixture
def sample(rk):
    """Two days, a mobile point, an on-call post in B covering A, and the declared shortfalls."""
    point = MobilePoint(
        "P1",
        rk.A,
        "Nhà văn hóa tổ 5",
        rk.day(1),
        8 * 60,
        11 * 60,
        (StaffNeed(1, pool=Pool.TELECOM), StaffNeed(1, pool=Pool.STUDENT)),
    )
    campaign = rk.campaign(
        days=2, mobile_points=(point,), demands=(rk.demand(rk.A, min_support_staff=2), rk.demand(rk.B), rk.demand(rk.C))
    )
    assignments = (
        rk.a("SV2", rk.A, 0, "sang"),
        rk.a("SV1", rk.A, 0, "sang"),
        rk.a("VT1", rk.A, 1, point="P1", need=0),
        rk.a("KT2", rk.B, 0, "truc_dem", covered=(rk.B, rk.A)),
        rk.a("SV3", rk.B, 1, "sang"),
    )
    unfilled = unfilled_slots(campaign, assignments, rk.travel)
    roster = Roster(
        campaign.name,
        "FEASIBLE",
        assignments,
        tuple(reversed(unfilled)),
        objective=4321,
        best_bound=4000,
        wall_seconds=12.5,
    )
    return campaign, roster


# --- JSON ---------------------------------------------------------------------------------------


def test_json_round_trip_gives_the_canonical_roster(sample, tmp_path):
    _, roster = sample
    path = write_roster_json(roster, tmp_path / "roster.json")
    loaded = read_roster_json(path)
    assert loaded == sort_roster(roster)
    assert read_roster_json(write_roster_json(loaded, tmp_path / "again.json")) == loaded
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()


def test_json_is_deterministic_and_sorted(sample):
    _, roster = sample
    shuffled = Roster(
        roster.campaign_name,
        roster.status,
        roster.assignments[::-1],
        roster.unfilled[::-1],
        roster.objective,
        roster.best_bound,
        roster.wall_seconds,
    )
    text = roster_json(roster)
    assert roster_json(shuffled) == text
    document = json.loads(text)
    assert document["format"] == ROSTER_FORMAT
    assert [a["date"] for a in document["assignments"]] == sorted(a["date"] for a in document["assignments"])
    assert document["assignments"][0] == {
        "person_id": "SV1",
        "ward_code": roster.assignments[0].ward_code,
        "date": "2025-07-21",
        "shift_id": "sang",
    }


def test_json_of_an_empty_roster(tmp_path):
    roster = Roster("Trống", "FAILED", ())
    assert read_roster_json(write_roster_json(roster, tmp_path / "r.json")) == roster


def bad_json(sample, tmp_path, edit) -> str:
    _, roster = sample
    document = json.loads(roster_json(roster))
    edit(document)
    path = tmp_path / "ban-nhap.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError) as error:
        read_roster_json(path)
    return str(error.value)


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            lambda d: d["assignments"][1].update(date="2025-13-01"),
            "ban-nhap.json: assignments[1].date: ngày không tồn tại",
        ),
        (lambda d: d["assignments"][2].update(date="21/07/2025"), "ban-nhap.json: assignments[2].date: ngày phải ghi"),
        (lambda d: d["assignments"][0].pop("person_id"), "ban-nhap.json: assignments[0].person_id: thiếu trường"),
        (lambda d: d["assignments"][3].update(colour="red"), "ban-nhap.json: assignments[3].colour: trường không"),
        (
            lambda d: d["assignments"][0].update(mobile_point_id="P1"),
            "ban-nhap.json: assignments[0]: phân công không hợp",
        ),
        (lambda d: d["assignments"][1].update(covered_ward_codes="00316"), "assignments[1].covered_ward_codes"),
        (lambda d: d["unfilled"][0].update(missing=True), "ban-nhap.json: unfilled[0].missing: phải là số nguyên"),
        (lambda d: d.update(format="raquan-roster/2"), "ban-nhap.json: format: định dạng 'raquan-roster/2'"),
        (lambda d: d.update(assignments={}), "ban-nhap.json: assignments: phải là danh sách"),
        (lambda d: d.update(objective="4321"), "ban-nhap.json: tệp.objective: phải là số nguyên"),
    ],
)
def test_bad_json_names_the_file_the_entry_and_the_field(sample, tmp_path, edit, expected):
    assert expected in bad_json(sample, tmp_path, edit)


def test_json_syntax_error_names_the_file_and_line(tmp_path):
    path = tmp_path / "hong.json"
    path.write_text('{\n  "format": "raquan-roster/1",\n  "campaign": \n}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"^hong\.json: không đọc được JSON \(dòng 4"):
        read_roster_json(path)


# --- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_has_a_summary_and_one_sheet_per_ward_with_names_in_their_cells(sample, tmp_path, rk):
    campaign, roster = sample
    path = write_roster_xlsx(campaign, roster, tmp_path / "lich.xlsx", travel=rk.travel)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Tổng hợp"] + [ward.name for ward in campaign.wards]

    summary = {row[0]: row[1] for row in workbook["Tổng hợp"].iter_rows(values_only=True)}
    assert summary["Chiến dịch"] == campaign.name and summary["Trạng thái"] == "FEASIBLE"
    assert summary["Giá trị mục tiêu (bộ giải)"] == 4321 and summary["Cận dưới (bộ giải)"] == 4000
    assert summary["Số phân công"] == 5
    # A asks 2 people in 2 shifts on 2 days (8) and the point 2; only the first morning (2) and VT1 are there.
    assert summary["Thiếu người — tối thiểu 02 nhân sự hỗ trợ mỗi ca (min_support_staff)"] == 6
    assert summary["Độ phủ"] == pytest.approx(3 / 10)
    formats = {row[0].value: row[1].number_format for row in workbook["Tổng hợp"].iter_rows()}
    assert formats["Số phân công"] == "#,##0" and formats["Độ phủ"] == "0.00%"  # the reader's locale groups them

    sheet = workbook[campaign.ward(rk.A).name]
    header = [cell.value for cell in sheet[1]]
    assert header[0] == "Ngày" and header[-1] == "Điểm lưu động"
    assert header[1:-1] == [
        "Ca sáng (07:30–11:30)",
        "Trực trưa (11:30–13:30)",
        "Ca chiều (13:30–17:30)",
        "Trực tối (17:30–23:30)",
        "Trực đêm (23:30–07:30)",
    ]
    assert sheet["A2"].value == "21/07/2025 (Thứ Hai)" and sheet["A3"].value == "22/07/2025 (Thứ Ba)"
    assert sheet["B2"].value.splitlines() == ["Người SV1 (SV)", "Người SV2 (SV)"]
    assert sheet["D2"].value in (None, "")
    assert sheet["F2"].value == f"Người KT2 (KTV) — trực tại {campaign.ward(rk.B).name}"
    assert sheet["G3"].value == "P1 08:00–11:00 Nhà văn hóa tổ 5: Người VT1 (VT)"
    assert sheet.freeze_panes == "B2"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1

    other = workbook[campaign.ward(rk.B).name]
    assert other["F2"].value == "Người KT2 (KTV)" and other["B3"].value == "Người SV3 (SV)"


def test_sheet_names_are_cut_to_31_characters_and_unique():
    long = "Phường Một Tên Rất Dài Cho Bảng Tính Excel"
    names = sheet_names([long, long, "phường a", "Phường A", "a/b"], reserved=("Tổng hợp",))
    assert all(len(name) <= 31 for name in names)
    assert names[0] == long[:31] and names[1] == long[:27] + " (2)"
    assert names[2:] == ["phường a", "Phường A (2)", "a-b"]
    assert sheet_names(["Tổng hợp"], reserved=("Tổng hợp",)) == ["Tổng hợp (2)"]


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_has_one_row_per_assignment(sample, tmp_path, rk):
    campaign, roster = sample
    path = write_roster_csv(campaign, roster, tmp_path / "lich.csv")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(roster.assignments)
    assert list(rows[0]) == [
        "person_id",
        "full_name",
        "pool",
        "ward",
        "date",
        "shift_id",
        "mobile_point_id",
        "covered_wards",
    ]
    night = next(row for row in rows if row["person_id"] == "KT2")
    assert night == {
        "person_id": "KT2",
        "full_name": "Người KT2",
        "pool": "technician",
        "ward": campaign.ward(rk.B).name,
        "date": "21/07/2025",
        "shift_id": "truc_dem",
        "mobile_point_id": "",
        "covered_wards": f"{campaign.ward(rk.B).name}; {campaign.ward(rk.A).name}",
    }
    point = next(row for row in rows if row["mobile_point_id"])
    assert (point["person_id"], point["shift_id"], point["mobile_point_id"]) == ("VT1", "", "P1")


def test_unfilled_entries_keep_need_and_point(sample, tmp_path):
    _, roster = sample
    slot = Unfilled("mobile_point_staffing", "00316", roster.assignments[0].date, None, 1, "P1", "student")
    with_point = Roster(roster.campaign_name, roster.status, (), (slot,))
    assert read_roster_json(write_roster_json(with_point, tmp_path / "r.json")).unfilled == (slot,)
