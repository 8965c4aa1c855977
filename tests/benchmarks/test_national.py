"""The national benchmark on one small province: two runs (one worker, two), the same rosters, the figures printed,
and the projection's scheduling arithmetic."""

from __future__ import annotations

import json

from benchmarks.national import main, makespan, project


def test_longest_first_scheduling_of_measured_task_times():
    assert makespan([3.0, 2.0, 2.0, 1.0], 2) == 4.0  # 3+1 and 2+2
    assert makespan([5.0, 1.0, 1.0], 4) == 5.0  # the longest task bounds any number of cores
    assert makespan([1.0] * 8, 1) == 8.0
    # stages wait for each other; the overhead is per task, shared by the cores
    assert project({"plan": [1.0, 1.0], "clusters": [2.0, 2.0, 2.0, 2.0], "close": [3.0]}, 2, 100.0) == (
        1.0 + 0.1 + 4.0 + 0.2 + 3.0 + 0.05
    )


def test_one_worker_against_two_on_one_province(tmp_path, capsys):
    figures_path = tmp_path / "national.json"
    code = main(
        ["--provinces", "Lai Châu", "--days", "2", "--workers", "1,2", "--cluster-work", "0.1", "--cores", "4"]
        + ["--json", str(figures_path)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    runs = json.loads(figures_path.read_text())["runs"]
    assert [run["workers"] for run in runs] == [1, 2]
    assert runs[0]["assignments"] == runs[1]["assignments"]  # bounded by work: the same rosters
    for run in runs:
        assert run["verified"] == run["provinces"] == 1 and run["violations"] == 0
        assert len(run["peak_worker_mb"]) == run["workers"] and min(run["peak_worker_mb"]) > 50
        assert len(run["task_seconds"]["clusters"]) > 0
    assert "speedup 1 → 2 workers:" in out and "same rosters: True" in out
    assert "4 cores:" in out and "projection from the measured task times (not a measurement)" in out
