"""A general rostering engine on CP-SAT: workers, timed tasks, covers and penalties.

The engine knows nothing of wards or campaigns. A :class:`Problem` lists
tasks (a day, an interval in absolute minutes), workers with their limits,
the eligible (worker, task) pairs with a cost each, covers (at least N of
these pairs, or of these workers, with a weighted shortfall) and soft
penalties. :func:`solve` builds one CP-SAT model with a Boolean only for each
eligible pair and returns the chosen pairs with the solve's figures.

Rules the engine enforces for every worker (hard):

- ``one_place_at_a_time``: overlapping tasks exclude each other;
- ``max_daily_hours``: minutes of tasks starting on a day within a cap;
- ``max_weekly_hours``: minutes of tasks in a week within the worker's cap;
- ``min_rest_between_shifts``: tasks on consecutive days closer than the rest exclude each other;
- ``min_weekly_rest``: a day off in each full week with enough rest around it.

This is the only module, with its callers in this package, that imports OR-Tools.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from scheduler.calendar import TimeBook, TimeLimits
from scheduler.model import MINUTES_PER_DAY

logger = logging.getLogger(__name__)

# A unit of work (``solve(work=...)``) buys this many ruin-and-recreate rounds: a round of a Hanoi cluster
# takes a few hundredths of a second on this project's 2-core reference machine.
RR_ROUNDS_PER_WORK = 30


@dataclass(frozen=True)
class Task:
    key: object  # the caller's name for it
    day: int  # index of the day it starts on
    start: int  # absolute minutes
    end: int
    night: bool = False
    weekend: bool = False


@dataclass(frozen=True)
class Worker:
    key: object
    daily_cap_minutes: int
    weekly_cap_minutes: int


@dataclass(frozen=True)
class Cover:
    """At least ``minimum`` chosen among ``pairs`` (or distinct workers of them); shortfall costs ``weight`` each.

    ``maximum`` (optional) caps the number chosen. ``name`` keys the shortfall in the result.
    """

    name: object
    pairs: tuple[tuple[int, int], ...]  # (worker index, task index)
    minimum: int
    weight: int
    maximum: int | None = None
    distinct_workers: bool = False
    extra: int = 0  # a softer tier above the minimum
    extra_weight: int = 0  # per person missing from the extra tier


@dataclass(frozen=True)
class CountPenalty:
    """``weight`` per chosen pair above ``threshold`` among ``pairs``."""

    pairs: tuple[tuple[int, int], ...]
    threshold: int
    weight: int


@dataclass(frozen=True)
class DistinctPenalty:
    """``weight`` per group used beyond the first: groups maps a label to its pairs."""

    groups: tuple[tuple[object, tuple[tuple[int, int], ...]], ...]
    weight: int


@dataclass
class Problem:
    days: int
    week_of_day: tuple[int, ...]
    full_weeks: tuple[int, ...]
    min_rest_minutes: int
    weekly_rest_minutes: int
    tasks: list[Task] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    costs: dict[tuple[int, int], int] = field(default_factory=dict)  # eligible pair -> cost
    covers: list[Cover] = field(default_factory=list)
    count_penalties: list[CountPenalty] = field(default_factory=list)
    distinct_penalties: list[DistinctPenalty] = field(default_factory=list)
    fixed: set[tuple[int, int]] = field(default_factory=set)  # pairs that must be chosen
    hints: set[tuple[int, int]] = field(default_factory=set)


@dataclass
class Result:
    chosen: list[tuple[int, int]]
    shortfalls: dict[object, int]
    status: str
    objective: int | None
    bound: int | None
    wall_seconds: float
    variables: int
    clock_stopped: bool = False  # bounded by work, but the clock stopped it first (not reproducible)


def _greedy_shortfalls(problem: Problem, chosen: set) -> dict:
    shortfalls = {}
    for cover in problem.covers:
        if cover.distinct_workers:
            have = len({w for w, t in cover.pairs if (w, t) in chosen})
        else:
            have = sum(1 for pair in cover.pairs if pair in chosen)
        if have < cover.minimum:
            shortfalls[cover.name] = cover.minimum - have
    return shortfalls


def _by_worker(problem: Problem) -> dict[int, list[int]]:
    tasks_of = defaultdict(list)
    for worker, task in problem.costs:
        tasks_of[worker].append(task)
    return tasks_of


@dataclass(frozen=True)
class ChangeCosts:
    """What departing from a published roster costs, level by level (see :func:`solve_changes`).

    ``remove`` per published pair not chosen, ``add`` per chosen pair not published: taking a person off
    a shift they were told about costs more than giving a shift to someone. ``touch`` per worker whose
    pairs change at all.
    """

    add: int = 1
    remove: int = 2
    touch: int = 1


@dataclass
class _Built:
    """A problem's CP-SAT model and its objective's terms, by kind."""

    model: cp_model.CpModel
    x: dict  # (worker, task) -> Boolean
    shortfall_vars: dict  # cover name -> integer
    shortfall_terms: list  # (var, weight): the covers' weighted shortfall
    soft_terms: list  # (var, weight): pair costs, extra tiers, penalties
    hinted: list  # (var, value): the complete hint


def _build(problem: Problem, start: set, free_days: tuple[int, int] | None = None) -> _Built:
    """The CP-SAT model of ``problem``, hinted with ``start`` (every auxiliary variable too)."""
    model = cp_model.CpModel()
    hinted: list = []
    x = {pair: model.new_bool_var(f"x{pair[0]}_{pair[1]}") for pair in sorted(problem.costs)}
    for pair, var in x.items():
        hinted.append((var, int(pair in start)))
    soft_terms: list = [(var, problem.costs[pair]) for pair, var in x.items() if problem.costs[pair]]
    shortfall_terms: list = []

    def aux_int(low: int, high: int, value: int):
        var = model.new_int_var(low, high, "")
        hinted.append((var, min(high, max(low, value))))
        return var

    for pair in problem.fixed:
        if pair in x:
            model.add(x[pair] == 1)
    if free_days is not None:  # a window of the horizon: everything else stays as the start has it
        first, last = free_days
        for pair, var in x.items():
            if not first <= problem.tasks[pair[1]].day <= last:
                model.add(var == int(pair in start))

    for worker_index, task_indexes in _by_worker(problem).items():
        _add_worker_rules(model, problem, worker_index, task_indexes, x, start)

    shortfall_vars = {}
    for cover in problem.covers:
        pairs = [pair for pair in cover.pairs if pair in x]
        picked: list
        if cover.distinct_workers:
            members = defaultdict(list)
            for pair in pairs:
                members[pair[0]].append(pair)
            picked = []
            have = 0
            for worker_pairs in members.values():
                on = any(pair in start for pair in worker_pairs)
                have += on
                if len(worker_pairs) == 1:
                    picked.append(x[worker_pairs[0]])
                else:
                    used = aux_int(0, 1, int(on))
                    model.add_bool_or([x[pair] for pair in worker_pairs]).only_enforce_if(used)
                    picked.append(used)
        else:
            picked = [x[pair] for pair in pairs]
            have = sum(1 for pair in pairs if pair in start)
        short = aux_int(0, cover.minimum, cover.minimum - have)
        model.add(sum(picked) + short >= cover.minimum)
        if cover.extra:
            extra_short = aux_int(0, cover.extra, cover.minimum + cover.extra - have - max(0, cover.minimum - have))
            model.add(sum(picked) + short + extra_short >= cover.minimum + cover.extra)
            soft_terms.append((extra_short, cover.extra_weight))
        if cover.maximum is not None:
            model.add(sum(picked) <= cover.maximum)
        shortfall_vars[cover.name] = short
        shortfall_terms.append((short, cover.weight))

    for penalty in problem.count_penalties:
        pairs = [pair for pair in penalty.pairs if pair in x]
        if len(pairs) <= penalty.threshold:
            continue
        have = sum(1 for pair in pairs if pair in start)
        excess = aux_int(0, len(pairs) - penalty.threshold, have - penalty.threshold)
        model.add(excess >= sum(x[pair] for pair in pairs) - penalty.threshold)
        soft_terms.append((excess, penalty.weight))

    for distinct in problem.distinct_penalties:
        flags: list = []
        groups_on = 0
        for _, group in distinct.groups:
            pairs = [pair for pair in group if pair in x]
            if not pairs:
                continue
            on = any(pair in start for pair in pairs)
            groups_on += on
            flag = aux_int(0, 1, int(on))
            for pair in pairs:
                model.add_implication(x[pair], flag)
            flags.append(flag)
        if len(flags) > 1:
            excess = aux_int(0, len(flags) - 1, groups_on - 1)
            model.add(excess >= sum(flags) - 1)
            soft_terms.append((excess, distinct.weight))
    for var, value in hinted:
        model.add_hint(var, value)
    return _Built(model, x, shortfall_vars, shortfall_terms, soft_terms, hinted)


def _solver(
    time_limit_seconds: float, num_workers: int, seed: int, log: bool, presolve: bool, work: float | None = None
) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit_seconds)
    if work is not None:  # CP-SAT's own measure of work done: the same on any machine
        solver.parameters.max_deterministic_time = max(0.01, work)
        time_limit_seconds = work
    solver.parameters.num_workers = num_workers
    solver.parameters.random_seed = seed
    solver.parameters.log_search_progress = log
    # With little time, presolve costs more than it gives: the complete hint is taken at once without it.
    solver.parameters.cp_model_presolve = presolve and time_limit_seconds >= 5
    if num_workers == 1:
        solver.parameters.interleave_search = True  # LNS and search take turns on one core
    return solver


def _start_result(problem: Problem, start: set, started: float, bound=None) -> Result:
    chosen = sorted(pair for pair in start if pair in problem.costs)
    return Result(
        chosen,
        _greedy_shortfalls(problem, set(chosen)),
        "GREEDY",
        None,
        bound,
        time.perf_counter() - started,
        len(problem.costs),
    )


def solve(
    problem: Problem,
    time_limit_seconds: float = 10.0,
    num_workers: int = 1,
    seed: int = 0,
    log: bool = False,
    free_days: tuple[int, int] | None = None,
    presolve: bool = True,
    improve_share: float = 0.6,
    work: float | None = None,
) -> Result:
    """Build and solve the model; always returns a Result.

    The model starts from a complete hint: the caller's hints, or else the greedy
    start, with every auxiliary variable hinted too, so CP-SAT begins from a
    feasible solution and improves it. If CP-SAT finds nothing in time, the
    start itself is returned with status "GREEDY".

    With ``work`` (units of about a second of one core), the search is bounded by work instead of the
    clock: ``RR_ROUNDS_PER_WORK`` ruin-and-recreate rounds and CP-SAT's deterministic time per unit, so
    the same problem and seed give the same result on any machine and under any load (with one CP-SAT
    worker). ``time_limit_seconds`` then only stops a search that runs too long, and the result says so
    (``clock_stopped``).
    """
    started = time.perf_counter()
    stop_at = started + time_limit_seconds
    budget = time_limit_seconds if work is None else work
    # Randomised greedy restarts and ruin-and-recreate are cheap (hundredths of a second a round) and, at a
    # few seconds a cluster, find far better starts than CP-SAT's own search: they get most of the time,
    # CP-SAT the rest, to improve on the start and prove a bound.
    tries = max(0, min(10, int(budget * 5)))
    start = set(problem.hints) if problem.hints else best_greedy(problem, tries=tries, seed=seed)
    if budget > 0 and time_limit_seconds > 0 and free_days is None:
        # Under ~3 s CP-SAT rarely even loads the model: leave it only a token share then.
        share = improve_share if budget >= 3 else max(improve_share, 0.9)
        rounds = None if work is None else round(share * work * RR_ROUNDS_PER_WORK)
        seconds = share * time_limit_seconds if work is None else time_limit_seconds
        start = ruin_and_recreate(problem, start, seconds, seed, max_rounds=rounds)
        time_limit_seconds -= time.perf_counter() - started
        budget = time_limit_seconds if work is None else (1 - share) * work
    if time_limit_seconds <= 0 or budget <= 0:  # no time left for CP-SAT: the start is the answer
        result = _start_result(problem, start, started)
        result.clock_stopped = work is not None and time.perf_counter() >= stop_at
        return result
    built = _build(problem, start, free_days)
    built.model.minimize(sum(weight * var for var, weight in built.shortfall_terms + built.soft_terms))
    time_limit_seconds = stop_at - time.perf_counter()
    solver = _solver(time_limit_seconds, num_workers, seed, log, presolve, None if work is None else budget)
    status = solver.solve(built.model)
    name = solver.status_name(status)
    wall = time.perf_counter() - started
    clock_stopped = work is not None and time.perf_counter() >= stop_at - 0.01
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # No CP-SAT solution in time: fall back on the greedy start, which keeps every worker rule.
        logger.info("no CP-SAT solution (%s) after %.2f s; keeping the greedy start", name, wall)
        result = _start_result(
            problem, start, started, round(solver.best_objective_bound) if status == cp_model.UNKNOWN else None
        )
        result.clock_stopped = clock_stopped
        return result
    chosen = [pair for pair, var in built.x.items() if solver.boolean_value(var)]
    shortfalls = {cover: solver.value(var) for cover, var in built.shortfall_vars.items() if solver.value(var)}
    return Result(
        chosen,
        shortfalls,
        name,
        round(solver.objective_value),
        round(solver.best_objective_bound),
        wall,
        len(built.x),
        clock_stopped,
    )


def solve_changes(
    problem: Problem,
    published: set[tuple[int, int]],
    costs: ChangeCosts | None = None,
    time_limit_seconds: float = 2.0,
    num_workers: int = 1,
    seed: int = 0,
    first_share: float = 0.7,
) -> Result:
    """Solve starting from ``published`` pairs and changing as little as possible, lexicographically.

    The order: (1) the covers' weighted shortfall; (2) the changes, ``costs.remove`` per published
    pair left out and ``costs.add`` per new pair; (3) the workers touched; (4) the soft terms (pair
    costs, extra tiers, penalties). The first three are one objective whose weights keep their order
    exactly: each level's weight is above the largest value the levels after it can take. The first
    solve (``first_share`` of the time) minimises it; the second holds it at the value found and
    minimises the soft terms, starting from the first's solution. A solve that finds nothing in its
    time keeps the solution so far; the start is the published pairs the problem still allows
    (``problem.hints`` is ignored). ``Result.objective`` is the soft terms' value; ``Result.status``
    is "OPTIMAL" when both solves were proved, else "FEASIBLE" ("GREEDY": CP-SAT found nothing).
    """
    costs = costs or ChangeCosts()
    started = time.perf_counter()
    start = {pair for pair in published if pair in problem.costs}
    if time_limit_seconds <= 0:
        return _start_result(problem, start, started)
    built = _build(problem, start)
    x, model = built.x, built.model
    changes: list = []
    by_worker: dict[int, list] = defaultdict(list)
    for pair, var in x.items():
        if pair in start:
            changes.append((var, -costs.remove))  # costs.remove * (1 - x), less the constant
            by_worker[pair[0]].append(var.Not())
        else:
            changes.append((var, costs.add))
            by_worker[pair[0]].append(var)
    constant = costs.remove * len(start)
    touched: list = []
    for literals in by_worker.values():
        flag = model.new_bool_var("")
        for literal in literals:
            model.add_implication(literal, flag)
        touched.append(flag)
        built.hinted.append((flag, 0))
        model.add_hint(flag, 0)
    touch_weight = costs.touch
    change_weight = touch_weight * (len(touched) + 1)
    most_changes = costs.remove * len(start) + costs.add * (len(x) - len(start))
    shortfall_weight = change_weight * (most_changes + 1)
    first = (
        sum(shortfall_weight * weight * var for var, weight in built.shortfall_terms)
        + sum(change_weight * weight * var for var, weight in changes)
        + change_weight * constant
        + sum(touch_weight * flag for flag in touched)
    )
    soft = sum(weight * var for var, weight in built.soft_terms)
    values = dict(built.hinted)
    proved, found, objective, bound = True, False, None, None
    for expression, share in ((first, first_share), (soft, 1.0)):
        left = time_limit_seconds - (time.perf_counter() - started)
        if left <= 0.02:
            proved = False
            break
        model.minimize(expression)
        solver = _solver(min(left, max(0.05, share * left)), num_workers, seed, False, False)
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            proved = False
            break
        found = True
        proved = proved and status == cp_model.OPTIMAL
        objective, bound = round(solver.objective_value), round(solver.best_objective_bound)
        model.add(expression <= objective)
        values = {var: solver.value(var) for var, _ in built.hinted}
        model.clear_hints()
        for var, value in values.items():
            model.add_hint(var, value)
    if not found:
        logger.info("no CP-SAT solution in %.2f s; keeping the published pairs", time_limit_seconds)
        return _start_result(problem, start, started)
    chosen = [pair for pair, var in x.items() if values[var]]
    shortfalls = {cover: values[var] for cover, var in built.shortfall_vars.items() if values[var]}
    status_name = "OPTIMAL" if proved else "FEASIBLE"
    return Result(chosen, shortfalls, status_name, objective, bound, time.perf_counter() - started, len(x))


@dataclass
class _WorkerModel:
    """One worker's part of the model, handed to each worker rule."""

    model: cp_model.CpModel
    problem: Problem
    worker: Worker
    index: int  # the worker's index
    x: dict  # (worker, task) -> Boolean
    start: set  # the start (hint) pairs
    tasks: list[int]  # the worker's eligible tasks
    by_day: dict[int, list[int]]

    def var(self, t: int):
        return self.x[(self.index, t)]


def add_one_place_at_a_time(m: _WorkerModel) -> None:
    """Overlapping tasks exclude each other: at each task start, the tasks running then are a clique."""
    tasks = m.problem.tasks
    ordered = sorted(m.tasks, key=lambda t: (tasks[t].start, tasks[t].end))
    active: list[int] = []
    pending: tuple[int, ...] = ()
    for t in ordered:
        moment = tasks[t].start
        still = [u for u in active if tasks[u].end > moment]
        if len(still) < len(active) and len(pending) > 1:
            m.model.add_at_most_one(m.var(u) for u in pending)  # a maximal clique just closed
        active = still + [t]
        pending = tuple(active)
    if len(pending) > 1:
        m.model.add_at_most_one(m.var(u) for u in pending)


def add_max_daily_hours(m: _WorkerModel) -> None:
    """The minutes of the tasks starting on a day add up to at most the worker's daily cap."""
    tasks = m.problem.tasks
    for ts in m.by_day.values():
        if sum(tasks[t].end - tasks[t].start for t in ts) > m.worker.daily_cap_minutes:
            m.model.add(sum((tasks[t].end - tasks[t].start) * m.var(t) for t in ts) <= m.worker.daily_cap_minutes)


def add_max_weekly_hours(m: _WorkerModel) -> None:
    """The minutes of the tasks of a week add up to at most the worker's weekly cap."""
    tasks = m.problem.tasks
    by_week = defaultdict(list)
    for t in m.tasks:
        by_week[m.problem.week_of_day[tasks[t].day]].append(t)
    for ts in by_week.values():
        if sum(tasks[t].end - tasks[t].start for t in ts) > m.worker.weekly_cap_minutes:
            m.model.add(sum((tasks[t].end - tasks[t].start) * m.var(t) for t in ts) <= m.worker.weekly_cap_minutes)


def add_min_rest_between_shifts(m: _WorkerModel) -> None:
    """A task on day d and one on d+1 closer than the rest exclude each other."""
    tasks = m.problem.tasks
    for day, ts in m.by_day.items():
        for t in ts:
            for u in m.by_day.get(day + 1, ()):
                if tasks[u].start - tasks[t].end < m.problem.min_rest_minutes:
                    m.model.add_bool_or([m.var(t).Not(), m.var(u).Not()])


def add_min_weekly_rest(m: _WorkerModel) -> None:
    """In each full week a day off: no task starts on it, and every chosen task before it ends the weekly
    rest before every chosen task after it starts (the horizon's start and end count as ends and starts).

    Tasks last at most a day, so only tasks within ``reach`` days of the day off can come closer than the rest.
    """
    problem, tasks = m.problem, m.problem.tasks
    rest = problem.weekly_rest_minutes
    horizon_end = problem.days * MINUTES_PER_DAY
    reach = math.ceil(rest / MINUTES_PER_DAY) + 2
    for week in problem.full_weeks:
        days = [d for d in range(problem.days) if problem.week_of_day[d] == week]
        if all(not m.by_day.get(d) for d in days):
            continue
        offs = []
        for day in days:
            off = m.model.new_bool_var("")
            m.model.add_hint(off, _is_day_off(problem, m.index, day, m.by_day, m.start))
            for t in m.by_day.get(day, ()):
                m.model.add_implication(off, m.var(t).Not())
            before = [t for d in range(day - reach, day) for t in m.by_day.get(d, ())]
            after = [u for d in range(day + 1, day + reach + 1) for u in m.by_day.get(d, ())]
            for t in before:
                if horizon_end - tasks[t].end < rest:
                    m.model.add_implication(off, m.var(t).Not())
                for u in after:
                    if tasks[u].start - tasks[t].end < rest:
                        m.model.add_bool_or([off.Not(), m.var(t).Not(), m.var(u).Not()])
            for u in after:
                if tasks[u].start < rest:
                    m.model.add_implication(off, m.var(u).Not())
            offs.append(off)
        m.model.add_bool_or(offs)


WORKER_RULES = {
    "one_place_at_a_time": add_one_place_at_a_time,
    "max_daily_hours": add_max_daily_hours,
    "max_weekly_hours": add_max_weekly_hours,
    "min_rest_between_shifts": add_min_rest_between_shifts,
    "min_weekly_rest": add_min_weekly_rest,
}


def _add_worker_rules(model, problem: Problem, w: int, task_indexes: list[int], x, start: set) -> None:
    by_day = defaultdict(list)
    for t in task_indexes:
        by_day[problem.tasks[t].day].append(t)
    part = _WorkerModel(model, problem, problem.workers[w], w, x, start, task_indexes, by_day)
    for add_rule in WORKER_RULES.values():
        add_rule(part)


def start_value(problem: Problem, chosen: set) -> int:
    """The weighted shortfall of a start plus its pair costs (the objective's main terms)."""
    weight = {cover.name: cover.weight for cover in problem.covers}
    shortfall = sum(weight[name] * missing for name, missing in _greedy_shortfalls(problem, chosen).items())
    return shortfall + sum(problem.costs[pair] for pair in chosen)


def best_greedy(problem: Problem, tries: int = 20, seed: int = 0) -> set[tuple[int, int]]:
    """The best of the plain greedy start and ``tries`` randomised ones."""
    rng = random.Random(seed)
    best = greedy(problem)
    best_value = start_value(problem, best)
    for _ in range(tries):
        candidate = greedy(problem, rng)
        value = start_value(problem, candidate)
        if value < best_value:
            best, best_value = candidate, value
    return best


def ruin_and_recreate(
    problem: Problem,
    start: set,
    seconds: float,
    seed: int = 0,
    stall_rounds: int = 150,
    max_rounds: int | None = None,
) -> set[tuple[int, int]]:
    """Improve a start by dropping a random stretch of days and refilling it greedily, keeping what is no worse.

    Every candidate is built by :func:`greedy` around the kept pairs, so it keeps every worker rule.
    Stops after ``seconds``, after ``max_rounds`` rounds (None: no count) or after ``stall_rounds`` rounds
    without a strict improvement; bounded by rounds alone, the same seed gives the same result.
    """
    rng = random.Random(seed)
    best, best_value = set(start), start_value(problem, start)
    deadline = time.perf_counter() + seconds
    stalled = rounds = 0
    while time.perf_counter() < deadline and stalled < stall_rounds and problem.days > 0:
        if max_rounds is not None and rounds >= max_rounds:
            break
        rounds += 1
        width = rng.randint(2, 7)
        first = rng.randrange(max(1, problem.days - width + 1))
        kept = {pair for pair in best if not first <= problem.tasks[pair[1]].day < first + width}
        candidate = greedy(problem, rng, keep=kept)
        value = start_value(problem, candidate)
        stalled = 0 if value < best_value else stalled + 1
        if value <= best_value:
            best, best_value = candidate, value
    return best


def _is_day_off(problem: Problem, w: int, day: int, by_day, start: set) -> bool:
    """Whether the start leaves the worker a day off on ``day`` with the weekly rest around it (the hint)."""
    tasks = problem.tasks
    if any((w, t) in start for t in by_day.get(day, ())):
        return False
    before = [tasks[t].end for d, ts in by_day.items() if d < day for t in ts if (w, t) in start]
    after = [tasks[t].start for d, ts in by_day.items() if d > day for t in ts if (w, t) in start]
    return min(after, default=problem.days * MINUTES_PER_DAY) - max(before, default=0) >= problem.weekly_rest_minutes


class _Load:
    """What one worker already does, for the greedy start: their time book (the calendar's) and a count."""

    def __init__(self):
        self.book = TimeBook()
        self.count = 0


def time_limits(problem: Problem) -> TimeLimits:
    """The problem's time rules as the calendar's limits (each worker's caps are passed on their own)."""
    return TimeLimits(
        daily_cap_minutes=MINUTES_PER_DAY,
        rest_minutes=problem.min_rest_minutes,
        weekly_rest_minutes=problem.weekly_rest_minutes,
        week_of_day=problem.week_of_day,
        full_weeks=frozenset(problem.full_weeks),
    )


def greedy(problem: Problem, rng=None, keep: set[tuple[int, int]] | None = None) -> set[tuple[int, int]]:
    """A fast feasible start: fill covers hardest first with the cheapest, least-loaded workers.

    Every pair it picks keeps the worker rules (overlap, daily and weekly minutes,
    rest between days, a day off in each full week); covers it cannot fill stay short.
    """
    tasks = problem.tasks
    limits = time_limits(problem)
    loads: defaultdict[int, _Load] = defaultdict(_Load)
    chosen: set[tuple[int, int]] = set()
    count_on_task: defaultdict[int, int] = defaultdict(int)

    def fits(w: int, t: int) -> bool:
        task, worker = tasks[t], problem.workers[w]
        return loads[w].book.fits(
            task.day, task.start, task.end, limits, worker.weekly_cap_minutes, worker.daily_cap_minutes
        )

    def take(w: int, t: int) -> None:
        task, load = tasks[t], loads[w]
        load.book.add(task.day, task.start, task.end, problem.week_of_day[task.day])
        load.count += 1
        chosen.add((w, t))
        count_on_task[t] += 1

    for pair in sorted(set(problem.fixed) | (keep or set())):
        if pair in problem.costs:
            take(*pair)

    def first_day(cover: Cover) -> int:
        return min((tasks[t].day for _, t in cover.pairs), default=problem.days)

    # Day by day (so rest rules bind forwards), within a day the covers with the fewest candidates first.
    jitter = (lambda: rng.random()) if rng is not None else (lambda: 0.0)
    order = sorted(
        range(len(problem.covers)),
        key=lambda c: (
            first_day(problem.covers[c]),
            len(problem.covers[c].pairs) * (1 + jitter()),
            -problem.covers[c].weight,
        ),
    )
    cover_max_of_task: defaultdict[int, int | None] = defaultdict(lambda: None)
    for cover in problem.covers:
        if cover.maximum is not None:
            for _, t in cover.pairs:
                current = cover_max_of_task[t]
                cover_max_of_task[t] = cover.maximum if current is None else min(current, cover.maximum)
    for c in order:
        cover = problem.covers[c]
        if cover.distinct_workers:
            have = len({w for w, t in cover.pairs if (w, t) in chosen})
        else:
            have = sum(1 for pair in cover.pairs if pair in chosen)
        want = cover.minimum + cover.extra
        if have >= want:
            continue
        # Fill a worker's day before starting another's (a technician doing both service shifts
        # of a ward leaves others free for the evening and the night), then the cheapest.
        candidates = sorted(
            cover.pairs,
            key=lambda p: (
                not loads[p[0]].book.spans.get(tasks[p[1]].day),
                problem.costs[p] * (1 + jitter()),
                loads[p[0]].count,
                p,
            ),
        )
        busy = {w for w, t in cover.pairs if (w, t) in chosen} if cover.distinct_workers else set()
        for w, t in candidates:
            if have >= want:
                break
            if (w, t) in chosen or w in busy:
                continue
            limit = cover_max_of_task[t]
            if limit is not None and count_on_task[t] >= limit:
                continue
            if fits(w, t):
                take(w, t)
                busy.add(w)
                have += 1
    return chosen


def merge(problems: list[Problem]) -> Problem:
    """Several problems over the same days as one (for solving them as a single model)."""
    first = problems[0]
    merged = Problem(first.days, first.week_of_day, first.full_weeks, first.min_rest_minutes, first.weekly_rest_minutes)
    for problem in problems:
        w0, t0 = len(merged.workers), len(merged.tasks)

        def shift(pairs, w0=w0, t0=t0):
            return tuple((w + w0, t + t0) for w, t in pairs)

        merged.workers += problem.workers
        merged.tasks += problem.tasks
        merged.costs.update({(w + w0, t + t0): c for (w, t), c in problem.costs.items()})
        merged.covers += [replace(c, pairs=shift(c.pairs)) for c in problem.covers]
        merged.count_penalties += [replace(c, pairs=shift(c.pairs)) for c in problem.count_penalties]
        merged.distinct_penalties += [
            replace(d, groups=tuple((k, shift(ps)) for k, ps in d.groups)) for d in problem.distinct_penalties
        ]
        merged.fixed |= set(shift(problem.fixed))
        merged.hints |= set(shift(problem.hints))
    return merged
