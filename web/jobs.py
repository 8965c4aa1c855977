"""Solve jobs, run off the request thread: the one module that owns solver processes.

Each job runs :func:`scheduler.solver.solve.solve_campaign` in its own process (a new process
group, so a stop also ends the solver's worker processes), writes its progress to a small JSON
file and its result to a pickle in the job's work directory. A monitor thread in the web process
copies the progress into the ``jobs`` table and, when the process ends well, stores the roster as
a draft version in one transaction. A solve that crashes, is killed or is stopped leaves the job
``failed`` or ``stopped`` and stores nothing; the web process never runs solver code itself.
One job runs at a time (the solver already uses every core).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import pickle
import shutil
import signal
import threading
import time
from pathlib import Path

from sqlalchemy import select

from web import store
from web.models import Job, db, utcnow

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.3


class JobBusy(RuntimeError):
    """Another solve job is queued or running."""


def _write_json(path: Path, value: dict) -> None:
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(value), encoding="utf-8")
    os.replace(scratch, path)


def run_solve(campaign, time_limit_seconds: float, workdir: str, workers: int) -> None:
    """The body of a job process: solve, check, explain, and pickle the result into ``workdir``."""
    os.setsid()  # its own process group: a stop ends the solver's pool too
    from geo.travel import province_travel
    from scheduler.explain import explain
    from scheduler.solver.solve import SolveSettings, solve_campaign
    from scheduler.verify import verify

    folder = Path(workdir)
    progress_path = folder / "progress.json"
    state = {"done": 0, "total": 0, "phase": "solving"}
    _write_json(progress_path, state)

    def on_plan(total: int) -> None:
        state["total"] = total
        _write_json(progress_path, state)

    def on_progress(outcome) -> None:
        state["done"] += 1
        _write_json(progress_path, state)

    settings = SolveSettings(time_limit_seconds=time_limit_seconds, workers=workers)
    roster, _figures = solve_campaign(campaign, settings, progress=on_progress, on_plan=on_plan)
    state["phase"] = "checking"
    _write_json(progress_path, state)
    travel = province_travel(campaign.province)
    report = verify(campaign, roster, travel)
    explanations = explain(campaign, roster, report.unfilled, travel)
    scratch = folder / "result.tmp"
    with open(scratch, "wb") as stream:
        pickle.dump((roster, report, explanations), stream)
    os.replace(scratch, folder / "result.pickle")


class JobRunner:
    """Starts, watches and stops solve processes for one Flask app."""

    def __init__(self, app, workdir: Path, workers: int = 2):
        self.app = app
        self.workdir = Path(workdir)
        self.workers = workers
        self._lock = threading.Lock()
        self._processes: dict[int, multiprocessing.Process] = {}
        self._stopping: set[int] = set()
        self._finished = threading.Condition(self._lock)

    def recover(self) -> None:
        """Mark the jobs a previous server left queued or running as failed."""
        for job in db.session.scalars(select(Job).where(Job.status.in_(("queued", "running")))):
            job.status = "failed"
            job.message = "máy chủ đã khởi động lại khi đang giải"
            job.finished_at = utcnow()
        db.session.commit()

    def submit(self, time_limit_seconds: float, username: str = "") -> int:
        """Start a solve of the stored campaign; returns the job id. Raises JobBusy or LookupError."""
        with self._lock:
            if any(p.is_alive() for p in self._processes.values()):
                raise JobBusy("a solve is already running")
            campaign = store.campaign()
            if campaign is None:
                raise LookupError("no campaign data has been imported")
            job = Job(status="running", time_limit_seconds=time_limit_seconds, created_by=username,
                      started_at=utcnow(), dataset_revision=store.revision(), message="đang khởi động")
            db.session.add(job)
            db.session.commit()
            folder = self.workdir / f"job-{job.id}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            context = multiprocessing.get_context("spawn")
            process = context.Process(target=run_solve, name=f"raquan-solve-{job.id}",
                                      args=(campaign, time_limit_seconds, str(folder), self.workers))
            try:
                process.start()
            except Exception:
                job.status, job.message, job.finished_at = "failed", "không khởi động được tiến trình giải", utcnow()
                db.session.commit()
                raise
            self._processes[job.id] = process
            job_id = job.id
        threading.Thread(target=self._watch, args=(job_id, process, folder), daemon=True,
                         name=f"raquan-watch-{job_id}").start()
        return job_id

    def stop(self, job_id: int) -> bool:
        """Stop a running job (its whole process group). Returns whether it was running."""
        with self._lock:
            process = self._processes.get(job_id)
            if process is None or not process.is_alive():
                return False
            self._stopping.add(job_id)
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        return True

    def wait(self, job_id: int, timeout: float | None = None) -> bool:
        """Block until the job's watcher has recorded its end; returns whether it did in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._finished:
            while job_id in self._processes:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._finished.wait(remaining)
        return True

    def _watch(self, job_id: int, process, folder: Path) -> None:
        with self.app.app_context():
            try:
                while process.is_alive():
                    self._copy_progress(job_id, folder)
                    process.join(POLL_SECONDS)
                self._record_end(job_id, process, folder)
            except Exception:
                logger.exception("watching solve job %s", job_id)
                db.session.rollback()
                self._set(job_id, status="failed", message="lỗi khi lưu kết quả", finished_at=utcnow())
            finally:
                # kill whatever is left of the group (the solver's pool after a crash)
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                db.session.remove()
                with self._finished:
                    self._processes.pop(job_id, None)
                    self._stopping.discard(job_id)
                    self._finished.notify_all()

    def _copy_progress(self, job_id: int, folder: Path) -> None:
        try:
            state = json.loads((folder / "progress.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        message = "đang kiểm tra và giải thích" if state.get("phase") == "checking" else "đang giải"
        self._set(job_id, progress_done=state.get("done", 0), progress_total=state.get("total", 0), message=message)

    def _record_end(self, job_id: int, process, folder: Path) -> None:
        result = folder / "result.pickle"
        if job_id in self._stopping:
            self._set(job_id, status="stopped", message="đã dừng theo yêu cầu", finished_at=utcnow())
        elif process.exitcode == 0 and result.exists():
            with open(result, "rb") as stream:
                roster, report, explanations = pickle.load(stream)
            job = db.session.get(Job, job_id)
            version = store.store_roster(roster, report, explanations, job.dataset_revision)
            self._set(job_id, status="done", version_id=version.id, finished_at=utcnow(),
                      progress_done=job.progress_total, message=f"xong: phiên bản {version.id}")
        else:
            self._set(job_id, status="failed", finished_at=utcnow(),
                      message=f"tiến trình giải dừng bất thường (mã {process.exitcode})")
        shutil.rmtree(folder, ignore_errors=True)

    def _set(self, job_id: int, **values) -> None:
        job = db.session.get(Job, job_id)
        if job is None:
            return
        for key, value in values.items():
            setattr(job, key, value)
        db.session.commit()
