"""Properties of the loader on the small campaign: one cell of one table is changed, then the directory is loaded.

(a) neutral reformattings (padding, case of enums and booleans, ISO ↔ dd/mm/yyyy, +84 ↔ 0,
    Vietnamese ↔ English values, ward code ↔ name) always load to an equal campaign;
(b) a control character or a junk symbol injected anywhere in any cell is always refused,
    with every problem naming that file and row;
(c) arbitrary text in any cell either loads with every other row unchanged, or is refused with
    every problem naming that row, except the other row of a duplicate (its problem names this
    row) and, when a ward of wards.csv is replaced, references to the ward that left wards.csv
    (their problems name wards.csv). Never any other exception.

Two companions: every cell of every table with every junk character (deterministic, one load per
character and position, since cells are checked independently), and any TOML value for any key of
campaign.toml (a campaign or CampaignLoadError, never a crash).
"""

import functools
import shutil
import tempfile
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from geo.units import find_commune, fold
from scheduler.io import CampaignLoadError, load_campaign
from scheduler.tables import CAMPAIGN_TABLES, read_table, write_table

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SCHEMAS = {schema.name: schema for schema in CAMPAIGN_TABLES}

WARD, WARDS, INT, BOOL, DATE, DATES, TIME, PHONE, POOL, PRIORITY, IDS, SKILLS, SKILL_COUNTS, TEXT = (
    "ward",
    "wards",
    "int",
    "bool",
    "date",
    "dates",
    "time",
    "phone",
    "pool",
    "priority",
    "ids",
    "skills",
    "skill_counts",
    "text",
)
KINDS = {
    "wards": {
        "ward": WARD,
        "service_shifts": IDS,
        "min_support_staff": INT,
        "min_telecom_staff_per_day": INT,
        "oncall_24_7": BOOL,
        "night_response_limit_minutes": INT,
        "peak_dates": DATES,
        "extra_students_on_peak": INT,
    },
    "people": {
        "person_id": TEXT,
        "full_name": TEXT,
        "pool": POOL,
        "organisation": TEXT,
        "home_ward": WARD,
        "phone": PHONE,
        "skills": SKILLS,
        "unavailable_dates": DATES,
        "available_shifts": IDS,
        "weekly_cap_hours": INT,
        "night_eligible": BOOL,
        "preferred_wards": WARDS,
    },
    "mobile_points": {
        "point_id": TEXT,
        "ward": WARD,
        "place": TEXT,
        "date": DATE,
        "start_time": TIME,
        "end_time": TIME,
        "students_needed": INT,
        "telecom_needed": INT,
        "technicians_needed": INT,
        "skills_needed": SKILL_COUNTS,
        "priority_group": PRIORITY,
    },
}
ATTRIBUTES = {"wards": ("wards", "demands"), "people": ("people",), "mobile_points": ("mobile_points",)}

TRANSLATIONS = {
    POOL: {
        "student": ["STUDENT", "Student", "sinh viên", "Sinh Viên", "SINH VIÊN", "sinh vien"],
        "telecom": ["TELECOM", "viễn thông", "Viễn Thông", "nhân sự viễn thông"],
        "technician": ["Technician", "kỹ thuật viên", "KỸ THUẬT VIÊN", "kĩ thuật viên", "ky thuat vien"],
    },
    PRIORITY: {
        "elderly": ["ELDERLY", "người cao tuổi", "Người Cao Tuổi"],
        "disabled": ["Disabled", "người khuyết tật", "NGƯỜI KHUYẾT TẬT"],
        "poor": ["POOR", "hộ nghèo", "Hộ Nghèo"],
        "near_poor": ["NEAR_POOR", "hộ cận nghèo", "Hộ cận nghèo"],
        "general": ["General", "người dân", "Người dân"],
    },
    BOOL: {
        "yes": ["YES", "Yes", "có", "CÓ", "Có", "x", "X", "true", "TRUE", "1", "co"],
        "no": ["NO", "No", "không", "KHÔNG", "Không", "false", "False", "0", "khong"],
    },
}
CONTROL = [
    "\x00",
    "\x01",
    "\x07",
    "\x08",
    "\x0b",
    "\x1b",
    "\x1c",
    "\x1f",
    "\x7f",
    "\x85",
    "\x9b",
    "\u200b",
    "\u200e",
    "\u202e",
    "\u2060",
    "\ufeff",
]
JUNK = list("@$<>{}|\\^~`=*%!?#[]") + ["☺", "€", "§", "©", "™", "→", "✓", "😀"]
PADDING = ["", " ", "  ", "\t", "\u00a0", " \t "]


@functools.cache
def base_rows(directory: Path) -> dict[str, list[dict[str, str]]]:
    rows = {}
    for name, schema in SCHEMAS.items():
        table, problems = read_table(directory / f"{name}.csv", schema)
        assert not problems
        rows[name] = [{column: row.get(column) for column in schema.names} for row in table.rows]
    return rows


def load_with(base_dir: Path, stem: str, index: int, column: str, value: str):
    """Load a copy of the base directory whose one cell is replaced; the campaign or the problems."""
    rows = [dict(row) for row in base_rows(base_dir)[stem]]
    rows[index][column] = value
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary) / "campaign"
        shutil.copytree(base_dir, directory)
        write_table(directory / f"{stem}.csv", SCHEMAS[stem], rows)
        try:
            return load_campaign(directory), ()
        except CampaignLoadError as error:
            return None, error.problems


def _dates_to_iso(text: str) -> str:
    return ";".join("-".join(reversed(item.strip().split("/"))) for item in text.split(";") if item.strip())


def _short_date(text: str) -> str:
    return "; ".join(
        "/".join(str(int(part)) for part in item.strip().split("/")) for item in text.split(";") if item.strip()
    )


def _ward_forms(name: str) -> list[str]:
    unit = find_commune(name, "Hà Nội")
    return [
        unit.code,
        unit.code.lstrip("0"),
        unit.short_name,
        unit.name.upper(),
        fold(unit.name),
        fold(unit.short_name),
        unit.short_name.lower(),
    ]


def neutral_variants(kind: str, value: str) -> list[str]:
    """Other spellings of the same cell value."""
    variants = [value]
    if not value:
        return variants
    if kind in TRANSLATIONS:
        variants += TRANSLATIONS[kind][value]
    elif kind == INT:
        variants += ["0" + value, "00" + value]
    elif kind == DATE:
        variants += [_dates_to_iso(value), _short_date(value)]
    elif kind == DATES:
        variants += [
            _dates_to_iso(value),
            _short_date(value),
            value.replace("; ", ";"),
            value + ";",
            ";".join(reversed(value.split("; "))),
        ]
    elif kind == TIME and value != "24:00":
        hours, minutes = value.split(":")
        variants += [f"{int(hours)}:{minutes}", f"{hours}h{minutes}", f"{value}:00", f"{int(hours)}h{minutes}"]
    elif kind == PHONE:
        rest = value[1:]
        variants += [
            "+84" + rest,
            "84" + rest,
            f"+84 {rest[:2]} {rest[2:5]} {rest[5:]}",
            f"{value[:4]} {value[4:7]} {value[7:]}",
            f"{value[:4]}.{value[4:7]}.{value[7:]}",
            f"(+84) {rest[:3]}-{rest[3:6]}-{rest[6:]}",
            rest,
        ]
    elif kind == WARD:
        variants += _ward_forms(value)
    elif kind == WARDS:
        items = value.split("; ")
        variants += [
            ";".join(_ward_forms(item)[0] for item in items),
            " ; ".join(_ward_forms(item)[-1] for item in items),
        ]
    elif kind == IDS:
        variants += [value.replace("; ", ";"), " ;  ".join(value.split("; ")) + ";"]
    elif kind == SKILLS:
        variants += [value.upper(), value.title(), ";".join(reversed(value.split("; ")))]
    elif kind == SKILL_COUNTS:
        variants += [value.upper(), value.replace(":", " : "), value.replace(":", ":0")]
    elif kind == TEXT:
        variants += [value.replace(" ", "  ")]
    return variants


@st.composite
def cells(draw, base_dir):
    """A table, a row index and a column of the base campaign."""
    stem = draw(st.sampled_from(sorted(KINDS)))
    index = draw(st.integers(0, len(base_rows(base_dir)[stem]) - 1))
    column = draw(st.sampled_from([name for name in SCHEMAS[stem].names if name in KINDS[stem]]))
    return stem, index, column


def assert_no_internal_errors(problems):
    assert not [str(p) for p in problems if "lỗi nội bộ" in p.message]


@SETTINGS
@given(data=st.data())
def test_neutral_reformatting_loads_an_equal_campaign(io_base_dir, io_campaign, data):
    stem, index, column = data.draw(cells(io_base_dir))
    value = base_rows(io_base_dir)[stem][index][column]
    variant = data.draw(st.sampled_from(neutral_variants(KINDS[stem][column], value)))
    text = data.draw(st.sampled_from(PADDING)) + variant + data.draw(st.sampled_from(PADDING))
    campaign, problems = load_with(io_base_dir, stem, index, column, text)
    assert not problems, [str(p) for p in problems]
    assert campaign == io_campaign


@SETTINGS
@given(data=st.data())
def test_control_characters_and_junk_symbols_are_refused_at_their_row(io_base_dir, data):
    stem, index, column = data.draw(cells(io_base_dir))
    value = base_rows(io_base_dir)[stem][index][column]
    junk = data.draw(st.sampled_from(CONTROL + JUNK))
    position = data.draw(st.integers(0, len(value)))
    campaign, problems = load_with(io_base_dir, stem, index, column, value[:position] + junk + value[position:])
    assert campaign is None, f"{stem}.csv row {index + 1} {column}: {junk!r} was accepted"
    assert_no_internal_errors(problems)
    assert all((p.file, p.row) == (f"{stem}.csv", index + 1) for p in problems), [str(p) for p in problems]
    assert any(p.column == column for p in problems)


def every_value(base_dir) -> list[str]:
    return sorted({value for rows in base_rows(base_dir).values() for row in rows for value in row.values()})


@SETTINGS
@given(data=st.data())
def test_arbitrary_text_changes_only_its_row(io_base_dir, io_campaign, data):
    stem, index, column = data.draw(cells(io_base_dir))
    same_column = sorted({r[column] for r in base_rows(io_base_dir)[stem]})
    text = data.draw(
        st.one_of(st.text(max_size=40), st.sampled_from(every_value(io_base_dir)), st.sampled_from(same_column))
    )
    campaign, problems = load_with(io_base_dir, stem, index, column, text)
    row, file = index + 1, f"{stem}.csv"
    event("loaded" if campaign is not None else "refused")
    if campaign is not None:
        for attribute in ("name", "province", "start_date", "days", "shifts", "rules"):
            assert getattr(campaign, attribute) == getattr(io_campaign, attribute)
        for table, attributes in ATTRIBUTES.items():
            for attribute in attributes:
                old, new = set(getattr(io_campaign, attribute)), set(getattr(campaign, attribute))
                if table == stem:
                    assert len(old - new) <= 1 and len(new - old) <= 1, attribute
                else:
                    assert getattr(campaign, attribute) == getattr(io_campaign, attribute), attribute
        return
    assert problems
    assert_no_internal_errors(problems)
    for p in problems:
        at_row = (p.file, p.row) == (file, row)
        duplicate_of_row = p.file == file and p.column == column and f"hàng {row} (dòng {row + 1})" in p.message
        ward_left_wards_csv = (stem, column) == ("wards", "ward") and "không có trong wards.csv" in p.message
        assert at_row or duplicate_of_row or ward_left_wards_csv, str(p)
        if not at_row:
            event("a problem at another row")


def load_with_every_cell(base_dir: Path, edit) -> tuple:
    """Load a copy of the base directory with ``edit`` applied to every cell of every table at once."""
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary) / "campaign"
        shutil.copytree(base_dir, directory)
        for stem, rows in base_rows(base_dir).items():
            write_table(
                directory / f"{stem}.csv",
                SCHEMAS[stem],
                [{column: edit(value) for column, value in row.items()} for row in rows],
            )
        try:
            return load_campaign(directory), ()
        except CampaignLoadError as error:
            return None, error.problems


@pytest.mark.parametrize("where", ["start", "middle", "end"])
@pytest.mark.parametrize("junk", CONTROL + JUNK, ids=lambda c: f"U+{ord(c):04X}")
def test_every_cell_refuses_every_junk_character(io_base_dir, junk, where):
    """Exhaustive companion of (b): the junk in all cells at once, and a problem for each cell.

    Cells are checked independently, so one load shows that each cell alone is refused.
    """

    def inject(value):
        position = {"start": 0, "middle": len(value) // 2, "end": len(value)}[where]
        return value[:position] + junk + value[position:]

    campaign, problems = load_with_every_cell(io_base_dir, inject)
    assert campaign is None
    assert_no_internal_errors(problems)
    refused = {(p.file, p.row, p.column) for p in problems}
    cells_ = {
        (f"{stem}.csv", number, column)
        for stem, rows in base_rows(io_base_dir).items()
        for number, row in enumerate(rows, 1)
        for column in row
    }
    assert sorted(cells_ - refused) == []


TOML_VALUES = st.recursive(
    st.one_of(
        st.none().map(lambda _: ""),
        st.booleans(),
        st.integers(-(10**6), 10**6),
        st.text(max_size=20),
        st.dates(),
        st.datetimes(),
        st.times(),
        st.sampled_from(["22:00", "24:00", "Hà Nội", "sang", "oncall"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["id", "name", "start", "end", "kind", "x"]), children, max_size=3),
    ),
    max_leaves=6,
)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_any_value_of_any_toml_key_is_loaded_or_refused(io_base_dir, data):
    """campaign.toml with one value replaced by any TOML value: a campaign or CampaignLoadError, nothing else."""
    document = tomllib.loads((io_base_dir / "campaign.toml").read_text(encoding="utf-8"))
    paths = [(key,) for key in document] + [("rules", key) for key in document["rules"]]
    paths += [("shifts", index, key) for index, shift in enumerate(document["shifts"]) for key in shift]
    paths += [("weights",), ("rules", "unknown"), ("shifts",)]
    path = data.draw(st.sampled_from(paths))
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = data.draw(TOML_VALUES)
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary) / "campaign"
        shutil.copytree(io_base_dir, directory)
        (directory / "campaign.toml").write_text(tomli_w.dumps(document), encoding="utf-8")
        try:
            load_campaign(directory)
        except CampaignLoadError as error:
            assert_no_internal_errors(error.problems)
