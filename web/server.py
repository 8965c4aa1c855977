"""Running the app: ``raquan serve`` and ``raquan demo`` on waitress (a production WSGI server)."""

from __future__ import annotations

import logging
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


def serve(host: str = "127.0.0.1", port: int = 8080, threads: int = 8) -> None:
    """Serve the app over the configured data directory and database until interrupted."""
    app = create_app()
    warm(app)
    mark_ready(app)
    server = create_server(app, host=host, port=port, threads=threads)
    print(f"Ra Quân: http://{host}:{server.effective_port}/ (dữ liệu: {app.config['RAQUAN_DATA_DIR']})", flush=True)
    server.run()


def warm(app) -> None:
    """Load the stored campaign and the latest published roster's per-person data before the first request."""
    from web.volunteer import warm_cache

    with app.app_context():
        try:
            store.campaign()
        except CampaignLoadError as error:  # the app still serves its other pages
            logger.error("the stored campaign does not load: %s", error)
            return
        version = store.latest_published()
        if version is not None:
            logger.info("cached the shifts of %d people", warm_cache(version))


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
    from scheduler.scenarios import hanoi_scenario

    directory = Path(app.config["RAQUAN_DATA_DIR"]) / "scenario"
    start = start or demo_start(app)
    export_campaign(hanoi_scenario(seed, start=start), directory, table_format="csv")
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
) -> None:
    """Load the Hanoi scenario into a fresh data directory, solve, publish and serve.

    ``start``: the campaign's first day (default: today in Hanoi's time).
    """
    directory = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="raquan-demo-"))
    # The demo serves plain HTTP on loopback, so its cookie cannot be HTTPS-only unless asked for.
    overrides = {} if os.environ.get("RAQUAN_SECURE_COOKIES") else {"SESSION_COOKIE_SECURE": False}
    app = create_app(overrides, data_dir=directory)
    start = start or demo_start(app)
    passwords = load_demo(app, seed, start)
    server = create_server(app, host=host, port=port, threads=8)
    url = f"http://{host}:{server.effective_port}/"
    print(f"Ra Quân (demo): {url}  — dữ liệu: {directory}", flush=True)
    print(f"  chiến dịch bắt đầu ngày {start:%d/%m/%Y}", flush=True)
    for username, password in passwords.items():
        print(f"  tài khoản {username} / mật khẩu {password}", flush=True)
    print(f"Đang xếp lịch ({time_limit_seconds:.0f} s); /healthz trả lời 200 khi sẵn sàng.", flush=True)

    def prepare():
        solve_and_publish(app, time_limit_seconds)
        _print_sample_volunteer(app)
        seed_demo_visits(app, seed, min(time_limit_seconds, 30.0))
        if open_browser:
            webbrowser.open(url)

    threading.Thread(target=prepare, name="raquan-demo-prepare", daemon=True).start()
    server.run()


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
