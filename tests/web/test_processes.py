"""Serving from more than one process: a real ``raquan serve --workers 2`` (gunicorn) on loopback over a temporary
data directory, on SQLite and PostgreSQL.

Each test talks to both workers on purpose: a keep-alive connection stays with the worker that accepted it,
and which worker that is is read from ``/proc`` (the server side of the connection's socket, found among the
workers' open files), so "through one process, seen through the other" is checked, not assumed.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

from tests.web.conftest import PASSWORD, ROOT, load_tiny, make_app

SECRET = "test-secret"


# ------------------------------------------------------------------------------------------- the server


class Gunicorn:
    """``raquan serve --workers 2`` in a process of its own; ``workers()`` lists its worker processes."""

    def __init__(self, database_url: str, data_dir: Path, workers: int = 2):
        self.database_url = database_url
        self.log_path = data_dir.parent / f"gunicorn-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "w")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RAQUAN_DATA_DIR": str(data_dir),
            "RAQUAN_DATABASE_URL": database_url,
            "RAQUAN_SECRET_KEY": SECRET,
            "RAQUAN_SECURE_COOKIES": "0",
            "RAQUAN_OUTBOX_WORKER": "0",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "raquan", "serve", "--workers", str(workers), "--threads", "4", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=env,
        )
        found = {}

        def read():
            for line in self.process.stdout:
                match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
                if match and "port" not in found:
                    found["port"] = int(match.group(1))

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + 90
        while "port" not in found:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not start; its log:\n{self.log()}")
            time.sleep(0.05)
        self.port = found["port"]
        self.wait_for_workers(workers)

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()[-4000:]

    def workers(self) -> list[int]:
        """The arbiter's live worker processes."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children if _alive(int(pid))]

    def wait_for_workers(self, count: int, timeout_seconds: float = 90) -> list[int]:
        """Wait until ``count`` workers answer ``/healthz`` with 200; returns their pids."""
        deadline = time.monotonic() + timeout_seconds
        ready: set[int] = set()
        while time.monotonic() < deadline:
            pids = self.workers()
            if len(pids) == count:
                connection = Connection(self.port)
                try:
                    status, _ = connection.get("/healthz")
                    if status == 200:
                        ready.add(connection.worker())
                except (OSError, http.client.HTTPException):
                    pass
                finally:
                    connection.close()
                if ready >= set(pids):
                    return pids
                ready &= set(pids)
            time.sleep(0.05)
        raise AssertionError(f"{count} workers did not become ready; its log:\n{self.log()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server side of a loopback TCP connection, from ``/proc/net/tcp``."""
    local, remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            return fields[9]
    return None


class Connection:
    """A keep-alive HTTP connection with its own cookies, as one browser tab."""

    def __init__(self, port: int):
        self.port = port
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, json_body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if json_body is not None:
            body = json.dumps(json_body)
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                self.http.request(method, path, body=body, headers=headers)
                response = self.http.getresponse()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # the server closed a connection idle past its keep-alive: a new one, maybe to another worker
                self.http.close()
                self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def get(self, path: str):
        return self.request("GET", path)

    def worker(self) -> int:
        """The pid of the worker process that holds this connection (after a first request)."""
        client_port = self.http.sock.getsockname()[1]
        inode = _socket_inode(self.port, client_port)
        assert inode is not None, "the connection is not open"
        for pid_dir in Path("/proc").iterdir():
            if not pid_dir.name.isdigit():
                continue
            try:
                for fd in (pid_dir / "fd").iterdir():
                    if os.readlink(fd) == f"socket:[{inode}]":
                        return int(pid_dir.name)
            except OSError:
                continue
        raise AssertionError("no process holds the connection")

    def csrf(self) -> str:
        status, body = self.get("/api/csrf-token")
        assert status == 200, body
        return json.loads(body)["csrf_token"]

    def post_form(self, path: str, fields: dict | None = None):
        return self.request("POST", path, form={**(fields or {}), "csrf_token": self.csrf()})

    def api(self, method: str, path: str, body=None):
        status, data = self.request(method, path, json_body=body, headers={"X-CSRFToken": self.csrf()})
        return status, json.loads(data) if data else None

    def close(self) -> None:
        self.http.close()


def connection_to(server, pid: int) -> Connection:
    """A connection to ``server.port`` that the worker ``pid`` accepted (new connections until one lands there)."""
    for _ in range(200):
        connection = Connection(server.port)
        status, _ = connection.get("/healthz")
        if status == 200 and connection.worker() == pid:
            return connection
        connection.close()
    raise AssertionError(f"no connection reached worker {pid}")


def sign_in(connection: Connection, username: str) -> None:
    status, body = connection.post_form("/dang-nhap", {"username": username, "password": PASSWORD})
    assert status == 302, body[:300]


def open_link(connection: Connection, person_id: str) -> None:
    from web.codes import link_token

    token = link_token(SECRET, person_id)
    status, _ = connection.get(f"/ca-truc/l/{token}")
    assert status == 200
    status, _ = connection.post_form(f"/ca-truc/l/{token}")
    assert status == 303


# ------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def two_workers(database_url, tmp_path, tiny_solution):
    """The tiny campaign imported with a draft roster (not published) and two gunicorn workers serving it.

    Yields (server, draft id, a person with shifts on the draft, [worker pid A, worker pid B]).
    """
    app = make_app(database_url, tmp_path / "data", SECRET_KEY=SECRET)
    draft_id = load_tiny(app, tiny_solution, publish=False)
    with app.app_context():
        from web import store
        from web.models import db

        person_id = store.person_assignments_any(draft_id)
        db.session.remove()
        db.engine.dispose()
    server = Gunicorn(database_url, tmp_path / "data")
    try:
        pids = server.workers()
        assert len(pids) == 2
        yield server, draft_id, person_id, pids
    finally:
        server.stop()


# ------------------------------------------------------------------------------------------- tests


def test_a_roster_published_through_one_worker_is_seen_by_a_volunteer_served_by_the_other(two_workers):
    server, draft_id, person_id, (first, second) = two_workers
    coordinator = connection_to(server, first)
    volunteer = connection_to(server, second)
    open_link(volunteer, person_id)
    status, body = volunteer.get("/api/me/shifts")
    assert status == 200
    assert json.loads(body)["version"] is None  # nothing published yet, as this worker sees it
    status, page = volunteer.get("/ca-truc/cua-toi")
    assert status == 200

    sign_in(coordinator, "dieuphoi")
    status, _ = coordinator.post_form(f"/dieu-phoi/phien-ban/{draft_id}/cong-bo")
    assert status == 302
    assert coordinator.worker() == first and volunteer.worker() == second

    status, body = volunteer.get("/api/me/shifts")
    seen = json.loads(body)
    assert status == 200 and seen["version"] == draft_id
    assert seen["shifts"], "the volunteer's shifts of the version published through the other worker"
    status, after = volunteer.get("/ca-truc/cua-toi")
    assert status == 200 and after != page
    assert volunteer.worker() == second


def test_a_solve_started_through_one_worker_is_seen_and_stopped_through_the_other_and_never_runs_twice(two_workers):
    server, _draft_id, _person_id, (first, second) = two_workers
    one, other = connection_to(server, first), connection_to(server, second)
    sign_in(one, "dieuphoi")
    sign_in(other, "dieuphoi")
    status, job = one.api("POST", "/api/jobs", {"time_limit_seconds": 120})
    assert status == 202, job
    job_id = job["id"]

    status, busy = other.api("POST", "/api/jobs", {"time_limit_seconds": 120})
    assert status == 409, busy  # the one solve per data set holds across processes
    status, seen = other.api("GET", f"/api/jobs/{job_id}")
    assert status == 200 and seen["status"] == "running"

    solver = _solver_of(server, job_id, first)
    status, stopped = other.api("POST", f"/api/jobs/{job_id}/stop")
    assert status == 200 and stopped["stop_requested"]
    deadline = time.monotonic() + 30
    while _alive(solver) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(solver), "the solver of the first worker still runs after a stop through the second"
    status, seen = one.api("GET", f"/api/jobs/{job_id}")
    assert seen["status"] == "stopped"
    status, listed = one.api("GET", "/api/versions")
    assert [v["id"] for v in listed["versions"]] == [_draft_id]  # the stopped solve stored nothing

    status, again = other.api("POST", "/api/jobs", {"time_limit_seconds": 120})
    assert status == 202, again  # stopped: a new solve may start, through either worker
    other.api("POST", f"/api/jobs/{again['id']}/stop")
    assert first in server.workers() and second in server.workers()


def _solver_of(server: Gunicorn, job_id: int, worker: int) -> int:
    """The solver process of a job as the job's row records it, checked to be a child of ``worker``."""
    import sqlalchemy as sa

    engine = sa.create_engine(server.database_url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                pid = connection.execute(sa.text("SELECT solver_pid FROM jobs WHERE id = :id"), {"id": job_id}).scalar()
            if pid:
                parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
                assert parent == worker, f"job {job_id}'s solver {pid} is not a child of worker {worker}"
                return pid
            time.sleep(0.1)
    finally:
        engine.dispose()
    raise AssertionError(f"job {job_id} has no solver recorded; log:\n{server.log()}")


def test_a_sign_in_rate_limit_counts_across_both_workers(two_workers):
    from web.auth import PAIR_LIMIT

    server, _draft_id, _person_id, (first, second) = two_workers
    connections = [connection_to(server, first), connection_to(server, second)]
    answers = []
    for attempt in range(PAIR_LIMIT.attempts + 2):
        connection = connections[attempt % 2]
        status, _ = connection.post_form("/dang-nhap", {"username": "dieuphoi", "password": "not-the-password"})
        answers.append((connection.worker(), status))
    assert [status for _, status in answers] == [401] * PAIR_LIMIT.attempts + [429, 429]
    assert {pid for pid, _ in answers[: PAIR_LIMIT.attempts]} == {first, second}
    status, _ = connections[1].post_form("/dang-nhap", {"username": "dieuphoi", "password": PASSWORD})
    assert status == 429  # the right password too, until the window ends: the count is the database's


def test_nothing_is_lost_when_a_worker_is_killed(two_workers):
    server, draft_id, person_id, (first, second) = two_workers
    coordinator = connection_to(server, first)
    sign_in(coordinator, "dieuphoi")
    status, job = coordinator.api("POST", "/api/jobs", {"time_limit_seconds": 120})
    assert status == 202
    solver = _solver_of(server, job["id"], first)
    status, _ = coordinator.post_form(f"/dieu-phoi/phien-ban/{draft_id}/cong-bo")
    assert status == 302
    volunteer = connection_to(server, first)
    open_link(volunteer, person_id)

    os.kill(first, signal.SIGKILL)  # the worker that published, signed the volunteer in and runs the solve
    deadline = time.monotonic() + 30
    while _alive(solver) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(solver), "the solve outlived its worker"
    pids = server.wait_for_workers(2)
    assert first not in pids and second in pids  # the arbiter started a new worker

    for pid in pids:
        again = connection_to(server, pid)
        again.cookies = dict(volunteer.cookies)  # the same browser, now served by another process
        status, body = again.get("/api/me/shifts")
        assert status == 200, body
        seen = json.loads(body)
        assert seen["version"] == draft_id and seen["shifts"]  # the publish and the sign-in were kept
        again.cookies = dict(coordinator.cookies)
        status, ended = again.api("GET", f"/api/jobs/{job['id']}")
        assert status == 200 and ended["status"] == "failed"  # ended, not left running, with the reason
        assert "máy chủ" in ended["message"]
    other = connection_to(server, second)
    other.cookies = dict(coordinator.cookies)
    status, started = other.api("POST", "/api/jobs", {"time_limit_seconds": 120})
    assert status == 202, started  # the data set is free for a new solve
    other.api("POST", f"/api/jobs/{started['id']}/stop")


def test_the_arbiter_migrates_once_and_names_its_address(database_url, tmp_path):
    """A fresh data directory and database: the schema is made once, then both workers serve."""
    server = Gunicorn(database_url, tmp_path / "data")
    try:
        assert len(server.workers()) == 2
        status, body = Connection(server.port).get("/healthz")
        assert status == 200 and json.loads(body)["status"] == "ok"
    finally:
        server.stop()
    assert "Traceback" not in server.log()


@pytest.mark.slow
def test_the_demo_serves_from_two_workers_ready_once_its_roster_is_published(tmp_path):
    """``raquan demo --workers 2``: both workers answer 503 while the demo's own process solves, then 200 with the
    published roster, and the roster is seen through both."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAQUAN_OUTBOX_WORKER": "0"}
    command = [sys.executable, "-m", "raquan", "demo", "--workers", "2", "--port", "0", "--no-browser"]
    command += ["--time-limit", "10", "--data-dir", str(tmp_path / "demo")]
    log = open(tmp_path / "demo.log", "w")
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
    try:
        deadline = time.monotonic() + 240
        port = None
        while port is None and time.monotonic() < deadline and process.poll() is None:
            found = [re.search(r"Ra Quân: http://127\.0\.0\.1:(\d+)/", line) for line in list(lines)]
            port = next((int(match.group(1)) for match in found if match), None)
            time.sleep(0.1)
        assert port, f"the demo did not serve: {lines}"
        statuses = []
        while time.monotonic() < deadline:
            connection = Connection(port)
            try:
                status, body = connection.get("/healthz")
                statuses.append((status, connection.worker()))
            except (OSError, http.client.HTTPException):
                status = None
            finally:
                connection.close()
            published = any("Đã công bố phiên bản" in line for line in list(lines))
            if status == 200:
                assert published, "ready before the roster was published"
                ready = {pid for code, pid in statuses[-20:] if code == 200}
                if len(ready) == 2:
                    break
            time.sleep(0.2)
        assert 503 in [code for code, _ in statuses], "never told that it was starting"
        assert len({pid for code, pid in statuses if code == 200}) == 2, statuses[-10:]
        for pid in {pid for code, pid in statuses if code == 200}:
            status, body = connection_to(SimpleNamespace(port=port), pid).get("/api/wards")
            assert status == 200 and len(json.loads(body)["wards"]) == 126
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        log.close()


def test_warming_compiles_every_template_and_loads_the_map_before_the_first_request(loaded_app):
    """A worker's first user pays for none of this: the templates, the locales' data and the map's shapes."""
    from geo import svgmap
    from web.server import warm

    svgmap._cache.clear()
    loaded_app.jinja_env.cache.clear()
    warm(loaded_app)
    compiled = {key[1] for key in loaded_app.jinja_env.cache.keys()}  # noqa: SIM118 (an LRUCache)
    assert {"coordinator/version.html", "volunteer/shifts.html", "youth/students.html"} <= compiled
    assert len(compiled) == len(loaded_app.jinja_env.list_templates(extensions=("html",)))
    assert svgmap._cache, "the province's shapes are loaded"
