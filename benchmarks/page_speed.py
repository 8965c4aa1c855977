"""The server time of every page a coordinator, the Youth Union and a ward official open, first view included.

    python benchmarks/page_speed.py [--roster FILE.json | --time-limit 30] [--scenario hanoi|tiny]
                                    [--repeat 10] [--first-views 1] [--pages NAME,...]
                                    [--database-url postgresql+psycopg://...] [--state DIR]
                                    [--profile DIR] [--strict]

Setting up: a fresh database (a temporary SQLite file, or a new database on the PostgreSQL server of
``--database-url``) gets the Hanoi scenario (seed 1; ``--scenario tiny`` for the small test campaign),
a coordinator, a Youth Union officer, a dispatcher and a ward official, a roster (read from ``--roster``, a
file ``raquan solve`` wrote for the scenario, or solved here within ``--time-limit`` seconds) stored and
published, a volunteer's cancellation and an incident, and a second version: the repair draft that
"Sửa lịch" makes from the cancellation (its POST, timed as an action). ``--state DIR`` keeps all this in
DIR and uses it again on the next run (the setup is skipped).

Timing: each page is requested with Flask's test client in the process that serves it, so the time is
the server's own (routing, database, work, template), without network. Two kinds of view are timed:

- first view: in a fresh Python process per page and run (``--first-views`` runs), with nothing
  cached: the app is made, the user signs in (not timed), and the page is requested once;
- repeat views: ``--repeat`` views of each page in one process that has already served it once.

The table gives, per page, the first views, then p50, p95 and max of the repeat views and the p95 over
all views (first ones included), with ``!`` where that p95 misses its target: 300 ms for a page, 3 s for
the city workbook. Actions (pressing "Xếp lịch", making a repair draft) are timed too; the press must
meet the page target, the repair draft is listed for information. ``--strict`` exits 1 when a target is
missed. ``--profile DIR`` writes a cProfile file of each page's first and last view into DIR.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "mat-khau-benchmark"
PAGE_TARGET_MS = 300.0
CITY_XLSX_TARGET_MS = 3000.0
USERS = (  # username, role, display name (the ward official's ward is chosen from the roster)
    ("dieuphoi", "coordinator", "Điều phối viên"),
    ("thanhdoan", "youth_union", "Thành đoàn"),
    ("dieudo", "dispatcher", "Trực điều độ"),
    ("phuong", "ward", "Cán bộ phường"),
)
# The URL prefixes of the pages these users open; a GET page under them that is not timed is listed.
PREFIXES = ("/dieu-phoi", "/thanh-doan", "/xa-phuong", "/dieu-do")


@dataclass(frozen=True)
class Page:
    """One timed request: its name, who opens it, its method and path, and its target in milliseconds."""

    name: str
    user: str
    path: str
    method: str = "GET"
    target_ms: float | None = PAGE_TARGET_MS  # None: for information
    form: tuple = ()


def pages(state: dict) -> list[Page]:
    """Every page timed, with the ids of the state's data set."""
    v, d, w, p, i = state["version"], state["draft"], state["ward"], state["person"], state["incident"]
    c = "/dieu-phoi"
    return [
        Page("dashboard", "dieuphoi", f"{c}/"),
        Page("import page", "dieuphoi", f"{c}/nhap-du-lieu"),
        Page("rules", "dieuphoi", f"{c}/quy-tac"),
        Page("generate page", "dieuphoi", f"{c}/xep-lich"),
        Page("press Xếp lịch", "dieuphoi", f"{c}/xep-lich", "POST", form=(("time_limit_seconds", "60"),)),
        Page("job page", "dieuphoi", f"{c}/cong-viec/{{job}}"),
        Page("version (published)", "dieuphoi", f"{c}/phien-ban/{v}"),
        Page("version (draft)", "dieuphoi", f"{c}/phien-ban/{d}"),
        Page("gaps", "dieuphoi", f"{c}/phien-ban/{v}/thieu"),
        Page("people", "dieuphoi", f"{c}/phien-ban/{v}/nguoi"),
        Page("ward", "dieuphoi", f"{c}/phien-ban/{v}/xa/{w}"),
        Page("compare versions", "dieuphoi", f"{c}/so-sanh?a={v}&b={d}"),
        Page("city XLSX", "dieuphoi", f"{c}/phien-ban/{v}/lich.xlsx", target_ms=CITY_XLSX_TARGET_MS),
        Page("ward XLSX", "dieuphoi", f"{c}/phien-ban/{v}/xa/{w}/lich.xlsx"),
        Page("daily report", "dieuphoi", f"{c}/bao-cao-ngay"),
        Page("today", "dieuphoi", f"{c}/hom-nay"),
        Page("events", "dieuphoi", f"{c}/su-kien"),
        Page("cancellations", "dieuphoi", f"{c}/huy-ca"),
        Page("repairs", "dieuphoi", f"{c}/sua-lich"),
        Page("repair draft", "dieuphoi", f"{c}/sua-lich/{d}"),
        Page("repair seat", "dieuphoi", f"{c}/sua-lich/{d}/o-trong?" + urlencode({"gap": state["seat"] or ""})),
        Page("repair publish page", "dieuphoi", f"{c}/sua-lich/{d}/cong-bo"),
        Page("outbox", "dieuphoi", f"{c}/hop-thu-di"),
        Page("accounts", "dieuphoi", f"{c}/tai-khoan"),
        Page("incidents log", "dieuphoi", f"{c}/su-co"),
        Page("incidents XLSX", "dieuphoi", f"{c}/su-co.xlsx"),
        Page("person", "dieuphoi", f"{c}/nguoi/{p}"),
        Page("desk board", "dieudo", "/dieu-do/"),
        Page("desk incident", "dieudo", f"/dieu-do/su-co/{i}"),
        Page("desk cover", "dieudo", f"/dieu-do/xa/{w}/truc-thay"),
        Page("youth students", "thanhdoan", "/thanh-doan/"),
        Page("youth pins", "thanhdoan", "/thanh-doan/ghim"),
        Page("youth counts", "thanhdoan", "/thanh-doan/so-luong"),
        Page("ward official", "phuong", "/xa-phuong/"),
        Page("ward incident", "phuong", f"/xa-phuong/su-co/{i}"),
        Page("ward daily list", "phuong", "/xa-phuong/danh-sach/"),
        Page("ward routes", "phuong", "/xa-phuong/lo-trinh"),
    ]


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


# ------------------------------------------------------------------------------------------------ the app


def make_app(state: dict):
    """An app over the state's database and data directory (CSRF off, the state's clock)."""
    from web import create_app, mark_ready

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": state["database_url"],
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "benchmark",
            "RAQUAN_NOW": state["now"],
            "RAQUAN_REPAIR_SECONDS": state["repair_seconds"],
            "RAQUAN_SOLVE_WORKERS": 1,
            "RAQUAN_SMS_URL": "http://127.0.0.1:9/sms",  # loopback: notices queue, nothing is sent
        },
        data_dir=Path(state["data_dir"]),
    )
    mark_ready(app)
    return app


def sign_in(app, username: str):
    """A test client signed in as ``username``."""
    client = app.test_client()
    response = client.post("/dang-nhap", data={"username": username, "password": PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"{username} could not sign in: {response.status_code}")
    return client


def create_database(url: str | None, directory: Path) -> tuple[str, str | None]:
    """(the app's database URL, the PostgreSQL database's name or None for SQLite)."""
    if not url:
        return f"sqlite:///{directory / 'raquan.db'}", None
    import sqlalchemy as sa

    name = f"raquan_pages_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False), name


def drop_database(url: str, name: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# ------------------------------------------------------------------------------------------------ setting up


def campaign_of(args):
    from scheduler.loader import load_campaign
    from scheduler.scenarios import hanoi_scenario

    if args.scenario == "tiny":
        return load_campaign(ROOT / "fixtures" / "tiny")
    return hanoi_scenario(args.seed)


def solved(args, campaign):
    """(roster, report, explanations) of the scenario: read from ``--roster`` and checked, or solved here."""
    from scheduler.explain import explain
    from scheduler.pipeline import solve
    from scheduler.roster_io import read_roster_json
    from scheduler.settings import SolveSettings
    from scheduler.solver.solve import campaign_travel
    from scheduler.verify import verify

    if args.roster:
        travel = campaign_travel(campaign)
        roster = read_roster_json(args.roster)
        report = verify(campaign, roster, travel)
        explanations = explain(campaign, roster, report.unfilled, travel)
        return roster.__class__(**{**roster.__dict__, "unfilled": tuple(report.unfilled)}), report, explanations
    result = solve(campaign, SolveSettings(time_limit_seconds=args.time_limit, processes=1))
    return result.roster, result.report, list(result.explanations)


def set_up(args, directory: Path) -> dict:
    """Make the data set, the users, the published roster, a cancellation, an incident and a repair draft."""
    from collections import Counter

    from scheduler.events import Event
    from scheduler.io import export_campaign
    from scheduler.roster_io import write_roster_json
    from web import incidents, live, store
    from web.auth import create_user
    from web.models import RosterVersion, db

    started = time.perf_counter()
    campaign = campaign_of(args)
    scenario = directory / "scenario"
    export_campaign(campaign, scenario, table_format="csv")
    database_url, database_name = create_database(args.database_url, directory)
    now = datetime.combine(campaign.start_date + timedelta(days=min(2, (campaign.days - 1) // 2)), datetime.min.time())
    now = now.replace(hour=10)
    state = {
        "database_url": database_url,
        "database_name": database_name,
        "data_dir": str(directory / "data"),
        "now": now.isoformat(timespec="minutes"),
        "repair_seconds": args.repair_seconds,
        "scenario": args.scenario,
    }
    app = make_app(state)
    with app.app_context():
        store.import_directory(scenario, username="benchmark")
        campaign = store.campaign()  # solved as stored: the mobile points' needs in the stored order
    roster, report, explanations = solved(args, campaign)
    write_roster_json(roster, directory / "roster.json")
    print(
        f"roster: {len(roster.assignments)} assignments, {len(report.unfilled)} gaps, "
        f"{len(report.violations)} violations ({time.perf_counter() - started:.0f} s with the import); "
        f"kept in {directory / 'roster.json'}",
        flush=True,
    )
    with app.app_context():
        gaps = Counter(u.ward_code for u in report.unfilled)
        ward = gaps.most_common(1)[0][0] if gaps else campaign.wards[0].code
        for username, role, name in USERS:
            create_user(username, PASSWORD, role, name, ward_code=ward if role == "ward" else None)
        version = store.store_roster(roster, report, explanations, store.revision())
        store.publish(version.id, "dieuphoi")
        published = db.session.get(RosterVersion, version.id)
        upcoming = [a for a in store.roster_of(published).assignments if a.date > now.date() and a.shift_id]
        person, _count = Counter(a.person_id for a in upcoming).most_common(1)[0]
        dates = tuple(sorted({a.date for a in upcoming if a.person_id == person})[:3])
        live.record_event(Event("cancellation", now, person, person_id=person, dates=dates, reason="ốm"), "volunteer")
        incident = incidents.report(ward, "network", True, "Mất mạng ở bộ phận một cửa", by="phuong", at=now).id
        state.update(version=version.id, ward=ward, person=person, incident=incident)
    client = sign_in(app, "dieuphoi")
    started = time.perf_counter()
    response = client.post("/dieu-phoi/sua-lich")
    state["repair_ms"] = (time.perf_counter() - started) * 1000
    found = re.search(r"/sua-lich/(\d+)$", response.headers.get("Location", ""))
    if response.status_code != 303 or not found:
        refused = re.findall(
            r'class="flash error"[^>]*>(.*?)<', client.get("/dieu-phoi/sua-lich").get_data(as_text=True)
        )
        raise RuntimeError(f"no repair draft: {response.status_code} {refused}")
    state["draft"] = int(found.group(1))
    seats = re.findall(
        r'data-seat="([^"]+)"', client.get(f"/dieu-phoi/sua-lich/{state['draft']}").get_data(as_text=True)
    )
    state["seat"] = seats[0].replace("&#34;", '"').replace("&amp;", "&") if seats else None
    dispose(app)
    print(f"set up in {time.perf_counter() - started:.0f} s more (repair draft {state['draft']})", flush=True)
    return state


def dispose(app) -> None:
    with app.app_context():
        from web.models import db

        db.session.remove()
        db.engine.dispose()


# ------------------------------------------------------------------------------------------------ timing


def timed(app, clients: dict, page: Page, profile_to: Path | None = None) -> tuple[float, float]:
    """One view of ``page``: (wall milliseconds, this process's CPU milliseconds); a press of "Xếp lịch" is followed by stopping its job (not timed)."""
    client = clients.get(page.user) or clients.setdefault(page.user, sign_in(app, page.user))
    path = page.path
    if "{job}" in path:
        path = path.replace("{job}", str(start_job(app, client)))
    profiler = cProfile.Profile() if profile_to else None
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    if page.method == "POST":
        response = client.post(path, data=dict(page.form))
    else:
        response = client.get(path)
    response.get_data()
    if profiler:
        profiler.disable()
    elapsed_ms = (time.perf_counter() - started) * 1000
    cpu_ms = (time.process_time() - cpu_started) * 1000
    if profiler:
        profiler.dump_stats(str(profile_to))
    if response.status_code >= 400:
        raise RuntimeError(f"{page.name} {path}: HTTP {response.status_code}\n{response.get_data(as_text=True)[:2000]}")
    if "{job}" in page.path or page.method == "POST":
        stop_jobs(app, client)
    return elapsed_ms, cpu_ms


def start_job(app, client) -> int:
    """Start a solve job (not timed) and return its id, for the job page."""
    response = client.post("/dieu-phoi/xep-lich", data={"time_limit_seconds": "60"})
    found = re.search(r"/cong-viec/(\d+)", response.headers.get("Location", ""))
    if not found:
        raise RuntimeError(f"no job started: {response.status_code} {response.get_data(as_text=True)[:1000]}")
    return int(found.group(1))


def stop_jobs(app, client) -> None:
    """Stop every active solve job and wait for it to end."""
    from sqlalchemy import select

    from web.models import Job, db

    runner = app.extensions["raquan_jobs"]
    with app.app_context():
        active = list(db.session.scalars(select(Job.id).where(Job.status.in_(("queued", "running")))))
        db.session.remove()
    for job_id in active:
        client.post(f"/dieu-phoi/cong-viec/{job_id}/dung")
        runner.wait(job_id, timeout=60)


def first_view(state_path: Path, name: str, profile_to: Path | None, warm: bool) -> tuple[float, float]:
    """The first view of one page, in a fresh process (this script with ``--child``), with no workbook kept."""
    state = json.loads(state_path.read_text(encoding="utf-8"))
    shutil.rmtree(Path(state["data_dir"]) / "exports", ignore_errors=True)  # web.store.EXPORTS_DIR
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(state_path), name]
    if warm:
        command.append("--warm-start")
    if profile_to:
        command += ["--profile-to", str(profile_to)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(f"first view of {name} failed: {last}\n{done.stderr[-3000:]}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return float(found["ms"]), float(found["cpu_ms"])


def child(state_path: Path, name: str, profile_to: Path | None, warm: bool) -> int:
    """Body of the fresh process: make the app (and warm it as ``raquan serve`` does before serving, with
    ``warm``), sign in, time the page once, print {"ms": …, "cpu_ms": …}."""
    state = json.loads(state_path.read_text(encoding="utf-8"))
    page = next(p for p in pages(state) if p.name == name)
    app = make_app(state)
    if warm:
        from web.server import warm as warm_up

        warm_up(app)
    clients = {page.user: sign_in(app, page.user)}
    elapsed_ms, cpu_ms = timed(app, clients, page, profile_to)
    dispose(app)
    print(json.dumps({"ms": elapsed_ms, "cpu_ms": cpu_ms}))
    return 0


def untimed_pages(app, timed_pages: list[Page]) -> list[str]:
    """GET rules under :data:`PREFIXES` that no timed page exercises (besides downloads of templates)."""
    missing = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith(PREFIXES):
            continue
        pattern = (
            "^"
            + re.sub(r"<(?:[^:>]+:)?[^>]+>", "[^/]+", re.escape(rule.rule).replace(r"\<", "<").replace(r"\>", ">"))
            + "$"
        )
        if not any(re.match(pattern, page.path.split("?")[0].replace("{job}", "1")) for page in timed_pages):
            missing.append(rule.rule)
    return sorted(missing)


def report(results: dict[str, dict], timed_pages: list[Page], state: dict, uptime: str) -> bool:
    """Print the table; whether every target is met (by the wall time's p95 over every view)."""
    met = True
    print(
        f"\n{'page':<22} {'first ms':>9} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'p95 all':>8} "
        f"{'cpu p95':>8}  target"
    )
    for page in timed_pages:
        result = results.get(page.name)
        if result is None:
            continue
        if result["error"]:
            met = False
            print(f"{page.name:<22} failed: {result['error'].splitlines()[0][:80]}")
            continue
        first, repeat = [wall for wall, _cpu in result["first"]], [wall for wall, _cpu in result["repeat"]]
        every = result["first"] + result["repeat"]
        p95_all = percentile([wall for wall, _cpu in every], 0.95)
        cpu_p95 = percentile([cpu for _wall, cpu in every], 0.95)
        mark = ""
        if page.target_ms is not None and p95_all > page.target_ms:
            mark, met = " !", False
        firsts = "/".join(f"{v:.0f}" for v in first) or "-"
        spread = (
            f"{statistics.median(repeat):>7.0f} {percentile(repeat, 0.95):>7.0f} {max(repeat):>7.0f}"
            if repeat
            else f"{'-':>7} {'-':>7} {'-':>7}"
        )
        target = f"{page.target_ms:.0f}{mark}" if page.target_ms is not None else "info"
        print(f"{page.name:<22} {firsts:>9} {spread} {p95_all:>8.0f} {cpu_p95:>8.0f}  {target}")
    print(f"{'make repair draft':<22} {state['repair_ms']:>9.0f} (the POST of Sửa lịch, its own deadline inside)")
    print(f"\nload average at the start: {uptime}")
    print("load average at the end:   {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=("hanoi", "tiny"), default="hanoi")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--roster", help="a roster of the scenario written by raquan solve (else solved here)")
    parser.add_argument("--time-limit", type=float, default=30.0, help="the solve's seconds when no --roster")
    parser.add_argument("--repair-seconds", type=float, default=10.0, help="the repair draft's deadline")
    parser.add_argument("--repeat", type=int, default=10, help="repeat views of each page in one process")
    parser.add_argument("--first-views", type=int, default=1, help="fresh processes per page (0: none)")
    parser.add_argument("--pages", help="only these pages (names, comma-separated)")
    parser.add_argument("--database-url", help="a PostgreSQL server (a database is created there)")
    parser.add_argument("--state", type=Path, help="keep the data set in this directory and use it again")
    parser.add_argument("--profile", type=Path, help="write a cProfile file of each page's views here")
    parser.add_argument(
        "--warm-start",
        action="store_true",
        help="first views after the start-up of raquan serve (the data set and the published roster loaded)",
    )
    parser.add_argument("--page-target-ms", type=float, help=f"a page's target (default {PAGE_TARGET_MS:.0f})")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--child", nargs=2, metavar=("STATE", "PAGE"), help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.child:
        return child(Path(args.child[0]), args.child[1], args.profile_to, args.warm_start)

    uptime = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="raquan-page-speed-") as scratch:
        directory = args.state or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        state_path = directory / "state.json"
        kept = args.state is not None and state_path.exists()
        if kept:
            state = json.loads(state_path.read_text(encoding="utf-8"))
            print(f"using the data set kept in {directory}", flush=True)
        else:
            state = set_up(args, directory)
            state_path.write_text(json.dumps(state), encoding="utf-8")
        before = os.environ.get("RAQUAN_NOW")
        os.environ["RAQUAN_NOW"] = state["now"]  # for this process's pages and the first views' processes
        try:
            return measure(args, state, state_path, uptime)
        finally:
            if before is None:  # a caller in the same process (a test) keeps its own clock
                os.environ.pop("RAQUAN_NOW", None)
            else:
                os.environ["RAQUAN_NOW"] = before
            if state["database_name"] and args.state is None:
                drop_database(args.database_url, state["database_name"])


def measure(args, state: dict, state_path: Path, uptime: str) -> int:
    chosen = pages(state)
    if args.pages:
        names = {name.strip() for name in args.pages.split(",")}
        unknown = names - {p.name for p in chosen}
        if unknown:
            raise SystemExit(f"unknown pages: {', '.join(sorted(unknown))}")
        chosen = [p for p in chosen if p.name in names]
    if args.page_target_ms is not None:
        chosen = [replace(p, target_ms=args.page_target_ms) if p.target_ms == PAGE_TARGET_MS else p for p in chosen]
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    def profile_file(page: Page, what: str) -> Path | None:
        if not args.profile:
            return None
        return args.profile / (re.sub(r"\W+", "_", page.name) + f"-{what}.prof")

    results = {page.name: {"first": [], "repeat": [], "error": None} for page in chosen}
    for page in chosen:
        try:
            for run in range(args.first_views):
                results[page.name]["first"].append(
                    first_view(state_path, page.name, profile_file(page, f"first{run}"), args.warm_start)
                )
        except RuntimeError as error:  # the page failed: reported in the table, the others still timed
            results[page.name]["error"] = str(error)
            logging.error("%s", error)
        if args.first_views:
            print(f"  {page.name}: first views {results[page.name]['first']}", flush=True)
    if args.repeat:
        app = make_app(state)
        clients: dict = {}
        for page in chosen:
            if results[page.name]["error"]:
                continue
            try:
                timed(app, clients, page)  # the process's first view of the page: not a repeat view
                for run in range(args.repeat):
                    last = run == args.repeat - 1
                    results[page.name]["repeat"].append(
                        timed(app, clients, page, profile_file(page, "repeat") if last else None)
                    )
            except RuntimeError as error:
                results[page.name]["error"] = str(error)
                logging.error("%s", error)
        missing = untimed_pages(app, chosen) if not args.pages else []
        dispose(app)
        if missing:
            print(f"\nGET pages not timed: {', '.join(missing)}")
    met = report(results, chosen, state, uptime)
    print(f"\nevery target met: {'yes' if met else 'no'}")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
