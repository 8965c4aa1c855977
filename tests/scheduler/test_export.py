"""Export: canonical files, byte-identical for equal campaigns, and load → export → load is the identity."""

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from scheduler.io import export_campaign, load_campaign
from scheduler.model import Shift, ShiftKind, StaffNeed
from scheduler.scenarios import tiny_scenario

ROOT = Path(__file__).resolve().parents[2]
FILES = ("campaign.toml", "wards.{}", "people.{}", "mobile_points.{}")


def files(directory, table_format):
    return {name.format(table_format): (directory / name.format(table_format)).read_bytes() for name in FILES}


@pytest.mark.parametrize("table_format", ["csv", "xlsx"])
def test_round_trip(tmp_path, io_campaign, table_format):
    written = export_campaign(io_campaign, tmp_path, table_format)
    assert sorted(p.name for p in written) == sorted(name.format(table_format) for name in FILES)
    assert load_campaign(tmp_path) == io_campaign


@pytest.mark.parametrize("table_format", ["csv", "xlsx"])
def test_load_export_load_from_a_hand_written_directory(io_dir, io_edit, tmp_path, table_format):
    """Files in other forms (Vietnamese values, ISO dates, +84 phones) load, export and load to the same."""
    rows = io_edit.read_rows(io_dir, "people")
    for row in rows:
        row["pool"] = {"student": "sinh viên", "telecom": "viễn thông", "technician": "kĩ thuật viên"}[row["pool"]]
        row["phone"] = "+84" + row["phone"][1:]
        row["night_eligible"] = {"yes": "x", "no": ""}[row["night_eligible"]]
    io_edit.write_rows(io_dir, "people", rows)
    first = load_campaign(io_dir)
    export_campaign(first, tmp_path / "out", table_format)
    assert load_campaign(tmp_path / "out") == first


def test_tiny_scenario_round_trips_through_csv_and_xlsx(tmp_path):
    once = tmp_path / "once"
    export_campaign(tiny_scenario(), once)
    first = load_campaign(once)
    export_campaign(first, tmp_path / "csv")
    export_campaign(first, tmp_path / "xlsx", "xlsx")
    assert load_campaign(tmp_path / "csv") == first == load_campaign(tmp_path / "xlsx")
    assert files(tmp_path / "csv", "csv") == files(once, "csv")


@pytest.mark.parametrize("table_format", ["csv", "xlsx"])
def test_equal_campaigns_give_byte_identical_files(tmp_path, io_campaign, io_edit, table_format):
    export_campaign(io_campaign, tmp_path / "a", table_format)
    export_campaign(io_edit.small_campaign(), tmp_path / "b", table_format)
    assert files(tmp_path / "a", table_format) == files(tmp_path / "b", table_format)


def test_row_order_of_the_campaign_does_not_change_the_files(tmp_path, io_campaign):
    shuffled = replace(
        io_campaign,
        people=io_campaign.people[::-1],
        mobile_points=io_campaign.mobile_points[::-1],
        demands=io_campaign.demands[::-1],
    )
    export_campaign(io_campaign, tmp_path / "a")
    export_campaign(shuffled, tmp_path / "b")
    assert files(tmp_path / "a", "csv") == files(tmp_path / "b", "csv")


def test_files_do_not_depend_on_set_iteration_order(tmp_path):
    """Sets (skills, dates) iterate in a per-process order; the files must not follow it."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[2]); from scheduler.scenarios import tiny_scenario; "
        "from scheduler.io import export_campaign; export_campaign(tiny_scenario(), sys.argv[1])"
    )
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", script, str(out), str(ROOT)], check=True, env=env)
        outputs.append(files(out, "csv"))
    assert outputs[0] == outputs[1]


def test_canonical_forms_in_the_files(tmp_path, io_campaign):
    export_campaign(io_campaign, tmp_path)
    people = (tmp_path / "people.csv").read_text(encoding="utf-8").splitlines()
    assert people[0] == (
        "person_id,full_name,pool,organisation,home_ward,phone,skills,unavailable_dates,"
        "available_shifts,weekly_cap_hours,night_eligible,preferred_wards"
    )
    assert people[4] == (
        "SV01,Nguyễn Thị Lan,student,Trường Cao đẳng Công nghệ cao Hà Nội,Phường Định Công,"
        "0987654301,ihanoi; vneid,26/08/2025; 02/09/2025,sang,16,no,"
        "Phường Định Công; Phường Hoàng Mai"
    )
    wards = (tmp_path / "wards.csv").read_text(encoding="utf-8").splitlines()
    assert wards[1:] == [
        "Phường Bạch Mai,sang,,,,20,02/09/2025,3",
        "Phường Định Công,,,,,,,",
        "Phường Hoàng Mai,,3,2,no,,,",
    ]
    points = (tmp_path / "mobile_points.csv").read_text(encoding="utf-8").splitlines()
    assert points[3] == "MP03,Phường Hoàng Mai,Trụ sở UBND phường (tầng 1),02/09/2025,18:00,24:00,0,0,1,,disabled"
    toml = (tmp_path / "campaign.toml").read_text(encoding="utf-8")
    assert 'start_date = "2025-08-20"' in toml and 'night_start = "22:00"' in toml
    assert '[[shifts]]\nid = "truc_dem"\nname = "Trực đêm"\nstart = "22:00"\nend = "06:00"\nkind = "oncall"' in toml


def test_export_refuses_to_sit_beside_the_other_format(tmp_path, io_campaign):
    export_campaign(io_campaign, tmp_path, "xlsx")
    with pytest.raises(FileExistsError, match="wards.xlsx"):
        export_campaign(io_campaign, tmp_path, "csv")
    assert (tmp_path / "wards.xlsx").exists() and not (tmp_path / "wards.csv").exists()


def test_export_refuses_an_unknown_format(tmp_path, io_campaign):
    with pytest.raises(ValueError, match="csv' or 'xlsx"):
        export_campaign(io_campaign, tmp_path, "ods")


@pytest.mark.parametrize(
    "change,reason",
    [
        (lambda c: replace(c, demands=c.demands[1:]), "without a demand"),
        (
            lambda c: replace(
                c,
                mobile_points=(
                    replace(c.mobile_points[0], staff_needed=(StaffNeed(1, pool=c.people[0].pool, skill="vneid"),)),
                ),
            ),
            "pool and skill together",
        ),
        (
            lambda c: replace(
                c,
                mobile_points=(
                    replace(
                        c.mobile_points[0], staff_needed=(StaffNeed(1, skill="vneid"), StaffNeed(2, skill="vneid"))
                    ),
                ),
            ),
            "needed twice",
        ),
        (
            lambda c: replace(c, shifts=c.shifts + (Shift("x", "Cả ngày", 420, 420 + 1440, ShiftKind.ONCALL),)),
            "24-hour shift",
        ),
    ],
)
def test_export_refuses_what_the_files_cannot_say(tmp_path, io_campaign, change, reason):
    with pytest.raises(ValueError, match=reason):
        export_campaign(change(io_campaign), tmp_path)
    assert not any(tmp_path.iterdir())
