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

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not POSTGRES, reason="RAQUAN_TEST_POSTGRES_URL not set (.ci/run starts a PostgreSQL server)"))]


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
    from web.models import db  # noqa: F401  (engines are disposed with the app)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_app(database_url: str, data_dir: Path, **overrides):
    from web import create_app, mark_ready

    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
              "SECRET_KEY": "test-secret", "RAQUAN_DEFAULT_TIME_LIMIT": 5}
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
    from geo.travel import province_travel
    from scheduler.explain import explain
    from scheduler.loader import load_campaign
    from scheduler.solver.solve import SolveSettings, solve_campaign
    from scheduler.verify import verify

    campaign = load_campaign(TINY)
    roster, _ = solve_campaign(campaign, SolveSettings(time_limit_seconds=5, workers=1))
    travel = province_travel(campaign.province)
    report = verify(campaign, roster, travel)
    return roster, report, explain(campaign, roster, report.unfilled, travel)


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
def client(loaded_app):
    return loaded_app.test_client()


def login(client, username: str, password: str = PASSWORD):
    response = client.post("/dang-nhap", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response
