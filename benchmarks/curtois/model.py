"""The Curtois–Qu shift-scheduling benchmark as a CP-SAT model: the whole instance, or a part of it.

The rules and the objective are those of :mod:`benchmarks.curtois.instance`, whose evaluator re-checks
every solution.

Why not the campaign engine (:mod:`scheduler.solver.engine`). The engine's problem is workers, timed
tasks, eligible (worker, task) pairs with a cost, covers (at least N, optionally at most M, shortfall
weighted), count penalties (a weight per pair above a threshold) and distinct penalties; its worker rules
are no overlap, daily and weekly minute caps, a minimum rest in minutes between tasks of consecutive days,
and a day off in each full week. Part of the benchmark maps onto it: a day off is a missing pair; a
shift-off request is a pair cost, a shift-on request a negative pair cost plus a constant; a cover row is a
cover (its minimum and the under weight) plus a count penalty (its requirement as the threshold and the
over weight); the per-type limit is a cover with minimum 0 and a maximum; the maximum total minutes is
the weekly cap with the whole horizon as one week; one shift a day is the daily cap set to the longest
shift (every shift of the 14 instances lasts 480 to 720 minutes, so no two fit). The engine cannot
express the rest:

- rotation: the benchmark lists, for each shift, the shifts forbidden on the next day. The engine has no
  forbidden pairs, only one ``min_rest_minutes`` gap between the clock times of tasks on consecutive days,
  and the benchmark's shifts have lengths but no clock times; clock times would have to be invented for
  each instance to reproduce its lists, and need not exist for a given list;
- the minimum total minutes of an employee: the engine has caps on a worker's minutes but no floor
  (a cover is a count of pairs, not of minutes, and its shortfall is soft);
- the maximum number of consecutive shifts (days outside the horizon count as off);
- the minimum number of consecutive shifts and the minimum number of consecutive days off, each waived for
  a run touching the first or the last day of the horizon;
- the maximum number of weekends with a shift: the engine's count penalty counts pairs (a weekend with two
  shifts counts twice) and is soft; its distinct penalty is soft and its threshold is fixed at one group.

The engine's own rules would also have to be switched off (no full weeks, a rest of 0), and its solve
always starts from its greedy fill and ruin-and-recreate, which know none of the rules above. The model
here states those rules directly, and its run network (below) is what lets CP-SAT prove optima such as
Instance5's.

The model has a Boolean ``x[e, d, s]`` only where employee ``e`` may work shift ``s``
on day ``d`` (not a day off, ``limit(e, s) > 0``), a Boolean ``work[e, d]`` equal to
their sum, and:

- rotation as binary clauses, per-type limits and total minutes as linear constraints;
- the run rules (max and min consecutive shifts, min consecutive days off, with the
  benchmark's exemption for runs touching either end of the horizon) as one path per
  employee through a layered network of states "k-th day of work" / "k-th day off"
  (``_add_run_network``). An earlier form of sliding windows and 3-term inequalities left
  the LP bound of Instance5 near 1,000 against an optimum of 1,143; with the network CP-SAT
  proves that optimum, usually within 30 s;
- a weekend flag at least each of its days' ``work``, summed against the max;
- per cover row ``n + under - over = requirement``; the objective is the constant of
  the shift-on requests minus their granted weights, plus shift-off weights and
  ``wu * under + wo * over``.

A redundant constraint bounds each employee's worked days between ``ceil(min minutes /
longest shift)`` and ``floor(max minutes / shortest shift)``. No two employees of the 14
instances are interchangeable (contracts, days off or requests differ), so there is no
staff symmetry to break.

The same class models a part of a roster — some employees, a window of days, or both — with
the rest held fixed: the rules of a member count what the fixed days already hold, the run
network starts from the state the days before the window lead to and may only end where the
days after it stay legal, and the cover rows count fixed employees as constants. The
neighbourhood search of :mod:`benchmarks.curtois.search` re-solves such parts.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from benchmarks.curtois.instance import Instance, Solution, evaluate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CurtoisResult:
    """A solve's outcome: the schedule, its objective, the proven lower bound and the wall time."""

    solution: Solution
    objective: int
    bound: int
    status: str
    seconds: float


@dataclass(frozen=True)
class _RunRules:
    """The states of one employee's run network and the moves between them.

    A state is ``(kind, k, exempt)``: ``("W", k, …)`` after the k-th worked day in a row, ``("O", k, …)``
    after the k-th day off (k capped at the minimum, where it means "at least"). ``exempt`` marks a run of
    work that started on day 0, which may end before the minimum length.
    """

    longest: int
    shortest: int
    rest: int

    @classmethod
    def of(cls, employee) -> _RunRules:
        return cls(
            employee.max_consecutive_shifts,
            max(1, employee.min_consecutive_shifts),
            max(1, employee.min_consecutive_days_off),
        )

    def first_states(self) -> list[tuple]:
        """The states of day 0: working (exempt from the minimum run) or off (the rest already complete)."""
        return [("W", 1, self.shortest > 1), ("O", self.rest, False)]

    def next_state(self, state: tuple | None, works: bool) -> tuple | None:
        """The state after a day worked or not, or None if that day breaks a run rule."""
        if state is None:
            return self.first_states()[0 if works else 1]
        kind, k, exempt = state
        if kind == "W" and works:
            return ("W", k + 1, exempt and k + 1 < self.shortest) if k < self.longest else None
        if kind == "W":
            return ("O", 1, False) if k >= self.shortest or exempt else None
        if works:
            return ("W", 1, False) if k >= self.rest else None
        return ("O", min(k + 1, self.rest), False)

    def successors(self, state: tuple) -> list[tuple]:
        return [nxt for nxt in (self.next_state(state, True), self.next_state(state, False)) if nxt is not None]


class _Model:
    """The CP-SAT model of one instance, or of a part of it with the rest of a roster held fixed.

    ``members`` are the employees (indices into ``instance.staff``) whose shifts are variables, by default
    all; ``days`` is the window ``(first, end)`` of days on which they are variables, by default the whole
    horizon. ``around`` holds the schedules of everything that is not free: the members' days outside the
    window and other employees, who count towards the cover rows as constants and whose requests are left
    out. An employee who is neither a member nor in ``around`` is ignored, which lets a roster be built
    one employee at a time. With the defaults this is the whole benchmark, and the objective is exactly the
    benchmark's; in a part, it is the members' requests in the window plus the cover cost of the window.
    """

    def __init__(
        self,
        instance: Instance,
        members: list[int] | None = None,
        days: tuple[int, int] | None = None,
        around: Solution | None = None,
    ):
        self.instance = instance
        self.model = cp_model.CpModel()
        self.members = list(range(len(instance.staff))) if members is None else sorted(members)
        self.first_day, self.end_day = days if days is not None else (0, instance.horizon_days)
        self.window = range(self.first_day, self.end_day)
        self.around = around or {}
        member_ids = {instance.staff[e].id for e in self.members}
        self.context = {
            e: self.around[instance.staff[e].id] for e in self.members if instance.staff[e].id in self.around
        }
        if len(self.window) < instance.horizon_days and len(self.context) < len(self.members):
            raise ValueError("a window of days needs the members' schedules in 'around'")
        self.x: dict[tuple[int, int, int], cp_model.IntVar] = {}
        for e in self.members:
            employee = instance.staff[e]
            for d in self.window:
                if d in employee.days_off:
                    continue
                for s, shift in enumerate(instance.shifts):
                    if employee.limit(shift.id) > 0:
                        self.x[e, d, s] = self.model.new_bool_var(f"x_{employee.id}_{d}_{shift.id}")
        # work[e][d] for d in the window: a Boolean, or None when e can work nothing that day.
        self.work: dict[int, dict[int, cp_model.IntVar | None]] = {}
        for e in self.members:
            row = {}
            for d in self.window:
                options = self.x_of(e, d)
                if not options:
                    row[d] = None
                elif len(options) == 1:
                    row[d] = options[0]
                else:
                    var = self.model.new_bool_var(f"w_{e}_{d}")
                    self.model.add(sum(options) == var)  # also at most one shift a day
                    row[d] = var
            self.work[e] = row
        self.objective_constant = 0
        self.cover_slacks: list[tuple[cp_model.IntVar, cp_model.IntVar, object]] = []
        self.terms: list[tuple[cp_model.IntVar, int]] = []
        self.network: dict[int, tuple] = {}  # e -> (run rules, state before the window, nodes, arcs per day)
        self.weekend_flags: dict[int, list[tuple[tuple[int, ...], cp_model.IntVar]]] = {}
        self.others = {k: v for k, v in self.around.items() if k not in member_ids}
        for e in self.members:
            self._add_employee_rules(e)
            self._add_run_network(e)
        self._add_cover()
        self._add_requests()
        self.model.minimize(self.objective_constant + sum(weight * var for var, weight in self.terms))

    def x_of(self, e: int, d: int) -> list:
        """The shift variables of employee ``e`` on day ``d``."""
        return [self.x[e, d, s] for s in range(len(self.instance.shifts)) if (e, d, s) in self.x]

    def _outside(self, e: int) -> list[tuple[int, str]]:
        """The shifts employee ``e`` works outside the window (from ``around``)."""
        days = self.context.get(e)
        if days is None:
            return []
        return [(d, shift_id) for d, shift_id in enumerate(days) if shift_id is not None and d not in self.window]

    # ------------------------------------------------------------------------------------ rules
    def _add_employee_rules(self, e: int) -> None:
        instance, model, x = self.instance, self.model, self.x
        employee = instance.staff[e]
        shifts = instance.shifts
        index = {shift.id: s for s, shift in enumerate(shifts)}
        work = self.work[e]
        outside = self._outside(e)
        context = self.context.get(e)

        # Rotation: s on d forbids each of forbidden_next(s) on d+1, also across the window's edges.
        for d in self.window:
            for s, shift in enumerate(shifts):
                if (e, d, s) not in x:
                    continue
                if d + 1 in self.window:
                    for following in shift.forbidden_next:
                        t = index[following]
                        if (e, d + 1, t) in x:
                            model.add_bool_or([x[e, d, s].Not(), x[e, d + 1, t].Not()])
                elif context is not None and d + 1 < instance.horizon_days and context[d + 1] in shift.forbidden_next:
                    model.add(x[e, d, s] == 0)
                if (
                    d == self.first_day
                    and d > 0
                    and context is not None
                    and context[d - 1] is not None
                    and shift.id in instance.shift(context[d - 1]).forbidden_next
                ):
                    model.add(x[e, d, s] == 0)

        # MaxShifts per type (only where the limit can bind).
        for s, shift in enumerate(shifts):
            vars_ = [x[e, d, s] for d in self.window if (e, d, s) in x]
            left = employee.limit(shift.id) - sum(1 for _, shift_id in outside if shift_id == shift.id)
            if len(vars_) > left:
                model.add(sum(vars_) <= left)

        # Total minutes.
        done = sum(instance.shift(shift_id).length_minutes for _, shift_id in outside)
        minutes = sum(
            shifts[s].length_minutes * x[e, d, s] for d in self.window for s in range(len(shifts)) if (e, d, s) in x
        )
        model.add_linear_constraint(minutes, employee.min_total_minutes - done, employee.max_total_minutes - done)

        # Redundant: the number of worked days, from the total minutes and the shift lengths.
        lengths = [shift.length_minutes for shift in shifts if employee.limit(shift.id) > 0]
        day_vars = [var for var in work.values() if var is not None]
        if lengths:
            fewest = -(-(employee.min_total_minutes - done) // max(lengths))
            most = (employee.max_total_minutes - done) // min(lengths)
            model.add_linear_constraint(sum(day_vars), max(0, fewest), max(0, min(most, len(day_vars))))

        # Max weekends: a weekend with a shift outside the window counts as worked.
        worked_outside = {d for d, _ in outside}
        flags, already = [], 0
        for weekend in instance.weekends():
            if any(d in worked_outside for d in weekend):
                already += 1
                continue
            days = [d for d in weekend if d in work and work[d] is not None]
            if not days:
                continue
            if len(days) == 1:
                flags.append(work[days[0]])
                continue
            flag = model.new_bool_var("")
            for d in days:
                model.add_implication(work[d], flag)
            flags.append(flag)
            self.weekend_flags.setdefault(e, []).append((tuple(days), flag))
        if len(flags) > employee.max_weekends - already:
            model.add(sum(flags) <= employee.max_weekends - already)

    def _add_run_network(self, e: int) -> None:
        """The runs of worked days and days off of employee ``e`` as a path through a layered network.

        A node of day ``d`` is the state after that day (see :class:`_RunRules`): working for ``k`` days in a
        row, or off for ``k`` days. A run that starts on day 0 is exempt from the minimum length, so day 0 has
        its own working states and its off state starts satisfied; every state may end the horizon, since a
        run touching day H-1 is exempt too. One unit of flow crosses the layers; ``work[e][d]`` is the flow
        through the working states of day ``d``. The linear relaxation of a path is integral, so the LP sees
        the run rules exactly rather than through sliding windows.

        In a window, the path starts from the state the fixed days before it lead to, and may end only in a
        state from which the fixed days after it keep every run rule.
        """
        model, horizon = self.model, self.instance.horizon_days
        work = self.work[e]
        rules = _RunRules.of(self.instance.staff[e])
        context = self.context.get(e)
        start = None
        for d in range(self.first_day):
            start = rules.next_state(start, context[d] is not None)
        first = rules.first_states() if start is None else rules.successors(start)
        layer = {state: model.new_bool_var("") for state in first}
        model.add_exactly_one(layer.values())
        self._tie_work(work[self.first_day], layer)
        nodes, arcs_by_day = {self.first_day: layer}, {self.first_day: {}}
        for d in self.window[1:]:
            arcs: dict = {}
            into: dict = {}
            for state, var in layer.items():
                out = []
                for nxt in rules.successors(state):
                    arc = model.new_bool_var("")
                    arcs[state, nxt] = arc
                    into.setdefault(nxt, []).append(arc)
                    out.append(arc)
                model.add(sum(out) == var) if out else model.add(var == 0)
            layer = {}
            for state, ins in into.items():
                var = model.new_bool_var("")
                model.add(sum(ins) == var)
                layer[state] = var
            self._tie_work(work[d], layer)
            nodes[d] = layer
            arcs_by_day[d] = arcs
        if self.end_day < horizon:
            for state, var in layer.items():
                after = state
                for d in range(self.end_day, horizon):
                    after = rules.next_state(after, context[d] is not None)
                    if after is None:
                        model.add(var == 0)
                        break
        self.network[e] = (rules, start, nodes, arcs_by_day)

    def _tie_work(self, work_var, layer: dict) -> None:
        """``work`` of a day equals the flow through that day's working states."""
        on = [var for (kind, _, _), var in layer.items() if kind == "W"]
        if work_var is None:
            for var in on:
                self.model.add(var == 0)
        else:
            self.model.add(sum(on) == work_var)

    def _add_cover(self) -> None:
        instance, model = self.instance, self.model
        index = {shift.id: s for s, shift in enumerate(instance.shifts)}
        staffed = self.staffed_by_others = {}  # (day, shift id) -> how many fixed employees work it
        for days in self.others.values():
            for d, shift_id in enumerate(days):
                if shift_id is not None:
                    staffed[d, shift_id] = staffed.get((d, shift_id), 0) + 1
        for row in instance.cover:
            if row.day not in self.window:
                continue
            s = index[row.shift]
            on = [self.x[e, row.day, s] for e in self.members if (e, row.day, s) in self.x]
            need = row.requirement - staffed.get((row.day, row.shift), 0)
            under = model.new_int_var(0, max(0, need), f"under_{row.day}_{row.shift}")
            over = model.new_int_var(0, max(0, len(on) - need), f"over_{row.day}_{row.shift}")
            model.add(sum(on) + under - over == need)
            self.terms += [(under, row.weight_under), (over, row.weight_over)]
            self.cover_slacks.append((under, over, row))

    def _add_requests(self) -> None:
        instance = self.instance
        shift_index = {shift.id: s for s, shift in enumerate(instance.shifts)}
        employee_index = {employee.id: e for e, employee in enumerate(instance.staff)}
        members = set(self.members)
        for request in instance.shift_on_requests:
            e = employee_index[request.employee]
            if e not in members or request.day not in self.window:
                continue
            self.objective_constant += request.weight  # paid unless granted
            key = (e, request.day, shift_index[request.shift])
            if key in self.x:
                self.terms.append((self.x[key], -request.weight))
        for request in instance.shift_off_requests:
            key = (employee_index[request.employee], request.day, shift_index[request.shift])
            if key in self.x:
                self.terms.append((self.x[key], request.weight))

    # ----------------------------------------------------------------------------------- values
    def hint(self, solution: Solution) -> None:
        """Hint every variable of the model from a roster that gives (at least) the members' schedules.

        The hint is complete — shifts, worked days, network states and arcs, weekend flags and cover
        slacks — so when the roster is feasible CP-SAT starts from it as a first solution.
        """
        model, instance = self.model, self.instance
        model.clear_hints()
        for (e, d, s), var in self.x.items():
            model.add_hint(var, solution[instance.staff[e].id][d] == instance.shifts[s].id)
        for e in self.members:
            days = solution[instance.staff[e].id]
            for d, var in self.work[e].items():
                if var is not None and len(self.x_of(e, d)) > 1:
                    model.add_hint(var, days[d] is not None)
            rules, state, nodes, arcs = self.network[e]
            for d in self.window:
                previous, state = state, rules.next_state(state, days[d] is not None)
                for node, var in nodes[d].items():
                    model.add_hint(var, node == state)
                for (source, target), var in arcs[d].items():
                    model.add_hint(var, source == previous and target == state)
            for weekend, flag in self.weekend_flags.get(e, ()):
                model.add_hint(flag, any(days[d] is not None for d in weekend))
        for under, over, row in self.cover_slacks:
            staffed = self.staffed_by_others.get((row.day, row.shift), 0) + sum(
                1 for e in self.members if solution[instance.staff[e].id][row.day] == row.shift
            )
            model.add_hint(under, max(0, row.requirement - staffed))
            model.add_hint(over, max(0, staffed - row.requirement))

    def exact_objective(self, solver: cp_model.CpSolver) -> int:
        """The objective of the solver's solution with each cover row paying only its true shortfall or surplus.

        Between under and over of a row only ``under - over`` is fixed by the model, so an intermediate
        solution may pay both; the optimum never does. This is the cost of the schedule itself.
        """
        value = round(solver.objective_value)
        for under, over, row in self.cover_slacks:
            both = min(solver.value(under), solver.value(over))
            value -= both * (row.weight_under + row.weight_over)
        return value

    def solution(self, solver: cp_model.CpSolver) -> Solution:
        """The members' whole schedules: the solver's shifts in the window, ``around`` outside it."""
        instance = self.instance
        plan = {}
        for e in self.members:
            days = list(self.context.get(e, (None,) * instance.horizon_days))
            for d in self.window:
                days[d] = None
            plan[instance.staff[e].id] = days
        for (e, d, s), var in self.x.items():
            if solver.boolean_value(var):
                plan[instance.staff[e].id][d] = instance.shifts[s].id
        return {employee_id: tuple(days) for employee_id, days in plan.items()}


class _Watch(cp_model.CpSolverSolutionCallback):
    """Follows a whole-model solve and stops it at a checkpoint unless it is close to a proof.

    At ``checkpoint_seconds`` (from the start of the search) a search that has found nothing, or whose best
    objective is more than ``gap`` (a fraction) above its proven bound, stops, so that the time left can go
    to the neighbourhood search.
    """

    def __init__(self, solver: cp_model.CpSolver, checkpoint_seconds: float | None, gap: float):
        super().__init__()
        self.solver = solver
        self.gap = gap
        self.objective: float | None = None
        self.bound = -math.inf
        self.stopped_early = False
        self._timer = threading.Timer(checkpoint_seconds, self._check) if checkpoint_seconds is not None else None

    def on_solution_callback(self) -> None:
        self.objective = self.objective_value

    def on_bound(self, bound: float) -> None:
        self.bound = bound

    def _check(self) -> None:
        if self.objective is None or self.objective - self.bound > self.gap * max(1.0, abs(self.objective)):
            self.stopped_early = True
            self.solver.stop_search()

    def __enter__(self):
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._timer is not None:
            self._timer.cancel()


def solve_whole(
    instance: Instance,
    time_limit_seconds: float = 30.0,
    num_workers: int = 2,
    seed: int = 0,
    hint: Solution | None = None,
    log: bool = False,
    checkpoint_seconds: float | None = None,
    gap: float = 0.05,
) -> tuple[CurtoisResult | None, int]:
    """Solve one benchmark instance with CP-SAT on the whole model.

    Parameters
    ----------
    instance : Instance
    time_limit_seconds : float
        Wall-time limit, model building included.
    num_workers : int
        CP-SAT search workers.
    seed : int
        CP-SAT random seed.
    hint : dict, optional
        A complete solution to start from (checked by the evaluator; ignored if infeasible).
    log : bool
        Print CP-SAT's search log.
    checkpoint_seconds, gap : optional
        Stop early if at ``checkpoint_seconds`` nothing is found or the best objective is more than ``gap``
        (a fraction) above the proven bound.

    Returns
    -------
    (CurtoisResult or None, int)
        The best roster found (None if none was) and the proven lower bound.
    """
    started = time.perf_counter()
    built = _Model(instance)
    if hint is not None:
        if evaluate(instance, hint).feasible:
            built.hint(hint)
        else:
            logger.warning("%s: the hint breaks a hard rule; solving without it", instance.name)
    build_seconds = time.perf_counter() - started
    logger.info("%s: model with %d shift variables built in %.2f s", instance.name, len(built.x), build_seconds)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit_seconds - build_seconds)
    solver.parameters.num_workers = num_workers
    solver.parameters.random_seed = seed
    solver.parameters.log_search_progress = log
    # The full-problem worker is the one with the richest LP (max_lp): it proves bounds near the optimum and
    # its LP-guided dives find the good solutions; the other worker interleaves LNS and local search, whose
    # sub-solves also get the full LP (linearization level 2). With the default 2-worker portfolio (default_lp)
    # the bound of Instance6 stays near 200 against an optimum of 1950.
    solver.parameters.subsolvers.append("max_lp")
    solver.parameters.linearization_level = 2
    watch = _Watch(solver, checkpoint_seconds, gap)
    solver.best_bound_callback = watch.on_bound
    with watch:
        status = solver.solve(built.model, watch)
    seconds = time.perf_counter() - started
    name = solver.status_name(status)
    bound = math.ceil(solver.best_objective_bound - 1e-6)  # the objective is a whole number
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        logger.info(
            "%s: CP-SAT found no roster (%s) in %.1f s%s",
            instance.name,
            name,
            seconds,
            ", stopped at a checkpoint" if watch.stopped_early else "",
        )
        if status == cp_model.INFEASIBLE:
            raise RuntimeError(f"{instance.name}: CP-SAT proves that no roster keeps every hard rule")
        return None, bound
    objective = built.exact_objective(solver)
    logger.info(
        "%s: CP-SAT %s objective %d bound %d in %.1f s%s",
        instance.name,
        name,
        objective,
        bound,
        seconds,
        ", stopped at a checkpoint" if watch.stopped_early else "",
    )
    return CurtoisResult(built.solution(solver), objective, bound, name, seconds), bound
