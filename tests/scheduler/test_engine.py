"""The rostering engine on tiny hand-made problems: each worker rule three ways, covers, penalties, greedy.

Each rule: a case where it holds (the solver takes everything), one where breaking
it is the only way to fill the cover (so the cover stays short), and the boundary.
"""

import random

import pytest

from scheduler.solver import engine
from scheduler.solver.clusters import build_clusters
from scheduler.solver.engine import CountPenalty, Cover, DistinctPenalty, Problem, Task, Worker

DAY = 1440


def problem(tasks, days=1, daily=480, weekly=48 * 60, rest=720, weekly_rest=1440, workers=1, full_weeks=()):
    p = Problem(
        days=days,
        week_of_day=tuple(d // 7 for d in range(days)),
        full_weeks=tuple(full_weeks),
        min_rest_minutes=rest,
        weekly_rest_minutes=weekly_rest,
    )
    p.tasks = [Task(i, day, start, end) for i, (day, start, end) in enumerate(tasks)]
    p.workers = [Worker(w, daily, weekly) for w in range(workers)]
    for w in range(workers):
        for t in range(len(tasks)):
            p.costs[(w, t)] = 0
    for t in range(len(tasks)):
        p.covers.append(Cover(("task", t), tuple((w, t) for w in range(workers)), 1, 1000))
    return p


def solve(p, seconds=5):
    result = engine.solve(p, time_limit_seconds=seconds, num_workers=1)
    assert result.status == "OPTIMAL"
    return result


def short(result):
    return sum(result.shortfalls.values())


def test_one_place_at_a_time_holds_for_disjoint_tasks():
    assert short(solve(problem([(0, 480, 720), (0, 720, 900)]))) == 0  # touching, not overlapping


def test_one_place_at_a_time_leaves_an_overlapping_task_short():
    assert short(solve(problem([(0, 480, 720), (0, 719, 900)]))) == 1


def test_one_place_at_a_time_three_way_overlap():
    result = solve(problem([(0, 0, 100), (0, 50, 150), (0, 90, 200), (0, 150, 250)]))
    chosen = sorted(t for _, t in result.chosen)
    assert len(chosen) == 2 and chosen in ([0, 3], [1, 3], [0, 2])  # no two chosen overlap


def test_max_daily_hours_boundary():
    two_fours = [(0, 450, 690), (0, 810, 1050)]  # 4 h + 4 h
    assert short(solve(problem(two_fours, daily=480))) == 0
    assert short(solve(problem(two_fours, daily=479))) == 1


def test_max_weekly_hours_boundary():
    days = [(d, d * DAY + 480, d * DAY + 960) for d in range(6)]  # six 8-hour days
    assert short(solve(problem(days, days=7, weekly=48 * 60))) == 0
    assert short(solve(problem(days, days=7, weekly=48 * 60 - 1))) == 1


def test_min_rest_between_shifts_boundary():
    ends_at = 1000
    exactly = [(0, 600, ends_at), (1, ends_at + 720, ends_at + 800)]
    assert short(solve(problem(exactly, days=2))) == 0  # 12 h of rest passes
    minute_less = [(0, 600, ends_at), (1, ends_at + 719, ends_at + 800)]
    assert short(solve(problem(minute_less, days=2))) == 1  # 11 h 59 min fails


def test_min_weekly_rest_needs_a_day_off_in_a_full_week():
    week = [(d, d * DAY + 480, d * DAY + 720) for d in range(7)]
    assert short(solve(problem(week, days=7))) == 0  # not a full week counted
    assert short(solve(problem(week, days=7, full_weeks=(0,)))) == 1  # one day must go


def test_min_weekly_rest_counts_the_rest_around_the_day_off():
    """Day 3 is the only day off; a night task from day 2 ends at 09:00 on day 3."""
    night_end = 2 * DAY + 1380 + 600
    tasks = [(d, d * DAY + 480, d * DAY + 720) for d in (0, 1, 5, 6)] + [(2, 2 * DAY + 1380, night_end)]
    too_soon = tasks + [(4, night_end + 1439, night_end + 1500)]  # 23 h 59 min of rest
    assert short(solve(problem(too_soon, days=7, daily=720, full_weeks=(0,)))) == 1
    exactly = tasks + [(4, night_end + 1440, night_end + 1500)]  # 24 h of rest
    assert short(solve(problem(exactly, days=7, daily=720, full_weeks=(0,)))) == 0


def test_cover_shortfall_is_data_not_a_crash():
    p = problem([(0, 0, 100)], workers=1)
    p.covers = [Cover("two", ((0, 0),), 2, 1000)]
    result = solve(p)
    assert result.shortfalls == {"two": 1}
    assert result.objective == 1000


def test_cover_maximum_and_cost():
    p = problem([(0, 0, 100)], workers=3)
    p.costs = {(0, 0): 5, (1, 0): 1, (2, 0): 3}
    p.covers = [Cover("one", ((0, 0), (1, 0), (2, 0)), 1, 1000, maximum=1)]
    result = solve(p)
    assert result.chosen == [(1, 0)]
    assert result.objective == 1


def test_distinct_workers_count_once():
    p = problem([(0, 0, 100), (0, 200, 300)], workers=1)
    p.covers = [Cover("presence", ((0, 0), (0, 1)), 2, 1000, distinct_workers=True)]
    assert solve(p).shortfalls == {"presence": 1}  # one person twice is still one person


def test_extra_tier_is_cheaper_than_the_minimum():
    p = problem([(0, 0, 100)], workers=1)
    p.covers = [Cover("peak", ((0, 0),), 1, 1000, extra=2, extra_weight=50)]
    result = solve(p)
    assert result.shortfalls == {}
    assert result.objective == 2 * 50


def test_count_penalty_above_threshold():
    p = problem([(d, d * DAY, d * DAY + 60) for d in range(4)], days=4)
    p.count_penalties = [CountPenalty(tuple((0, t) for t in range(4)), 2, 7)]
    result = solve(p)
    assert result.objective == 2 * 7  # four chosen, two above the threshold


def test_distinct_penalty_beyond_the_first_group():
    p = problem([(0, 0, 100), (1, DAY, DAY + 100)], days=2)
    p.distinct_penalties = [DistinctPenalty((("A", ((0, 0),)), ("B", ((0, 1),))), 30)]
    assert solve(p).objective == 30


def test_fixed_pairs_are_kept_even_when_costly():
    p = problem([(0, 0, 100)], workers=2)
    p.costs = {(0, 0): 100, (1, 0): 0}
    p.covers = [Cover("one", ((0, 0), (1, 0)), 1, 1000, maximum=1)]
    p.fixed = {(0, 0)}
    assert solve(p).chosen == [(0, 0)]


def random_problem(seed):
    rng = random.Random(seed)
    days = 14
    tasks = []
    for day in range(days):
        for start, end in ((450, 690), (690, 810), (810, 1050), (1050, 1410), (1410, 1890)):
            tasks.append((day, day * DAY + start, day * DAY + end))
    p = problem(tasks, days=days, workers=4, weekly=40 * 60, full_weeks=(0, 1))
    p.costs = {pair: rng.randint(0, 20) for pair in p.costs if rng.random() < 0.8}
    p.covers = [Cover(("task", t), tuple(pair for pair in p.costs if pair[1] == t), 1, 1000) for t in range(len(tasks))]
    return p


def worker_rule_breaches(p, chosen):
    """An independent re-check of the engine's worker rules on a set of pairs."""
    breaches = []
    by_worker = {}
    for w, t in chosen:
        by_worker.setdefault(w, []).append(p.tasks[t])
    for w, tasks in by_worker.items():
        tasks.sort(key=lambda task: task.start)
        for a, b in zip(tasks, tasks[1:], strict=False):
            if b.start < a.end:
                breaches.append(("overlap", w))
        for day in range(p.days):
            if sum(t.end - t.start for t in tasks if t.day == day) > p.workers[w].daily_cap_minutes:
                breaches.append(("daily", w))
            today = [t for t in tasks if t.day == day]
            tomorrow = [t for t in tasks if t.day == day + 1]
            if today and tomorrow and min(t.start for t in tomorrow) - max(t.end for t in today) < p.min_rest_minutes:
                breaches.append(("rest", w))
        for week in p.full_weeks:
            if sum(t.end - t.start for t in tasks if p.week_of_day[t.day] == week) > p.workers[w].weekly_cap_minutes:
                breaches.append(("weekly", w))
            days = [d for d in range(p.days) if p.week_of_day[d] == week]
            ok = False
            for day in days:
                if any(t.day == day for t in tasks):
                    continue
                before = [t.end for t in tasks if t.day == day - 1]
                after = [t.start for t in tasks if t.day == day + 1]
                if not before or not after or min(after) - max(before) >= p.weekly_rest_minutes:
                    ok = True
            if not ok:
                breaches.append(("weekly_rest", w))
    return breaches


@pytest.mark.parametrize("seed", range(5))
def test_greedy_start_keeps_every_worker_rule(seed):
    p = random_problem(seed)
    start = engine.greedy(p)
    assert start
    assert worker_rule_breaches(p, start) == []


@pytest.mark.parametrize("seed", range(3))
def test_solver_keeps_every_worker_rule_and_improves_on_greedy(seed):
    p = random_problem(seed)
    greedy_short = sum(engine._greedy_shortfalls(p, engine.greedy(p)).values())
    result = engine.solve(p, time_limit_seconds=2, num_workers=1)
    assert worker_rule_breaches(p, result.chosen) == []
    assert sum(result.shortfalls.values()) <= greedy_short


def test_zero_time_returns_the_greedy_start():
    p = random_problem(0)
    result = engine.solve(p, time_limit_seconds=0)
    assert result.status == "GREEDY"
    assert set(result.chosen) == engine.greedy(p)


def test_window_keeps_the_days_outside_it():
    p = random_problem(1)
    start = engine.greedy(p)
    p.hints = set(start)
    result = engine.solve(p, time_limit_seconds=5, num_workers=1, free_days=(3, 5))
    outside = {pair for pair in start if not 3 <= p.tasks[pair[1]].day <= 5}
    assert outside <= set(result.chosen)


def test_cluster_ward_exactly_at_the_response_limit_joins_one_minute_over_does_not():
    minutes = {("A", "B"): 30, ("A", "C"): 31, ("B", "C"): 61}

    def travel(a, b):
        return 0 if a == b else minutes.get((a, b), minutes.get((b, a)))

    clusters = build_clusters(["A", "B", "C"], {"A": 30, "B": 30, "C": 30}, travel, max_size=4)
    wards = sorted(tuple(sorted(c.wards)) for c in clusters)
    assert wards == [("A", "B"), ("C",)]
    for cluster in clusters:
        assert all(travel(cluster.post, w) <= 30 for w in cluster.wards)
