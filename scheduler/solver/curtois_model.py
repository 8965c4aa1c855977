"""The Curtois–Qu shift-scheduling benchmark as one CP-SAT model.

The campaign engine (:mod:`scheduler.solver.engine`) works on timed tasks with rest
minutes; the benchmark's rules are about runs of days (min/max consecutive shifts,
min days off, weekends), so it gets its own model here. The rules and the objective
are those of :mod:`scheduler.curtois`, whose evaluator re-checks every solution.

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
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.curtois import Instance, Solution, evaluate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CurtoisResult:
    """A solve's outcome: the schedule, its objective, the proven lower bound and the wall time."""

    solution: Solution
    objective: int
    bound: int
    status: str
    seconds: float


class _Model:
    """The CP-SAT model of one instance with its variables."""

    def __init__(self, instance: Instance):
        self.instance = instance
        self.model = cp_model.CpModel()
        horizon = instance.horizon_days
        self.x: dict[tuple[int, int, int], cp_model.IntVar] = {}
        for e, employee in enumerate(instance.staff):
            for d in range(horizon):
                if d in employee.days_off:
                    continue
                for s, shift in enumerate(instance.shifts):
                    if employee.limit(shift.id) > 0:
                        self.x[e, d, s] = self.model.new_bool_var(f"x_{employee.id}_{d}_{shift.id}")
        # work[e][d]: a Boolean, or None when e can work nothing that day (a constant day off).
        self.work: list[list[cp_model.IntVar | None]] = []
        for e in range(len(instance.staff)):
            row = []
            for d in range(horizon):
                options = [self.x[e, d, s] for s in range(len(instance.shifts)) if (e, d, s) in self.x]
                if not options:
                    row.append(None)
                elif len(options) == 1:
                    row.append(options[0])
                else:
                    var = self.model.new_bool_var(f"w_{e}_{d}")
                    self.model.add(sum(options) == var)  # also at most one shift a day
                    row.append(var)
            self.work.append(row)
        self.objective_constant = 0
        self.cover_slacks: list[tuple[cp_model.IntVar, cp_model.IntVar, object]] = []
        self.terms: list[tuple[cp_model.IntVar, int]] = []
        for e in range(len(instance.staff)):
            self._add_employee_rules(e)
            self._add_run_network(e)
        self._add_cover()
        self._add_requests()
        self.model.minimize(self.objective_constant + sum(weight * var for var, weight in self.terms))

    # ------------------------------------------------------------------------------------ rules
    def _add_employee_rules(self, e: int) -> None:
        instance, model, x = self.instance, self.model, self.x
        employee = instance.staff[e]
        horizon = instance.horizon_days
        shifts = instance.shifts
        index = {shift.id: s for s, shift in enumerate(shifts)}
        work = self.work[e]

        # Rotation: s on d forbids each of forbidden_next(s) on d+1.
        for d in range(horizon - 1):
            for s, shift in enumerate(shifts):
                if (e, d, s) not in x:
                    continue
                for following in shift.forbidden_next:
                    t = index[following]
                    if (e, d + 1, t) in x:
                        model.add_bool_or([x[e, d, s].Not(), x[e, d + 1, t].Not()])

        # MaxShifts per type (only where the limit can bind).
        for s, shift in enumerate(shifts):
            vars_ = [x[e, d, s] for d in range(horizon) if (e, d, s) in x]
            if len(vars_) > employee.limit(shift.id):
                model.add(sum(vars_) <= employee.limit(shift.id))

        # Total minutes.
        minutes = sum(shifts[s].length_minutes * var for (e2, _, s), var in x.items() if e2 == e)
        model.add_linear_constraint(minutes, employee.min_total_minutes, employee.max_total_minutes)

        # Redundant: the number of worked days, from the total minutes and the shift lengths.
        lengths = [shifts[s].length_minutes for s in range(len(shifts)) if employee.limit(shifts[s].id) > 0]
        day_vars = [var for var in work if var is not None]
        if lengths:
            fewest = -(-employee.min_total_minutes // max(lengths))
            most = employee.max_total_minutes // min(lengths)
            model.add_linear_constraint(sum(day_vars), fewest, min(most, len(day_vars)))

        # Max weekends.
        weekends = [[work[d] for d in days if work[d] is not None] for days in instance.weekends()]
        weekends = [days for days in weekends if days]
        if len(weekends) > employee.max_weekends:
            flags = []
            for days in weekends:
                if len(days) == 1:
                    flags.append(days[0])
                    continue
                flag = model.new_bool_var("")
                for var in days:
                    model.add_implication(var, flag)
                flags.append(flag)
            model.add(sum(flags) <= employee.max_weekends)

    def _add_run_network(self, e: int) -> None:
        """The runs of worked days and days off of employee ``e`` as a path through a layered network.

        A node of day ``d`` is the state after that day: working for ``k`` days in a row (``k`` up to the
        maximum run), or off for ``k`` days (``k`` capped at the minimum days off, where it means "at least").
        A run that starts on day 0 is exempt from the minimum length, so day 0 has its own working states
        and its off state starts satisfied; every state may end the horizon, since a run touching day H-1 is
        exempt too. One unit of flow crosses the layers; ``work[e][d]`` is the flow through the working
        states of day ``d``. The linear relaxation of a path is integral, so the LP sees the run rules
        exactly rather than through sliding windows.
        """
        model, employee, horizon = self.model, self.instance.staff[e], self.instance.horizon_days
        work = self.work[e]
        longest = employee.max_consecutive_shifts
        shortest = max(1, employee.min_consecutive_shifts)
        rest = max(1, employee.min_consecutive_days_off)

        def successors(state):
            kind, k, exempt = state
            if kind == "W":
                if k < longest:
                    yield ("W", k + 1, exempt and k + 1 < shortest)
                if k >= shortest or exempt:
                    yield ("O", 1 if rest > 1 else rest, False)
            else:
                yield ("O", min(k + 1, rest), False)
                if k >= rest:
                    yield ("W", 1, False)

        first = [("W", 1, shortest > 1), ("O", rest, False)]
        layer = {state: model.new_bool_var("") for state in first}
        model.add_exactly_one(layer.values())
        self._tie_work(work[0], layer)
        for d in range(1, horizon):
            arcs: dict = {}
            out: dict = {state: [] for state in layer}
            for state, var in layer.items():
                for nxt in successors(state):
                    arc = model.new_bool_var("")
                    arcs.setdefault(nxt, []).append(arc)
                    out[state].append(arc)
            for state, var in layer.items():
                if out[state]:
                    model.add(sum(out[state]) == var)
                else:
                    model.add(var == 0)
            layer = {}
            for state, ins in arcs.items():
                var = model.new_bool_var("")
                model.add(sum(ins) == var)
                layer[state] = var
            self._tie_work(work[d], layer)

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
        staff = range(len(instance.staff))
        for row in instance.cover:
            s = index[row.shift]
            on = [self.x[e, row.day, s] for e in staff if (e, row.day, s) in self.x]
            under = model.new_int_var(0, row.requirement, f"under_{row.day}_{row.shift}")
            over = model.new_int_var(0, max(0, len(on) - row.requirement), f"over_{row.day}_{row.shift}")
            model.add(sum(on) + under - over == row.requirement)
            self.terms += [(under, row.weight_under), (over, row.weight_over)]
            self.cover_slacks.append((under, over, row))

    def _add_requests(self) -> None:
        instance = self.instance
        employee_index = {employee.id: e for e, employee in enumerate(instance.staff)}
        shift_index = {shift.id: s for s, shift in enumerate(instance.shifts)}
        for request in instance.shift_on_requests:
            self.objective_constant += request.weight  # paid unless granted
            key = (employee_index[request.employee], request.day, shift_index[request.shift])
            if key in self.x:
                self.terms.append((self.x[key], -request.weight))
        for request in instance.shift_off_requests:
            key = (employee_index[request.employee], request.day, shift_index[request.shift])
            if key in self.x:
                self.terms.append((self.x[key], request.weight))

    # ----------------------------------------------------------------------------------- values
    def hint(self, solution: Solution) -> None:
        """Hint every variable of the model from a complete solution."""
        self.model.clear_hints()
        instance = self.instance
        for (e, d, s), var in self.x.items():
            self.model.add_hint(var, solution[instance.staff[e].id][d] == instance.shifts[s].id)

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
        instance = self.instance
        plan = {employee.id: [None] * instance.horizon_days for employee in instance.staff}
        for (e, d, s), var in self.x.items():
            if solver.boolean_value(var):
                plan[instance.staff[e].id][d] = instance.shifts[s].id
        return {employee_id: tuple(days) for employee_id, days in plan.items()}


def solve_instance(instance: Instance, time_limit_seconds: float = 30.0, num_workers: int = 2, seed: int = 0,
                   hint: Solution | None = None, log: bool = False) -> CurtoisResult:
    """Solve one benchmark instance with CP-SAT.

    Parameters
    ----------
    instance : Instance
    time_limit_seconds : float
        Wall-time limit of the CP-SAT search.
    num_workers : int
        CP-SAT search workers.
    seed : int
        CP-SAT random seed.
    hint : dict, optional
        A complete solution to start from (checked by the evaluator; ignored if infeasible).
    log : bool
        Print CP-SAT's search log.

    Returns
    -------
    CurtoisResult

    Raises
    ------
    RuntimeError
        If CP-SAT finds no solution in time (or proves the instance infeasible).
    """
    started = time.perf_counter()
    built = _Model(instance)
    if hint is not None:
        if evaluate(instance, hint).feasible:
            built.hint(hint)
        else:
            logger.warning("%s: the hint breaks a hard rule; solving without it", instance.name)
    logger.info("%s: model with %d shift variables built in %.2f s", instance.name, len(built.x),
                time.perf_counter() - started)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit_seconds - (time.perf_counter() - started))
    solver.parameters.num_workers = num_workers
    solver.parameters.random_seed = seed
    solver.parameters.log_search_progress = log
    # The full-problem worker is the one with the richest LP (max_lp): it proves bounds near the optimum and
    # its LP-guided dives find the good solutions; the other worker interleaves LNS and local search, whose
    # sub-solves also get the full LP (linearization level 2). With the default 2-worker portfolio (default_lp)
    # the bound of Instance6 stays near 200 against an optimum of 1950.
    solver.parameters.subsolvers.append("max_lp")
    solver.parameters.linearization_level = 2
    status = solver.solve(built.model)
    seconds = time.perf_counter() - started
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"{instance.name}: no solution found ({name}) in {seconds:.1f} s")
    objective = built.exact_objective(solver)
    bound = math.ceil(solver.best_objective_bound - 1e-6)  # the objective is a whole number
    logger.info("%s: %s objective %d bound %d in %.1f s", instance.name, name, objective, bound, seconds)
    return CurtoisResult(built.solution(solver), objective, bound, name, seconds)
