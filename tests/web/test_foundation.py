"""The app factory, storage, migrations, versions and solve jobs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select

from tests.web.conftest import PASSWORD, TINY, login


def test_migrations_create_every_table(app):
    from web.models import db

    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {
        "users",
        "campaign_files",
        "pins",
        "teams",
        "roster_versions",
        "assignments",
        "unfilled",
        "jobs",
        "events",
        "rate_counters",
        "auth_sessions",
        "person_credentials",
        "alembic_version",
    } <= tables


def test_home_names_the_product_and_healthz_answers(client):
    assert "Ra Quân" in client.get("/").get_data(as_text=True)
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_healthz_is_503_until_ready(database_url, tmp_path):
    from web import create_app

    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"}, data_dir=tmp_path / "d"
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "starting"
    with app.app_context():
        from web.models import db

        db.engine.dispose()


def test_login_accepts_the_password_and_refuses_a_wrong_one(client):
    response = client.post("/dang-nhap", data={"username": "dieuphoi", "password": "wrong-password"})
    assert response.status_code == 401
    login(client, "dieuphoi")


@pytest.mark.parametrize("target", ["/%09/evil.example", "//evil.example", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_the_site(client, target):
    response = client.post(f"/dang-nhap?next={target}", data={"username": "dieuphoi", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/dieu-phoi/"


def test_login_goes_back_to_the_page_asked_for(client):
    response = client.post("/dang-nhap?next=/dieu-phoi/quy-tac", data={"username": "dieuphoi", "password": PASSWORD})
    assert response.headers["Location"] == "/dieu-phoi/quy-tac"


def test_the_revision_rises_once_per_change(loaded_app):
    from web import store
    from web.models import db

    with loaded_app.app_context():
        before = store.revision()
        assert store.bump_revision() == before + 1
        db.session.commit()
        assert store.bump_revision() == before + 2
        db.session.rollback()
        assert store.revision() == before + 1


def test_passwords_are_stored_as_argon2_hashes(loaded_app):
    from web.models import User, db

    with loaded_app.app_context():
        user = db.session.scalar(select(User).where(User.username == "dieuphoi"))
        assert user.password_hash.startswith("$argon2") and PASSWORD not in user.password_hash


def test_a_rejected_import_stores_nothing(loaded_app, tmp_path):
    from web import store
    from web.models import CampaignFile, db

    bad = (TINY / "people.csv").read_text(encoding="utf-8").splitlines()
    bad[1] = bad[1].replace(bad[1].split(",")[2], "not-a-pool", 1)
    with loaded_app.app_context():
        before = store.files()
        revision = store.revision()
        with pytest.raises(store.ImportRejected) as error:
            store.import_files({"people.csv": ("\n".join(bad) + "\n").encode()})
        assert any(p.file == "people.csv" and p.row == 1 for p in error.value.problems)
        assert store.files() == before and store.revision() == revision
        assert db.session.scalar(select(func.count()).select_from(CampaignFile)) == len(before)


def test_a_published_version_cannot_change_or_be_deleted(loaded_app):
    from web import store
    from web.models import PublishedVersionError, RosterVersion, db

    with loaded_app.app_context():
        version = db.session.get(RosterVersion, loaded_app.config["TEST_VERSION_ID"])
        assert version.status == "published"
        version.objective = 1
        with pytest.raises(PublishedVersionError):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(PublishedVersionError):
            store.delete_draft(version.id)
        assert db.session.get(RosterVersion, version.id).status == "published"


def test_stored_rows_match_the_roster(loaded_app, tiny_solution):
    from web import store
    from web.models import AssignmentRow, db

    roster, report, _ = tiny_solution
    with loaded_app.app_context():
        version = store.latest_published()
        count = db.session.scalar(
            select(func.count()).select_from(AssignmentRow).where(AssignmentRow.version_id == version.id)
        )
        assert count == len(roster.assignments) == version.assignment_count
        assert store.roster_of(version).assignments == roster.assignments
        assert len(store.gaps(version.id)) == len(report.unfilled)


def test_a_solve_job_stores_a_draft_and_a_stopped_job_stores_nothing(loaded_app):
    from web.models import Job, RosterVersion, db

    runner = loaded_app.extensions["raquan_jobs"]
    with loaded_app.app_context():
        before = db.session.scalar(select(func.count()).select_from(RosterVersion))
        job_id = runner.submit(3)
    assert runner.wait(job_id, timeout=120)
    with loaded_app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "done", job.message
        draft = db.session.get(RosterVersion, job.version_id)
        assert draft.status == "draft" and draft.assignment_count > 0
        stopped_id = runner.submit(60)
    assert runner.stop(stopped_id)
    assert runner.wait(stopped_id, timeout=60)
    with loaded_app.app_context():
        db.session.expire_all()
        assert db.session.get(Job, stopped_id).status == "stopped"
        assert db.session.scalar(select(func.count()).select_from(RosterVersion)) == before + 1


def test_a_killed_solve_fails_the_job_and_the_app_keeps_serving(loaded_app):
    import os
    import signal
    import time

    from web.models import Job, db

    runner = loaded_app.extensions["raquan_jobs"]
    with loaded_app.app_context():
        job_id = runner.submit(60)
    process = runner.process(job_id)
    time.sleep(1.0)
    os.kill(process.pid, signal.SIGKILL)
    assert runner.wait(job_id, timeout=60)
    with loaded_app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "failed" and job.version_id is None
    client = loaded_app.test_client()
    assert client.get("/healthz").status_code == 200


def test_only_one_job_runs_at_a_time(loaded_app):
    from web.jobs import JobBusy

    runner = loaded_app.extensions["raquan_jobs"]
    with loaded_app.app_context():
        job_id = runner.submit(60)
        with pytest.raises(JobBusy):
            runner.submit(60)
    runner.stop(job_id)
    runner.wait(job_id, timeout=60)
