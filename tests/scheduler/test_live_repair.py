"""The live roster's library side: events, the clock, roster changes, the engine's change costs,
the repair pipeline and the fast path for one seat."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from scheduler import clock
from scheduler.calendar import Calendar
from scheduler.candidates import candidates, seat_of
from scheduler.changes import changes_outside, roster_changes
from scheduler.events import Event, EventError, apply_events, event_from_dict, event_to_dict, parse_event
from scheduler.model import Assignment, Pool
from scheduler.pipeline import repair, solve
from scheduler.scenarios import tiny_scenario
from scheduler.settings import SolveSettings
from scheduler.solver import engine
from scheduler.solver.engine import ChangeCosts, Cover, Problem, Task, Worker
from scheduler.solver.solve import campaign_travel
from scheduler.verify import verify

START = date(2025, 7, 24)
BEFORE = datetime(2025, 7, 23, 20, 0)  # the evening before the tiny campaign
AT = datetime(2025, 7, 24, 8, 0)  # 08:00 on the first day, when "sang" has started


@pytest.fixture(scope="module")
def tiny():
    return tiny_scenario()


@pytest.fixture(scope="module")
def published(tiny):
    return solve(tiny, SolveSettings(time_limit_seconds=10, processes=1)).roster


def cancel(person_id, *dates, slots=(), at=BEFORE):
    return Event("cancellation", at, person_id=person_id, dates=tuple(dates), slot_ids=tuple(slots))


# --- events and the clock ------------------------------------------------------------------------------------


def test_a_cancellation_for_days_makes_the_person_unavailable_those_days(tiny):
    after = apply_events(tiny, [cancel("SV0002", START, START + timedelta(days=1))])
    added = {START, START + timedelta(days=1)}
    assert after.person("SV0002").unavailable_dates == tiny.person("SV0002").unavailable_dates | added
    assert not added <= tiny.person("SV0002").unavailable_dates  # the input is not changed


def test_a_cancellation_of_one_shift_keeps_the_rest_of_the_day(tiny):
    after = apply_events(tiny, [cancel("SV0002", START, slots=("sang",))])
    person = after.person("SV0002")
    calendar = Calendar(after, ())
    assert not calendar.available(person, Assignment("SV0002", "00316", START, shift_id="sang"))
    assert calendar.available(person, Assignment("SV0002", "00316", START, shift_id="chieu"))


def test_events_leave_history_alone(tiny):
    # At 08:00 on the first day "sang" (from 07:00 or so) has started: the cancellation of that day
    # keeps it and takes only the slots still to come; a day before now is left out altogether.
    sang = tiny.shift("sang")
    now = datetime.combine(START, datetime.min.time()) + timedelta(minutes=sang.start_minute + 1)
    after = apply_events(tiny, [cancel("SV0002", START - timedelta(days=1), START, at=now)], now)
    person = after.person("SV0002")
    assert START not in person.unavailable_dates and START - timedelta(days=1) not in person.unavailable_dates
    assert (START, "sang") not in person.unavailable_slots
    assert (START, "chieu") in person.unavailable_slots


def test_left_the_campaign_covers_every_day_from_the_first(tiny):
    after = apply_events(tiny, [Event("left", BEFORE, person_id="KT0001", dates=(START + timedelta(days=1),))])
    assert set(tiny.dates[1:]) <= after.person("KT0001").unavailable_dates


def test_demand_person_and_mobile_point_events(tiny):
    point = tiny.mobile_points[0]
    spare = replace(tiny.person("SV0001"), id="SV9999", name="Người Mới")
    events = [
        Event("demand_changed", BEFORE, ward_code=tiny.demands[0].ward_code, demand=(("min_support_staff", 3),)),
        Event("person_added", BEFORE, person=spare),
        Event("mobile_point_cancelled", BEFORE, point_id=point.id),
    ]
    after = apply_events(tiny, events)
    assert after.demand(tiny.demands[0].ward_code).min_support_staff == 3
    assert after.person("SV9999").name == "Người Mới"
    assert point.id not in {m.id for m in after.mobile_points}
    assert tiny.demand(tiny.demands[0].ward_code).min_support_staff == 2  # the input is not changed
    assert len(tiny.people) + 1 == len(after.people)


def test_unknown_names_are_clear_errors(tiny):
    with pytest.raises(EventError, match="NOONE"):
        apply_events(tiny, [cancel("NOONE", START)])
    with pytest.raises(EventError, match="no mobile point 'M404'"):
        apply_events(tiny, [Event("mobile_point_cancelled", BEFORE, point_id="M404")])
    with pytest.raises(EventError, match="unknown event kind"):
        Event("holiday", BEFORE)
    with pytest.raises(EventError, match="names a person and at least one date"):
        Event("cancellation", BEFORE, person_id="SV0001")


def test_events_round_trip_through_json(tiny):
    spare = replace(tiny.person("SV0001"), id="SV9999", skills=frozenset({"vneid"}), email="sv9999@truong.edu.vn")
    for event in (
        cancel("SV0002", START, slots=("sang",)),
        Event("person_added", BEFORE, person=spare, recorded_by="dieuphoi"),
        Event("demand_changed", BEFORE, ward_code="00316", demand=(("min_support_staff", 3),)),
        Event("mobile_point_added", BEFORE, point=tiny.mobile_points[0]),
    ):
        assert event_from_dict(json.loads(json.dumps(event_to_dict(event)))) == event


def test_parse_event_reads_the_command_line_form():
    event = parse_event("cancellation,person=SV0001,dates=2025-08-01..2025-08-03+2025-08-05,slots=sang", BEFORE)
    assert event.person_id == "SV0001" and event.slot_ids == ("sang",)
    assert event.dates == (date(2025, 8, 1), date(2025, 8, 2), date(2025, 8, 3), date(2025, 8, 5))
    with pytest.raises(EventError, match="unknown keys colour"):
        parse_event("cancellation,person=SV0001,dates=2025-08-01,colour=red", BEFORE)
    with pytest.raises(EventError, match="not key=value"):
        parse_event("cancellation,SV0001", BEFORE)


def test_the_clock_reads_a_fixed_now(monkeypatch):
    monkeypatch.setenv("RAQUAN_NOW", "2025-08-01T09:30")
    assert clock.now() == datetime(2025, 8, 1, 9, 30)
    assert clock.now("2025-08-01T02:30:00+00:00") == datetime(2025, 8, 1, 9, 30)  # UTC to Hanoi
    with pytest.raises(ValueError, match="not an ISO date"):
        clock.now("yesterday")


# --- roster changes ------------------------------------------------------------------------------------------


def test_roster_changes_count_moves_and_people():
    a = Assignment("P1", "W1", START, shift_id="sang")
    b = Assignment("P1", "W1", START, shift_id="chieu")
    c = Assignment("P2", "W1", START, shift_id="sang")
    d = Assignment("P3", "W2", START, shift_id="sang")
    changes = roster_changes([a, c], [b, c, d])
    assert changes.changed == 3 and changes.people == {"P1", "P3"}
    assert changes.moves() == [(a, b)]
    assert changes.counts() == {"added": 1, "moved": 1, "removed": 0}
    assert changes.summary_vi(0) == "1 người thêm ca, 1 người đổi ca, còn 0 ca thiếu người"
    assert roster_changes([a, c], [c, a]).changed == 0


def test_changes_outside_flags_history(tiny):
    sang = Assignment("SV0001", "00316", START, shift_id="sang")
    changes = roster_changes([sang], [])
    assert changes_outside(tiny, changes, BEFORE) == []
    assert "đã bắt đầu" in changes_outside(tiny, changes, AT + timedelta(hours=3))[0]
    assert changes_outside(tiny, changes, BEFORE, {("00316", START)}) == []
    assert "ngoài phần được sửa" in changes_outside(tiny, changes, BEFORE, {("00316", START + timedelta(days=1))})[0]


# --- the engine's change costs -------------------------------------------------------------------------------


def small_problem(workers=3, tasks=2):
    p = Problem(days=1, week_of_day=(0,), full_weeks=(), min_rest_minutes=0, weekly_rest_minutes=0)
    p.tasks = [Task(t, 0, 60 * t * 5, 60 * t * 5 + 240) for t in range(tasks)]
    p.workers = [Worker(w, 480, 2880) for w in range(workers)]
    for w in range(workers):
        for t in range(tasks):
            p.costs[(w, t)] = 10 * w  # worker 0 is cheapest
    for t in range(tasks):
        p.covers.append(Cover(t, tuple((w, t) for w in range(workers)), 1, 1000))
    return p


def test_solve_changes_keeps_a_published_solution_even_when_a_cheaper_one_exists():
    p = small_problem()
    published = {(2, 0), (2, 1)}  # the dearest worker on both tasks
    result = engine.solve_changes(p, published, time_limit_seconds=5)
    assert set(result.chosen) == published and result.status == "OPTIMAL"
    plain = engine.solve(p, time_limit_seconds=5)
    assert set(plain.chosen) == {(0, 0), (0, 1)}  # without change costs the cheapest would be taken


def test_solve_changes_fills_a_gap_with_one_addition_not_a_reshuffle():
    p = small_problem(workers=4, tasks=3)
    published = {(3, 0), (3, 1), (2, 2)}
    del p.costs[(3, 1)]  # worker 3 can no longer take task 1
    result = engine.solve_changes(p, published, time_limit_seconds=5)
    chosen = set(result.chosen)
    assert {(3, 0), (2, 2)} <= chosen and len(chosen) == 3 and not result.shortfalls
    assert len(chosen - published) == 1


def test_solve_changes_puts_shortfall_before_changes():
    p = small_problem(workers=2, tasks=2)
    result = engine.solve_changes(p, set(), time_limit_seconds=5)
    assert not result.shortfalls and len(result.chosen) == 2  # filling beats keeping the (empty) roster


def test_solve_changes_touches_as_few_people_as_it_can():
    # Two tasks lost their worker; one free worker can take both, or two can take one each.
    p = small_problem(workers=3, tasks=2)
    for w in (1, 2):
        for t in range(2):
            p.costs[(w, t)] = 0  # equally cheap: only the people touched tell them apart
    result = engine.solve_changes(p, set(), ChangeCosts(add=1, remove=2, touch=1), time_limit_seconds=5)
    assert not result.shortfalls and len({w for w, _ in result.chosen}) == 1


# --- the repair pipeline -------------------------------------------------------------------------------------


def test_resolving_unchanged_data_changes_nothing(tiny, published):
    result = solve(tiny, SolveSettings(time_limit_seconds=10, processes=1), published=published, now=BEFORE)
    assert result.changes is not None and result.changes.changed == 0
    assert result.is_feasible()


def test_a_cancellation_is_repaired_with_the_spare_person_only(tiny, published):
    victim = "SV0002"
    spare = replace(tiny.person(victim), id="SV9999", name="Người Dự Bị", unavailable_dates=frozenset())
    dates = tuple(tiny.dates)
    after = apply_events(tiny, [Event("person_added", BEFORE, person=spare), cancel(victim, *dates)], BEFORE)
    travel = campaign_travel(tiny)
    result = repair(after, published, BEFORE, SolveSettings(time_limit_seconds=10, processes=1), travel=travel)
    assert result.is_feasible() and result.figures["changes_outside"] == []
    assert verify(after, result.roster, travel).ok
    assert not [a for a in result.roster.assignments if a.person_id == victim]
    assert result.changes.people <= {victim, "SV9999"}
    assert result.report.coverage_percent >= verify(tiny, published, travel).coverage_percent


def test_a_repair_never_touches_history(tiny, published):
    # At 08:00 on day one, the victim's started morning shift stays; their later shifts go.
    victim = next(a.person_id for a in published.assignments if a.date == START and a.shift_id == "sang")
    sang = tiny.shift("sang")
    now = datetime.combine(START, datetime.min.time()) + timedelta(minutes=sang.start_minute + 30)
    after = apply_events(tiny, [cancel(victim, *tiny.dates, at=now)], now)
    result = repair(after, published, now, SolveSettings(time_limit_seconds=10, processes=1))
    kept = [a for a in published.assignments if clock.is_history(tiny, a, now)]
    assert set(kept) <= set(result.roster.assignments)
    assert result.figures["changes_outside"] == [] and result.is_feasible()
    assert all(
        a.date == START and clock.is_history(tiny, a, now) for a in result.roster.assignments if a.person_id == victim
    )


def test_a_repair_within_its_deadline(tiny, published):
    import time

    after = apply_events(tiny, [cancel("SV0002", *tiny.dates)], BEFORE)
    started = time.time()
    repair(after, published, BEFORE, deadline=started + 1.0, explain_late=False, check_all=False)
    assert time.time() - started < 1.5


# --- the fast path -------------------------------------------------------------------------------------------


def test_candidates_may_all_take_the_seat_and_come_best_first(tiny, published):
    travel = campaign_travel(tiny)
    gap = (
        next(u for u in verify(tiny, published, travel).unfilled if u.rule == "min_support_staff")
        if any(u.rule == "min_support_staff" for u in published.unfilled)
        else None
    )
    seat = (
        seat_of(tiny, gap)[0]
        if gap
        else Assignment("", tiny.demands[0].ward_code, START + timedelta(days=1), shift_id="sang")
    )
    found = candidates(tiny, published.assignments, seat, BEFORE, travel, limit=20)
    assert found, "the tiny campaign has someone free for a day-shift seat"
    assert [c.score for c in found] == sorted(c.score for c in found)
    for candidate in found:
        trial = replace(published, assignments=published.assignments + (replace(seat, person_id=candidate.person_id),))
        report = verify(tiny, replace(trial, unfilled=()), travel)
        assert not report.violations or all(v.rule == "unfilled_mismatch" for v in report.violations)
        assert "phút" in candidate.reason_vi


def test_candidates_respect_the_pool_and_history(tiny, published):
    travel = campaign_travel(tiny)
    seat = Assignment("", tiny.demands[0].ward_code, START + timedelta(days=1), shift_id="sang")
    found = candidates(tiny, published.assignments, seat, BEFORE, travel, pool=Pool.TELECOM)
    assert all(c.pool is Pool.TELECOM for c in found)
    assert candidates(tiny, published.assignments, seat, datetime(2025, 7, 26, 0, 0), travel) == []


def test_a_repair_adds_a_new_pin_and_leaves_out_one_on_a_started_slot(tiny, published):
    have = {(a.person_id, a.date, a.shift_id) for a in published.assignments}
    calendar = Calendar(tiny, published.assignments)
    later = next(
        Assignment(p.id, d.ward_code, day, shift_id=shift)
        for p in tiny.people_in(Pool.STUDENT)
        for d in tiny.demands
        for day in tiny.dates[1:]
        for shift in d.service_shift_ids
        if (p.id, day, shift) not in have and calendar.fits(Assignment(p.id, d.ward_code, day, shift_id=shift))
    )
    started = next(
        Assignment(p.id, d.ward_code, START, shift_id="sang")
        for p in tiny.people
        for d in tiny.demands
        if (p.id, START, "sang") not in have  # it need not fit: the slot has started, so the pin is moot
    )
    assert clock.is_history(tiny, started, AT) and not clock.is_history(tiny, later, AT)
    pinned = replace(tiny, pins=(later, started))
    result = repair(pinned, published, AT, SolveSettings(time_limit_seconds=10, processes=1))
    assert later in result.roster.assignments and started not in result.roster.assignments
    assert result.is_feasible() and result.figures["pins_added"] == 1
    assert result.figures["changes_outside"] == []
