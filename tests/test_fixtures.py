"""The hand-checkable fixtures stay what fixtures/README.md says they are."""

from pathlib import Path

import pytest

from scheduler.io import CampaignLoadError, check_campaign, export_campaign, load_campaign
from scheduler.scenarios import tiny_scenario

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_tiny_fixture_is_what_the_tiny_scenario_writes(tmp_path):
    export_campaign(tiny_scenario(), tmp_path)
    for path in sorted((FIXTURES / "tiny").iterdir()):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_tiny_fixture_loads_to_the_tiny_scenario():
    loaded = load_campaign(FIXTURES / "tiny")
    assert len(loaded.people) == 12 and len(loaded.wards) == 3
    assert load_campaign(FIXTURES / "tiny") == loaded


def test_tiny_errors_reports_exactly_its_five_problems():
    problems = check_campaign(FIXTURES / "tiny_errors")
    where = sorted((p.file, p.row, p.column) for p in problems)
    assert where == [
        ("mobile_points.csv", 1, "date"),
        ("people.csv", 1, "phone"),
        ("people.csv", 2, "unavailable_dates"),
        ("people.csv", 5, "home_ward"),
        ("people.csv", 7, "phone"),
    ]
    text = "\n".join(str(p) for p in problems)
    assert "cột 'Ngày bận' (unavailable_dates): ngày không tồn tại '31/02/2025'" in text
    assert "có phải 'Phường Định Công'?" in text
    assert "nằm ngoài chiến dịch (24/07/2025 – 26/07/2025)" in text


def test_tiny_errors_loads_nothing():
    with pytest.raises(CampaignLoadError) as error:
        load_campaign(FIXTURES / "tiny_errors")
    assert len(error.value.problems) == 5
