"""Running the app: ``raquan serve`` and ``raquan demo``, in one process on waitress or in several on gunicorn.

One process (the default) is waitress with ``threads`` threads. ``workers`` > 1 is gunicorn with that many
worker processes (``gthread``: ``threads`` threads each), so pages use every core. The arbiter migrates the
schema once before it forks; each worker then builds its own app (its own database pool, job runner and
sender thread), ends the jobs of servers that are gone, warms its caches and answers ``/healthz``.

Nothing a page depends on lives only in one process. What is shared goes through the database: server-side
sessions and revocations (:mod:`web.sessions`), rate counters (:mod:`web.limits`), the one active solve per
data set, its progress, its heartbeat and a stop asked through another process (:mod:`web.jobs`), the
outbox's leases (any number of senders, one sends each message). What each process keeps is keyed by what
the database says, so a change made through another process is seen at the next request: the campaign by
data revision (:func:`web.store.campaign`), the live campaign by revision and events, a published version's
rows and per-person data by version (they never change, :func:`web.store.cached_for_published`), drafts by
id and creation time. Per process on purpose: ``/healthz``'s readiness (this process has started and warmed;
the demo's workers also wait for the demo's roster, a row in the database), the argon2 slots (one hash at a
time per process), and the rate limits' memory of a key already over its limit (it only refuses, for a few
seconds).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import secrets
import tempfile
import threading
import webbrowser
from datetime import date, timedelta
from pathlib import Path

from waitress import create_server

from scheduler.problems import CampaignLoadError
from web import create_app, mark_ready, store
from web.auth import create_user

logger = logging.getLogger(__name__)

DEMO_USERS = (("dieuphoi", "coordinator", "Điều phối viên Sở KH&CN"), ("thanhdoan", "youth_union", "Cán bộ Thành đoàn"))
DEMO_READY_SETTING = "demo_prepared"  # written when the demo's roster is published (or its solve failed)
WORKER_TIMEOUT_SECONDS = 120  # gunicorn restarts a worker silent this long (its threads may be busy meanwhile)
KEEPALIVE_SECONDS = 5


def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    threads: int = 8,
    workers: int = 1,
    server: str | None = None,
) -> None:
    """Serve the app over the configured data directory and database until interrupted.

    ``workers`` processes of ``threads`` threads each; ``server`` is ``"waitress"`` (one process) or
    ``"gunicorn"`` (default: waitress for one worker, gunicorn for more).
    """
    server = server or ("waitress" if workers == 1 else "gunicorn")
    if server == "gunicorn":
        run_gunicorn(worker_app, host=host, port=port, workers=workers, threads=threads)
        return
    if workers != 1:
        raise ValueError("waitress serves from one process; use gunicorn for more")
    app = create_app()
    warm(app)
    mark_ready(app)
    waitress = create_server(app, host=host, port=port, threads=threads)
    print(f"Ra Quân: http://{host}:{waitress.effective_port}/ (dữ liệu: {app.config['RAQUAN_DATA_DIR']})", flush=True)
    waitress.run()


def migrate(overrides: dict | None = None, data_dir: Path | None = None) -> Path:
    """Bring the schema up to date and end the jobs of servers that are gone, in this process, before workers
    fork (no thread started, every database connection closed). Returns the data directory."""
    from web.models import db

    app = create_app({**(overrides or {}), "RAQUAN_OUTBOX_WORKER": "0"}, data_dir=data_dir)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return Path(app.config["RAQUAN_DATA_DIR"])


def worker_app(overrides: dict | None = None, data_dir: Path | None = None):
    """The app of one gunicorn worker: built after the fork, the schema already migrated by the arbiter."""
    app = create_app(overrides, data_dir=data_dir, migrate_db=False)
    with app.app_context():
        app.extensions["raquan_jobs"].recover()
    warm(app)
    mark_ready(app)
    return app


def run_gunicorn(factory, host: str, port: int, workers: int, threads: int, overrides=None, data_dir=None) -> None:
    """Migrate once, then run gunicorn's arbiter here with ``workers`` processes, each serving ``factory(overrides,
    data_dir)``; prints the address once listening (``port`` 0: a free one). Returns when the arbiter stops."""
    from gunicorn.app.base import BaseApplication

    directory = migrate(overrides, data_dir)

    def when_ready(arbiter) -> None:
        bound_host, bound_port = arbiter.LISTENERS[0].sock.getsockname()[:2]
        print(
            f"Ra Quân: http://{bound_host}:{bound_port}/ (dữ liệu: {directory}; {workers} tiến trình × {threads} luồng)",
            flush=True,
        )

    class Server(BaseApplication):
        def load_config(self) -> None:
            settings = {
                "bind": [f"{host}:{port}"],
                "workers": workers,
                "worker_class": "gthread",
                "threads": threads,
                "timeout": WORKER_TIMEOUT_SECONDS,
                "keepalive": KEEPALIVE_SECONDS,
                "control_socket_disable": True,  # no socket in the home directory, shared by every server
                "when_ready": when_ready,
                "proc_name": "raquan",
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self):
            return factory(overrides, directory)

    Server().run()


def warm(app) -> None:
    """Before the first request: compile the templates, load the locales' data, load the stored campaign, its
    map's shapes and the latest published roster's per-person data, so that no user's first view pays for them."""
    from web.volunteer import warm_cache

    _compile_templates(app)
    with app.app_context():
        try:
            campaign = store.campaign()
        except CampaignLoadError as error:  # the app still serves its other pages
            logger.error("the stored campaign does not load: %s", error)
            return
        if campaign is not None:
            _load_map_shapes(campaign.province)
        version = store.latest_published()
        if version is not None:
            logger.info("cached the shifts of %d people", warm_cache(version))


def _compile_templates(app) -> None:
    """Every template compiled and each language's dates and numbers loaded (Babel reads its locale data once)."""
    from babel import Locale
    from babel.dates import format_date

    from web import LANGUAGES

    for name in app.jinja_env.list_templates(extensions=("html",)):
        app.jinja_env.get_template(name)
    for lang in LANGUAGES:
        format_date(date(2025, 7, 24), "EEEE dd/MM/yyyy", locale=Locale.parse(lang))


def _load_map_shapes(province: str) -> None:
    from geo.svgmap import province_shapes

    try:
        province_shapes(province)
    except Exception:  # a map is a nicety: its page says so
        logger.exception("no map shapes for %s", province)


def demo_start(app) -> date:
    """The demo campaign's first day by default: today by the campaign's clock (``RAQUAN_NOW`` fixes it)."""
    from scheduler import clock

    return clock.now(app.config.get("RAQUAN_NOW") or None).date()


def load_demo(app, seed: int = 1, start: date | None = None) -> dict[str, str]:
    """Import the Hanoi scenario and add the demo users; returns username -> password.

    ``start``: the campaign's first day (default :func:`demo_start`, today in Hanoi, so upcoming shifts
    show; ``date(2025, 7, 24)`` replays the directive's own dates).
    """
    from scheduler.io import export_campaign
    from scheduler.loader import CAMPAIGN_FILE
    from scheduler.scenarios import demo_volunteers_toml, hanoi_scenario

    directory = Path(app.config["RAQUAN_DATA_DIR"]) / "scenario"
    start = start or demo_start(app)
    campaign = hanoi_scenario(seed, start=start)
    export_campaign(campaign, directory, table_format="csv")
    with open(directory / CAMPAIGN_FILE, "a", encoding="utf-8") as toml:  # whom the volunteers' cards call
        toml.write("\n" + demo_volunteers_toml(campaign, seed))
    passwords = {}
    with app.app_context():
        store.import_directory(directory, username="demo")
        for username, role, name in DEMO_USERS:
            passwords[username] = secrets.token_urlsafe(9)
            create_user(username, passwords[username], role, name)
    return passwords


def solve_and_publish(app, time_limit_seconds: float) -> int | None:
    """Run one solve job, publish its roster and mark the app ready; returns the version id."""
    runner = app.extensions["raquan_jobs"]
    version_id = None
    try:
        with app.app_context():
            job_id = runner.submit(time_limit_seconds, username="demo")
        runner.wait(job_id)
        with app.app_context():
            from web.models import Job, db

            job = db.session.get(Job, job_id)
            if job.version_id is not None:
                store.publish(job.version_id, "demo")
                version_id = job.version_id
                print(f"Đã công bố phiên bản {version_id}.", flush=True)
            else:
                print(f"Giải không thành công: {job.message}", flush=True)
        warm(app)
    except Exception:
        logger.exception("demo solve failed")
    finally:
        mark_ready(app)
    return version_id


def demo(
    port: int = 8080,
    time_limit_seconds: float = 60.0,
    open_browser: bool = True,
    seed: int = 1,
    host: str = "127.0.0.1",
    data_dir: str | None = None,
    start: date | None = None,
    workers: int = 1,
    threads: int = 8,
) -> None:
    """Load the Hanoi scenario into a fresh data directory, solve, publish and serve.

    ``start``: the campaign's first day (default: today in Hanoi's time). ``workers`` > 1 serves from that
    many gunicorn processes while a process of its own solves and publishes; ``/healthz`` answers 200 in
    every worker once the roster is published.
    """
    directory = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="raquan-demo-"))
    # The demo serves plain HTTP on loopback, so its cookie cannot be HTTPS-only unless asked for.
    overrides = {} if os.environ.get("RAQUAN_SECURE_COOKIES") else {"SESSION_COOKIE_SECURE": False}
    app = create_app({**overrides, "RAQUAN_OUTBOX_WORKER": "0"} if workers > 1 else overrides, data_dir=directory)
    start = start or demo_start(app)
    passwords = load_demo(app, seed, start)
    if workers > 1:
        url = f"http://{host}:{port}/"
        _print_demo(url, directory, start, passwords, time_limit_seconds)
        from web.models import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # the workers fork from this process: no connection may cross
        preparing = multiprocessing.get_context("spawn").Process(
            target=prepare_demo,
            args=(directory, overrides, time_limit_seconds, seed, url if open_browser else None),
            name="raquan-demo-prepare",  # not a daemon: it starts the solve's process
        )
        preparing.start()
        try:
            run_gunicorn(
                worker_app,
                host=host,
                port=port,
                workers=workers,
                threads=threads,
                overrides={**overrides, "RAQUAN_READY_SETTING": DEMO_READY_SETTING},
                data_dir=directory,
            )
        finally:
            preparing.terminate()  # its solve ends with it
            preparing.join(10)
        return
    server = create_server(app, host=host, port=port, threads=threads)
    url = f"http://{host}:{server.effective_port}/"
    _print_demo(url, directory, start, passwords, time_limit_seconds)

    def prepare():
        solve_and_publish(app, time_limit_seconds)
        _print_sample_volunteer(app)
        seed_demo_visits(app, seed, min(time_limit_seconds, 30.0))
        if open_browser:
            webbrowser.open(url)

    threading.Thread(target=prepare, name="raquan-demo-prepare", daemon=True).start()
    server.run()


def _print_demo(url: str, directory: Path, start: date, passwords: dict[str, str], time_limit_seconds: float) -> None:
    print(f"Ra Quân (demo): {url}  — dữ liệu: {directory}", flush=True)
    print(f"  chiến dịch bắt đầu ngày {start:%d/%m/%Y}", flush=True)
    for username, password in passwords.items():
        print(f"  tài khoản {username} / mật khẩu {password}", flush=True)
    print(f"Đang xếp lịch ({time_limit_seconds:.0f} s); /healthz trả lời 200 khi sẵn sàng.", flush=True)


def prepare_demo(directory: Path, overrides: dict, time_limit_seconds: float, seed: int, url: str | None) -> None:
    """The body of the demo's preparing process (beside the gunicorn workers): solve, publish, mark the demo
    ready in the database, then the sample volunteer and the day's visits. It ends with the demo."""
    import signal

    from web.jobs import _set_death_signal

    _set_death_signal(signal.SIGTERM)
    app = create_app({**overrides, "RAQUAN_OUTBOX_WORKER": "0"}, data_dir=directory, migrate_db=False)
    try:
        solve_and_publish(app, time_limit_seconds)
    finally:
        mark_prepared(app, DEMO_READY_SETTING)
    _print_sample_volunteer(app)
    seed_demo_visits(app, seed, min(time_limit_seconds, 30.0))
    if url:
        webbrowser.open(url)


def mark_prepared(app, key: str) -> None:
    """Store the settings row ``key``: every process's ``/healthz`` that waits for it answers 200 from now on."""
    from web.models import Setting, db

    with app.app_context():
        try:
            db.session.merge(Setting(key=key, value="1"))
            db.session.commit()
        except Exception:
            db.session.rollback()
            logger.exception("marking %s", key)


def seed_demo_visits(app, seed: int, seconds: float) -> None:
    """The scenario's lists of people to visit today and tomorrow, stored, and today's routes planned for every
    ward within ``seconds``, so the demo shows plans (tomorrow's are left for the ward to plan)."""
    from scheduler.scenarios import daily_visit_requests
    from web import live, visit_plans, visits

    try:
        with app.app_context():
            campaign = live.live_campaign()
            now = live.now()
            if campaign is None:
                return
            for day in (now.date(), now.date() + timedelta(days=1)):
                if campaign.contains_date(day):
                    visits.import_requests(daily_visit_requests(campaign, day, seed), "demo", now, late=False)
            if campaign.contains_date(now.date()):
                planned = visit_plans.plan_all(now.date(), "demo", now, seconds)
                print(f"Đã lập lộ trình thăm tận nhà hôm nay cho {planned} xã, phường.", flush=True)
    except Exception:
        logger.exception("demo visits failed")


def _print_sample_volunteer(app) -> None:
    from web.codes import format_code, personal_code

    with app.app_context():
        version = store.latest_published()
        campaign = store.campaign()
        if version is None or campaign is None:
            return
        rows = store.person_assignments_any(version.id)
        if rows is None:
            return
        person = campaign.person(rows)
        print(
            f"  thử 'Ca trực của tôi': số điện thoại {person.phone}, mã {format_code(personal_code(app.config['SECRET_KEY'], person.id))}",
            flush=True,
        )
