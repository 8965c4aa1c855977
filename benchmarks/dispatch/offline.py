"""The offline optimum: every incident of a stream known in advance, solved with CP-SAT.

The objective is lexicographic: fewest late arrivals first (arrival minutes above the
ward's limit), then the fewest total minutes from report to arrival. The model is a
relaxation of the simulator's mechanics (``benchmarks.dispatch.sim``), so its optimum is
a bound no online policy can beat on that objective:

- **Day blocks.** The 45 days are cut at the morning shift change (07:30); each block is
  solved alone and every technician starts it free at their post. This ignores work
  carried across the boundary; the simulator counts the dispatches that set out from an
  incident given in an earlier block (``Figures.carried``) and the bound holds for a run
  where that count is 0 (at 07:30 the night's on-call technicians go off duty and, by the
  12-hour rest rule, none of the morning's worked the night).
- **Explicit technicians.** Incident i may go to one of the ``nearest`` technicians on duty
  (by the roster) whose posts are nearest to its ward, or to a catch-all "any other
  technician" with no capacity, arriving ``c_i`` after the report: the fewest minutes
  from any other on-duty technician's post, or ``CALLOUT_READY_MINUTES`` plus the fewest
  from any off-duty technician's home (any call-out, whatever the labour rules say).
- **Travel** is the metric closure of the travel matrix (shortest paths through it), never
  more than the simulator's travel and obeying the triangle inequality, so a chain of
  jobs is bounded by its pairwise times.
- **Arrival** d_i (minutes after the report) of an explicit technician k is at least the
  travel from k's post, less δ for each ward w nearer to the incident from which k may be
  setting out: h[k, w] (k serves some incident of w in the block, in any order; an
  incident's catch-all may be k) lowers the bound by the difference δ. The catch-all's
  arrival is likewise at least c_i, less the difference for each nearer ward served by the
  catch-all or by an explicit technician outside i's list.
- **One job at a time.** When incidents j (reported first, within ``pair_window_minutes``)
  and i both go to technician k, d_i + r_i ≥ d_j + r_j + s_j + travel(w_j, w_i): jobs are
  served in the order given, as in the simulator. Pairs further apart are left out (a
  relaxation).

Each block is solved in two phases: the late arrivals, then, with them held at the value
found, the arrival minutes. A phase stopped by its time limit contributes CP-SAT's proven
bound; a block whose first phase is not proven optimal has no proven bound on its
arrival minutes (the report says which).
"""

from __future__ import annotations

import bisect
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from scheduler.dispatch import CALLOUT_READY_MINUTES, on_duty
from scheduler.model import Pool

from .sim import Roster, block_of
from .stream import StreamIncident

logger = logging.getLogger(__name__)

HORIZON_MINUTES = 10 * 1440


@dataclass(frozen=True)
class BlockResult:
    block: int
    incidents: int
    late: int  # in the best schedule found
    late_bound: int  # proven lower bound on late arrivals
    arrival_sum: int  # in the best schedule found
    arrival_bound: int | None  # proven lower bound on arrival minutes at late = late_bound (None: not proven)
    late_optimal: bool
    arrival_optimal: bool
    seconds: float


@dataclass(frozen=True)
class OfflineResult:
    blocks: list[BlockResult]
    arrivals: list[int]  # minutes to arrival per incident, in stream order, of the best schedule found
    limits: list[int]

    @property
    def late(self) -> int:
        return sum(b.late for b in self.blocks)

    @property
    def late_bound(self) -> int:
        return sum(b.late_bound for b in self.blocks)

    @property
    def arrival_sum(self) -> int:
        return sum(b.arrival_sum for b in self.blocks)

    @property
    def arrival_bound(self) -> int | None:
        if any(b.arrival_bound is None for b in self.blocks):
            return None
        return sum(b.arrival_bound for b in self.blocks)

    @property
    def proven(self) -> bool:
        return all(b.late_optimal and b.arrival_optimal for b in self.blocks)


def travel_closure(roster: Roster) -> tuple[dict[str, int], np.ndarray]:
    """Ward code → index, and the shortest-path closure of the travel matrix over the campaign's places."""
    campaign = roster.campaign
    codes = sorted({w.code for w in campaign.wards} | {p.home_ward_code for p in campaign.people_in(Pool.TECHNICIAN)})
    index = {code: i for i, code in enumerate(codes)}
    matrix = np.array([[roster.travel(a, b) for b in codes] for a in codes], dtype=np.int64)
    for k in range(len(codes)):
        matrix = np.minimum(matrix, matrix[:, k : k + 1] + matrix[k : k + 1, :])
    return index, matrix


def solve_offline(
    roster: Roster,
    stream: list[StreamIncident],
    *,
    seconds_per_block: float = 10.0,
    nearest: int = 4,
    pair_window_minutes: int = 240,
    workers: int = 2,
    progress: Callable[[BlockResult], None] | None = None,
) -> OfflineResult:
    """The offline optimum of ``stream`` (in report order), block by block."""
    index, tt = travel_closure(roster)
    campaign = roster.campaign
    technicians = campaign.people_in(Pool.TECHNICIAN)
    blocks: dict[int, list[int]] = {}
    for n, item in enumerate(stream):
        blocks.setdefault(block_of(item.minute), []).append(n)
    arrivals = [0] * len(stream)
    limits = [roster.limit(item.ward_code, item.minute) for item in stream]
    results = []
    for block, members in sorted(blocks.items()):
        result, found = _solve_block(
            roster,
            stream,
            members,
            limits,
            index,
            tt,
            technicians,
            block,
            seconds_per_block,
            nearest,
            pair_window_minutes,
            workers,
        )
        for n, minutes in zip(members, found, strict=True):
            arrivals[n] = minutes
        results.append(result)
        if progress is not None:
            progress(result)
    return OfflineResult(results, arrivals, limits)


def _solve_block(
    roster, stream, members, limits, index, tt, technicians, block, seconds, nearest, pair_window, workers
) -> tuple[BlockResult, list[int]]:
    started = time.time()
    model = cp_model.CpModel()

    def t(a: str, b: str) -> int:
        return int(tt[index[a], index[b]])

    duty_cache: dict[tuple, dict[str, str]] = {}
    options: list[list[str]] = []  # per member: explicit technicians
    posts: list[dict[str, str]] = []
    catch_all: list[int] = []
    for n in members:
        item = stream[n]
        keys = tuple(roster.running_keys(item.minute))
        duty = duty_cache.get(keys)
        if duty is None:
            duty = {
                pid: a.ward_code
                for pid, a in on_duty(roster.campaign, roster.running(item.minute), roster.at(item.minute)).items()
            }
            duty_cache[keys] = duty
        ranked = sorted(duty, key=lambda pid: (t(duty[pid], item.ward_code), pid))
        chosen = ranked[:nearest]
        others = [t(duty[pid], item.ward_code) for pid in ranked[nearest:]]
        homes = [CALLOUT_READY_MINUTES + t(p.home_ward_code, item.ward_code) for p in technicians if p.id not in duty]
        options.append(chosen)
        posts.append({pid: duty[pid] for pid in chosen})
        catch_all.append(min(others + homes) if others or homes else HORIZON_MINUTES)

    x: list[dict[str, cp_model.IntVar]] = []
    z, d, late = [], [], []
    for m, n in enumerate(members):
        x.append({pid: model.new_bool_var(f"x{n}_{pid}") for pid in options[m]})
        z.append(model.new_bool_var(f"z{n}"))
        d.append(model.new_int_var(0, HORIZON_MINUTES, f"d{n}"))
        late.append(model.new_bool_var(f"late{n}"))
        model.add_exactly_one([*x[m].values(), z[m]])
        model.add(d[m] <= limits[n]).only_enforce_if(late[m].Not())

    # Who may be setting out from a ward: prefix[(k, w, p)] when technician k (None: the catch-all)
    # serves one of the first p incidents of ward w in the block (an incident's catch-all may be k).
    by_ward: dict[str, list[int]] = {}
    for m, n in enumerate(members):
        by_ward.setdefault(stream[n].ward_code, []).append(m)
    prefix: dict[tuple, cp_model.IntVar] = {}

    def served(pid: str | None, ward: str, count: int):
        if count == 0:
            return 0
        key = (pid, ward, count)
        var = prefix.get(key)
        if var is None:
            m = by_ward[ward][count - 1]
            lit = z[m] if pid is None or pid not in x[m] else x[m][pid]
            var = prefix[key] = model.new_bool_var(f"p{pid}_{ward}_{count}")
            model.add(var <= served(pid, ward, count - 1) + lit)
        return var

    for m, n in enumerate(members):
        ward = stream[n].ward_code
        earlier = {w: bisect.bisect_left(ms, m) for w, ms in by_ward.items()}
        for pid, var in x[m].items():
            base = t(posts[m][pid], ward)
            terms = [(base - t(w, ward), served(pid, w, earlier[w])) for w in by_ward if t(w, ward) < base]
            model.add(d[m] >= base - sum(delta * lit for delta, lit in terms)).only_enforce_if(var)
        # The catch-all sets out from one place: a post or home (c_i), or the ward of an earlier
        # incident that it or a technician outside i's list served, once that work is done.
        base = catch_all[m]
        chosen = []
        for mj in range(m):
            j = stream[members[mj]]
            travel_ji = t(j.ward_code, ward)
            if travel_ji >= base or j.minute + j.service_minutes + travel_ji - stream[n].minute >= base:
                continue
            origin = model.new_bool_var(f"o{members[mj]}_{n}")
            outside = [x[mj][pid] for pid in options[mj] if pid not in x[m]]
            model.add(origin <= z[mj] + sum(outside))
            gap = j.minute + j.service_minutes + travel_ji - stream[n].minute
            model.add(d[m] - d[mj] >= gap).only_enforce_if(origin)
            chosen.append((base - travel_ji, origin))
        if chosen:
            model.add_at_most_one([lit for _, lit in chosen])
        model.add(d[m] >= base - sum(delta * lit for delta, lit in chosen)).only_enforce_if(z[m])

    # One job at a time, in the order given.
    jobs: dict[str, list[int]] = {}
    for m in range(len(members)):
        for pid in options[m]:
            jobs.setdefault(pid, []).append(m)
    for pid, ms in jobs.items():
        for a, mj in enumerate(ms):
            j = stream[members[mj]]
            for mi in ms[a + 1 :]:
                i = stream[members[mi]]
                if i.minute - j.minute > pair_window:
                    break
                gap = j.minute - i.minute + j.service_minutes + t(j.ward_code, i.ward_code)
                model.add(d[mi] - d[mj] >= gap).only_enforce_if([x[mj][pid], x[mi][pid]])

    # A schedule always feasible in the model: every incident to the catch-all from a post or home.
    for m, n in enumerate(members):
        model.add_hint(z[m], 1)
        for var in x[m].values():
            model.add_hint(var, 0)
        model.add_hint(d[m], catch_all[m])
        model.add_hint(late[m], int(catch_all[m] > limits[n]))

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.max_time_in_seconds = seconds / 2
    model.minimize(sum(late))
    status = solver.solve(model)
    late_bound = max(0, math.ceil(solver.best_objective_bound - 1e-6))
    late_optimal = status == cp_model.OPTIMAL
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        late_found = round(solver.objective_value)
        hint = {v.index: solver.value(v) for v in [*d, *late, *z] + [v for xs in x for v in xs.values()]}
    else:  # nothing found in the time: the catch-all schedule
        hint = {v.index: 0 for xs in x for v in xs.values()}
        for m, n in enumerate(members):
            hint[z[m].index], hint[d[m].index] = 1, catch_all[m]
            hint[late[m].index] = int(catch_all[m] > limits[n])
        late_found = sum(hint[v.index] for v in late)

    model.clear_hints()
    for var in [*d, *late, *z] + [v for xs in x for v in xs.values()]:
        model.add_hint(var, hint[var.index])
    model.add(sum(late) <= late_found)
    model.minimize(sum(d))
    solver.parameters.max_time_in_seconds = max(1.0, seconds - (time.time() - started))
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = [solver.value(v) for v in d]
        arrival_found = round(solver.objective_value)
        arrival_bound = math.ceil(solver.best_objective_bound - 1e-6) if late_optimal else None
        arrival_optimal = late_optimal and status == cp_model.OPTIMAL
    else:  # the second phase found nothing in its time: keep the first phase's schedule
        found = [hint[v.index] for v in d]
        arrival_found = sum(found)
        arrival_bound = None
        arrival_optimal = False
    result = BlockResult(
        block,
        len(members),
        sum(int(v) for v in (found[m] > limits[n] for m, n in enumerate(members))),
        late_bound,
        arrival_found,
        arrival_bound,
        late_optimal,
        arrival_optimal,
        time.time() - started,
    )
    logger.info("offline block %d: %s", block, result)
    return result, found
