"""Simulated volunteers against the web app: latency per route and throughput, one server process beside two.

    python benchmarks/web_load.py [--processes 1,2] [--volunteers 50] [--seconds 20] [--think-seconds 1]
    python benchmarks/web_load.py --data-dir DIR --processes 1,2      # a data directory prepared before
    python benchmarks/web_load.py --url http://127.0.0.1:8080 --data-dir ~/.local/share/raquan

Without ``--url``, for each number of processes in ``--processes`` the script starts ``raquan serve --workers N``
(gunicorn, ``--server`` to choose; ``--threads`` per process) as a process of its own on a free loopback port,
runs the load against it and stops it. The data directory is ``--data-dir`` when it already holds a published
roster, else a fresh one (kept at ``--data-dir`` when given) with the Hanoi scenario loaded and one roster
solved (``--time-limit`` seconds) and published. With ``--url`` it targets a running server; ``--data-dir``
must then be that server's data directory (for its secret key and its published roster, to sign the
volunteers' links).

Each volunteer is a thread with one keep-alive HTTP connection. It opens its signed link
(``/ca-truc/l/<token>``: a confirm page, then its POST signs it in and redirects; timed together as
"link"), then for the rest of the time loads the
page the link redirected to ("Ca trực của tôi") and, one time in ``--wards-every``, ``/api/wards``,
pausing ``--think-seconds`` on average between requests (0 sends them back to back: a saturation test);
with a pause, the volunteers' arrivals are spread over the first pause.
Prints, per setting, requests, errors (non-2xx after following redirects, or exceptions) and p50/p95/p99
latency per route, the throughput and the load average before and after; then the settings side by side.
Exits 1 if any request failed.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

MAX_REDIRECTS = 5
ERROR_PAUSE_SECONDS = 0.1  # after a failed request, so a dead server is not hammered


class Volunteer(threading.Thread):
    """One simulated volunteer: a keep-alive connection, a session cookie, timed requests."""

    def __init__(
        self, base_url: str, token: str, deadline: float, wards_every: int, seed: int, think_seconds: float = 0.0
    ):
        super().__init__(daemon=True)
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.token = token
        self.deadline = deadline
        self.wards_every = wards_every
        self.think_seconds = think_seconds
        self.random = random.Random(seed)
        self.connection: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.timings: dict[str, list[float]] = defaultdict(list)  # route -> seconds
        self.body: bytes | None = None
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: dict[str, str] = {}  # route -> the first error seen

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        return self.connection

    def _request(self, path: str, form: dict | None = None) -> tuple[int, str | None]:
        """One GET (or a POST of ``form``) on the kept-alive connection; returns (status, Location).
        Reconnects once if dropped; the last page's body is kept in ``self.body``."""
        headers = {"Accept": "text/html,application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            connection = self._connect()
            try:
                connection.request("POST" if form is not None else "GET", path, body=body, headers=headers)
                response = connection.getresponse()
                self.body = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.headers.get("Connection", "").lower() == "close":
            connection.close()
            self.connection = None
        return response.status, response.headers.get("Location")

    def _timed(self, route: str, path: str, form: dict | None = None) -> str | None:
        """GET ``path`` (or POST ``form`` to it) following redirects, timed as one request of ``route``;
        returns the final path."""
        start = time.perf_counter()
        try:
            for _ in range(MAX_REDIRECTS + 1):
                status, location = self._request(path, form)
                form = None
                if status in (301, 302, 303, 307, 308) and location:
                    target = urlsplit(urljoin(f"http://{self.host}:{self.port}{path}", location))
                    path = target.path + (f"?{target.query}" if target.query else "")
                    continue
                break
            else:
                status = 0
            ok = 200 <= status < 300
            problem = None if ok else f"HTTP {status} for {path}"
        except (OSError, http.client.HTTPException) as error:
            ok, problem = False, f"{type(error).__name__}: {error}"
        self.timings[route].append(time.perf_counter() - start)
        if not ok:
            self.errors[route] += 1
            self.samples.setdefault(route, problem)
            if self.connection is not None:
                self.connection.close()
                self.connection = None
            time.sleep(ERROR_PAUSE_SECONDS)
            return None
        return path

    def _open_link(self) -> str | None:
        """The signed link: its confirm page, then the confirming POST (timed together as "link")."""
        start = time.perf_counter()
        if self._timed("link page", f"/ca-truc/l/{self.token}") is None:
            return None
        found = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', self.body or b"")
        path = self._timed("link", f"/ca-truc/l/{self.token}", {"csrf_token": found.group(1).decode() if found else ""})
        self.timings["link"][-1] = time.perf_counter() - start
        self.timings["link page"].pop()
        if not self.timings["link page"]:
            del self.timings["link page"]
        return path

    def run(self) -> None:
        if self.think_seconds:  # volunteers arrive over the first pause, not all in the same millisecond
            time.sleep(self.random.uniform(0, self.think_seconds))
        shifts_path = self._open_link()
        count = 0
        while time.perf_counter() < self.deadline:
            count += 1
            if shifts_path is None:  # the link failed: try it again, so the errors count up honestly
                shifts_path = self._open_link()
            elif self.wards_every and count % self.wards_every == 0:
                self._timed("/api/wards", "/api/wards")
            else:
                self._timed("my shifts", shifts_path)
            if self.think_seconds:  # a person reading the page before the next tap: uniform 0.5x to 1.5x
                time.sleep(
                    min(
                        self.random.uniform(0.5, 1.5) * self.think_seconds,
                        max(0.0, self.deadline - time.perf_counter()),
                    )
                )
        if self.connection is not None:
            self.connection.close()


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def report(volunteers: list[Volunteer], elapsed_seconds: float) -> dict:
    """Print the table; returns the figures: errors, requests per second, and per route (requests, p50, p95, p99)."""
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    samples: dict[str, str] = {}
    for volunteer in volunteers:
        for route, values in volunteer.timings.items():
            timings[route].extend(values)
        for route, count in volunteer.errors.items():
            errors[route] += count
        for route, sample in volunteer.samples.items():
            samples.setdefault(route, sample)
    print(f"{'route':<14}{'requests':>10}{'errors':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    total = 0
    routes = {}
    for route in sorted(timings):
        values = timings[route]
        total += len(values)
        routes[route] = (len(values), *(percentile(values, q) * 1000 for q in (0.50, 0.95, 0.99)))
        print(f"{route:<14}{len(values):>10}{errors[route]:>8}" + "".join(f"{v:>10.1f}" for v in routes[route][1:]))
    error_total = sum(errors.values())
    print(
        f"{len(volunteers)} volunteers, {elapsed_seconds:.1f} s: {total} requests, {error_total} errors, "
        f"{total / elapsed_seconds:.1f} requests/s"
    )
    for route, sample in sorted(samples.items()):
        print(f"  first error on {route}: {sample}")
    return {"errors": error_total, "throughput": total / elapsed_seconds, "routes": routes, "requests": total}


def prepare_data_dir(directory: Path, time_limit_seconds: float):
    """The app over ``directory``, with the Hanoi scenario loaded and a roster solved and published unless one is
    published there already. Returns the app (for the secret key and the roster)."""
    from web import create_app, store
    from web.server import load_demo, solve_and_publish

    app = create_app({"RAQUAN_OUTBOX_WORKER": "0"}, data_dir=directory)
    with app.app_context():
        published = store.latest_published() is not None
    if published:
        print(f"using the published roster in {directory}", flush=True)
        return app
    print(f"loading the Hanoi scenario into {directory} ...", flush=True)
    load_demo(app)
    print(f"solving ({time_limit_seconds:.0f} s) and publishing ...", flush=True)
    if solve_and_publish(app, time_limit_seconds) is None:
        raise SystemExit("the solve did not give a roster to publish")
    return app


class ServerProcess:
    """``raquan serve --workers N`` over a data directory, in a process of its own on a free loopback port."""

    def __init__(self, directory: Path, workers: int, threads: int, server: str):
        env = {**os.environ, "RAQUAN_DATA_DIR": str(directory), "RAQUAN_SECURE_COOKIES": "0"}
        env["RAQUAN_OUTBOX_WORKER"] = "0"  # the pages only: no notices sent meanwhile
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
        self.log = tempfile.TemporaryFile(mode="w+")
        command = [sys.executable, "-m", "raquan", "serve", "--port", "0", "--workers", str(workers)]
        command += ["--threads", str(threads), "--server", server]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        self.url = None
        for line in self.process.stdout:
            found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            if found:
                self.url = found.group(1)
                break
        if self.url is None:
            self.log.seek(0)
            raise SystemExit(f"the server did not start:\n{self.log.read()[-3000:]}")
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        self._wait_ready(workers)

    def _wait_ready(self, workers: int, timeout_seconds: float = 300) -> None:
        """Until ``/healthz`` has answered 200 on enough fresh connections to have met every worker, likely."""
        parts = urlsplit(self.url)
        deadline, answered = time.monotonic() + timeout_seconds, 0
        while answered < 4 * workers:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit("the server did not become ready")
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            try:
                connection.request("GET", "/healthz")
                answered = answered + 1 if connection.getresponse().status == 200 else 0
            except OSError:
                answered = 0
            finally:
                connection.close()
            time.sleep(0.05)

    def cpu_seconds(self) -> float:
        """CPU time (user and system) used so far by the server's processes: the arbiter and its live workers."""
        pids = [self.process.pid]
        try:
            pids += [
                int(pid)
                for pid in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            ]
        except OSError:
            pass
        ticks = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime and stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def volunteer_tokens(app, count: int, seed: int) -> list[str]:
    """Signed links of ``count`` people with assignments in the latest published roster."""
    from sqlalchemy import select

    from web import store
    from web.codes import link_token
    from web.models import AssignmentRow, db

    with app.app_context():
        version = store.latest_published()
        if version is None:
            raise SystemExit("no published roster: nobody has shifts to look at")
        people = sorted(
            set(db.session.scalars(select(AssignmentRow.person_id).where(AssignmentRow.version_id == version.id)))
        )
    chosen = random.Random(seed).sample(people, min(count, len(people)))
    while len(chosen) < count:  # fewer people than volunteers: some share a person
        chosen.append(chosen[len(chosen) % len(people)])
    return [link_token(app.config["SECRET_KEY"], person_id) for person_id in chosen]


def run_load(base_url: str, tokens: list[str], args) -> dict:
    """The volunteers against ``base_url``; prints the table and returns its figures."""
    print(
        f"{args.volunteers} volunteers on {base_url} for {args.seconds:.0f} s, "
        f"{args.think_seconds:g} s mean pause between requests; load average {_load_average()}",
        flush=True,
    )
    start = time.perf_counter()
    deadline = start + args.seconds
    volunteers = [
        Volunteer(base_url, token, deadline, args.wards_every, args.seed + i, args.think_seconds)
        for i, token in enumerate(tokens)
    ]
    for volunteer in volunteers:
        volunteer.start()
    for volunteer in volunteers:
        volunteer.join(args.seconds + 60)
    figures = report(volunteers, time.perf_counter() - start)
    figures["load"] = _load_average()
    print(f"load average after: {figures['load']}", flush=True)
    return figures


def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def side_by_side(results: dict[int, dict]) -> None:
    """The settings' figures in one table: per route p50 / p95 / p99, then throughput, errors and the server's CPU
    time per request (what the server needs of a core: on an otherwise idle machine, the cores it has to spare
    decide its latencies; on a shared one, the other work does)."""
    routes = sorted({route for figures in results.values() for route in figures["routes"]})
    print(
        "\nprocesses"
        + "".join(f"{route + ' p50/p95/p99 ms':>36}" for route in routes)
        + f"{'requests/s':>12}{'errors':>8}{'CPU ms/req':>12}"
    )
    for processes, figures in results.items():
        cells = []
        for route in routes:
            found = figures["routes"].get(route)
            cells.append(f"{'/'.join(f'{v:.1f}' for v in found[1:]) if found else '-':>36}")
        print(
            f"{processes:<9}"
            + "".join(cells)
            + f"{figures['throughput']:>12.1f}{figures['errors']:>8}{figures.get('cpu_ms', float('nan')):>12.1f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volunteers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--time-limit", type=float, default=20.0, help="solver time limit for the roster")
    parser.add_argument(
        "--think-seconds",
        type=float,
        default=1.0,
        help="mean pause of each volunteer between requests (0: back-to-back, a saturation test)",
    )
    parser.add_argument("--wards-every", type=int, default=10, help="one request in N is /api/wards (0: never)")
    parser.add_argument("--processes", default="1,2", help="server processes to compare, e.g. 1,2 (default)")
    parser.add_argument("--threads", type=int, default=8, help="threads per server process")
    parser.add_argument("--server", choices=("gunicorn", "waitress"), default="gunicorn", help="waitress: one process")
    parser.add_argument("--url", help="a running server instead of starting one per setting")
    parser.add_argument("--data-dir", help="the data directory (with --url: the running server's)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.volunteers < 1 or args.seconds <= 0:
        parser.error("--volunteers and --seconds must be positive")
    try:
        settings = [int(part) for part in args.processes.split(",") if part.strip()]
    except ValueError:
        parser.error("--processes is a list of numbers, e.g. 1,2")
    if not settings or min(settings) < 1 or (args.server == "waitress" and settings != [1]):
        parser.error("--processes must list numbers of at least 1 (waitress: only 1)")
    logging.basicConfig(level=logging.WARNING)

    if args.url:
        if not args.data_dir:
            parser.error("--url needs --data-dir (the server's secret key and roster sign the links)")
        from web import create_app

        app = create_app(data_dir=Path(args.data_dir).expanduser(), migrate_db=False)
        figures = run_load(args.url.rstrip("/"), volunteer_tokens(app, args.volunteers, args.seed), args)
        return 1 if figures["errors"] else 0

    holder = None if args.data_dir else tempfile.TemporaryDirectory(prefix="raquan-load-")
    directory = Path(args.data_dir).expanduser() if args.data_dir else Path(holder.name)
    results: dict[int, dict] = {}
    try:
        app = prepare_data_dir(directory, args.time_limit)
        tokens = volunteer_tokens(app, args.volunteers, args.seed)
        from web.models import db

        with app.app_context():
            db.engine.dispose()
        for processes in settings:
            print(
                f"\n== {processes} process{'es' if processes > 1 else ''} ({args.server}, {args.threads} threads each)"
            )
            server = ServerProcess(directory, processes, args.threads, args.server)
            try:
                before = server.cpu_seconds()
                figures = run_load(server.url, tokens, args)
                figures["cpu_ms"] = (server.cpu_seconds() - before) * 1000 / max(1, figures["requests"])
                print(f"server CPU: {figures['cpu_ms']:.1f} ms a request (all its processes, user and system)")
                results[processes] = figures
            finally:
                server.stop()
    finally:
        if holder is not None:
            holder.cleanup()
    side_by_side(results)
    return 1 if any(figures["errors"] for figures in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
