"""The live roster on the Hanoi scenario: repairs after cancellations, the fast path, stable re-solves.

    python benchmarks/live_repair.py [--seed 1] [--cases 200] [--publish-seconds 60]
                                     [--repair-seconds 2] [--compare 200] [--roster FILE.json]

1. Publish: solve the scenario (or read ``--roster``, a roster of the same scenario and seed).
2. Stable re-solve: re-solve the unchanged data from the published roster, the evening before the
   campaign starts, with the same time limit; print the assignments changed (target at most 1%);
   for contrast, a solve from scratch with another seed and what it changes.
3. Replay ``--cases`` seeded cancellations one after another (a person with work ahead cancels
   1-5 days from a random moment of the campaign); each is repaired from the roster the one before
   left, with ``--repair-seconds`` as its deadline. Per repair: wall seconds, the fast path's time
   for one of the seats it opened (the roster's calendar kept per version, as the web app keeps
   it; its build time is printed apart), changed assignments and people touched, coverage. For the
   first ``--compare`` cases, a full re-solve from scratch at the same moment with the same
   deadline (history pinned), its coverage and the assignments it changes.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace
from datetime import datetime, timedelta

from scheduler.calendar import Calendar
from scheduler.candidates import candidates, seat_of
from scheduler.changes import roster_changes
from scheduler.clock import is_history
from scheduler.events import Event, apply_events
from scheduler.pipeline import repair, solve
from scheduler.roster_io import read_roster_json, write_roster_json
from scheduler.scenarios import hanoi_scenario
from scheduler.settings import SolveSettings
from scheduler.solver.solve import campaign_travel
from scheduler.verify import unfilled_slots, verify


def pct(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))]


def line(label, values, unit="", scale=1.0, digits=2):
    if not values:
        print(f"{label:<48} —")
        return
    print(
        f"{label:<48} p50 {pct(values, 50) * scale:.{digits}f}{unit}  p95 {pct(values, 95) * scale:.{digits}f}{unit}"
        f"  max {max(values) * scale:.{digits}f}{unit}  (n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--publish-seconds", type=float, default=60.0)
    parser.add_argument("--repair-seconds", type=float, default=2.0)
    parser.add_argument("--compare", type=int, default=200, help="cases compared with a full re-solve")
    parser.add_argument("--roster", help="a published roster of the same scenario and seed (JSON)")
    parser.add_argument("--save-roster", help="write the published roster here")
    parser.add_argument("--skip-stable", action="store_true")
    args = parser.parse_args()

    campaign = hanoi_scenario(args.seed)
    travel = campaign_travel(campaign)
    settings = SolveSettings(time_limit_seconds=args.publish_seconds, seed=args.seed)
    if args.roster:
        published = read_roster_json(args.roster)
    else:
        started = time.time()
        published = solve(campaign, settings).roster
        print(f"published roster: {len(published.assignments)} assignments in {time.time() - started:.1f} s")
        if args.save_roster:
            write_roster_json(published, args.save_roster)
    base_report = verify(campaign, published, travel)
    print(
        f"published: {len(published.assignments)} assignments, coverage {base_report.coverage_percent:.2f}%, "
        f"{len(base_report.violations)} violations"
    )

    if not args.skip_stable:
        eve = datetime.combine(campaign.start_date - timedelta(days=1), datetime.min.time()) + timedelta(hours=20)
        started = time.time()
        stable = solve(campaign, settings, published=published, now=eve)
        assert stable.changes is not None
        share = 100.0 * stable.changes.changed / len(published.assignments)
        print(
            f"stable re-solve of unchanged data ({args.publish_seconds:.0f} s limit): {stable.changes.changed} "
            f"assignments changed (+{len(stable.changes.added)} / -{len(stable.changes.removed)}) = {share:.2f}% "
            f"of {len(published.assignments)}; coverage {stable.report.coverage_percent:.2f}%; "
            f"{len(stable.report.violations)} violations; {time.time() - started:.1f} s"
        )
        started = time.time()
        fresh = solve(campaign, settings.with_changes(seed=args.seed + 1))
        contrast = roster_changes(published.assignments, fresh.roster.assignments)
        print(
            f"contrast, a solve from scratch (seed {args.seed + 1}): {contrast.changed} assignments changed "
            f"(+{len(contrast.added)} / -{len(contrast.removed)}) = "
            f"{100.0 * contrast.changed / len(published.assignments):.2f}%; "
            f"coverage {fresh.report.coverage_percent:.2f}%; {time.time() - started:.1f} s"
        )

    rng = random.Random(args.seed)
    start = datetime.combine(campaign.start_date, datetime.min.time())
    span_minutes = (campaign.days - 1) * 24 * 60
    moments = sorted(start + timedelta(minutes=rng.randrange(span_minutes)) for _ in range(args.cases))
    current = published
    events: list[Event] = []
    walls, fast, calendar_ms, changed, touched, coverage, worse = [], [], [], [], [], [], 0
    scratch_coverage, scratch_changed, compared, violations, outside = [], [], 0, 0, 0
    for n, now in enumerate(moments):
        ahead = sorted({a.person_id for a in current.assignments if a.date > now.date()})
        if not ahead:
            continue
        person = rng.choice(ahead)
        first = now.date() + timedelta(days=rng.randint(0, 3))
        dates = tuple(first + timedelta(days=i) for i in range(rng.randint(1, 5)))
        events.append(Event("cancellation", now, person_id=person, dates=dates, reason="benchmark"))
        after = apply_events(campaign, events, now)
        # The fast path: the seats the cancellation opens, and who could take the first one.
        t = time.perf_counter()
        kept = [
            a
            for a in current.assignments
            if not (a.person_id == person and a.date in dates and not is_history(campaign, a, now))
        ]
        calendar = Calendar(after, kept, travel)
        calendar_ms.append(1000 * (time.perf_counter() - t))
        opened = [u for u in unfilled_slots(after, kept, travel) if u not in set(current.unfilled) and u.date in dates]
        if opened:
            seat, pool = seat_of(after, opened[0])
            t = time.perf_counter()
            candidates(after, kept, seat, now, travel, pool=pool, calendar=calendar)
            fast.append(1000 * (time.perf_counter() - t))
        started = time.time()
        result = repair(
            after,
            current,
            now,
            settings,
            deadline=started + args.repair_seconds,
            travel=travel,
            explain_late=False,
            check_all=False,
        )
        walls.append(time.time() - started)
        assert result.changes is not None
        changed.append(result.changes.changed)
        touched.append(len(result.changes.people))
        coverage.append(result.report.coverage_percent)
        violations += len(result.report.violations)
        outside += len(result.figures["changes_outside"])
        if n < args.compare:
            history = tuple(a for a in current.assignments if is_history(after, a, now))
            started = time.time()
            scratch = solve(
                replace(after, pins=history),
                settings,
                deadline=started + args.repair_seconds,
                travel=travel,
                explain_late=False,
            )
            compared += 1
            scratch_coverage.append(scratch.report.coverage_percent)
            scratch_changed.append(roster_changes(current.assignments, scratch.roster.assignments).changed)
            if result.report.coverage_percent + 1e-9 < scratch.report.coverage_percent:
                worse += 1
        current = result.roster
        if (n + 1) % 20 == 0:
            print(f"  {n + 1} cancellations replayed; coverage now {coverage[-1]:.2f}%", flush=True)

    print(f"\n{len(walls)} cancellations replayed one after another (seed {args.seed})")
    line("repair wall seconds (target p95 <= 2 s)", walls, " s")
    line("fast path, ranked list for one seat (target p95 <= 50 ms)", fast, " ms", digits=1)
    line("  the roster's calendar, built once per version", calendar_ms, " ms", digits=1)
    line("changed assignments per cancellation", changed, "", digits=0)
    line("people touched per cancellation", touched, "", digits=0)
    line("coverage after each repair", coverage, "%")
    print(f"violations found by the checker in the repaired rosters: {violations}; changes to history: {outside}")
    if compared:
        print(
            f"against a full re-solve from scratch, same moment, same {args.repair_seconds:g} s deadline "
            f"({compared} cases): the repair's coverage was at least as good in {compared - worse} "
            f"({100.0 * (compared - worse) / compared:.1f}%; target 99%)"
        )
        line("  the full re-solve's coverage", scratch_coverage, "%")
        line("  the full re-solve's changed assignments", scratch_changed, "", digits=0)
    print(f"coverage: published {base_report.coverage_percent:.2f}%, after the last repair {coverage[-1]:.2f}%")


if __name__ == "__main__":
    main()
