"""Replays the hostile-use attacks against a real server on loopback and prints what got through.

    python benchmarks/attacks.py [--rows 200000] [--bursts 3] [--burst-size 16] [--storm-seconds 10]

A fresh data directory gets the Hanoi scenario (seed 1) and a coordinator account; ``raquan serve``
then runs over it in its own process (waitress, 8 threads, plain HTTP on 127.0.0.1), and this script
attacks it from the outside:

1. **Memory.** The coordinator uploads a people file of ``--rows`` rows with one phone filled down
   (the defect: every duplicate listed every other row), then a 40,000-row one within the byte limit,
   then an XLSX that unpacks to 300 MB. Prints each answer's status, size and seconds, and the server's
   peak resident memory (``VmHWM`` of its process) after each.
2. **Guessing bursts.** ``--bursts`` times, ``--burst-size`` wrong personal codes for one phone sent at
   the same instant, each on its own connection: prints how many were checked (401) rather than
   refused (429), against the limit of 5.
3. **Password storm.** 40 clients send wrong passwords for ``--storm-seconds`` while a volunteer loads
   the lookup page once a second: prints the guesses checked and refused and the volunteer's p95.
4. **Hostile requests.** Every route of the app with ids above 2⁶³, NUL bytes, bidi overrides, a time
   limit of 10⁴⁰⁰, deeply nested JSON and an over-size API body: prints the count of 500 answers
   (must be 0).

Exits 1 if any 500 was seen, a burst got more than the limit through, or an upload was not refused.
Every step is bounded in time; the whole run takes about a minute.
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import urlencode

PASSWORD = "mat-khau-dai-123"
CODE_LIMIT = 5  # web.volunteer.PAIR_LIMIT: wrong codes per phone from one address in 15 minutes
PHONE_CAP = 100  # web.volunteer.PHONE_LIMIT: wrong codes per phone from all addresses in an hour


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Client:
    """One HTTP client with its own connection and cookies, from a loopback address of its own if given
    (Linux routes all of 127.0.0.0/8 to loopback, so each attacker can be a different client address)."""

    def __init__(self, port: int, timeout_seconds: float = 60, address: str | None = None):
        self.port = port
        self.timeout_seconds = timeout_seconds
        self.source = (address, 0) if address else None
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=self.timeout_seconds, source_address=self.source
        )
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def csrf(self, path: str) -> str:
        _, page = self.request("GET", path)
        found = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        return found.group(1).decode() if found else ""

    def post_form(self, path: str, fields: dict, csrf_from: str | None = None) -> tuple[int, bytes]:
        fields = dict(fields, csrf_token=self.csrf(csrf_from or path))
        return self.request(
            "POST", path, urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )

    def upload(self, path: str, fields: dict, filename: str, content: bytes) -> tuple[int, bytes]:
        boundary = "raquan-attack-boundary"
        parts = []
        for name, value in dict(fields, csrf_token=self.csrf(path)).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST", path, b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(directory: Path) -> list[tuple[str, str]]:
    """The Hanoi scenario and a coordinator in ``directory``; returns (person id, phone) of some people."""
    from scheduler.io import export_campaign
    from scheduler.scenarios import hanoi_scenario
    from web import create_app, store
    from web.auth import create_user

    app = create_app({"SESSION_COOKIE_SECURE": False}, data_dir=directory)
    campaign = hanoi_scenario(1)
    export_campaign(campaign, directory / "scenario", table_format="csv")
    with app.app_context():
        store.import_directory(directory / "scenario", username="bench")
        create_user("dieuphoi", PASSWORD, "coordinator")
        from web.models import db

        db.engine.dispose()
    return [(person.id, person.phone) for person in campaign.people[:50]]


def people_csv(directory: Path, rows: int) -> bytes:
    """The scenario's people table grown to ``rows`` rows by copying its rows, all with the first phone."""
    lines = (directory / "scenario" / "people.csv").read_text(encoding="utf-8").splitlines()
    header, body = lines[0], lines[1:]
    columns = header.split(",")
    phone_at, id_at = columns.index("phone"), columns.index("person_id")
    out = [header]
    for index in range(rows):
        cells = body[index % len(body)].split(",")
        if len(cells) != len(columns):  # a quoted comma: skip the row rather than parse CSV here
            cells = body[0].split(",")
        cells[phone_at] = "0912000001"
        cells[id_at] = f"X{index:07d}"
        out.append(",".join(cells))
    return ("\n".join(out) + "\n").encode()


def zip_bomb_xlsx(unpacked_bytes: int) -> bytes:
    """A valid-looking XLSX whose one sheet unpacks to about ``unpacked_bytes`` of repeated rows."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["person_id", "full_name"])
    template = io.BytesIO()
    workbook.save(template)
    row = b'<row><c t="inlineStr"><is><t>SV0000001</t></is></c><c t="inlineStr"><is><t>Nguyen Van An</t></is></c></row>'
    chunk = row * (1 << 20 // len(row) + 1)
    out = io.BytesIO()
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, source.read(item.filename))
                continue
            with target.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(
                    b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                    b'spreadsheetml/2006/main"><sheetData>'
                )
                written = 0
                while written < unpacked_bytes:
                    sheet.write(chunk)
                    written += len(chunk)
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def memory_attack(port: int, pid: int, directory: Path, rows: int) -> bool:
    coordinator = Client(port, timeout_seconds=120)
    status, _ = coordinator.post_form("/dang-nhap", {"username": "dieuphoi", "password": PASSWORD})
    assert status == 302, f"coordinator sign-in answered {status}"
    print(f"server peak memory before the uploads: {peak_rss_mb(pid):.0f} MB")
    refused_all = True
    uploads = [
        (f"people.csv, {rows:,} rows, one phone filled down", "people.csv", people_csv(directory, rows)),
        ("people.csv, 40,000 rows, one phone filled down", "people.csv", people_csv(directory, 40_000)),
        ("people.xlsx unpacking to 300 MB", "people.xlsx", zip_bomb_xlsx(300 * 1024 * 1024)),
    ]
    for label, name, content in uploads:
        started = time.perf_counter()
        status, page = coordinator.upload("/dieu-phoi/nhap-du-lieu", {"table": "people"}, name, content)
        seconds = time.perf_counter() - started
        refused = status in (400, 413, 422) or (status == 200 and "lỗi".encode() in page)
        refused_all &= refused and status != 500
        print(
            f"  {label} ({len(content) / 1e6:.1f} MB sent): HTTP {status}, page {len(page) / 1024:.0f} KB, "
            f"{seconds:.1f} s, server peak memory {peak_rss_mb(pid):.0f} MB, "
            f"{'refused' if refused else 'NOT REFUSED'}"
        )
    return refused_all


def guessing_bursts(port: int, people: list[tuple[str, str]], bursts: int, size: int) -> bool:
    worst = 0
    for burst in range(bursts):
        _, phone = people[burst]
        clients = [Client(port, address=f"127.0.{10 + burst}.1") for _ in range(size)]
        tokens = [client.csrf("/ca-truc/") for client in clients]
        barrier = threading.Barrier(size, timeout=30)
        statuses = [0] * size

        def guess(index, barrier=barrier, phone=phone, tokens=tokens, statuses=statuses, clients=clients):
            barrier.wait()
            body = urlencode({"phone": phone, "code": f"{index:010d}", "csrf_token": tokens[index]}).encode()
            statuses[index], _ = clients[index].request(
                "POST", "/ca-truc/", body, {"Content-Type": "application/x-www-form-urlencoded"}
            )

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(size)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        checked = statuses.count(401)
        worst = max(worst, checked)
        print(
            f"  burst {burst + 1}: {size} simultaneous wrong codes for one phone from one address: {checked} checked, "
            f"{statuses.count(429)} refused (429), other answers {sorted(set(statuses) - {401, 429})}"
        )
    print(f"guesses that got through per burst: at most {worst} (limit {CODE_LIMIT})")
    return worst <= CODE_LIMIT


def distributed_guessing(port: int, people: list[tuple[str, str]], addresses: int = 30, each: int = 5) -> bool:
    """``addresses`` clients, each from its own address, send ``each`` wrong codes for one phone at once."""
    _, phone = people[-1]
    statuses = []
    lock = threading.Lock()
    barrier = threading.Barrier(addresses, timeout=30)

    def guesser(index):
        client = Client(port, address=f"127.0.2.{index + 1}")
        token = client.csrf("/ca-truc/")
        barrier.wait()
        for attempt in range(each):
            body = urlencode({"phone": phone, "code": f"{index * each + attempt:010d}", "csrf_token": token}).encode()
            status, _ = client.request("POST", "/ca-truc/", body, {"Content-Type": "application/x-www-form-urlencoded"})
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=guesser, args=(i,)) for i in range(addresses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    checked = statuses.count(401)
    print(
        f"  {addresses} addresses × {each} wrong codes for one phone at once: {checked} checked, "
        f"{statuses.count(429)} refused (429); the phone's cap is {PHONE_CAP} an hour"
    )
    return checked <= PHONE_CAP


def password_storm(port: int, seconds: float) -> None:
    stop = time.monotonic() + seconds
    counts = {"checked": 0, "refused": 0, "busy": 0, "other": 0}
    lock = threading.Lock()

    def attacker(index):
        client = Client(port, timeout_seconds=30, address=f"127.0.1.{index + 1}")
        token = client.csrf("/dang-nhap")
        while time.monotonic() < stop:
            body = urlencode(
                {"username": "dieuphoi", "password": f"guess-{index}-{time.time()}", "csrf_token": token}
            ).encode()
            try:
                status, _ = client.request(
                    "POST", "/dang-nhap", body, {"Content-Type": "application/x-www-form-urlencoded"}
                )
            except OSError:
                status = 0
            kind = {401: "checked", 429: "refused", 503: "busy"}.get(status, "other")
            with lock:
                counts[kind] += 1

    latencies = []

    def volunteer():
        client = Client(port, timeout_seconds=30)
        while time.monotonic() < stop:
            started = time.perf_counter()
            client.request("GET", "/ca-truc/")
            latencies.append(time.perf_counter() - started)
            time.sleep(1)

    threads = [threading.Thread(target=attacker, args=(i,)) for i in range(40)]
    threads.append(threading.Thread(target=volunteer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)] if ordered else float("nan")
    print(
        f"  40 clients from 40 addresses, {seconds:.0f} s of wrong passwords for one account: "
        f"{counts['checked']} checked (401), "
        f"{counts['refused']} refused (429), {counts['busy']} told to retry (503), {counts['other']} other"
    )
    print(
        f"  a volunteer's lookup page meanwhile: {len(latencies)} loads, p95 {p95 * 1000:.0f} ms, "
        f"slowest {max(latencies, default=float('nan')) * 1000:.0f} ms"
    )


def volunteer_link(directory: Path, person_id: str) -> str:
    """The path of a person's signed link, made with the server's own secret key."""
    from web import create_app
    from web.codes import link_token

    app = create_app({"SESSION_COOKIE_SECURE": False}, data_dir=directory, migrate_db=False)
    return f"/ca-truc/l/{link_token(app.config['SECRET_KEY'], person_id)}"


def hostile_requests(port: int, directory: Path, people: list[tuple[str, str]]) -> int:
    from web import create_app

    rules = list(
        create_app(
            {"SESSION_COOKIE_SECURE": False}, data_dir=Path(tempfile.mkdtemp()), migrate_db=False
        ).url_map.iter_rules()
    )
    coordinator = Client(port)
    coordinator.post_form("/dang-nhap", {"username": "dieuphoi", "password": PASSWORD})
    anonymous = Client(port)
    volunteer = Client(port)
    link = volunteer_link(directory, people[0][0])
    volunteer.post_form(link, {}, csrf_from=link)
    tokens = {}
    for client in (coordinator, anonymous, volunteer):  # real tokens, so that the POSTs reach their handlers
        _, body = client.request("GET", "/api/csrf-token")
        tokens[id(client)] = re.search(rb'"csrf_token"\s*:\s*"([^"]+)"', body).group(1).decode()
    values = [str(2**63), str(2**64), "-1", "%00", "%E2%80%AE", "x" * 300]
    bodies = [
        (b'{"time_limit_seconds": 1e400}', "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (
            "username=a%00b&password=c%00d&phone=%E2%80%AE0912&code=1&reason=%00%E2%80%AE&time_limit_seconds="
            "1e400&person_id=%00&ward_code=99999999999999999999&date=31%2F02%2F2025&shift_id=%00&team=%E2%80%AE"
            "&csrf_token={token}",
            "application/x-www-form-urlencoded",
        ),
        (b"x" * (21 * 1024 * 1024), "application/json"),
    ]
    errors = sent = 0
    for rule in rules:
        if rule.endpoint in ("static", "public.logout", "volunteer.sign_out"):  # keep the clients signed in
            continue
        for value in values:
            path = re.sub(r"<[^>]+>", value, rule.rule)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                for client in (coordinator, anonymous, volunteer):
                    for body, kind in [(None, None)] if method == "GET" else bodies:
                        headers = {"Content-Type": kind} if kind else {}
                        if kind and method != "GET":
                            headers["X-CSRFToken"] = tokens[id(client)]
                            if isinstance(body, str):
                                body = body.format(token=tokens[id(client)]).encode()
                        try:
                            status, _ = client.request(
                                method, path + "?page=99999999999999999999&day=%00", body, headers
                            )
                        except OSError:  # the server may close an over-size upload early
                            status = 413
                        sent += 1
                        errors += status >= 500 and status != 503
    print(
        f"  {sent} hostile requests over {len(rules)} routes as a coordinator, a volunteer and anonymously, "
        f"with real CSRF tokens: {errors} answered 500"
    )
    return errors


def _stop(signum, frame):
    raise SystemExit(128 + signum)  # a timeout's SIGTERM still stops the server in the finally below


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--burst-size", type=int, default=16)
    parser.add_argument("--storm-seconds", type=float, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="raquan-attacks-") as scratch:
        directory = Path(scratch)
        people = prepare(directory)
        port = free_port()
        env = dict(os.environ, RAQUAN_DATA_DIR=str(directory), RAQUAN_SECURE_COOKIES="0")
        log = open(directory / "server.log", "wb")  # a pipe nobody reads would fill up and stall the server
        server = subprocess.Popen(
            [sys.executable, "-m", "raquan", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if Client(port, 2).request("GET", "/healthz")[0] in (200, 503):
                        break
                except OSError:
                    time.sleep(0.3)
            print("1. memory")
            uploads_refused = memory_attack(port, server.pid, directory, args.rows)
            print("2. guessing bursts")
            bursts_held = guessing_bursts(port, people, args.bursts, args.burst_size)
            bursts_held &= distributed_guessing(port, people)
            print("3. password storm")
            password_storm(port, args.storm_seconds)
            print("4. hostile requests")
            errors = hostile_requests(port, directory, people)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
    print(f"500s seen: {errors}")
    return 0 if errors == 0 and bursts_held and uploads_refused else 1


if __name__ == "__main__":
    sys.exit(main())
