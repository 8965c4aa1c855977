"""The Hanoi scenario end to end, decomposed by clusters and as one monolithic model, same time limit.

    python benchmarks/hanoi_solve.py [--seed 1] [--time-limit 30] [--workers 2] [--skip-monolith]

Prints, for each: wall seconds, peak memory, coverage, unfilled people by rule,
hard violations (from the independent checker), objective, best bound and gap;
then the ratios of the two side by side.
"""

import argparse
import resource
import time

from geo.travel import province_travel
from scheduler.pipeline import solve
from scheduler.scenarios import hanoi_scenario
from scheduler.settings import SolveSettings


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def figures(name, result, seconds):
    roster, report = result.roster, result.report
    gap = None
    if roster.objective and roster.best_bound is not None:
        gap = 100.0 * (roster.objective - roster.best_bound) / roster.objective
    return {
        "name": name,
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "coverage": report.coverage_percent,
        "unfilled": sum(report.missing_by_rule().values()),
        "by_rule": report.missing_by_rule(),
        "violations": len(report.violations),
        "objective": report.objective,
        "bound": roster.best_bound,
        "gap": gap,
        "status": roster.status,
    }


def show(rows):
    keys = [
        ("status", "{}"),
        ("seconds", "{:.1f}"),
        ("peak_mb", "{:.0f}"),
        ("coverage", "{:.2f}%"),
        ("unfilled", "{}"),
        ("violations", "{}"),
        ("objective", "{:,}"),
        ("bound", "{}"),
        ("gap", "{}"),
    ]
    print(f"{'':<22}" + "".join(f"{r['name']:>22}" for r in rows))
    for key, fmt in keys:
        cells = []
        for r in rows:
            value = r[key]
            if key == "gap":
                cells.append("—" if value is None else f"{value:.2f}%")
            elif key == "bound":
                cells.append("—" if value is None else f"{value:,}")
            else:
                cells.append(fmt.format(value))
        print(f"{key:<22}" + "".join(f"{c:>22}" for c in cells))
    for rule in rows[0]["by_rule"]:
        print(f"{'  ' + rule:<22}" + "".join(f"{r['by_rule'][rule]:>22}" for r in rows))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-monolith", action="store_true")
    args = parser.parse_args()

    campaign = hanoi_scenario(args.seed)
    travel = province_travel(campaign.province)
    settings = SolveSettings(time_limit_seconds=args.time_limit, processes=args.workers, seed=args.seed)
    print(
        f"Hanoi scenario seed {args.seed}: {len(campaign.wards)} wards, {len(campaign.people)} people, "
        f"{len(campaign.mobile_points)} mobile points, {campaign.days} days; time limit {args.time_limit:g} s, "
        f"{args.workers} processes"
    )
    started = time.perf_counter()
    result = solve(campaign, settings, travel=travel)
    rows = [figures("decomposed", result, time.perf_counter() - started)]
    info = result.figures
    print(
        f"decomposed: {info['clusters']} clusters, {info['optimal_clusters']} optimal, "
        f"{info['greedy_clusters']} left at the greedy start, {info['variables']:,} Booleans"
    )
    print(
        f"gaps after the cluster solves {info['gaps_before_fill']}; on-call posts widened to "
        f"{info['widened_posts']} of them, gap filling added {info['gap_fills']}, "
        f"the explained fixes applied {info['explained_fixes']}; gaps left {info['gaps_after']}; "
        f"explanations still naming a fix the software could make: {info['fixes_left']}"
    )
    if not args.skip_monolith:
        started = time.perf_counter()
        mono = solve(campaign, settings, travel=travel, monolithic=True)
        rows.append(figures("monolithic", mono, time.perf_counter() - started))
        print(f"monolithic: one model of {mono.figures['variables']:,} Booleans")
    show(rows)
    if len(rows) == 2:
        a, b = rows
        print(
            f"ratio monolithic/decomposed: time {b['seconds'] / a['seconds']:.2f}, "
            f"objective {b['objective'] / a['objective']:.3f}, unfilled "
            + (f"{b['unfilled'] / a['unfilled']:.3f}" if a["unfilled"] else "—")
        )


if __name__ == "__main__":
    main()
