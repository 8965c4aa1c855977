"""`raquan demo --no-browser`, the README's main command, end to end in a subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.slow
def test_demo_serves_home_healthz_and_the_126_wards(tmp_path):
    port = _free_port()
    env = dict(os.environ, RAQUAN_DATA_DIR=str(tmp_path / "unused"))
    env.pop("RAQUAN_DATABASE_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "raquan",
            "demo",
            "--no-browser",
            "--port",
            str(port),
            "--time-limit",
            "5",
            "--data-dir",
            str(tmp_path / "demo"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        status = None
        while time.monotonic() < deadline:
            try:
                status, _ = _get(base + "/healthz")
            except OSError:
                status = None
            if status == 200:
                break
            assert process.poll() is None, process.stdout.read().decode()
            time.sleep(1)
        assert status == 200
        status, body = _get(base + "/")
        assert status == 200 and "Ra Quân" in body.decode()
        status, body = _get(base + "/api/wards")
        wards = json.loads(body)["wards"]
        assert status == 200 and len(wards) == 126
        assert (tmp_path / "demo" / "raquan.db").exists()
        # The campaign starts today, so the published roster has shifts still to come.
        import sqlite3

        from scheduler.clock import now

        with sqlite3.connect(tmp_path / "demo" / "raquan.db") as db:
            upcoming = db.execute(
                "SELECT COUNT(*) FROM assignments WHERE date >= ?", (now().date().isoformat(),)
            ).fetchone()[0]
        assert upcoming > 1000
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0].decode()
    assert "dieuphoi" in output and "Đã công bố phiên bản" in output
