"""A generated Hanoi day of mobile visits, planned for every ward within one time limit.

    python benchmarks/visit_day.py [--seed 1] [--day N] [--requests 2000] [--seconds 60]
                                   [--patience N|none] [--roster FILE.json] [--save-roster FILE.json]
                                   [--solve-seconds 60]

1. The roster: the Hanoi scenario solved with ``--solve-seconds`` (or read from ``--roster``, a roster of
   the same scenario and seed); the teams of each ward are the people it puts on the ward's service shifts
   and mobile points that day.
2. The list: :func:`scheduler.scenarios.daily_visit_requests` for the campaign's day ``--day`` (0 = the
   first), about ``--requests`` people over the 126 wards.
3. The plan: :func:`scheduler.visit_plan.plan_city_day` with ``--seconds`` for all wards together (its
   promise), each ward stopping once ``--patience`` PyVRP iterations in a row found nothing better (``none``:
   every ward searches for its whole share), every ward's plan checked by the independent checker.

Prints: the wall time of the plan and whether it kept the limit; requests planned (share); home visits
planned, each in its window (share, and how many the checker found outside one: 0 expected); people who
can come given a time at a point; the planning time per ward (p50, p95, max); the reasons for the rest;
the checker's verdict over all wards.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from datetime import timedelta

from scheduler.pipeline import solve
from scheduler.roster_io import read_roster_json, write_roster_json
from scheduler.scenarios import daily_visit_requests, hanoi_scenario
from scheduler.settings import SolveSettings
from scheduler.visit_plan import PATIENCE_ITERATIONS, plan_city_day


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = q / 100 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--day", type=int, default=1, help="the campaign's day, 0 for the first")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60.0, help="for every ward's plan together")
    parser.add_argument("--solve-seconds", type=float, default=60.0)
    parser.add_argument(
        "--patience",
        default=str(PATIENCE_ITERATIONS),
        help="PyVRP iterations without a better plan before a ward stops; 'none' runs every ward to its share",
    )
    parser.add_argument("--roster", help="a roster of the same scenario and seed (JSON)")
    parser.add_argument("--save-roster", help="write the solved roster here")
    args = parser.parse_args()

    campaign = hanoi_scenario(args.seed)
    if args.roster:
        roster = read_roster_json(args.roster)
    else:
        started = time.time()
        roster = solve(campaign, SolveSettings(time_limit_seconds=args.solve_seconds, seed=args.seed)).roster
        print(f"roster: {len(roster.assignments)} assignments, solved in {time.time() - started:.1f} s")
        if args.save_roster:
            write_roster_json(roster, args.save_roster)
    day = campaign.start_date + timedelta(days=args.day)
    requests = daily_visit_requests(campaign, day, args.seed, args.requests)
    home = sum(r.home_visit for r in requests)
    print(
        f"day {day.isoformat()}: {len(requests)} requests in {len({r.ward_code for r in requests})} wards, "
        f"{home} home visits, {len(requests) - home} can come to a point"
    )

    started = time.perf_counter()
    patience = None if args.patience.lower() == "none" else int(args.patience)
    plans = plan_city_day(
        campaign, roster, day, requests, seconds=args.seconds, seed=args.seed, patience_iterations=patience
    )
    wall = time.perf_counter() - started
    print(
        f"planned every ward in {wall:.1f} s (limit {args.seconds:.0f} s: {'kept' if wall <= args.seconds else 'MISSED'})"
    )

    planned = {rid for p in plans.values() for rid in p.plan.planned_ids}
    by_id = {r.id: r for r in requests}
    home_planned = [rid for rid in planned if by_id[rid].home_visit]
    outside = 0
    for plan in plans.values():
        for route in plan.plan.routes:
            for visit in route.visits:
                request = by_id[visit.stop_id]
                if not request.window_start_minute <= visit.start_minute <= request.latest_start_minute:
                    outside += 1
    travel = sum(p.plan.travel_total(p.problem) for p in plans.values())
    print(f"travel in all routes: {travel} minutes")
    print(f"requests planned: {len(planned)} of {len(requests)} ({100 * len(planned) / len(requests):.1f}%)")
    print(
        f"home visits planned in their window: {len(home_planned)} of {home} ({100 * len(home_planned) / max(1, home):.1f}%);"
        f" visits outside a window: {outside}"
    )
    come = len(requests) - home
    come_planned = len(planned) - len(home_planned)
    print(
        f"people who can come given a time at a point: {come_planned} of {come} ({100 * come_planned / max(1, come):.1f}%)"
    )
    seconds = [p.plan.solve_seconds for p in plans.values()]
    print(
        f"planning time per ward: p50 {percentile(seconds, 50):.2f} s, p95 {percentile(seconds, 95):.2f} s, "
        f"max {max(seconds):.2f} s over {len(seconds)} wards"
    )
    reasons = Counter(reason for p in plans.values() for _, reason in p.plan.unplanned)
    for reason, count in reasons.most_common():
        print(f"  not planned, {count}: {reason}")
    teams = sum(len(p.teams) for p in plans.values())
    no_team = sum(1 for p in plans.values() if not p.teams)
    print(f"teams: {teams} in all, {no_team} wards with no team that day")
    failing = {code: p.problems for code, p in plans.items() if p.problems}
    print(f"checker: {'every plan valid' if not failing else f'{len(failing)} wards FAIL: {failing}'}")
    if seconds:
        print(f"mean requests per ward: {statistics.mean(len(p.requests) for p in plans.values()):.1f}")


if __name__ == "__main__":
    main()
