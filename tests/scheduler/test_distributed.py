"""Many provinces solved on Dask distributed: a real LocalCluster, a worker killed mid-solve, a scheduler and two
workers started by hand, and the same roster with and without Dask."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from scheduler.country_io import export_country
from scheduler.national import national_summary, summary_lines
from scheduler.pipeline import solve, solve_many
from scheduler.runners import DaskRunner, LocalRunner
from scheduler.scenarios import province_scenario
from scheduler.settings import SolveSettings

SMALL = ("Lai Châu", "Điện Biên", "Huế")  # 38, 45 and 40 communes


@pytest.fixture(scope="module")
def small_provinces():
    """Three small provinces over three days, by their directory-like keys."""
    return {name: province_scenario(name, seed=3, days=3) for name in SMALL}


def _clusters_of(campaign, settings):
    from scheduler.solver.solve import plan

    return len(plan(campaign, settings.max_cluster_size))


def test_three_provinces_on_a_local_cluster_of_two_workers(small_provinces):
    """End to end on two worker processes: every province solved, complete (a roster from each of its clusters)
    and verified by the independent checker; a province whose data the geography does not know fails with the
    reason, and the others still finish."""
    broken = replace(small_provinces["Huế"], province="Tỉnh Không Có")
    campaigns = {**small_provinces, "broken": broken}
    settings = SolveSettings(time_limit_seconds=40, cluster_work=0.2)
    seen = []
    with DaskRunner.local(2) as runner:
        assert runner.workers == 2
        pids = set(runner.worker_pids().values())
        assert len(pids) == 2 and os.getpid() not in pids  # the tasks run in two other processes
        result = solve_many(campaigns, settings, runner=runner, progress=lambda *event: seen.append(event))
    assert list(result.results) == list(SMALL)
    assert list(result.failed) == ["broken"]
    assert "Tỉnh Không Có" in result.failed["broken"] and result.failed["broken"].startswith("lập cụm")
    for name, solved in result.results.items():
        assert solved.report.ok, name
        assert solved.report.violations == ()
        assert solved.figures["clusters"] == _clusters_of(small_provinces[name], settings)
        assert solved.report.coverage_percent > 90, name
        assert len(solved.roster.assignments) > 0
    assert result.figures["workers"] == 2
    seconds = result.figures["task_seconds"]
    assert len(seconds["plan"]) == 3 and len(seconds["close"]) == 3
    assert len(seconds["clusters"]) == sum(r.figures["clusters"] for r in result.results.values())
    assert ("close", 3, 3) in seen and any(stage == "clusters" for stage, _, _ in seen)

    summary = national_summary(campaigns, result, {"99-nowhere": "không nạp được (2 lỗi)"})
    keys = [line.key for line in summary.provinces]
    assert set(keys[:2]) == {"broken", "99-nowhere"}  # the failed first, then the worst coverage first
    solved = [line for line in summary.provinces if line.failure is None]
    assert [line.coverage_percent for line in solved] == sorted(line.coverage_percent for line in solved)
    assert summary.verified == 3 and summary.violations == 0
    assert summary.asked == sum(r.report.asked for r in result.results.values())
    text = "\n".join(summary_lines(summary))
    assert "broken: THẤT BẠI — lập cụm" in text and "99-nowhere: THẤT BẠI — không nạp được" in text


def test_a_worker_killed_mid_solve_loses_nothing(small_provinces):
    """A worker is killed while it holds cluster solves: the scheduler runs them again on the other worker (and
    on the one the nanny starts in its place), and every province still comes back complete and verified."""
    settings = SolveSettings(time_limit_seconds=60, cluster_work=0.6, repair=False)
    with DaskRunner.local(2) as runner:
        client = runner.client
        pids = runner.worker_pids()
        box: dict = {}
        thread = threading.Thread(
            target=lambda: box.update(result=solve_many(small_provinces, settings, runner=runner))
        )
        thread.start()
        victim, held = None, []
        waited_until = time.time() + 60
        while victim is None and time.time() < waited_until:
            for worker, keys in client.processing().items():
                held = [key for key in keys if str(key).startswith("solve_cluster")]
                if held:
                    victim = worker
                    break
            time.sleep(0.02)
        assert victim is not None, "no cluster solve was ever running"
        os.kill(pids[victim], signal.SIGKILL)
        thread.join(timeout=120)
        assert not thread.is_alive()
        after = runner.worker_pids()
    assert pids[victim] not in after.values()  # it really died (its nanny started another in its place)
    result = box["result"]
    assert result.failed == {}
    assert list(result.results) == list(SMALL)
    for name, solved in result.results.items():
        assert solved.report.ok, name
        assert solved.figures["clusters"] == _clusters_of(small_provinces[name], settings)


def test_one_province_gives_the_same_roster_with_and_without_dask(small_provinces):
    """Bounded by work, the same seed and limit give the same roster in this process, in two local processes
    and on a Dask worker."""
    campaign = small_provinces["Lai Châu"]
    settings = SolveSettings(time_limit_seconds=60, processes=1, cluster_work=0.3, seed=5)
    here = solve(campaign, settings, runner=LocalRunner(1))
    assert here.figures["clock_stopped"] == 0 and here.report.ok
    assert solve(campaign, settings, runner=LocalRunner(2)).roster.assignments == here.roster.assignments
    with DaskRunner.local(1) as runner:
        on_dask = solve(campaign, settings, runner=runner)
    assert on_dask.roster.assignments == here.roster.assignments
    assert on_dask.roster.unfilled == here.roster.unfilled
    other_seed = solve(campaign, replace(settings, seed=6), runner=LocalRunner(1))
    assert other_seed.roster.assignments != here.roster.assignments  # the comparison can tell rosters apart


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_command_runs_on_a_scheduler_and_two_workers_started_by_hand(small_provinces, tmp_path):
    """`raquan solve COUNTRY --scheduler tcp://…` against `dask scheduler` and two `dask worker` processes on
    loopback, as the README tells: a roster per province in the formats asked and the national summary."""
    country = tmp_path / "country"
    export_country(list(small_provinces.values()), country, seed=3)
    dask = str(Path(sys.executable).parent / "dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    started = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        for _ in range(2):
            started.append(
                subprocess.Popen(
                    [dask, "worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        out = tmp_path / "rosters"
        command = [sys.executable, "-m", "raquan", "solve", str(country), "--scheduler", address]
        command += ["--out", str(out), "--time-limit", "60", "--cluster-work", "0.2", "--formats", "json,csv"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr + done.stdout
        assert "3 đã xếp và kiểm tra không vi phạm" in done.stdout
        assert f"Dask at {address}: 2 workers" in done.stderr
        names = sorted(p.name for p in country.iterdir() if p.is_dir())
        for name in names:
            roster = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
            assert roster["assignments"]
            assert (out / f"{name}.csv").stat().st_size > 0
        verify = subprocess.run(
            [sys.executable, "-m", "raquan", "verify", str(country / names[0]), str(out / f"{names[0]}.json")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert verify.returncode == 0, verify.stdout + verify.stderr
        with open(out / "national-summary.csv", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
        assert [row["province"] for row in rows] == [*sorted(names, key=lambda n: _coverage(rows, n)), "ALL"]
        assert rows[-1]["violations"] == "0"
    finally:
        for process in reversed(started):
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _coverage(rows, name):
    return next(float(row["coverage_percent"]) for row in rows if row["province"] == name)
