"""The Curtois–Qu solve: CP-SAT on the whole model, then a large neighbourhood search where that stalls.

CP-SAT on the whole model of a large instance (Instance13 has 120 employees and 18 shift types,
Instance19 84 days) spends its time on the LP and finds poor first solutions, or none. Every hard rule
of the benchmark is about one employee, and employees meet only in the cover rows, so:

- :func:`greedy_start` schedules the employees one after another, each optimally (a small CP-SAT model)
  against the cover left by those already placed;
- :func:`improve` is a large neighbourhood search: each move frees a part of the roster (``_Model`` with
  ``members``, ``days`` and ``around``) and lets CP-SAT find its best schedules given the rest. A move
  is kept when the roster's objective does not get worse, so the search can walk along plateaus.
- :func:`solve_instance` puts them together with CP-SAT on the whole model (see its docstring).

A move frees every employee over a window of days; a few employees over the whole horizon (at random,
around a short or over-staffed cover row, or around an unmet request); or a block of employees who may
work the shift of such a cover row, over a third of the horizon.
"""

from __future__ import annotations

import logging
import random
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from benchmarks.curtois.instance import Instance, Solution, evaluate
from benchmarks.curtois.model import CurtoisResult, _Model, solve_whole

logger = logging.getLogger(__name__)


@dataclass
class SearchStats:
    """What a search did: the objective it started from, and its moves tried, kept and improving."""

    start_objective: int | None = None
    tries: int = 0
    kept: int = 0
    improved: int = 0
    by_kind: dict = field(default_factory=dict)  # kind -> (tries, improved, seconds, final size)


def _solve_part(
    instance: Instance,
    members: list[int],
    around: Solution,
    hint: Solution | None,
    time_limit_seconds: float,
    seed: int,
    days: tuple[int, int] | None = None,
) -> tuple[Solution | None, bool]:
    """The best schedules of ``members`` on ``days`` with the rest of ``around`` as it is.

    Returns the members' whole schedules (None if CP-SAT found none in time) and whether they are proven
    the best for this part.
    """
    built = _Model(instance, members, days, around)
    if hint is not None:
        built.hint(hint)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit_seconds)
    solver.parameters.num_workers = 1
    # With the LP of the run network a lone worker proves a single employee's optimum in a tenth of a second;
    # with the default linearization it may search for many seconds.
    solver.parameters.linearization_level = 2
    solver.parameters.random_seed = seed
    status = solver.solve(built.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, False
    return built.solution(solver), status == cp_model.OPTIMAL


def greedy_start(instance: Instance, seed: int = 0, time_limit_seconds: float = 60.0) -> Solution:
    """A feasible roster: each employee in turn gets their best schedule given those already placed.

    Employees who can work fewer shift types go first, since they have fewer ways to fill a gap.

    Raises
    ------
    RuntimeError
        If an employee has no schedule that keeps their own rules, or time runs out.
    """
    deadline = time.perf_counter() + time_limit_seconds
    rng = random.Random(seed)
    order = list(range(len(instance.staff)))
    rng.shuffle(order)
    order.sort(key=lambda e: sum(1 for shift in instance.shifts if instance.staff[e].limit(shift.id) > 0))
    placed: Solution = {}
    for e in order:
        left = deadline - time.perf_counter()
        if left <= 0:
            raise RuntimeError(f"{instance.name}: no first roster within {time_limit_seconds:.0f} s")
        found, _ = _solve_part(instance, [e], placed, None, min(left, 1.0), seed)
        if found is None:
            raise RuntimeError(
                f"{instance.name}: employee {instance.staff[e].id} has no schedule that keeps their own rules"
            )
        placed.update(found)
    return {employee.id: placed[employee.id] for employee in instance.staff}


@dataclass
class _Kind:
    """One kind of neighbourhood and its size, which adapts so that about half its sub-solves are proven optimal."""

    name: str
    size: float
    smallest: int
    largest: int
    tries: int = 0
    improved: int = 0
    seconds: float = 0.0

    def adapt(self, proven: bool) -> None:
        self.size = min(self.largest, self.size * 1.1) if proven else max(self.smallest, self.size / 1.1)


class _Neighbourhoods:
    """Picks what to free in each move: every employee over a window of days; a few employees over the
    whole horizon (chosen at random, around a costly cover row, or around an unmet request); or a block of
    employees who may work the shift of a costly cover row, over a third of the horizon around its day."""

    def __init__(self, instance: Instance, rng: random.Random):
        self.instance = instance
        self.rng = rng
        staff, horizon = len(instance.staff), instance.horizon_days
        self.kinds = [
            _Kind("window", min(7, horizon), 2, horizon),
            _Kind("employees", min(3, staff), 1, staff),
            _Kind("block", min(8, staff), 2, staff),
        ]
        self.block_days = min(horizon, max(14, horizon // 3))
        self.can_work = {
            shift.id: [e for e, employee in enumerate(instance.staff) if employee.limit(shift.id) > 0]
            for shift in instance.shifts
        }
        self.index = {employee.id: e for e, employee in enumerate(instance.staff)}

    def pick(self, solution: Solution) -> tuple[_Kind, list[int], tuple[int, int] | None]:
        # Each kind is drawn in proportion to its improvements per second so far, and never less than a
        # fifth as often as the others, so a kind that stops paying off fades without vanishing.
        rates = [(kind.improved + 1) / (kind.seconds + 1) for kind in self.kinds]
        floor = 0.2 * max(rates)
        kind = self.rng.choices(self.kinds, weights=[max(rate, floor) for rate in rates])[0]
        size = round(kind.size)
        horizon = self.instance.horizon_days
        if kind.name == "window":
            first = self.rng.randrange(horizon - size + 1)
            return kind, list(range(len(self.instance.staff))), (first, first + size)
        if kind.name == "block":
            members, centre = self._around_costly_row(solution, size)
            if centre is None:
                centre = self.rng.randrange(horizon)
            first = max(0, min(horizon - self.block_days, centre - self.block_days // 2))
            return kind, self._filled(members, size), (first, first + self.block_days)
        return kind, self._employees(solution, size), None

    def _employees(self, solution: Solution, size: int) -> list[int]:
        draw = self.rng.random()
        chosen: set[int] = set()
        if draw < 0.4:
            chosen, _ = self._around_costly_row(solution, max(1, min(size, len(self.instance.staff)) - 1))
        elif draw < 0.6:
            unmet = [
                self.index[r.employee]
                for r in self.instance.shift_on_requests
                if solution[r.employee][r.day] != r.shift
            ]
            unmet += [
                self.index[r.employee]
                for r in self.instance.shift_off_requests
                if solution[r.employee][r.day] == r.shift
            ]
            if unmet:
                chosen.add(self.rng.choice(unmet))
        return self._filled(chosen, size)

    def _around_costly_row(self, solution: Solution, count: int) -> tuple[set[int], int | None]:
        """Up to ``count`` employees who may work the shift of a random short or over-staffed cover row, and
        that row's day (no one and None when every row is met exactly)."""
        rows = self._costly_rows(solution)
        if not rows:
            return set(), None
        row = self.rng.choice(rows)
        pool = self.can_work[row.shift]
        return set(self.rng.sample(pool, min(len(pool), count))), row.day

    def _filled(self, chosen: set[int], size: int) -> list[int]:
        """``chosen`` topped up with employees at random to ``size`` (at most the whole staff)."""
        staff = len(self.instance.staff)
        while len(chosen) < min(size, staff):
            chosen.add(self.rng.randrange(staff))
        return sorted(chosen)

    def _costly_rows(self, solution: Solution) -> list:
        counts: dict[tuple[int, str], int] = {}
        for days in solution.values():
            for d, shift_id in enumerate(days):
                if shift_id is not None:
                    counts[d, shift_id] = counts.get((d, shift_id), 0) + 1
        return [row for row in self.instance.cover if counts.get((row.day, row.shift), 0) != row.requirement]


def _merge(instance: Instance, roster: Solution, found: Solution, days: tuple[int, int] | None) -> Solution:
    """``roster`` with the free part of a move (the members' days in its window) taken from ``found``."""
    merged = dict(roster)
    first, end = days if days is not None else (0, instance.horizon_days)
    for employee_id, schedule in found.items():
        merged[employee_id] = roster[employee_id][:first] + schedule[first:end] + roster[employee_id][end:]
    return merged


_STALE_MOVES = 50
_LONGEST_MOVE_SECONDS = 8.0


def improve(
    instance: Instance,
    solution: Solution,
    time_limit_seconds: float,
    seed: int = 0,
    move_seconds: float = 1.0,
    threads: int = 2,
    stats: SearchStats | None = None,
) -> Solution:
    """Large neighbourhood search from a feasible ``solution``; returns the best roster found.

    Each move frees a neighbourhood, gives CP-SAT ``move_seconds`` to re-solve it from the current roster,
    and keeps the result unless the objective gets worse. A kind of neighbourhood grows while its
    sub-solves end proven optimal and shrinks while they run out of time; after a long run of moves without
    an improvement the time per move doubles (up to 8 s), which lets every kind grow. ``threads`` moves run at once
    (CP-SAT releases the interpreter while it solves); a move that finishes after another has changed the
    roster is merged into the new roster and kept only if the evaluator still finds it feasible and no worse.
    """
    deadline = time.perf_counter() + time_limit_seconds
    rng = random.Random(seed)
    neighbourhoods = _Neighbourhoods(instance, rng)
    stats = stats if stats is not None else SearchStats()
    best = dict(solution)
    best_objective = evaluate(instance, best).objective
    stats.start_objective = best_objective

    limit = {"seconds": move_seconds, "stale": 0}

    def submit(pool, running) -> None:
        left = deadline - time.perf_counter()
        if left <= 0.05:
            return
        kind, members, days = neighbourhoods.pick(best)
        future = pool.submit(
            _solve_part, instance, members, best, best, min(left, limit["seconds"]), rng.randrange(1 << 30), days
        )
        running[future] = (kind, days, time.perf_counter())

    with ThreadPoolExecutor(max_workers=threads) as pool:
        running: dict = {}
        for _ in range(threads):
            submit(pool, running)
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                kind, days, began = running.pop(future)
                found, proven = future.result()
                kind.tries += 1
                kind.seconds += time.perf_counter() - began
                kind.adapt(proven)
                stats.tries += 1
                if found is not None:
                    candidate = _merge(instance, best, found, days)
                    evaluation = evaluate(instance, candidate)
                    limit["stale"] += 1
                    if evaluation.feasible and evaluation.objective <= best_objective:
                        stats.kept += 1
                        if evaluation.objective < best_objective:
                            stats.improved += 1
                            kind.improved += 1
                            limit["stale"] = 0
                            logger.info(
                                "%s: LNS objective %d (%s of %d)",
                                instance.name,
                                evaluation.objective,
                                kind.name,
                                round(kind.size),
                            )
                        best, best_objective = candidate, evaluation.objective
                    if limit["stale"] >= _STALE_MOVES:
                        # A long run without improvement: give the moves more time, so that the
                        # neighbourhoods grow past the local optimum the small ones are stuck in.
                        limit["seconds"] = min(_LONGEST_MOVE_SECONDS, 2 * limit["seconds"])
                        limit["stale"] = 0
                submit(pool, running)
    stats.by_kind = {
        kind.name: (kind.tries, kind.improved, round(kind.seconds, 1), round(kind.size, 1))
        for kind in neighbourhoods.kinds
    }
    return best


SMALL_MODEL = 1500
"""The most shift variables for which CP-SAT alone solves an instance (Instance7 has 1,248, Instance8 2,158)."""


def shift_variable_count(instance: Instance) -> int:
    """How many (employee, day, shift) choices the whole model has: days off and shifts outside a contract excluded."""
    return sum(
        1
        for employee in instance.staff
        for d in range(instance.horizon_days)
        if d not in employee.days_off
        for shift in instance.shifts
        if employee.limit(shift.id) > 0
    )


def solve_instance(
    instance: Instance,
    time_limit_seconds: float = 30.0,
    num_workers: int = 2,
    seed: int = 0,
    hint: Solution | None = None,
    log: bool = False,
) -> CurtoisResult:
    """Solve one benchmark instance: CP-SAT on the whole model, then the neighbourhood search if it stalls.

    A model of at most ``SMALL_MODEL`` shift variables (Instances 1–7) gets CP-SAT for the whole time: its
    LP proves those optima, usually within 20 s, and a checkpoint would cut that short when a run is slow.
    A larger one gets CP-SAT for a quarter of the time (at most 30 s) unless by then CP-SAT's roster is
    within 5% of its proven bound; otherwise the better of its roster and :func:`greedy_start` goes to
    :func:`improve` for the time left, and CP-SAT's bound is kept.

    Raises
    ------
    RuntimeError
        If no roster is found in time, or the instance has none.
    """
    started = time.perf_counter()
    deadline = started + time_limit_seconds
    small = shift_variable_count(instance) <= SMALL_MODEL
    checkpoint = None if small else min(30.0, 0.25 * time_limit_seconds)
    whole, bound = solve_whole(
        instance, time_limit_seconds, num_workers, seed, hint, log, checkpoint_seconds=checkpoint
    )
    if whole is not None and whole.status == "OPTIMAL":
        return whole
    candidates = [] if whole is None else [whole.solution]
    if deadline - time.perf_counter() > 1.0:
        try:
            candidates.append(greedy_start(instance, seed, time_limit_seconds=deadline - time.perf_counter()))
        except RuntimeError as error:
            logger.info("%s", error)
    if not candidates:
        raise RuntimeError(f"{instance.name}: no roster found in {time.perf_counter() - started:.1f} s")
    best = min(candidates, key=lambda roster: evaluate(instance, roster).objective)
    left = deadline - time.perf_counter()
    if left > 0.5:
        stats = SearchStats()
        best = improve(instance, best, left, seed=seed, threads=max(1, num_workers), stats=stats)
        logger.info(
            "%s: search from %d, %d moves, %d kept, %d improving: %s",
            instance.name,
            stats.start_objective,
            stats.tries,
            stats.kept,
            stats.improved,
            stats.by_kind,
        )
    objective = evaluate(instance, best).objective
    status = "OPTIMAL" if objective <= bound else "FEASIBLE"
    return CurtoisResult(best, objective, min(bound, objective), status, time.perf_counter() - started)
