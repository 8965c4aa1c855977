"""The generated daily visit lists of the Hanoi scenario."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from statistics import mean

import pytest

from scheduler.model import PriorityGroup
from scheduler.scenarios import daily_visit_requests, hanoi_scenario, tiny_scenario
from scheduler.visit_io import request_from_form, visit_request_row
from scheduler.visits import SERVICES, duplicates

DAY = date(2025, 8, 1)


@pytest.fixture(scope="module")
def hanoi():
    return hanoi_scenario(1)


@pytest.fixture(scope="module")
def requests(hanoi):
    return daily_visit_requests(hanoi, DAY, seed=7)


def test_the_same_seed_gives_the_same_lists_and_another_seed_or_day_others(hanoi, requests):
    assert daily_visit_requests(hanoi, DAY, seed=7) == requests
    assert daily_visit_requests(hanoi, DAY, seed=8) != requests
    assert daily_visit_requests(hanoi, DAY + timedelta(days=1), seed=7) != requests


def test_about_the_total_for_every_ward(hanoi, requests):
    assert len(requests) == 2000
    assert {r.ward_code for r in requests} == {w.code for w in hanoi.wards}
    assert len({r.id for r in requests}) == len(requests)
    assert requests[0].id.endswith("-20250801-001")
    assert len(daily_visit_requests(hanoi, DAY, seed=7, total=500)) == 500


def test_outer_communes_have_more_people_on_their_lists(hanoi, requests):
    per_ward = Counter(r.ward_code for r in requests)
    xa = [per_ward[w.code] for w in hanoi.wards if w.kind == "Xã"]
    phuong = [per_ward[w.code] for w in hanoi.wards if w.kind == "Phường"]
    assert mean(xa) > 2 * mean(phuong)


def test_shares_of_home_visits_groups_and_services(requests):
    home = sum(r.home_visit for r in requests) / len(requests)
    assert 0.60 <= home <= 0.70
    groups = Counter(r.priority_group for r in requests)
    assert groups.most_common(1)[0][0] is PriorityGroup.ELDERLY
    assert set(groups) == set(PriorityGroup)
    disabled = [r for r in requests if r.priority_group is PriorityGroup.DISABLED]
    general = [r for r in requests if r.priority_group is PriorityGroup.GENERAL]
    assert mean(r.home_visit for r in disabled) > mean(r.home_visit for r in general)
    telecom = sum(r.needs_telecom for r in requests) / len(requests)
    assert 0.4 <= telecom <= 0.6
    windows = Counter((r.window_start_minute, r.window_end_minute) for r in requests)
    assert set(windows) == {(480, 690), (810, 1020), (480, 1020)}


def test_every_request_is_one_a_ward_could_have_typed(hanoi, requests):
    """Each request reads back from its cells unchanged through the form's parser, and is plausible."""
    kinds = {w.code: w.kind for w in hanoi.wards}
    registered = datetime.combine(DAY - timedelta(days=1), datetime.min.time()).replace(hour=10)
    for request in requests:
        again, problems = request_from_form(
            visit_request_row(request), request.ward_code, hanoi.province, registered, 900
        )
        assert [p for p in problems if p.is_error] == [], request
        assert again is not None and again.service_date == request.service_date
        assert again.__class__(**{**again.__dict__, "id": request.id}) == request
        assert request.lat is None and request.lon is None
        assert request.window_end_minute - request.window_start_minute >= request.service_minutes
        assert abs(request.service_minutes - SERVICES[request.service][1]) <= 10
        assert (request.service == "procedure") == bool(request.procedure)
        prefix = "Tổ dân phố số " if kinds[request.ward_code] == "Phường" else "Thôn "
        assert request.group_name.startswith(prefix)
    assert duplicates(requests) == {}


def test_a_small_campaign_gets_lists_too():
    tiny = tiny_scenario()
    requests = daily_visit_requests(tiny, DAY, seed=1, total=30)
    per_ward = Counter(r.ward_code for r in requests)
    assert sum(per_ward.values()) == 30
    bat_bat = next(w.code for w in tiny.wards if w.kind == "Xã")
    assert per_ward[bat_bat] == max(per_ward.values())
