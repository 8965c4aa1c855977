"""Solve jobs across crashes: real server processes killed with SIGKILL or frozen with SIGSTOP, real
solver processes and their workers, a job folder that cannot be written, a database that refuses
connections for a while.

A server here is a small script (``SERVER``) that builds the app over the test's database and data
directory and submits a job of the tiny campaign; the test's own app plays the server that is
started again, or the other server process that looks at the job next.
"""

from __future__ import annotations

import errno
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.web.conftest import POSTGRES, ROOT, load_tiny, login, make_app

SERVER = r"""
import json, os, sys, time
from pathlib import Path
from web import create_app
from web.jobs import JobBusy

url, data_dir, time_limit, go = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret"}, data_dir=data_dir)
runner = app.extensions["raquan_jobs"]
print(json.dumps({"ready": os.getpid()}), flush=True)
while go and not os.path.exists(go):
    time.sleep(0.002)
with app.app_context():
    try:
        job_id = runner.submit(time_limit, username="server", fresh=True)  # a solve from scratch: its pool of workers
    except JobBusy:
        print(json.dumps({"busy": True}), flush=True)
        sys.exit(0)
print(json.dumps({"job": job_id}), flush=True)
for line in sys.stdin:  # any line: stop the job, wait for its end, leave
    runner.stop(job_id)
    runner.wait(job_id, timeout=60)
    break
"""

LEASE_SECONDS = 2


class Server:
    """A web server process (``SERVER``) over ``database_url`` and ``data_dir``."""

    def __init__(self, database_url: str, data_dir: Path, time_limit_seconds: float = 60, go: str = ""):
        self.log = data_dir.parent / f"server-{time.monotonic_ns()}.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", SERVER, database_url, str(data_dir), str(time_limit_seconds), go],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        self.pid = self.process.pid
        self._lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.put(json.loads(line))

    def said(self, timeout_seconds: float = 60) -> dict:
        try:
            return self._lines.get(timeout=timeout_seconds)
        except queue.Empty:
            raise AssertionError(f"the server said nothing; its log:\n{self.log.read_text()[-3000:]}") from None

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@pytest.fixture
def servers():
    """Start servers with ``servers(...)``; each is killed at the end, with any solver group it left."""
    started: list[Server] = []
    groups: list[int] = []

    def start(*args, **kwargs) -> Server:
        server = Server(*args, **kwargs)
        started.append(server)
        return server

    start.groups = groups
    yield start
    for server in started:
        if server.process.poll() is None:
            os.kill(server.pid, signal.SIGCONT)
        server.kill()
    for group in groups:
        for pid in group_members(group):
            _signal(pid, signal.SIGKILL)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _stat(pid: int | str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # state, ppid, pgrp, ...


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie has ended)."""
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def group_members(pgid: int) -> list[int]:
    """The living processes of a process group."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(entry)
            if fields is not None and fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
                members.append(int(entry))
    return members


def until(condition, timeout_seconds: float, what: str, every_seconds: float = 0.05):
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every_seconds)
    raise AssertionError(f"not within {timeout_seconds} s: {what}")


def job_row(app, job_id: int) -> dict:
    from web.models import Job, db

    with app.app_context():
        job = db.session.get(Job, job_id)
        row = {
            column: getattr(job, column)
            for column in ("status", "message", "version_id", "solver_pid", "dataset_revision", "finished_at")
        }
        db.session.remove()
    return row


def version_count(app) -> int:
    from sqlalchemy import func, select

    from web.models import RosterVersion, db

    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(RosterVersion))
        db.session.remove()
    return count


def loaded(database_url: str, tmp_path: Path, tiny_solution, **overrides):
    """The tiny data set and its users in a fresh database: (app, data directory)."""
    data_dir = tmp_path / "data"
    app = make_app(database_url, data_dir, **overrides)
    load_tiny(app, tiny_solution)
    return app, data_dir


def solver_of(app, job_id: int) -> int:
    return until(lambda: job_row(app, job_id)["solver_pid"], 60, "the job records its solver process")


def dispose(*apps) -> None:
    from web.models import db

    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# ------------------------------------------------------------------------------------ server crashes


@pytest.mark.slow
def test_a_killed_server_takes_its_solve_and_the_solve_s_workers_with_it(
    database_url, tmp_path, tiny_solution, servers
):
    from web.jobs import SERVER_GONE

    app, data_dir = loaded(database_url, tmp_path, tiny_solution)
    server = servers(database_url, data_dir)
    server.said()
    job_id = server.said()["job"]
    solver = solver_of(app, job_id)
    servers.groups.append(solver)
    # the job process, its guard and the solver's worker processes: freeze them all at once
    until(lambda: len(group_members(solver)) >= 3, 60, "the solver's workers start", every_seconds=0.002)
    os.killpg(solver, signal.SIGSTOP)
    members = group_members(solver)
    assert solver in members and len(members) >= 3

    server.kill()
    until(lambda: not alive(solver), 5, "the job process dies with its server")
    os.killpg(solver, signal.SIGCONT)  # the guard and the workers, stopped until now
    until(lambda: not group_members(solver), 5, "the solver's workers die with the job process")

    restarted = make_app(database_url, data_dir)  # the server starts again
    ended = job_row(restarted, job_id)
    assert ended["status"] == "failed" and ended["message"].startswith(SERVER_GONE) and ended["finished_at"]
    runner = restarted.extensions["raquan_jobs"]
    with restarted.app_context():
        again = runner.submit(2, username="test")
    assert runner.wait(again, timeout=120)
    assert job_row(restarted, again)["status"] == "done"
    dispose(app, restarted)


def _job_process_of(server_pid: int) -> int | None:
    """The server's job process: its child that leads its own process group."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(entry)
            if fields is not None and int(fields[1]) == server_pid and int(fields[2]) == int(entry):
                return int(entry)
    return None


@pytest.mark.slow
@pytest.mark.parametrize("data_changed", [False, True], ids=["same-data", "data-changed"])
def test_a_solve_that_finished_as_its_server_died_is_stored_or_discarded_on_restart(
    database_url, tmp_path, tiny_solution, servers, data_changed
):
    from web import create_app, store
    from web.jobs import SERVER_GONE
    from web.models import RosterVersion, db

    app, data_dir = loaded(database_url, tmp_path, tiny_solution)
    before = version_count(app)
    server = servers(database_url, data_dir)
    server.said()
    job_id = server.said()["job"]
    solver_of(app, job_id)  # the press answers before the solve process starts: wait until it has
    os.kill(server.pid, signal.SIGSTOP)  # the server stops watching; its solve goes on
    result = data_dir / "jobs" / f"job-{job_id}" / "result.pickle"
    until(result.exists, 60, "the solve writes its result")
    job_process = _job_process_of(server.pid)
    until(lambda: job_process is None or not alive(job_process), 30, "the solve ends")
    server.kill()
    if data_changed:
        editor = create_app(
            {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret"}, data_dir=data_dir, migrate_db=False
        )
        with editor.app_context():
            store.bump_revision()
            db.session.commit()
        dispose(editor)

    restarted = make_app(database_url, data_dir)
    ended = job_row(restarted, job_id)
    assert not result.parent.exists()
    if data_changed:
        assert ended["status"] == "failed" and ended["version_id"] is None
        discarded = f"{SERVER_GONE}; kết quả bị bỏ vì dữ liệu đã thay đổi (đã giải bản 1, nay là bản 2)"
        assert ended["message"] == discarded, ended["message"]
        assert version_count(restarted) == before
    else:
        assert ended["status"] == "done", ended["message"]
        assert ended["message"] == f"xong: phiên bản {ended['version_id']}, lưu sau khi {SERVER_GONE}"
        with restarted.app_context():
            version = db.session.get(RosterVersion, ended["version_id"])
            assert version.status == "draft" and version.dataset_revision == ended["dataset_revision"]
            assert version.assignment_count > 0
            db.session.remove()
        assert version_count(restarted) == before + 1
    dispose(app, restarted)


def test_two_servers_submitting_at_once_start_one_solve(database_url, tmp_path, tiny_solution, servers):
    from sqlalchemy import select

    from web.models import Job, db

    app, data_dir = loaded(database_url, tmp_path, tiny_solution)
    go = tmp_path / "go"
    pair = [servers(database_url, data_dir, go=str(go)) for _ in range(2)]
    for server in pair:
        assert "ready" in server.said()
    go.touch()
    answers = [server.said() for server in pair]
    assert sorted(next(iter(answer)) for answer in answers) == ["busy", "job"], answers
    with app.app_context():
        jobs = list(db.session.scalars(select(Job)))
        assert len(jobs) == 1 and jobs[0].status == "running"
        db.session.remove()
    winner = pair[[("job" in answer) for answer in answers].index(True)]
    winner.process.stdin.write("stop\n")
    winner.process.stdin.flush()
    assert winner.process.wait(timeout=60) == 0
    assert job_row(app, jobs[0].id)["status"] == "stopped"
    dispose(app)


@pytest.mark.slow
def test_a_server_that_stops_answering_loses_its_job_when_its_lease_runs_out(
    database_url, tmp_path, tiny_solution, servers
):
    from web.jobs import SERVER_GONE

    app, data_dir = loaded(database_url, tmp_path, tiny_solution, RAQUAN_JOB_LEASE_SECONDS=LEASE_SECONDS)
    server = servers(database_url, data_dir)
    server.said()
    job_id = server.said()["job"]
    solver = solver_of(app, job_id)
    servers.groups.append(solver)
    until(lambda: group_members(solver), 30, "the job process leads its process group", every_seconds=0.002)
    os.killpg(solver, signal.SIGSTOP)
    os.kill(server.pid, signal.SIGSTOP)  # alive but silent: no heartbeat
    client = app.test_client()
    login(client, "dieuphoi")
    assert client.get(f"/api/jobs/{job_id}").get_json()["status"] == "running"  # within its lease

    time.sleep(LEASE_SECONDS + 0.5)
    page = client.get(f"/dieu-phoi/cong-viec/{job_id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and SERVER_GONE in page
    shown = client.get(f"/api/jobs/{job_id}").get_json()
    assert shown["status"] == "failed" and shown["message"] == SERVER_GONE and shown["finished_at"]
    until(lambda: not group_members(solver), 5, "the solve of the silent server is killed")

    os.kill(server.pid, signal.SIGCONT)  # the server comes back: it must not revive the job
    server.process.stdin.write("stop\n")
    server.process.stdin.flush()
    assert server.process.wait(timeout=60) == 0
    after = job_row(app, job_id)
    assert (after["status"], after["message"], after["version_id"]) == ("failed", SERVER_GONE, None)
    dispose(app)


@pytest.mark.slow
def test_a_job_of_another_server_process_is_stopped_through_the_database(
    database_url, tmp_path, tiny_solution, servers
):
    from web.jobs import STOPPED

    app, data_dir = loaded(database_url, tmp_path, tiny_solution)
    server = servers(database_url, data_dir)
    server.said()
    job_id = server.said()["job"]
    solver = solver_of(app, job_id)
    servers.groups.append(solver)
    until(lambda: group_members(solver), 30, "the job process leads its process group", every_seconds=0.002)
    os.killpg(solver, signal.SIGSTOP)  # still solving when the stop comes
    client = app.test_client()
    login(client, "dieuphoi")
    stopped = client.post(f"/api/jobs/{job_id}/stop")
    assert stopped.status_code == 200 and stopped.get_json()["status"] == "stopped"
    until(lambda: not group_members(solver), 5, "the server ends the solve at its next heartbeat")
    server.process.stdin.write("stop\n")
    server.process.stdin.flush()
    assert server.process.wait(timeout=60) == 0
    after = job_row(app, job_id)
    assert (after["status"], after["message"], after["version_id"]) == ("stopped", STOPPED, None)
    dispose(app)


def test_a_job_stopped_while_its_process_starts_is_killed_not_run_to_its_end(client, loaded_app):
    runner = loaded_app.extensions["raquan_jobs"]
    login(client, "dieuphoi")
    job_id = client.post("/api/jobs", json={"time_limit_seconds": 30}).get_json()["id"]
    process = runner.process(job_id)  # started, still reading its campaign: to read its exit code
    assert process is not None and process.pid is not None
    assert client.post(f"/api/jobs/{job_id}/stop").status_code == 200
    assert runner.wait(job_id, timeout=60)
    assert process.exitcode in (-signal.SIGTERM, -signal.SIGKILL)
    assert client.get(f"/api/jobs/{job_id}").get_json()["status"] == "stopped"


def test_the_press_answers_before_the_solve_process_runs_and_a_stop_then_still_stops_it(client, loaded_app):
    """Pressing "Xếp lịch" does not wait for the new process to read its data; a stop at once is kept."""
    runner = loaded_app.extensions["raquan_jobs"]
    login(client, "dieuphoi")
    job_id = client.post("/api/jobs", json={"time_limit_seconds": 30}).get_json()["id"]
    job = client.get(f"/api/jobs/{job_id}").get_json()
    assert job["status"] == "running"
    assert client.post(f"/api/jobs/{job_id}/stop").status_code == 200
    assert runner.wait(job_id, timeout=60)
    assert client.get(f"/api/jobs/{job_id}").get_json()["status"] == "stopped"
    with loaded_app.app_context():
        from web.models import Job, db

        pid = db.session.get(Job, job_id).solver_pid
    if pid:  # the watcher had started it: it is gone
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


# ------------------------------------------------------------------------------------ ends that fail


def test_a_job_that_cannot_start_ends_failed_and_says_why(client, loaded_app):
    jobs_dir = Path(loaded_app.config["RAQUAN_DATA_DIR"]) / "jobs"
    jobs_dir.mkdir(parents=True, exist_ok=True)
    jobs_dir.rmdir()
    jobs_dir.write_text("not a folder")  # the job's folder cannot be made
    login(client, "dieuphoi")
    response = client.post("/dieu-phoi/xep-lich", data={"time_limit_seconds": "2"})
    assert response.status_code == 302
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    shown = client.get(f"/api/jobs/{job_id}").get_json()
    assert shown["status"] == "failed" and shown["finished_at"]
    assert shown["message"].startswith("không khởi động được tiến trình giải: [Errno 20] Not a directory")
    page = client.get(f"/dieu-phoi/cong-viec/{job_id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and "Lượt xếp lịch không thành công:" in page
    assert shown["message"].split(": ", 1)[1].replace("'", "&#39;") in page

    jobs_dir.unlink()  # the next solve is not blocked by the failed one
    submitted = client.post("/api/jobs", json={"time_limit_seconds": 2})
    assert submitted.status_code == 202, submitted.get_data(as_text=True)
    assert loaded_app.extensions["raquan_jobs"].wait(submitted.get_json()["id"], timeout=120)
    assert client.get(f"/api/jobs/{submitted.get_json()['id']}").get_json()["status"] == "done"


def test_a_result_that_cannot_be_stored_ends_the_job_failed_with_the_reason(client, loaded_app, monkeypatch):
    from web import store

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store, "store_roster", disk_full)
    before = version_count(loaded_app)
    login(client, "dieuphoi")
    job_id = client.post("/api/jobs", json={"time_limit_seconds": 2}).get_json()["id"]
    assert loaded_app.extensions["raquan_jobs"].wait(job_id, timeout=120)
    shown = client.get(f"/api/jobs/{job_id}").get_json()
    assert shown["status"] == "failed" and shown["version_id"] is None and shown["finished_at"]
    assert shown["message"] == f"không lưu được kết quả: [Errno {errno.ENOSPC}] {os.strerror(errno.ENOSPC)}"
    page = client.get(f"/dieu-phoi/cong-viec/{job_id}").get_data(as_text=True)
    assert "Lượt xếp lịch không thành công:" in page and os.strerror(errno.ENOSPC) in page
    assert version_count(loaded_app) == before


@pytest.mark.skipif(not POSTGRES, reason="RAQUAN_TEST_POSTGRES_URL not set")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_job_that_ends_while_the_database_is_down_is_recorded_when_it_is_back(database_url, loaded_app):
    import sqlalchemy as sa

    name = sa.engine.make_url(database_url).database
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")

    def database_up(up: bool) -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(up).lower()}'))
            if not up:
                connection.execute(
                    sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                    {"name": name},
                )

    runner = loaded_app.extensions["raquan_jobs"]
    before = version_count(loaded_app)
    with loaded_app.app_context():
        job_id = runner.submit(2, username="test")
    solver = solver_of(loaded_app, job_id)
    database_up(False)
    try:
        until(lambda: not alive(solver), 60, "the solve ends while the database is down")
        time.sleep(1.5)  # the watcher's first writes of the end fail
        assert job_id in runner._processes  # still trying
    finally:
        database_up(True)
        admin.dispose()
    assert runner.wait(job_id, timeout=60)
    ended = job_row(loaded_app, job_id)
    assert ended["status"] == "done" and ended["version_id"] is not None, ended["message"]
    assert version_count(loaded_app) == before + 1
