"""Fixtures of the scheduler tests.

The import/export tests get a small valid campaign built from the model, and its files; the rule tests
(verify, roster I/O, explain) get ``rk``, builders of a hand-checkable campaign with exact travel minutes
(see "Rule tests" below).

Import/export fixtures:

``small_campaign()`` is three wards of Hà Nội (Định Công, Bạch Mai, Hoàng Mai), a
dozen people of the three pools and four mobile points. It is already in the
loader's canonical order (wards by code, people by id, points by date and time),
so ``load_campaign(export_campaign(small_campaign()))`` equals it. What is special:
one student has a weekly cap, unavailable dates, a shift restriction and ranked
preferred wards; one person lives outside the campaign's wards (Cầu Giấy); Bạch Mai
has only the morning shift, a peak date and a stricter night limit; one point needs
a skill, one ends at 24:00.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from geo.units import commune_by_code
from scheduler.export import export_campaign
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
    StaffNeed,
    Ward,
    WardDemand,
)
from scheduler.tables import CAMPAIGN_TABLES, read_table, write_table

DINH_CONG, BACH_MAI, HOANG_MAI, CAU_GIAY = "00316", "00292", "00331", "00166"
START = date(2025, 8, 20)  # 45 days: 20/08/2025 – 03/10/2025


def shifts() -> tuple[Shift, ...]:
    """Two service shifts and three on-call shifts; the night one ends the next morning."""
    return (
        Shift("sang", "Ca sáng", 7 * 60 + 30, 11 * 60 + 30, ShiftKind.SERVICE),
        Shift("chieu", "Ca chiều", 13 * 60 + 30, 17 * 60 + 30, ShiftKind.SERVICE),
        Shift("truc_ngay", "Trực ngày", 6 * 60, 14 * 60, ShiftKind.ONCALL),
        Shift("truc_toi", "Trực tối", 14 * 60, 22 * 60, ShiftKind.ONCALL),
        Shift("truc_dem", "Trực đêm", 22 * 60, 30 * 60, ShiftKind.ONCALL),
    )


def ward(code: str) -> Ward:
    unit = commune_by_code(code)
    return Ward(unit.code, unit.name, unit.kind, unit.province, unit.lat, unit.lon, unit.area_km2)


def small_campaign() -> Campaign:
    rules = CampaignRules()
    wards = tuple(ward(code) for code in sorted((DINH_CONG, BACH_MAI, HOANG_MAI)))
    demands = (
        WardDemand(BACH_MAI, ("sang",), 2, 1, True, 20, frozenset({date(2025, 9, 2)}), 3),
        WardDemand(DINH_CONG, ("sang", "chieu"), 2, 1, True, 30),
        WardDemand(HOANG_MAI, ("sang", "chieu"), 3, 2, False, 30),
    )
    people = (
        Person(
            "KTV01",
            "Trần Văn Hùng",
            Pool.TECHNICIAN,
            "Trung tâm Phục vụ hành chính công",
            DINH_CONG,
            "0912345601",
            night_eligible=True,
        ),
        Person(
            "KTV02",
            "Lê Thị Mai",
            Pool.TECHNICIAN,
            "Trung tâm Phục vụ hành chính công",
            BACH_MAI,
            "0912345602",
            night_eligible=True,
            available_shift_ids=frozenset({"truc_dem", "truc_toi"}),
        ),
        Person(
            "KTV03",
            "Phạm Quốc Bảo",
            Pool.TECHNICIAN,
            "Trung tâm Phục vụ hành chính công",
            HOANG_MAI,
            "0385555603",
            night_eligible=False,
        ),
        Person(
            "SV01",
            "Nguyễn Thị Lan",
            Pool.STUDENT,
            "Trường Cao đẳng Công nghệ cao Hà Nội",
            DINH_CONG,
            "0987654301",
            skills=frozenset({"vneid", "ihanoi"}),
            unavailable_dates=frozenset({date(2025, 8, 26), date(2025, 9, 2)}),
            available_shift_ids=frozenset({"sang"}),
            weekly_cap_hours=16,
            preferred_ward_codes=(DINH_CONG, HOANG_MAI),
        ),
        Person("SV02", "Đỗ Minh Quân", Pool.STUDENT, "Trường Cao đẳng Công nghệ cao Hà Nội", DINH_CONG, "0987654302"),
        Person(
            "SV03",
            "Vũ Hải Yến",
            Pool.STUDENT,
            "Đại học Bách khoa Hà Nội",
            BACH_MAI,
            "0707654303",
            skills=frozenset({"vneid"}),
            preferred_ward_codes=(BACH_MAI,),
        ),
        Person(
            "SV04",
            "Hoàng Đức Anh",
            Pool.STUDENT,
            "Đại học Bách khoa Hà Nội",
            CAU_GIAY,
            "0567654304",
            weekly_cap_hours=20,
        ),
        Person(
            "SV05",
            "Bùi Ngọc Hà",
            Pool.STUDENT,
            "Học viện Công nghệ Bưu chính Viễn thông",
            HOANG_MAI,
            "0867654305",
            unavailable_dates=frozenset({date(2025, 10, 3)}),
        ),
        Person(
            "VT01",
            "Ngô Thanh Tùng",
            Pool.TELECOM,
            "VNPT Hà Nội",
            DINH_CONG,
            "0911111101",
            skills=frozenset({"vneid", "sim"}),
        ),
        Person("VT02", "Đặng Thu Trang", Pool.TELECOM, "Viettel Hà Nội", BACH_MAI, "0961111102"),
        Person(
            "VT03",
            "Phan Văn Long",
            Pool.TELECOM,
            "MobiFone",
            HOANG_MAI,
            "0901111103",
            preferred_ward_codes=(HOANG_MAI, BACH_MAI),
        ),
        Person(
            "VT04",
            "Lý Hồng Nhung",
            Pool.TELECOM,
            "FPT Telecom",
            CAU_GIAY,
            "0931111104",
            unavailable_dates=frozenset({date(2025, 8, 20)}),
        ),
    )
    points = (
        MobilePoint(
            "MP01",
            DINH_CONG,
            "Nhà văn hóa tổ 5, ngõ 12 Định Công",
            date(2025, 8, 23),
            8 * 60,
            11 * 60,
            (StaffNeed(2, pool=Pool.STUDENT), StaffNeed(1, pool=Pool.TELECOM)),
            PriorityGroup.ELDERLY,
        ),
        MobilePoint(
            "MP02",
            BACH_MAI,
            "Chợ Mơ",
            date(2025, 8, 23),
            14 * 60,
            17 * 60,
            (StaffNeed(1, pool=Pool.TELECOM), StaffNeed(1, skill="vneid")),
            PriorityGroup.GENERAL,
        ),
        MobilePoint(
            "MP03",
            HOANG_MAI,
            "Trụ sở UBND phường (tầng 1)",
            date(2025, 9, 2),
            18 * 60,
            24 * 60,
            (StaffNeed(1, pool=Pool.TECHNICIAN),),
            PriorityGroup.DISABLED,
        ),
        MobilePoint(
            "MP04",
            DINH_CONG,
            "Khu tập thể Định Công, nhà B6",
            date(2025, 10, 3),
            7 * 60 + 30,
            9 * 60,
            (StaffNeed(3, pool=Pool.STUDENT), StaffNeed(1, pool=Pool.TELECOM), StaffNeed(1, pool=Pool.TECHNICIAN)),
            PriorityGroup.NEAR_POOR,
        ),
    )
    return Campaign(
        "45 ngày đêm ra quân hỗ trợ chuyển đổi số",
        "Thành phố Hà Nội",
        START,
        45,
        shifts(),
        rules,
        wards,
        demands,
        people,
        points,
    )


def table_path(directory: Path, stem: str) -> Path:
    for suffix in (".csv", ".xlsx"):
        if (directory / f"{stem}{suffix}").exists():
            return directory / f"{stem}{suffix}"
    raise FileNotFoundError(stem)


def read_rows(directory: Path, stem: str) -> list[dict[str, str]]:
    """The rows of an exported table as dicts of every column (canonical names)."""
    schema = next(s for s in CAMPAIGN_TABLES if s.name == stem)
    table, problems = read_table(table_path(directory, stem), schema)
    assert not problems, problems
    return [{name: row.get(name) for name in schema.names} for row in table.rows]


def write_rows(directory: Path, stem: str, rows: list[dict[str, str]]) -> None:
    schema = next(s for s in CAMPAIGN_TABLES if s.name == stem)
    write_table(table_path(directory, stem), schema, rows)


def set_cell(directory: Path, stem: str, row: int, column: str, value: str) -> None:
    """Replace one cell (row is the 1-based data row) of an exported table."""
    rows = read_rows(directory, stem)
    rows[row - 1][column] = value
    write_rows(directory, stem, rows)


def copy_campaign(source: Path, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    return target


@pytest.fixture(scope="session")
def io_campaign() -> Campaign:
    """The small valid campaign (see the module docstring)."""
    return small_campaign()


@pytest.fixture(scope="session")
def io_base_dir(tmp_path_factory, io_campaign) -> Path:
    """The small campaign exported as CSV once; copy it before editing (``io_dir``)."""
    directory = tmp_path_factory.mktemp("io_base") / "campaign"
    export_campaign(io_campaign, directory)
    return directory


@pytest.fixture
def io_dir(io_base_dir, tmp_path) -> Path:
    """A fresh, editable copy of the small campaign's CSV directory."""
    return copy_campaign(io_base_dir, tmp_path / "campaign")


@pytest.fixture(scope="session")
def io_edit() -> SimpleNamespace:
    """Helpers to read and edit the tables of a campaign directory."""
    return SimpleNamespace(
        read_rows=read_rows,
        write_rows=write_rows,
        set_cell=set_cell,
        table_path=table_path,
        copy=copy_campaign,
        small_campaign=small_campaign,
        codes=SimpleNamespace(DINH_CONG=DINH_CONG, BACH_MAI=BACH_MAI, HOANG_MAI=HOANG_MAI, CAU_GIAY=CAU_GIAY),
    )


# --- Rule tests: a hand-built campaign with exact travel minutes ------------------------------------------------
#
# Three wards A (Định Công), B (Hoàng Mai), C (Bạch Mai) with injected travel minutes A–B 20, A–C 45, B–C 30.
# The campaign starts on Monday 21/07/2025 and lasts 14 days (two full weeks); its shifts are the Hanoi ones.
# Every ward demand is off (no support staff, no telecom, no 24/7 duty, no peaks) so that a test turns on exactly
# the rule it is about. People (home ward):
#   SV1 student, school X, A        SV2 student, school Y, A        SV3 student, school X, B, cap 16 h, only "sang"
#   VT1 telecom, A, night-eligible, skills vneid     VT2 telecom, C, unavailable on day 2
#   KT1 technician, A, night-eligible                 KT2 technician, B, night-eligible
#   KT3 technician, C, not night-eligible

RULE_START = date(2025, 7, 21)
WARD_A, WARD_B, WARD_C = DINH_CONG, HOANG_MAI, BACH_MAI
RULE_TRAVEL = {frozenset({WARD_A, WARD_B}): 20, frozenset({WARD_A, WARD_C}): 45, frozenset({WARD_B, WARD_C}): 30}


def rule_travel(code_a: str, code_b: str, table: dict | None = None) -> int:
    """Injected travel minutes (symmetric; 0 for a ward to itself)."""
    if code_a == code_b:
        return 0
    return (table or RULE_TRAVEL)[frozenset({code_a, code_b})]


def rule_day(index: int) -> date:
    return RULE_START + timedelta(days=index)


def rule_demand(code: str, **changes) -> WardDemand:
    fields = dict(
        ward_code=code,
        service_shift_ids=("sang", "chieu"),
        min_support_staff=0,
        min_telecom_staff_per_day=0,
        oncall_24_7=False,
        night_response_limit_minutes=30,
    )
    fields.update(changes)
    return WardDemand(**fields)


def rule_shift(shift_id: str, start: str, end: str, kind: ShiftKind = ShiftKind.SERVICE) -> Shift:
    """A shift from "HH:MM" times; an end not after the start ends the next day."""

    def minutes(text):
        hours, mins = text.split(":")
        return int(hours) * 60 + int(mins)

    start_minute, end_minute = minutes(start), minutes(end)
    if end_minute <= start_minute:
        end_minute += 24 * 60
    return Shift(shift_id, shift_id, start_minute, end_minute, kind)


def rule_people() -> tuple[Person, ...]:
    def person(pid, pool, org, home, phone, **extra):
        return Person(pid, f"Người {pid}", pool, org, home, phone, **extra)

    return (
        person("KT1", Pool.TECHNICIAN, "Trung tâm", WARD_A, "0904000001", night_eligible=True),
        person("KT2", Pool.TECHNICIAN, "Trung tâm", WARD_B, "0904000002", night_eligible=True),
        person("KT3", Pool.TECHNICIAN, "Trung tâm", WARD_C, "0904000003"),
        person("SV1", Pool.STUDENT, "Trường X", WARD_A, "0912000001"),
        person("SV2", Pool.STUDENT, "Trường Y", WARD_A, "0912000002"),
        person(
            "SV3",
            Pool.STUDENT,
            "Trường X",
            WARD_B,
            "0912000003",
            weekly_cap_hours=16,
            available_shift_ids=frozenset({"sang"}),
        ),
        person("VT1", Pool.TELECOM, "VNPT", WARD_A, "0903000001", night_eligible=True, skills=frozenset({"vneid"})),
        person("VT2", Pool.TELECOM, "Viettel", WARD_C, "0903000002", unavailable_dates=frozenset({rule_day(2)})),
    )


def rule_campaign(**changes) -> Campaign:
    """The rule tests' campaign; ``changes`` replace its fields (demands, shifts, people, points, rules…)."""
    from scheduler.scenarios import hanoi_shifts

    fields = dict(
        name="Kiểm tra quy tắc",
        province="Thành phố Hà Nội",
        start_date=RULE_START,
        days=14,
        shifts=hanoi_shifts(),
        rules=CampaignRules(),
        wards=tuple(ward(code) for code in (WARD_A, WARD_B, WARD_C)),
        demands=tuple(rule_demand(code) for code in (WARD_A, WARD_B, WARD_C)),
        people=rule_people(),
        mobile_points=(),
    )
    fields.update(changes)
    return Campaign(**fields)


def rule_assignment(
    person_id: str,
    ward_code: str,
    day: int,
    shift_id: str | None = None,
    point: str | None = None,
    need: int | None = None,
    covered: tuple[str, ...] = (),
) -> Assignment:
    """An assignment on campaign day ``day`` (0 is the first)."""
    return Assignment(person_id, ward_code, rule_day(day), shift_id, point, need, covered)


@pytest.fixture(scope="session")
def rk() -> SimpleNamespace:
    """Builders of the rule tests (see the comment above)."""
    return SimpleNamespace(
        A=WARD_A,
        B=WARD_B,
        C=WARD_C,
        start=RULE_START,
        day=rule_day,
        travel=rule_travel,
        demand=rule_demand,
        shift=rule_shift,
        campaign=rule_campaign,
        a=rule_assignment,
        people=rule_people,
    )
