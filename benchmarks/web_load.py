"""Simulated volunteers against the web app: latency per route and throughput, bounded in time.

    python benchmarks/web_load.py [--volunteers 50] [--seconds 20] [--time-limit 20]
    python benchmarks/web_load.py --url http://127.0.0.1:8080 --data-dir ~/.local/share/raquan

Without ``--url`` the app runs in this process on waitress on a free loopback port, over a fresh data
directory with the Hanoi scenario loaded and one roster solved (``--time-limit`` seconds) and
published. With ``--url`` it targets a running server; ``--data-dir`` must then be that server's
data directory (for its secret key and its published roster, to sign the volunteers' links).

Each volunteer is a thread with one keep-alive HTTP connection. It opens its signed link
(``/ca-truc/l/<token>``: a confirm page, then its POST signs it in and redirects; timed together as
"link"), then for the rest of the time loads the
page the link redirected to ("Ca trực của tôi") and, one time in ``--wards-every``, ``/api/wards``,
pausing ``--think-seconds`` on average between requests (0 sends them back to back: a saturation test);
with a pause, the volunteers' arrivals are spread over the first pause.
Prints requests, errors (non-2xx after following redirects, or exceptions) and p50/p95/p99 latency
per route, and the throughput. Exits 1 if any request failed.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import random
import re
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


def report(volunteers: list[Volunteer], elapsed_seconds: float) -> int:
    """Print the table; returns the number of errors."""
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
    for route in sorted(timings):
        values = timings[route]
        total += len(values)
        print(
            f"{route:<14}{len(values):>10}{errors[route]:>8}{percentile(values, 0.50) * 1000:>10.1f}"
            f"{percentile(values, 0.95) * 1000:>10.1f}{percentile(values, 0.99) * 1000:>10.1f}"
        )
    error_total = sum(errors.values())
    print(
        f"{len(volunteers)} volunteers, {elapsed_seconds:.1f} s: {total} requests, {error_total} errors, "
        f"{total / elapsed_seconds:.1f} requests/s"
    )
    for route, sample in sorted(samples.items()):
        print(f"  first error on {route}: {sample}")
    return error_total


def prepare_in_process(time_limit_seconds: float, threads: int):
    """A fresh data directory with the Hanoi scenario and a published roster, served by waitress.

    Returns (base URL, app, waitress server, the data directory's TemporaryDirectory).
    """
    from waitress import create_server

    from web import create_app
    from web.server import load_demo, solve_and_publish

    holder = tempfile.TemporaryDirectory(prefix="raquan-load-")
    app = create_app(data_dir=Path(holder.name))
    print(f"loading the Hanoi scenario into {holder.name} ...", flush=True)
    load_demo(app)
    print(f"solving ({time_limit_seconds:.0f} s) and publishing ...", flush=True)
    version_id = solve_and_publish(app, time_limit_seconds)
    if version_id is None:
        raise SystemExit("the solve did not give a roster to publish")
    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    threading.Thread(target=server.run, name="waitress", daemon=True).start()
    return f"http://127.0.0.1:{server.effective_port}", app, server, holder


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
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (in-process server)")
    parser.add_argument("--url", help="a running server instead of an in-process one")
    parser.add_argument("--data-dir", help="the running server's data directory (with --url)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.volunteers < 1 or args.seconds <= 0:
        parser.error("--volunteers and --seconds must be positive")
    logging.basicConfig(level=logging.WARNING)

    server = holder = None
    if args.url:
        if not args.data_dir:
            parser.error("--url needs --data-dir (the server's secret key and roster sign the links)")
        from web import create_app

        app = create_app(data_dir=Path(args.data_dir).expanduser(), migrate_db=False)
        base_url = args.url.rstrip("/")
    else:
        base_url, app, server, holder = prepare_in_process(args.time_limit, args.threads)
    try:
        tokens = volunteer_tokens(app, args.volunteers, args.seed)
        print(
            f"{args.volunteers} volunteers on {base_url} for {args.seconds:.0f} s, "
            f"{args.think_seconds:g} s mean pause between requests",
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
        elapsed = time.perf_counter() - start
        errors = report(volunteers, elapsed)
    finally:
        if server is not None:
            server.close()
        if holder is not None:
            holder.cleanup()
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
