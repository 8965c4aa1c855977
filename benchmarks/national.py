"""The whole country on Dask distributed: one worker against two, the tasks' times, the scheduler's overhead, and a
projection to more cores.

    python benchmarks/national.py [--country DIR | --seed 1 [--days 45] [--provinces "Lai Châu,Huế"]]
                                  [--workers 1,2] [--cluster-work 0.5] [--time-limit 7200] [--cores 16,64]
                                  [--json FILE]

For each worker count, a fresh Dask LocalCluster (processes, one thread each) solves every province with
:func:`scheduler.pipeline.solve_many`. The searches are bounded by work (``--cluster-work``), not by the clock, so
every run does the same work and returns the same rosters: the wall times compare like with like and the speedup
is the ratio of two runs of one command. ``--time-limit`` is only the safety stop (the figures say if it stopped
a search).

Printed, per run: wall seconds of the solve (loading the campaigns is timed apart), the time in each stage, peak
memory of each worker (its maximum resident set), the national coverage and the unfilled person-slots by rule,
provinces verified, hard violations; then the per-task time distribution, the scheduler's own overhead (a batch
of empty tasks timed on the same cluster, and the workers' idle share in the run), the speedup, and a
projection: the measured task times scheduled (longest first, with a barrier between the stages, as the solve
has) on 16 cores and on 4 machines of 16 cores, plus the measured per-task overhead. The projection leaves out
moving the campaigns to other machines and differences between machines: it is a projection, not a measurement.
"""

from __future__ import annotations

import argparse
import heapq
import json
import logging
import os
import resource
import statistics
import sys
import time
from pathlib import Path

from scheduler.national import national_summary
from scheduler.pipeline import solve_many
from scheduler.runners import DaskRunner
from scheduler.settings import SolveSettings

STAGES = ("plan", "clusters", "repair", "close")


def load(args) -> tuple[dict, float]:
    """The campaigns by key, and the seconds it took to read or make them."""
    started = time.perf_counter()
    if args.country:
        from scheduler.country_io import read_country
        from scheduler.io import load_campaign

        campaigns = {d.name: load_campaign(d) for d in read_country(args.country).provinces}
    else:
        from scheduler.country_io import province_dir_name
        from scheduler.scenarios import country_scenario

        provinces = [p.strip() for p in args.provinces.split(",")] if args.provinces else None
        made = country_scenario(args.seed, days=args.days, provinces=provinces)
        campaigns = {province_dir_name(c.province): c for c in made}
    return campaigns, time.perf_counter() - started


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _noop(i: int) -> int:
    return i


def overhead_per_task_ms(runner, tasks: int = 2000) -> float:
    """The scheduler's own cost of a task: empty tasks submitted and gathered, wall time per task."""
    client = runner.client
    client.gather(client.map(_noop, range(50), pure=False))  # warm
    started = time.perf_counter()
    client.gather(client.map(_noop, range(tasks), pure=False))
    return 1000 * (time.perf_counter() - started) / tasks


def run(campaigns: dict, settings: SolveSettings, workers: int) -> dict:
    with DaskRunner.local(workers) as runner:
        overhead_ms = overhead_per_task_ms(runner)
        started = time.perf_counter()
        result = solve_many(campaigns, settings, runner=runner)
        wall = time.perf_counter() - started
        peaks = sorted(runner.client.run(_peak_rss_mb).values())
    summary = national_summary(campaigns, result)
    busy = sum(sum(v) for v in result.figures["task_seconds"].values())
    clock_stopped = sum(r.figures.get("clock_stopped", 0) for r in result.results.values())
    return {
        "workers": workers,
        "wall_seconds": wall,
        "stage_seconds": result.figures["stage_seconds"],
        "task_seconds": result.figures["task_seconds"],
        "peak_worker_mb": peaks,
        "coverage_percent": summary.coverage_percent,
        "asked": summary.asked,
        "filled": summary.filled,
        "unfilled_by_rule": summary.unfilled_by_rule,
        "provinces": len(summary.provinces),
        "verified": summary.verified,
        "violations": summary.violations,
        "failed": result.failed,
        "clock_stopped": clock_stopped,
        "busy_share": busy / (wall * workers),
        "overhead_ms_per_task": overhead_ms,
        "assignments": {k: len(r.roster.assignments) for k, r in result.results.items()},
    }


def makespan(durations: list[float], cores: int) -> float:
    """Longest-first list scheduling of independent tasks on ``cores``: when the last one ends."""
    ends = [0.0] * cores
    for duration in sorted(durations, reverse=True):
        heapq.heappush(ends, heapq.heappop(ends) + duration)
    return max(ends)


def project(task_seconds: dict, cores: int, overhead_ms: float) -> float:
    """Stage after stage (each waits for the one before, as the solve does), the tasks on ``cores``."""
    total = 0.0
    for stage in STAGES:
        durations = task_seconds.get(stage, [])
        if durations:
            total += makespan(durations, cores) + overhead_ms / 1000 * len(durations) / cores
    return total


def distribution(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"{len(values):,} tasks, sum {sum(values):,.1f} s, mean {statistics.fmean(values):.2f} s, "
        f"p50 {at(0.5):.2f}, p90 {at(0.9):.2f}, p99 {at(0.99):.2f}, max {ordered[-1]:.2f} s"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--country", help="a country directory (raquan scenario country); default: made in memory")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=45)
    parser.add_argument("--provinces", help="only these provinces (names or codes, comma-separated)")
    parser.add_argument("--workers", default="1,2", help="worker counts to compare (default 1,2)")
    parser.add_argument("--cluster-work", type=float, default=0.5, help="work per cluster search (default 0.5)")
    parser.add_argument("--time-limit", type=float, default=7200, help="safety stop of each run (default 7200 s)")
    parser.add_argument("--cores", default="16,64", help="core counts to project to (default 16,64)")
    parser.add_argument("--json", help="write every figure to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    counts = [int(n) for n in args.workers.split(",")]
    cores = [int(n) for n in args.cores.split(",")]

    campaigns, load_seconds = load(args)
    wards = sum(len(c.wards) for c in campaigns.values())
    people = sum(len(c.people) for c in campaigns.values())
    print(
        f"{len(campaigns)} provinces, {wards:,} communes, {people:,} people; read in {load_seconds:.1f} s; "
        f"cluster_work {args.cluster_work}; machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}"
    )
    settings = SolveSettings(time_limit_seconds=args.time_limit, cluster_work=args.cluster_work, seed=args.seed)
    runs = []
    for workers in counts:
        figures = run(campaigns, settings, workers)
        runs.append(figures)
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in figures["stage_seconds"].items())
        by_rule = ", ".join(f"{k} {v:,}" for k, v in figures["unfilled_by_rule"].items())
        print(f"\n{workers} worker(s): {figures['wall_seconds']:.1f} s ({stages}); load {os.getloadavg()[0]:.2f}")
        print(f"  peak memory per worker: {', '.join(f'{mb:.0f} MB' for mb in figures['peak_worker_mb'])}")
        print(
            f"  coverage {figures['coverage_percent']:.2f}% ({figures['filled']:,}/{figures['asked']:,}); "
            f"unfilled by rule: {by_rule}"
        )
        print(
            f"  provinces verified {figures['verified']}/{figures['provinces']}, hard violations "
            f"{figures['violations']}, failed {len(figures['failed'])}, searches stopped by the clock "
            f"{figures['clock_stopped']}"
        )
        for stage in STAGES:
            print(f"  {stage:>8}: {distribution(figures['task_seconds'].get(stage, []))}")
        print(
            f"  scheduler overhead: {figures['overhead_ms_per_task']:.2f} ms per empty task; workers busy "
            f"{100 * figures['busy_share']:.1f}% of the run (the rest: waiting at stage barriers, transfers, "
            "the client's own work)"
        )
    if len(runs) > 1:
        base = runs[0]
        for other in runs[1:]:
            same = other["assignments"] == base["assignments"]
            print(
                f"\nspeedup {base['workers']} → {other['workers']} workers: "
                f"{base['wall_seconds'] / other['wall_seconds']:.2f}× "
                f"({base['wall_seconds']:.1f} s / {other['wall_seconds']:.1f} s); same rosters: {same}"
            )
    last = runs[-1]
    print("\nprojection from the measured task times (not a measurement):")
    for n in cores:
        seconds = project(last["task_seconds"], n, last["overhead_ms_per_task"])
        print(
            f"  {n} cores: {seconds:.1f} s of solving (measured with {last['workers']}: {last['wall_seconds']:.1f} s)"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"load_seconds": load_seconds, "runs": runs}, indent=1))
    return 0 if all(r["verified"] == r["provinces"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
