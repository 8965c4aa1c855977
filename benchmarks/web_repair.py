"""“Sửa lịch” at the Hanoi scale: the server time of each step of a coordinator's repair.

    python benchmarks/web_repair.py [--roster FILE.json | --solve-seconds 30] [--now 2025-07-23T18:00]
                                    [--repeat 7] [--edits 4] [--database-url postgresql+psycopg://...]
                                    [--profile DIR]

The app runs in this process on a fresh database (a temporary SQLite file, or a new database on the
PostgreSQL server of ``--database-url``, dropped at the end). It imports the Hanoi scenario (seed 1),
stores and publishes a roster (read from ``--roster``, a file ``raquan solve`` wrote for that
scenario, or solved here in ``--solve-seconds``), records a volunteer's cancellation of the upcoming
shifts of someone with several of them, and then, signed in as a coordinator with Flask's test
client, times:

- ``index``: the "Sửa lịch" page (GET /dieu-phoi/sua-lich);
- ``make draft``: making the repair draft (POST /dieu-phoi/sua-lich; the repair's own deadline inside);
- ``draft page``: the draft's page with its changes and empty seats;
- ``seat page``: the ranked list for one empty seat;
- ``pick``: putting the first candidate on that seat (a new draft);
- ``put back``: putting a change back (a new draft);
- ``publish page``: the page before publishing, with its count of people to notify;
- ``publish``: publishing the draft (notices enqueued, events marked repaired).

Each step's server time is printed (p50 and p95 over ``--repeat`` runs where a step can be repeated;
picks and put-backs alternate ``--edits`` times), with the database's growth per draft.
``--profile DIR`` writes a cProfile file per step into DIR.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PREFIX = "/dieu-phoi"
PASSWORD = "mat-khau-benchmark"
DEFAULT_NOW = "2025-07-23T18:00"  # the evening before the scenario's first day: every shift is still to come


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


class Timer:
    """Server times per step (the test client runs the request in this process), optionally profiled."""

    def __init__(self, profile_dir: Path | None):
        self.times: dict[str, list[float]] = {}
        self.profile_dir = profile_dir

    def get(self, step: str, client, url: str, **options):
        return self.run(step, lambda: client.get(url, **options))

    def post(self, step: str, client, url: str, **options):
        return self.run(step, lambda: client.post(url, **options))

    def run(self, step: str, call):
        profiler = cProfile.Profile() if self.profile_dir else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        response = call()
        if profiler:
            profiler.disable()
        self.times.setdefault(step, []).append(time.perf_counter() - started)
        if profiler:
            name = re.sub(r"\W+", "_", step)
            profiler.dump_stats(str(self.profile_dir / f"{name}-{len(self.times[step])}.prof"))
        if response.status_code >= 400:
            raise RuntimeError(f"{step}: HTTP {response.status_code}\n{response.get_data(as_text=True)[:2000]}")
        return response

    def report(self) -> None:
        print(f"\n{'step':<14} {'runs':>4} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
        for step, values in self.times.items():
            ms = [v * 1000 for v in values]
            print(f"{step:<14} {len(ms):>4} {statistics.median(ms):>9.0f} {percentile(ms, 0.95):>9.0f} {max(ms):>9.0f}")


def database(url: str | None, directory: Path):
    """(the app's database URL, a function giving its size in bytes, a cleanup function)."""
    if not url:
        path = directory / "raquan.db"
        return f"sqlite:///{path}", lambda: path.stat().st_size, lambda: None
    import sqlalchemy as sa

    name = f"raquan_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    own = sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)

    def size() -> int:
        with admin.connect() as connection:
            return int(connection.execute(sa.text("SELECT pg_database_size(:n)"), {"n": name}).scalar())

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return own, size, drop


def load(app, args, directory: Path) -> int:
    """Import the Hanoi scenario, add the coordinator, store and publish a roster; the published version's id."""
    from scheduler.explain import explain
    from scheduler.io import export_campaign
    from scheduler.pipeline import solve
    from scheduler.roster_io import read_roster_json
    from scheduler.scenarios import hanoi_scenario
    from scheduler.settings import SolveSettings
    from scheduler.solver.solve import campaign_travel
    from scheduler.verify import verify
    from web import store
    from web.auth import create_user

    started = time.perf_counter()
    scenario = directory / "scenario"
    export_campaign(hanoi_scenario(args.seed), scenario, table_format="csv")
    with app.app_context():
        store.import_directory(scenario, username="benchmark")
        create_user("dieuphoi", PASSWORD, "coordinator", "Điều phối viên")
        campaign = store.campaign()
    print(f"imported the Hanoi scenario (seed {args.seed}) in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    travel = campaign_travel(campaign)
    if args.roster:
        roster = read_roster_json(args.roster)
        report = verify(campaign, roster, travel)
        explanations = explain(campaign, roster, report.unfilled, travel)
        roster = roster.__class__(**{**roster.__dict__, "unfilled": tuple(report.unfilled)})
    else:
        result = solve(campaign, SolveSettings(time_limit_seconds=args.solve_seconds, processes=1))
        roster, report, explanations = result.roster, result.report, list(result.explanations)
    print(
        f"roster: {len(roster.assignments)} assignments, {len(report.unfilled)} gaps, "
        f"{len(report.violations)} violations ({time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    with app.app_context():
        version = store.store_roster(roster, report, explanations, store.revision())
        store.publish(version.id, "benchmark")
        return version.id


def cancel(app, version_id: int, now: datetime, days: int) -> tuple[str, int]:
    """Record a volunteer's cancellation of the next ``days`` days with shifts of the person with most upcoming
    service shifts; (person id, shifts cancelled)."""
    from collections import Counter

    from scheduler.events import Event
    from web import live, store
    from web.models import RosterVersion, db

    with app.app_context():
        roster = store.roster_of(db.session.get(RosterVersion, version_id))
        upcoming = [a for a in roster.assignments if a.date > now.date() and a.shift_id and not a.covered_ward_codes]
        person_id, _count = Counter(a.person_id for a in upcoming).most_common(1)[0]
        dates = sorted({a.date for a in upcoming if a.person_id == person_id})[:days]
        event = Event("cancellation", now, person_id, person_id=person_id, dates=tuple(dates), reason="ốm")
        live.record_event(event, "volunteer")
        return person_id, sum(1 for a in upcoming if a.person_id == person_id and a.date in dates)


def stored_rows(app) -> str:
    """The assignment rows stored, and the versions."""
    from sqlalchemy import func, select

    from web.models import AssignmentRow, RosterVersion, db

    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(AssignmentRow))
        versions = db.session.scalar(select(func.count()).select_from(RosterVersion))
        return f"{rows} in {versions} versions"


def draft_id(response) -> int:
    found = re.search(r"/sua-lich/(\d+)$", response.headers.get("Location", ""))
    if response.status_code != 303 or not found:
        raise RuntimeError(f"no draft: {response.status_code} {response.headers.get('Location')}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--roster", help="a roster of the Hanoi scenario (seed --seed) written by raquan solve")
    parser.add_argument("--solve-seconds", type=float, default=30.0, help="solve here when no --roster is given")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--now", default=DEFAULT_NOW, help="the campaign's now (RAQUAN_NOW)")
    parser.add_argument("--cancel-days", type=int, default=3, help="days of shifts the volunteer cancels")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each page")
    parser.add_argument("--drafts", type=int, default=2, help="repair drafts made (the last one is edited)")
    parser.add_argument("--edits", type=int, default=4, help="picks and put-backs, alternating")
    parser.add_argument(
        "--repair-seconds", type=float, default=20.0, help="the repair's deadline (RAQUAN_REPAIR_SECONDS)"
    )
    parser.add_argument("--database-url", help="a PostgreSQL server (a database is created there and dropped)")
    parser.add_argument("--profile", type=Path, help="write a cProfile file per step into this directory")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    os.environ["RAQUAN_NOW"] = args.now
    from scheduler import clock
    from web import create_app, mark_ready

    now = clock.parse_now(args.now)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="raquan-web-repair-") as tmp:
        directory = Path(tmp)
        url, size, drop = database(args.database_url, directory)
        try:
            app = create_app(
                {
                    "TESTING": True,
                    "SQLALCHEMY_DATABASE_URI": url,
                    "WTF_CSRF_ENABLED": False,
                    "SECRET_KEY": "benchmark",
                    "RAQUAN_NOW": args.now,
                    "RAQUAN_REPAIR_SECONDS": args.repair_seconds,
                    "RAQUAN_SMS_URL": "http://127.0.0.1:9/sms",  # loopback: notices queue, nothing is sent
                },
                data_dir=directory / "data",
            )
            mark_ready(app)
            version_id = load(app, args, directory)
            person_id, shifts = cancel(app, version_id, now, args.cancel_days)
            print(f"cancellation: {person_id}, {shifts} shifts over {args.cancel_days} days; now {now:%Y-%m-%d %H:%M}")
            run(app, args, Timer(args.profile), size)
            with app.app_context():
                from web.models import db

                db.session.remove()
                db.engine.dispose()
        finally:
            drop()
    return 0


def run(app, args, timer: Timer, size) -> None:
    """The coordinator's steps, timed."""
    client = app.test_client()
    response = client.post("/dang-nhap", data={"username": "dieuphoi", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    for _ in range(args.repeat):
        timer.get("index", client, f"{PREFIX}/sua-lich")

    growth = []
    for _ in range(args.drafts):
        before = size()
        response = timer.post("make draft", client, f"{PREFIX}/sua-lich")
        growth.append(size() - before)
        current = draft_id(response)
    for _ in range(args.repeat):
        page = timer.get("draft page", client, f"{PREFIX}/sua-lich/{current}").get_data(as_text=True)
    summary = re.search(r"<p class=\"summary lead\" data-summary><strong>(.*?)</strong>", page)
    print(f"draft {current}: {summary.group(1) if summary else '?'}")

    edit_growth = []
    for edit in range(args.edits):
        seats = [s.replace("&#34;", '"').replace("&amp;", "&") for s in re.findall(r'data-seat="([^"]+)"', page)]
        ranked, gap = [], None
        if edit % 2 == 0:
            for index, gap in enumerate(seats):  # the first seat someone may take (a mobile point's may have none)
                runs = args.repeat if edit == 0 and index == 0 else 1
                for _ in range(runs):
                    seat = timer.get(
                        "seat page", client, f"{PREFIX}/sua-lich/{current}/o-trong", query_string={"gap": gap}
                    ).get_data(as_text=True)
                ranked = re.findall(r'data-candidate="([^"]+)"', seat)
                if ranked:
                    break
        if ranked:
            before = size()
            response = timer.post(
                "pick", client, f"{PREFIX}/sua-lich/{current}/o-trong", data={"gap": gap, "person_id": ranked[0]}
            )
        else:
            changes = re.findall(r'name="change" value="([^"]+)"', page)
            if not changes:
                print("no change to put back")
                continue
            before = size()
            response = timer.post(
                "put back",
                client,
                f"{PREFIX}/sua-lich/{current}/bo-thay-doi",
                data={"change": changes[0].replace("&amp;", "&")},
            )
        edit_growth.append(size() - before)
        if response.status_code == 303 and re.search(r"/sua-lich/\d+$", response.headers["Location"]):
            found = draft_id(response)
            if found == current:
                print(
                    "edit refused:",
                    re.findall(
                        r'class="flash error">(.*?)<', client.get(f"{PREFIX}/sua-lich/{current}").get_data(as_text=True)
                    )[:2],
                )
            current = found
        page = timer.get("draft page", client, f"{PREFIX}/sua-lich/{current}").get_data(as_text=True)

    for _ in range(args.repeat):
        page = timer.get("publish page", client, f"{PREFIX}/sua-lich/{current}/cong-bo").get_data(as_text=True)
    notify = re.search(r'data-notify="(\d+)"', page)
    print(f"people to notify: {notify.group(1) if notify else '?'}")
    before = size()
    response = timer.post("publish", client, f"{PREFIX}/sua-lich/{current}/cong-bo")
    assert response.status_code == 303 and "/phien-ban/" in response.headers["Location"], response.headers
    publish_growth = size() - before
    timer.report()
    kib = [g / 1024 for g in growth]
    print(f"\ndatabase growth per repair draft: {', '.join(f'{k:.0f} KiB' for k in kib)}")
    if edit_growth:
        print(f"database growth per edit: {', '.join(f'{g / 1024:.0f} KiB' for g in edit_growth)}")
    print(f"assignment rows stored: {stored_rows(app)}")
    print(f"database growth at publishing: {publish_growth / 1024:.0f} KiB; size now {size() / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    sys.exit(main())
