"""A scenario moved to another start date keeps its structure: every date shifts by the same number of days."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from scheduler.model import Assignment
from scheduler.scenarios import CAMPAIGN_START, hanoi_scenario, moved_to, tiny_scenario


def _dates(campaign) -> dict[str, list[date]]:
    """Every date of a campaign, by where it is, in a fixed order."""
    return {
        "start": [campaign.start_date],
        "unavailable": [d for p in campaign.people for d in sorted(p.unavailable_dates)],
        "slots": [d for p in campaign.people for d, _ in sorted(p.unavailable_slots)],
        "peaks": [d for w in campaign.demands for d in sorted(w.peak_dates)],
        "points": [m.date for m in campaign.mobile_points],
        "pins": [a.date for a in campaign.pins],
    }


def _without_dates(campaign):
    """The campaign with every date blanked, to compare the rest."""
    blank = date(2000, 1, 1)
    return replace(
        campaign,
        start_date=blank,
        people=tuple(replace(p, unavailable_dates=frozenset(), unavailable_slots=frozenset()) for p in campaign.people),
        demands=tuple(replace(d, peak_dates=frozenset()) for d in campaign.demands),
        mobile_points=tuple(replace(m, date=blank) for m in campaign.mobile_points),
        pins=tuple(replace(a, date=blank) for a in campaign.pins),
    )


def test_the_scenarios_keep_their_2025_dates_by_default():
    assert tiny_scenario().start_date == CAMPAIGN_START == date(2025, 7, 24)
    assert hanoi_scenario(1, scale=0.05, technicians=20, mobile_points=10).start_date == CAMPAIGN_START


def test_a_moved_scenario_shifts_every_date_by_the_same_days():
    original = tiny_scenario()
    pinned = replace(
        original,
        pins=(Assignment("SV0001", original.wards[0].code, original.start_date + timedelta(days=1), "sang"),),
        people=(
            replace(original.people[0], unavailable_slots=frozenset({(original.start_date, "chieu")})),
            *original.people[1:],
        ),
    )
    start = date(2026, 3, 5)
    moved = moved_to(pinned, start)
    delta = start - pinned.start_date
    before, after = _dates(pinned), _dates(moved)
    assert all(before[key] for key in before), "every kind of date is present in the example"
    for key in before:
        assert after[key] == [d + delta for d in before[key]], key
    assert moved.days == pinned.days and moved.end_date == pinned.end_date + delta
    assert _without_dates(moved) == _without_dates(pinned)  # nothing but the dates changed
    assert moved_to(moved, pinned.start_date) == pinned  # and moving back gives the original


def test_the_hanoi_scenario_moves_whole():
    start = date(2026, 1, 10)
    original = hanoi_scenario(2, scale=0.05, technicians=20, mobile_points=30)
    moved = hanoi_scenario(2, scale=0.05, technicians=20, mobile_points=30, start=start)
    delta = start - original.start_date
    before, after = _dates(original), _dates(moved)
    assert sum(len(v) for v in before.values()) > 100
    for key in before:
        assert after[key] == [d + delta for d in before[key]], key
    assert all(moved.contains_date(m.date) for m in moved.mobile_points)
    assert _without_dates(moved) == _without_dates(original)
