"""Routing quality on public instances: six Gehring–Homberger 1000-customer VRPTW instances.

    python benchmarks/vrptw.py [--seconds 60] [--instances C1_10_1,R1_10_1] [--seed 1] [--workers 1]
                               [--customers N]

Each instance is read into the campaign's routing model (:mod:`benchmarks.vrptw_io`; the model's
"minutes" are tenths of the instance's units), solved by the campaign's own code path
(:func:`scheduler.routing.solve_routes`) and checked by the independent checker
(:func:`scheduler.visits.check_routes`). The cost is the plan's total travel in tenths divided by 10,
compared with the best-known cost of the ``.sol`` file. The seconds are wall seconds per instance,
reading the file and building the model included (the limit given to the solver is what is left of
``--seconds`` after that). ``--workers 2`` solves two instances at once, one process each.
``--customers N`` keeps the depot and the first N customers (a quick try; no gap is printed then, the
best-known cost being that of the whole instance).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.vrptw_io import DATA, INSTANCES, read_best_known, read_instance, routing_problem  # noqa: E402
from scheduler.routing import solve_routes  # noqa: E402
from scheduler.visits import check_routes  # noqa: E402


def run_instance(name: str, seconds: float, seed: int, data: Path, customers: int | None = None) -> dict:
    """Read, build, solve and check one instance within ``seconds`` of wall time (solve after build)."""
    started = time.perf_counter()
    instance = read_instance(data / f"{name}.vrp")
    problem = routing_problem(instance, customers)
    build_seconds = time.perf_counter() - started
    plan = solve_routes(problem, max(0.1, seconds - build_seconds), seed)
    wall_seconds = time.perf_counter() - started
    problems = check_routes(problem, plan)
    return {
        "name": name,
        "cost": plan.travel_total(problem) / 10,
        "best": read_best_known(data / f"{name}.sol") if len(problem.stops) == instance.customers else None,
        "seconds": wall_seconds,
        "build_seconds": build_seconds,
        "routes": len(plan.routes),
        "served": len(plan.planned_ids),
        "customers": len(problem.stops),
        "problems": problems,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="wall seconds per instance (default 60)")
    parser.add_argument("--instances", default=",".join(INSTANCES), help="comma-separated names (default all six)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="instances solved at once, one process each")
    parser.add_argument("--customers", type=int, default=None, help="only the first N customers (no gap then)")
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the .vrp and .sol files")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.instances.split(",") if n.strip()]
    workers = max(1, min(args.workers, len(names)))
    size = "1000 customers" if args.customers is None else f"depot and first {args.customers} customers"
    print(
        f"VRPTW (Gehring–Homberger, {size}): {len(names)} instance(s), {args.seconds:g} s each, "
        f"seed {args.seed}, {workers} at once on {os.cpu_count()} cores"
    )
    header = f"{'instance':<10} {'cost':>9} {'best':>9} {'gap %':>6} {'seconds':>7} {'build':>5} {'routes':>6}  checker"
    print(header)
    print("-" * len(header))
    results = []
    gaps = []
    failed = False
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = [pool.submit(run_instance, name, args.seconds, args.seed, args.data, args.customers) for name in names]
        for job in jobs:
            r = job.result()
            results.append(r)
            best, gap = "-", "-"
            if r["best"] is not None:
                gaps.append(100 * (r["cost"] - r["best"]) / r["best"])
                best, gap = f"{r['best']:.1f}", f"{gaps[-1]:.2f}"
            verdict = "valid" if not r["problems"] else f"INVALID ({len(r['problems'])}): {r['problems'][0]}"
            failed |= bool(r["problems"])
            print(
                f"{r['name']:<10} {r['cost']:>9.1f} {best:>9} {gap:>6} {r['seconds']:>7.1f} {r['build_seconds']:>5.1f} "
                f"{r['routes']:>6}  {verdict}; {r['served']}/{r['customers']} served",
                flush=True,
            )
    if gaps:
        print(f"average gap: {sum(gaps) / len(gaps):.2f}%", end="  ")
    print(f"(longest wall time {max(r['seconds'] for r in results):.1f} s, reading and building included)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
