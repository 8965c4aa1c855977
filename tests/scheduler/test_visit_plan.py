"""A ward's day of visits planned end to end: teams from the roster, places on the map, PyVRP, the checker."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

from geo.addresses import inside_ward, office_location
from scheduler.model import Assignment, PriorityGroup, Roster
from scheduler.scenarios import tiny_scenario
from scheduler.visit_plan import (
    OFFICE,
    plan_city_day,
    plan_from_dict,
    plan_to_dict,
    plan_ward_day,
    replan_ward_day,
)
from scheduler.visits import NO_SKILL, VisitRequest, check_routes


@pytest.fixture(scope="module")
def day_of_bat_bat():
    """Xã Bất Bạt's mobile-point day: two students on the morning shift, a telecom staff member at the point."""
    campaign = tiny_scenario()
    point = campaign.mobile_points[0]
    telecom = next(p for p in campaign.people if p.pool.value == "telecom")
    students = [p for p in campaign.people if p.pool.value == "student"]
    roster = Roster(
        campaign.name,
        "FEASIBLE",
        (
            Assignment(students[0].id, point.ward_code, point.date, shift_id="sang"),
            Assignment(students[1].id, point.ward_code, point.date, shift_id="sang"),
            Assignment(telecom.id, point.ward_code, point.date, mobile_point_id=point.id, need_index=0),
        ),
    )
    services = ["vneid", "procedure", "other", "ihanoi"]
    requests = [
        VisitRequest(
            id=f"{i:02d}",
            ward_code=point.ward_code,
            service_date=point.date,
            name=f"Người dân {i}",
            priority_group=PriorityGroup.ELDERLY if i % 2 else PriorityGroup.GENERAL,
            phone="0912345678",
            group_name=f"Thôn {i % 3 + 1}",
            street=f"Số {i + 3}",
            home_visit=i % 4 != 0,
            service=services[i % 4],
            procedure="Đăng ký thường trú" if i % 4 == 1 else "",
        )
        for i in range(12)
    ]
    office_location(point.ward_code)  # the province's polygons load once, before any time limit is measured
    return campaign, roster, point, requests


def test_a_wards_day_is_planned_within_its_time_and_every_request_is_accounted_for(day_of_bat_bat):
    campaign, roster, point, requests = day_of_bat_bat
    started = time.perf_counter()
    plan = plan_ward_day(campaign, roster, point.ward_code, point.date, requests, seconds=1.0)
    assert time.perf_counter() - started < 5.0  # one second of search, and a margin for a busy machine
    assert plan.problems == ()
    assert check_routes(plan.problem, plan.plan) == []
    # Two teams, 4 and 3 hours: most of the twelve are served (prizes a million once kept PyVRP from any plan).
    assert len(plan.plan.planned_ids) >= 9
    assert plan.plan.planned_ids | set(plan.unplanned) == {r.id for r in requests}
    by_team = {r.vehicle_id: [v.stop_id for v in r.visits] for r in plan.plan.routes}
    office_team = next(t for t in plan.teams if t.base == OFFICE)
    assert all(not plan.request(s).needs_telecom for s in by_team.get(office_team.id, []))


def test_home_visits_are_placed_inside_the_ward_and_people_who_can_come_meet_at_the_mobile_point(day_of_bat_bat):
    campaign, roster, point, requests = day_of_bat_bat
    plan = plan_ward_day(campaign, roster, point.ward_code, point.date, requests, seconds=0.5)
    for request in plan.requests:
        place = plan.place_of(request.id)
        if request.home_visit:
            assert place.key == f"r:{request.id}" and place.approximate
            assert inside_ward(point.ward_code, place.lat, place.lon)
        else:
            assert place.key == point.id  # the first mobile point a team works at
    again = plan_ward_day(campaign, roster, point.ward_code, point.date, requests, seconds=0.5)
    assert [p.lat for p in again.places] == [p.lat for p in plan.places]  # the same text, the same place


def test_telecom_visits_have_no_team_without_a_telecom_member(day_of_bat_bat):
    campaign, roster, point, requests = day_of_bat_bat
    students_only = replace(roster, assignments=tuple(a for a in roster.assignments if a.mobile_point_id is None))
    plan = plan_ward_day(campaign, students_only, point.ward_code, point.date, requests, seconds=0.5)
    assert plan.problems == ()
    for request in requests:
        if request.needs_telecom:
            assert plan.unplanned[request.id] == NO_SKILL


def test_a_plan_goes_to_json_and_back_and_is_checked_again(day_of_bat_bat):
    campaign, roster, point, requests = day_of_bat_bat
    plan = plan_ward_day(campaign, roster, point.ward_code, point.date, requests, seconds=0.5)
    back = plan_from_dict(json.loads(json.dumps(plan_to_dict(plan))))
    assert back == plan
    data = plan_to_dict(plan)
    first = data["routes"][0]["visits"][0]
    first[2] -= 300  # a visit moved before its arrival: the stored plan no longer passes
    assert plan_from_dict(data).problems != ()


def test_when_a_member_drops_out_the_day_is_replanned_keeping_done_visits(day_of_bat_bat):
    campaign, roster, point, requests = day_of_bat_bat
    plan = plan_ward_day(campaign, roster, point.ward_code, point.date, requests, seconds=0.5)
    office_team = next(t for t in plan.teams if t.base == OFFICE)
    route = plan.route_of(office_team.id)
    assert route is not None and len(route.visits) >= 2
    done = route.visits[0]
    now = done.end_minute
    done_ids = [v.stop_id for r in plan.plan.routes for v in r.visits if v.end_minute <= now]
    # The office team's two students leave after their first visit: the team is gone.
    left = replace(roster, assignments=tuple(a for a in roster.assignments if a.shift_id != "sang"))
    after = replan_ward_day(campaign, left, plan, requests, done_ids=done_ids, now_minute=now)
    assert after.problems == ()
    # The done visit is not lost and stays as it was; the point team keeps its own visits in their order.
    point_team = next(t for t in plan.teams if t.base != OFFICE)
    before = [v.stop_id for v in plan.route_of(point_team.id).visits]
    now_ids = [v.stop_id for v in after.route_of(point_team.id).visits]
    assert [s for s in now_ids if s in before] == before
    assert done.stop_id not in after.unplanned
    assert after.route_of(office_team.id).visits == (done,)  # the team that left keeps what it did, nothing more
    moved = [v.stop_id for v in route.visits[1:]]
    for stop_id in moved:  # handed to the point team, or listed with a reason
        assert stop_id in now_ids or stop_id in after.unplanned


def test_a_cancelled_request_is_dropped_and_the_rest_stay(day_of_bat_bat):
    campaign, roster, point, requests = day_of_bat_bat
    plan = plan_ward_day(campaign, roster, point.ward_code, point.date, requests, seconds=0.5)
    gone = next(iter(sorted(plan.plan.planned_ids)))
    after = replan_ward_day(campaign, roster, plan, [r for r in requests if r.id != gone])
    assert after.problems == ()
    assert gone not in after.plan.planned_ids and gone not in after.unplanned
    for route in plan.plan.routes:
        kept = [v.stop_id for v in route.visits if v.stop_id != gone]
        new = after.route_of(route.vehicle_id)
        assert [v.stop_id for v in new.visits if v.stop_id in kept] == kept


def test_a_city_day_keeps_its_time_limit(day_of_bat_bat):
    campaign, roster, point, requests = day_of_bat_bat
    other = [replace(r, id=f"dc{r.id}", ward_code="09676") for r in requests]
    started = time.perf_counter()
    plans = plan_city_day(campaign, roster, point.date, requests + other, seconds=1.5)
    assert time.perf_counter() - started < 6.0
    assert set(plans) == {point.ward_code} | {"09676"}
    assert all(p.problems == () for p in plans.values())
