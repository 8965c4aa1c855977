"""The roster's figures (scheduler.report) against hand counts on the tiny scenario.

The tiny scenario: three wards (Định Công, Hoàng Liệt, Bất Bạt) over three days from 24/07/2025, the
Hà Nội shifts (service: sáng 07:30–11:30, chiều 13:30–17:30, 4 h each; on-call: trưa 11:30–13:30 2 h,
tối 17:30–23:30 6 h, đêm 23:30–07:30 8 h), every ward asking 2 support staff per service shift, 1 telecom
staff a day and a technician around the clock, and one mobile point LD0001 in Bất Bạt on 25/07
(08:00–11:00) needing a telecom staff member and a student.

The roster below is built by hand; every expected figure is counted from it in the comments.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from scheduler.model import Assignment, Roster, Unfilled
from scheduler.report import (
    asked_by_ward_and_day,
    assigned_by_ward_and_day,
    assignment_counts,
    daily_rows,
    missing_by_rule,
    missing_by_ward_and_day,
    person_loads,
    ward_figures,
    ward_totals,
)
from scheduler.scenarios import tiny_scenario
from scheduler.verify import asked_person_slots


@pytest.fixture(scope="module")
def campaign():
    return tiny_scenario()


@pytest.fixture(scope="module")
def codes(campaign):
    by_name = {ward.name: ward.code for ward in campaign.wards}
    return by_name["Phường Định Công"], by_name["Phường Hoàng Liệt"], by_name["Xã Bất Bạt"]


@pytest.fixture(scope="module")
def roster(campaign, codes):
    dc, hl, bb = codes
    d0 = campaign.start_date
    d1, d2 = d0 + timedelta(days=1), d0 + timedelta(days=2)
    assignments = (
        Assignment("SV0001", dc, d0, "sang"),
        Assignment("SV0001", dc, d1, "chieu"),
        Assignment("SV0001", hl, d2, "sang"),
        Assignment("VT0001", dc, d0, "truc_dem", covered_ward_codes=(dc, hl)),  # telecom, but on call
        Assignment("VT0002", hl, d0, "sang"),
        Assignment("VT0001", bb, d1, mobile_point_id="LD0001", need_index=0),
        Assignment("KT0001", dc, d0, "truc_toi", covered_ward_codes=(dc,)),
        Assignment("SV0005", bb, d1, mobile_point_id="LD0001", need_index=1),
    )
    unfilled = (
        Unfilled("min_support_staff", dc, d0, "sang", 1),
        Unfilled("telecom_presence", bb, d0, None, 1, need="telecom"),
        Unfilled("oncall_24_7", bb, d0, "truc_dem", 1, need="technician"),
        Unfilled("oncall_24_7", bb, d0, "truc_trua", 1, need="technician"),
        Unfilled("min_support_staff", hl, d2, "chieu", 2),
    )
    return Roster(campaign.name, "FEASIBLE", assignments, unfilled, objective=5000)


def test_asked_per_ward_and_day_by_hand_and_as_the_checker_counts(campaign, codes):
    dc, hl, bb = codes
    asked = asked_by_ward_and_day(campaign)
    # 2 service shifts × 2 staff + 1 telecom + 24/7: 2 service + 3 on-call shifts = 10 a day; LD0001 adds 2.
    d0 = campaign.start_date
    assert asked[(dc, d0)] == 10 and asked[(hl, d0 + timedelta(days=2))] == 10
    assert asked[(bb, d0 + timedelta(days=1))] == 12 and asked[(bb, d0)] == 10
    assert len(asked) == 9 and sum(asked.values()) == 92
    assert sum(asked.values()) == sum(asked_person_slots(campaign).values())


def test_assigned_and_missing_per_ward_and_day(campaign, codes, roster):
    dc, hl, bb = codes
    d0 = campaign.start_date
    d1, d2 = d0 + timedelta(days=1), d0 + timedelta(days=2)
    assert assigned_by_ward_and_day(roster) == {(dc, d0): 3, (dc, d1): 1, (hl, d2): 1, (hl, d0): 1, (bb, d1): 2}
    assert missing_by_ward_and_day(roster) == {(dc, d0): 1, (bb, d0): 3, (hl, d2): 2}
    assert missing_by_rule(roster) == {"min_support_staff": 3, "oncall_24_7": 2, "telecom_presence": 1}
    assert list(missing_by_rule(roster)) == ["min_support_staff", "oncall_24_7", "telecom_presence"]
    assert ward_totals(roster) == ({dc: 4, hl: 2, bb: 2}, {dc: 1, bb: 3, hl: 2})


def test_ward_figures_over_the_campaign(campaign, codes, roster):
    dc, hl, bb = codes
    figures = {f.code: f for f in ward_figures(campaign, roster)}
    assert [f.code for f in ward_figures(campaign, roster)] == [w.code for w in campaign.wards]
    assert (figures[dc].asked, figures[dc].missing, figures[dc].assigned) == (30, 1, 4)
    assert (figures[hl].asked, figures[hl].missing, figures[hl].assigned) == (30, 2, 2)
    assert (figures[bb].asked, figures[bb].missing, figures[bb].assigned) == (32, 3, 2)
    assert figures[dc].percent == pytest.approx(100 * 29 / 30)
    assert figures[bb].percent == pytest.approx(100 * 29 / 32)


def test_ward_figures_of_a_ward_asked_nothing_have_no_percent(campaign, codes):
    dc, _hl, _bb = codes
    quiet = dataclasses.replace(
        campaign,
        demands=tuple(
            dataclasses.replace(d, service_shift_ids=(), min_telecom_staff_per_day=0, oncall_24_7=False)
            if d.ward_code == dc
            else d
            for d in campaign.demands
        ),
    )
    empty = Roster(campaign.name, "FEASIBLE", ())
    figure = next(f for f in ward_figures(quiet, empty) if f.code == dc)
    assert (figure.asked, figure.missing, figure.assigned, figure.percent) == (0, 0, 0, None)


def test_person_loads_hours_per_week_against_the_caps(campaign, roster):
    people = [campaign.person(pid) for pid in ("SV0001", "VT0001", "KT0001", "KT0002")]
    loads = {load.person.id: load for load in person_loads(campaign, roster, people)}
    assert [load.person.id for load in person_loads(campaign, roster, people)] == [p.id for p in people]
    assert assignment_counts(roster) == {"SV0001": 3, "VT0001": 2, "VT0002": 1, "KT0001": 1, "SV0005": 1}
    student = loads["SV0001"]  # three 4-hour service shifts in the first week, in two wards; own cap 16 h
    assert (student.assignments, student.max_week_hours, student.nights, student.wards) == (3, 12.0, 0, 2)
    assert student.week_hours == {0: 12.0} and student.cap_hours == 16 and not student.over_cap
    telecom = loads["VT0001"]  # the 8-hour night on call and the 3-hour mobile point; the labour cap 48 h
    assert (telecom.assignments, telecom.max_week_hours, telecom.nights, telecom.wards) == (2, 11.0, 1, 2)
    assert telecom.cap_hours == 48
    technician = loads["KT0001"]  # 17:30–23:30 reaches into the night window (from 22:00)
    assert (technician.max_week_hours, technician.nights, technician.wards) == (6.0, 1, 1)
    idle = loads["KT0002"]
    assert (idle.assignments, idle.max_week_hours, idle.nights, idle.wards, idle.week_hours) == (0, 0.0, 0, 0, {})


def test_a_load_over_the_weekly_cap_is_flagged(campaign, roster):
    capped = dataclasses.replace(
        campaign,
        people=tuple(dataclasses.replace(p, weekly_cap_hours=8) if p.id == "SV0001" else p for p in campaign.people),
    )
    (load,) = person_loads(capped, roster, [capped.person("SV0001")])
    assert load.cap_hours == 8 and load.max_week_hours == 12.0 and load.over_cap


def test_an_assignment_to_an_unknown_shift_counts_but_adds_no_hours(campaign, codes):
    dc, _hl, _bb = codes
    stale = Roster(
        campaign.name,
        "FEASIBLE",
        (Assignment("SV0002", dc, campaign.start_date, "ca_cu"), Assignment("SV0002", dc, campaign.start_date, "sang")),
    )
    (load,) = person_loads(campaign, stale, [campaign.person("SV0002")])
    assert (load.assignments, load.max_week_hours, load.wards) == (2, 4.0, 1)


def test_daily_rows_by_hand(campaign, codes, roster):
    dc, hl, bb = codes
    d0 = campaign.start_date
    rows = {row.code: row for row in daily_rows(campaign, roster, d0)}
    assert [row.code for row in daily_rows(campaign, roster, d0)] == [w.code for w in campaign.wards]
    # Định Công: SV0001, VT0001 (on call: not a telecom presence), KT0001; one support staff missing.
    assert (rows[dc].assigned, rows[dc].missing, rows[dc].telecom_present) == (3, 1, False)
    assert rows[dc].telecom_required == 1 and rows[dc].oncall_required
    assert (rows[dc].oncall_covered_hours, rows[dc].oncall_asked_hours) == (24.0, 24.0)
    assert (rows[hl].assigned, rows[hl].missing, rows[hl].telecom_present) == (1, 0, True)
    # Bất Bạt: nobody; the night (8 h) and noon (2 h) on-call shifts uncovered: 14 of 24 hours.
    assert (rows[bb].assigned, rows[bb].missing, rows[bb].telecom_present) == (0, 3, False)
    assert (rows[bb].oncall_covered_hours, rows[bb].oncall_asked_hours) == (14.0, 24.0)
    next_day = {row.code: row for row in daily_rows(campaign, roster, d0 + timedelta(days=1))}
    assert (next_day[bb].assigned, next_day[bb].missing, next_day[bb].telecom_present) == (2, 0, True)
    assert (next_day[dc].assigned, next_day[dc].telecom_present) == (1, False)


def test_daily_rows_without_the_24_7_rule_ask_no_hours(campaign, codes, roster):
    relaxed = dataclasses.replace(
        campaign, demands=tuple(dataclasses.replace(d, oncall_24_7=False) for d in campaign.demands)
    )
    for row in daily_rows(relaxed, roster, campaign.start_date):
        assert not row.oncall_required and row.oncall_asked_hours == 0 and row.oncall_covered_hours == 0


def test_the_reporting_module_knows_nothing_of_the_web():
    import ast
    from pathlib import Path

    import scheduler.report

    tree = ast.parse(Path(scheduler.report.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not {name for name in imported if name.split(".")[0] in ("web", "flask", "sqlalchemy")}
