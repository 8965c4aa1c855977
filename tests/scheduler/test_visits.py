"""The mobile visits' library: the list's cut-off, teams from the roster, the routing checker, re-plan and PyVRP."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, datetime

import pytest

from scheduler.model import Assignment, PriorityGroup, Roster
from scheduler.routing import solve_routes
from scheduler.scenarios import tiny_scenario
from scheduler.visits import (
    NO_SKILL,
    NO_TEAM,
    OUTSIDE_WINDOWS,
    OVER_TIME,
    TELECOM_SKILL,
    Route,
    RoutePlan,
    RoutingProblem,
    Stop,
    Vehicle,
    Visit,
    VisitRequest,
    check_routes,
    duplicates,
    replan,
    service_date_for,
    teams_for_day,
    timed_route,
)

TELECOM = frozenset({TELECOM_SKILL})


def request(rid="1", name="Nguyễn Thị Lan", phone="0912345678", day=date(2025, 7, 25), **extra) -> VisitRequest:
    fields = dict(
        id=rid,
        ward_code="00316",
        service_date=day,
        name=name,
        priority_group=PriorityGroup.ELDERLY,
        phone=phone,
        group_name="Tổ dân phố số 5",
        street="Số 12 ngõ 34 phố Định Công",
        home_visit=True,
        service="vneid",
    )
    fields.update(extra)
    return VisitRequest(**fields)


# --- The list ---------------------------------------------------------------------------------------


def test_a_request_before_the_cutoff_is_on_the_next_days_list_and_after_it_on_the_day_after():
    assert service_date_for(datetime(2025, 7, 24, 14, 59), 15 * 60) == (date(2025, 7, 25), False)
    assert service_date_for(datetime(2025, 7, 24, 15, 0), 15 * 60) == (date(2025, 7, 26), True)
    assert service_date_for(datetime(2025, 7, 24, 9, 0), 8 * 60) == (date(2025, 7, 26), True)


def test_the_same_person_twice_on_one_days_list_is_flagged_and_not_across_days():
    a = request("1", name="Nguyễn Thị  Lan", phone="0912 345 678")
    b = request("2", name="nguyễn thị lan", phone="0912345678")
    other_day = request("3", day=date(2025, 7, 26))
    other_person = request("4", name="Trần Văn Bình")
    assert duplicates([a, b, other_day, other_person]) == {"1": ["2"], "2": ["1"]}


def test_a_request_needs_a_known_service_and_a_window_within_the_day():
    assert request(service="ihanoi").needs_telecom
    assert not request(service="procedure", procedure="Đăng ký thường trú").needs_telecom
    with pytest.raises(ValueError, match="service"):
        request(service="taxi")
    with pytest.raises(ValueError, match="window"):
        request(window_start_minute=17 * 60, window_end_minute=8 * 60)


def test_the_teams_of_a_ward_are_its_service_shifts_and_mobile_points_staffed_that_day():
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
            Assignment(students[2].id, point.ward_code, point.date, mobile_point_id=point.id, need_index=1),
            Assignment(students[3].id, point.ward_code, point.date, shift_id="truc_ngay"),  # on call: not a team
            Assignment(students[4].id, "00316", point.date, shift_id="chieu"),  # another ward
        ),
    )
    teams = teams_for_day(campaign, roster, point.ward_code, point.date)
    by_base = {t.base: t for t in teams}
    assert set(by_base) == {"office", point.id}
    assert by_base["office"].member_ids == tuple(sorted((students[0].id, students[1].id)))
    assert not by_base["office"].has_telecom and by_base["office"].skills == frozenset()
    assert by_base[point.id].has_telecom and by_base[point.id].skills == TELECOM
    assert (by_base[point.id].start_minute, by_base[point.id].end_minute) == (point.start_minute, point.end_minute)


# --- The checker ------------------------------------------------------------------------------------

# Locations: 0 = the office, 1..4 = homes on a line, 10 minutes apart, the office 5 minutes from home 1.
TRAVEL = [
    [0, 5, 15, 25, 35],
    [5, 0, 10, 20, 30],
    [15, 10, 0, 10, 20],
    [25, 20, 10, 0, 10],
    [35, 30, 20, 10, 0],
]


def line_problem(end_minute=12 * 60, skills=TELECOM, **stops_extra) -> RoutingProblem:
    stops = (
        Stop("a", 1, 20, 8 * 60, 11 * 60),
        Stop("b", 2, 20, 8 * 60, 11 * 60, skills=TELECOM),
        Stop("c", 3, 20, 9 * 60, 9 * 60 + 30, demand=2),
        Stop("d", 4, 20, 8 * 60, 11 * 60),
    )
    vehicles = (Vehicle("T1", 0, 0, 8 * 60, end_minute, skills=skills, capacity=5),)
    return RoutingProblem(stops, vehicles, TRAVEL, **stops_extra)


def valid_plan(problem) -> RoutePlan:
    return RoutePlan((timed_route(problem, problem.vehicles[0], ["a", "b", "c", "d"], 8 * 60),))


def test_a_valid_plan_passes_and_its_times_are_the_hand_computed_ones():
    problem = line_problem()
    plan = valid_plan(problem)
    route = plan.routes[0]
    # 8:00 +5 → a 8:05–8:25, +10 → b 8:35–8:55, +10 → c 9:05 (window 9:00) –9:25, +10 → d 9:35–9:55, +35 → 10:30
    assert [(v.arrive_minute, v.start_minute) for v in route.visits] == [(485, 485), (515, 515), (545, 545), (575, 575)]
    assert route.return_minute == 630
    assert check_routes(problem, plan) == []
    assert plan.travel_total(problem) == 5 + 10 + 10 + 10 + 35


def test_the_checker_names_a_missed_window_a_late_return_a_missing_skill_and_an_overload():
    problem = line_problem()
    late = RoutePlan((timed_route(problem, problem.vehicles[0], ["d", "c", "b", "a"], 10 * 60),))
    found = " | ".join(check_routes(problem, late))
    assert "điểm c: bắt đầu" in found and "sau giờ muộn nhất" in found

    short = line_problem(end_minute=10 * 60)
    found = " | ".join(check_routes(short, valid_plan(short)))
    assert "sau giờ kết thúc ca" in found

    unskilled = line_problem(skills=frozenset())
    found = " | ".join(check_routes(unskilled, valid_plan(unskilled)))
    assert "điểm b: đội thiếu telecom" in found

    heavy = RoutingProblem(tuple(replace(s, demand=2) for s in line_problem().stops), line_problem().vehicles, TRAVEL)
    assert any("quá sức chứa 5" in p for p in check_routes(heavy, valid_plan(heavy)))


def test_the_checker_refuses_times_faster_than_travel_a_stop_served_twice_and_a_stop_unaccounted():
    problem = line_problem()
    route = valid_plan(problem).routes[0]
    rushed = list(route.visits)
    rushed[1] = Visit("b", 500, 500, 520)  # 10 minutes' travel from a (ended 8:25) cannot arrive at 8:20
    found = check_routes(problem, RoutePlan((replace(route, visits=tuple(rushed)),)))
    assert any("điểm b: đến lúc 500" in p for p in found)

    twice = timed_route(problem, problem.vehicles[0], ["a", "b", "a"], 8 * 60)
    found = check_routes(problem, RoutePlan((twice,), (("c", OVER_TIME), ("d", OVER_TIME))))
    assert "điểm a được phục vụ 2 lần" in found

    partial = RoutePlan((timed_route(problem, problem.vehicles[0], ["a", "b"], 8 * 60),), (("c", OVER_TIME),))
    assert any("không có trong lộ trình nào" in p and "d" in p for p in check_routes(problem, partial))

    both = RoutePlan(valid_plan(problem).routes, (("a", OVER_TIME),))
    assert any("vừa được phục vụ vừa ghi là không phục vụ" in p for p in check_routes(problem, both))
    must = line_problem(serve_all=True)
    assert any("đòi phục vụ hết" in p for p in check_routes(must, partial))


def test_waiting_is_allowed_and_leaving_before_the_shift_is_not():
    problem = line_problem()
    route = valid_plan(problem).routes[0]
    waited = route.visits[:1] + tuple(
        replace(v, start_minute=v.start_minute + 5, end_minute=v.end_minute + 5) for v in route.visits[1:2]
    )
    # b starts 5 minutes after it could: fine; the rest keep their times and follow on.
    later = tuple(
        replace(v, arrive_minute=v.arrive_minute + 5, start_minute=v.start_minute + 5, end_minute=v.end_minute + 5)
        for v in route.visits[2:]
    )
    plan = RoutePlan((replace(route, visits=waited + later, return_minute=route.return_minute + 5),))
    assert check_routes(problem, plan) == []
    early = RoutePlan((replace(route, depart_minute=7 * 60),))
    assert any("trước giờ bắt đầu" in p for p in check_routes(problem, early))


# --- Why not served -----------------------------------------------------------------------------


def test_reasons_name_the_missing_skill_the_windows_and_the_full_teams():
    skilled = Vehicle("T1", 0, 0, 8 * 60, 9 * 60, skills=TELECOM)
    plain = Vehicle("T2", 0, 0, 8 * 60, 9 * 60)
    stops = (
        Stop("near", 1, 40, 8 * 60, 8 * 60 + 10),
        Stop("near2", 1, 40, 8 * 60, 8 * 60 + 10),
        Stop("evening", 1, 20, 18 * 60, 19 * 60),
        Stop("skill", 2, 20, 8 * 60, 9 * 60, skills=frozenset({"chu_ky_so"})),
    )
    problem = RoutingProblem(stops, (skilled, plain), TRAVEL)
    plan = solve_routes(problem, seconds=1.0, seed=1)
    assert check_routes(problem, plan) == []
    reasons = dict(plan.unplanned)
    assert reasons["evening"] == OUTSIDE_WINDOWS
    assert reasons["skill"] == NO_SKILL
    assert sorted(plan.planned_ids) == ["near", "near2"]  # one team each, 8:05–8:45
    problem_one = RoutingProblem(stops[:2], (plain,), TRAVEL)
    plan_one = solve_routes(problem_one, seconds=0.5, seed=1)
    assert list(dict(plan_one.unplanned).values()) == [OVER_TIME]
    nobody = solve_routes(RoutingProblem(stops[:1], (), TRAVEL), seconds=0.5)
    assert nobody.unplanned == (("near", NO_TEAM),)


# --- PyVRP ------------------------------------------------------------------------------------------


def test_pyvrp_serves_what_fits_only_skilled_teams_take_telecom_visits_and_the_checker_agrees():
    # Twelve homes on a 4×3 grid around the office; two teams, one with telecom staff.
    points = [(0, 0)] + [(x, y) for x in range(1, 5) for y in range(1, 4)]
    travel = [[0 if a == b else 3 + 4 * (abs(a[0] - b[0]) + abs(a[1] - b[1])) for b in points] for a in points]
    stops = tuple(
        Stop(f"s{i}", i, 25, 8 * 60 + (i % 3) * 60, 11 * 60, skills=TELECOM if i % 2 else frozenset(), priority=i % 5)
        for i in range(1, 13)
    )
    teams = (Vehicle("A", 0, 0, 8 * 60, 11 * 60 + 30, skills=TELECOM), Vehicle("B", 0, 0, 8 * 60, 11 * 60 + 30))
    problem = RoutingProblem(stops, teams, travel)
    started = time.perf_counter()
    plan = solve_routes(problem, seconds=1.0, seed=3)
    assert time.perf_counter() - started < 3.0
    assert check_routes(problem, plan) == []
    by_team = {r.vehicle_id: [v.stop_id for v in r.visits] for r in plan.routes}
    assert all(problem.stop(s).skills == frozenset() for s in by_team.get("B", []))
    # 3.5 hours each: not all twelve 25-minute visits fit; the plan serves most and says why not the rest.
    assert 8 <= len(plan.planned_ids) < 12
    assert all(reason in (OVER_TIME, OUTSIDE_WINDOWS) for _, reason in plan.unplanned)
    # Seeded with its own plan, a re-solve is at least as good.
    again = solve_routes(problem, seconds=0.5, seed=3, initial=plan)
    assert check_routes(problem, again) == []
    assert len(again.planned_ids) >= len(plan.planned_ids)


def test_when_not_all_fit_the_most_urgent_are_served():
    stops = tuple(Stop(f"p{p}", 1, 50, 8 * 60, 9 * 60, priority=p) for p in (4, 0, 3))
    problem = RoutingProblem(stops, (Vehicle("T", 0, 0, 8 * 60, 9 * 60 + 30),), TRAVEL)
    plan = solve_routes(problem, seconds=0.5, seed=1)
    assert plan.planned_ids == {"p0"}


# --- Re-plan ----------------------------------------------------------------------------------------


def two_team_problem():
    stops = tuple(Stop(s, loc, 20, 8 * 60, 11 * 60) for s, loc in (("a", 1), ("b", 2), ("c", 3), ("d", 4)))
    teams = (Vehicle("T1", 0, 0, 8 * 60, 12 * 60), Vehicle("T2", 0, 0, 8 * 60, 12 * 60))
    problem = RoutingProblem(stops, teams, TRAVEL)
    plan = RoutePlan(
        (
            timed_route(problem, teams[0], ["a", "b"], 8 * 60),
            replace(timed_route(problem, teams[1], ["c", "d"], 8 * 60)),
        )
    )
    assert check_routes(problem, plan) == []
    return problem, plan


def test_a_cancelled_visit_leaves_the_rest_in_their_order():
    problem, plan = two_team_problem()
    without_b = replace(problem, stops=tuple(s for s in problem.stops if s.id != "b"))
    after = replan(without_b, plan)
    assert check_routes(without_b, after) == []
    assert {r.vehicle_id: [v.stop_id for v in r.visits] for r in after.routes} == {"T1": ["a"], "T2": ["c", "d"]}


def test_a_team_that_drops_out_hands_its_visits_to_the_others_and_done_visits_stay():
    problem, plan = two_team_problem()
    only_t1 = replace(problem, vehicles=problem.vehicles[:1])
    after = replan(only_t1, plan, done_ids=["a"], now_minute=9 * 60)
    assert check_routes(only_t1, after) == []
    route = after.routes[0]
    assert route.visits[0] == plan.routes[0].visits[0]  # done: as it was
    ids = [v.stop_id for v in route.visits]
    assert [s for s in ids if s in ("a", "b")] == ["a", "b"]  # T1's own visits keep their order
    assert set(after.planned_ids) == {"a", "b", "c", "d"}
    assert all(v.start_minute >= 9 * 60 for v in route.visits[1:])  # nothing planned in the past


def test_a_replan_lists_what_no_longer_fits_with_its_reason():
    problem, plan = two_team_problem()
    short = replace(problem, vehicles=(replace(problem.vehicles[0], end_minute=9 * 60),))
    after = replan(short, plan, now_minute=8 * 60)
    assert check_routes(short, after) == []
    # b alone fits the shortened shift but not after a; c and d are too far for it even alone.
    assert dict(after.unplanned) == {"b": OVER_TIME, "c": OUTSIDE_WINDOWS, "d": OUTSIDE_WINDOWS}


def test_a_route_of_a_team_that_left_without_done_visits_is_dropped_whole():
    problem, plan = two_team_problem()
    none = replace(problem, vehicles=())
    after = replan(none, plan)
    assert after.routes == ()
    assert dict(after.unplanned) == {s: NO_TEAM for s in "abcd"}
    assert check_routes(none, after) == []


def test_route_dataclass_keeps_its_index():
    assert Route("T", 0, (), 0, index=3).index == 3
