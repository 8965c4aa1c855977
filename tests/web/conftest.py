"""Fixtures of the web app, run against SQLite and, when ``RAQUAN_TEST_POSTGRES_URL`` names a server
(``.ci/run`` starts one on loopback), against PostgreSQL too: each test gets a fresh database.

- ``app``: an empty app (schema migrated, no data);
- ``loaded_app``: the tiny campaign imported, a coordinator ``dieuphoi`` and a Youth Union officer
  ``thanhdoan`` (password ``mat-khau-123``), and one published roster version solved from it;
- ``client``: a test client of ``loaded_app``; ``login(client, username)`` signs in.
CSRF is off in these fixtures (``test_security`` checks it is on in a normal app).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

PASSWORD = "mat-khau-123"
ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "fixtures" / "tiny"
POSTGRES = os.environ.get("RAQUAN_TEST_POSTGRES_URL")

if os.environ.get("RAQUAN_REQUIRE_POSTGRES") and not POSTGRES:
    raise RuntimeError("RAQUAN_REQUIRE_POSTGRES is set but RAQUAN_TEST_POSTGRES_URL is not")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES, reason="RAQUAN_TEST_POSTGRES_URL not set (.ci/run starts a PostgreSQL server)"
        ),
    ),
]


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    import sqlalchemy as sa

    name = f"raquan_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_app(database_url: str, data_dir: Path, **overrides):
    from web import create_app, mark_ready

    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret",
        "RAQUAN_DEFAULT_TIME_LIMIT": 5,
    }
    config.update(overrides)
    app = create_app(config, data_dir=data_dir)
    mark_ready(app)
    return app


@pytest.fixture
def app(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "data")
    yield app
    with app.app_context():
        from web.models import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def tiny_solution():
    """The tiny campaign solved once per test session: (roster, report, explanations)."""
    from scheduler.loader import load_campaign
    from scheduler.pipeline import solve
    from scheduler.settings import SolveSettings

    result = solve(load_campaign(TINY), SolveSettings(time_limit_seconds=5, processes=1))
    return result.roster, result.report, list(result.explanations)


def load_tiny(app, tiny_solution, publish: bool = True):
    from web import store
    from web.auth import create_user

    with app.app_context():
        store.import_directory(TINY, username="test")
        create_user("dieuphoi", PASSWORD, "coordinator", "Điều phối viên")
        create_user("thanhdoan", PASSWORD, "youth_union", "Thành đoàn")
        roster, report, explanations = tiny_solution
        version = store.store_roster(roster, report, explanations, store.revision())
        if publish:
            store.publish(version.id, "dieuphoi")
        return version.id


@pytest.fixture
def loaded_app(app, tiny_solution):
    app.config["TEST_VERSION_ID"] = load_tiny(app, tiny_solution)
    return app


@pytest.fixture
def csrf_app(database_url, tmp_path, tiny_solution):
    """The loaded tiny app with CSRF on, as a normal app runs."""
    app = make_app(database_url, tmp_path / "data", WTF_CSRF_ENABLED=True)
    load_tiny(app, tiny_solution)
    yield app
    with app.app_context():
        from web.models import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(loaded_app):
    return loaded_app.test_client()


def login(client, username: str, password: str = PASSWORD):
    response = client.post("/dang-nhap", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


# ------------------------------------------------------------------------------------ browser tests


def sign_in_page(page, base: str, username: str) -> None:
    """Sign ``username`` in through the sign-in page in a browser page."""
    page.goto(base + "/dang-nhap")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit], form.stack input[type=submit]")
    page.wait_for_load_state()


CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from Debian's package, driven by Playwright (no browser download)."""
    if not CHROMIUM.exists():
        if os.environ.get("RAQUAN_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} not found (.ci/run installs Debian's chromium)")
        pytest.skip(f"{CHROMIUM} not found; install Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(database_url, tmp_path, tiny_solution):
    """The loaded tiny app, with CSRF on, served by waitress on a free loopback port."""
    import threading
    from types import SimpleNamespace

    from waitress import create_server

    app = make_app(database_url, tmp_path / "data", WTF_CSRF_ENABLED=True)
    version_id = load_tiny(app, tiny_solution)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.effective_port}", app=app, version_id=version_id)
    server.close()
    with app.app_context():
        from web.models import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def open_page(browser, request):
    """``open_page(width, height)`` -> a new page; a failed test leaves a screenshot of each page."""
    pages = []

    def factory(width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        pages.append(page)
        return page

    yield factory
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for index, page in enumerate(pages):
        if failed:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{index}.png"), full_page=True)
        page.context.close()


class SmtpCollector:
    """An aiosmtpd handler that keeps every message it receives (``port``: where its server listens)."""

    def __init__(self):
        import threading

        self.messages = []
        self.lock = threading.Lock()
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        with self.lock:
            self.messages.append(
                (envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default))
            )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a free loopback port; yields its collector."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = SmtpCollector()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()
