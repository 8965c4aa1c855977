"""Solve jobs, run off the request thread: the one module that owns solver processes.

Each job runs the one solve pipeline, :func:`scheduler.pipeline.solve`, in its own process (a new process
group, so a stop also ends the solver's worker processes), writes its progress to a small JSON
file and its result to a pickle in the job's work directory. A watcher thread in the web process
copies the progress into the ``jobs`` table and, when the process ends well, stores the roster as
a draft version in one transaction. The web process never runs solver code itself.

Crashes leave no solve running and no job unended:

- **The solve dies with its server.** The job process asks Linux for a death signal
  (``prctl(PR_SET_PDEATHSIG, SIGKILL)``) tied to the watcher thread that started it, and forks a
  small guard that kills the job's whole process group (the solver's workers too) as soon as the
  job process ends for any reason.
- **One solve per data set, across restarts and server processes.** A unique partial index on the
  ``jobs`` table admits one ``queued`` or ``running`` job per data set; a second submit, from any
  process, gets :class:`JobBusy`.
- **A job's state always ends.** The watcher renews the job's heartbeat (``heartbeat_at``) while the
  solve runs. Whoever next looks at the jobs (the job page, the API, a submit, a server starting)
  ends an active job whose server is gone: its server process has ended (same host, told apart from
  a reused pid by its start time) or its heartbeat is older than ``RAQUAN_JOB_LEASE_SECONDS``. A
  solver still running for a server that is gone is killed; a result it left on disk is stored as
  a draft if the data set has not changed since, and discarded with the reason otherwise. Each end
  is a compare-and-set on the job still being active, so of a watcher and a reaper only one ends
  it. An end that cannot be written is retried on a fresh connection for
  ``RAQUAN_JOB_END_RETRY_SECONDS``, then written as a bare status and message outside the session;
  a job whose end still could not be written is ended by the lease. A stop of a job watched by
  another server process is written to the database; that watcher ends the solve at its next beat.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import multiprocessing
import os
import pickle
import shutil
import signal
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from scheduler import clock
from web import store
from web.models import Job, db, utcnow

logger = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
DATASET = "campaign"  # the app holds one data set
RESULT = "result.pickle"
POLL_SECONDS = 0.3
HEARTBEAT_SECONDS = 1.0
DEFAULT_LEASE_SECONDS = 30.0
DEFAULT_END_RETRY_SECONDS = 20.0
REASON_CHARS = 300
DASK_CONNECT_SECONDS = 10.0  # a configured Dask scheduler that has not answered by then is not used
SERVER_GONE = "máy chủ giải đã dừng"
STOPPED = "đã dừng theo yêu cầu"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class JobBusy(RuntimeError):
    """Another solve job is queued or running."""


# ------------------------------------------------------------------------------------ processes


def process_start(pid: int) -> str | None:
    """A process's identity beyond its pid: ``"<boot id>:<start time in clock ticks>"``.

    Parameters
    ----------
    pid
        The process id.

    Returns
    -------
    str or None
        The identity, equal for the same process only; None when no such process is running (a
        zombie counts as ended) or ``/proc`` cannot tell (not Linux).
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (command) ": state is field 3
    if fields[0] in ("Z", "X"):
        return None
    return f"{boot}:{fields[19]}"  # field 22, starttime


def _set_death_signal(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when the thread that started it ends."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux
        return False


def _guard_group(job_pid: int) -> None:
    """The guard's body (a child of the job process): when the job process ends, kill its group."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    _set_death_signal(signal.SIGTERM)
    wait = getattr(signal, "sigtimedwait", None)
    while os.getppid() == job_pid:  # polling as well covers a system without death signals
        if wait is None:
            time.sleep(1.0)
        elif wait({signal.SIGTERM}, 1.0) is not None:
            break
    os.killpg(0, signal.SIGKILL)


def _kill_group(pid: int) -> None:
    """Kill the process group that ``pid`` leads (a job process and everything it started)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _write_json(path: Path, value: dict) -> None:
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(value), encoding="utf-8")
    os.replace(scratch, path)


def run_solve(
    campaign, settings, workdir: str, server_pid: int, published=None, now=None, dask_scheduler: str | None = None
) -> None:
    """The body of a job process: solve, check, explain, and pickle the result into ``workdir``.

    With the ``published`` roster, the solve starts from it and changes only what the data forces
    (``now``: the campaign's clock when the job started). With ``dask_scheduler`` (``RAQUAN_DASK_SCHEDULER``),
    the cluster solves run on that Dask cluster's workers; when it does not answer, on the job's own
    processes, as without it (the log says why).

    The process leads its own process group, dies with the thread of ``server_pid`` that started
    it, and forks a guard that kills the group (the solver's pool too) when it ends.
    """
    os.setsid()  # its own process group: a stop ends the solver's pool too
    _set_death_signal(signal.SIGKILL)
    if os.getppid() != server_pid:  # the server died before the death signal was set
        os._exit(1)
    job_pid = os.getpid()
    if os.fork() == 0:  # no threads yet, so forking is safe
        try:
            _guard_group(job_pid)
        finally:
            os._exit(0)

    deadline = time.time() + settings.time_limit_seconds  # the job's whole budget, from its own start
    from scheduler.pipeline import solve

    folder = Path(workdir)
    progress_path = folder / "progress.json"
    state = {"done": 0, "total": 0, "phase": "solving"}
    _write_json(progress_path, state)

    def on_plan(total: int) -> None:
        state["total"] = total
        _write_json(progress_path, state)

    def on_progress(outcome) -> None:
        state["done"] += 1
        if state["done"] >= state["total"]:  # the first round is over: gap filling, checking and explaining follow
            state["phase"] = "checking"
        _write_json(progress_path, state)

    with _runner(dask_scheduler) as runner:
        result = solve(
            campaign,
            settings,
            deadline=deadline,
            progress=on_progress,
            on_plan=on_plan,
            published=published,
            now=now,
            runner=runner,
        )
    roster, report, explanations = result.roster, result.report, list(result.explanations)
    scratch = folder / "result.tmp"
    with open(scratch, "wb") as stream:
        pickle.dump((roster, report, explanations), stream)
    os.replace(scratch, folder / RESULT)


@contextlib.contextmanager
def _runner(dask_scheduler: str | None):
    """The configured Dask cluster's runner, or None (the job's own processes) when none is set or it does not
    answer."""
    with contextlib.ExitStack() as stack:
        runner = None
        if dask_scheduler:
            from scheduler.runners import DaskRunner

            try:
                runner = stack.enter_context(DaskRunner.connect(dask_scheduler, timeout_seconds=DASK_CONNECT_SECONDS))
            except OSError as error:
                logger.warning(
                    "Dask at %s does not answer (%s): the job solves in its own processes", dask_scheduler, error
                )
        yield runner


def _live_start(campaign, now, fresh: bool):
    """The campaign with its events applied, and the published roster to start from (None: from scratch)."""
    from web import live

    campaign = live.live_campaign(now) or campaign  # the events as of now: history stays as it was
    if fresh:
        return campaign, None
    version = store.latest_published()
    if version is None:
        return campaign, None
    from web.incidents import with_callouts

    return campaign, with_callouts(store.roster_of(version))


class _Starting:
    """A job's process while its watcher thread starts it: alive, with no pid yet."""

    pid = None
    exitcode = None

    def is_alive(self) -> bool:
        return True


def _terminate(process) -> None:
    """Stop a solve's whole process group (just the process while it does not lead its group yet)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:  # still starting: it leads no group yet and has started nothing
        process.terminate()


def _reason(error: BaseException) -> str:
    """An error in one short line, the database driver's own message when there is one."""
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return text[:REASON_CHARS]


def _server() -> tuple[str, int, str | None]:
    """This web process: host, pid and start time."""
    pid = os.getpid()
    return socket.gethostname(), pid, process_start(pid)


# ------------------------------------------------------------------------------------------ runner


class JobRunner:
    """Starts, watches, stops and ends solve jobs for one Flask app.

    Parameters
    ----------
    app
        The Flask app; ``RAQUAN_JOB_LEASE_SECONDS`` (default 30) and ``RAQUAN_JOB_END_RETRY_SECONDS``
        (default 20) are read from its config.
    workdir
        Where each job gets its folder ``job-<id>``.
    workers
        Processes of each solve; None: the `[solver]` processes of the stored campaign.toml.
    """

    def __init__(self, app, workdir: Path, workers: int | None = None):
        self.app = app
        self.workdir = Path(workdir)
        self.workers = workers
        self.lease_seconds = float(app.config.get("RAQUAN_JOB_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))
        self.end_retry_seconds = float(app.config.get("RAQUAN_JOB_END_RETRY_SECONDS", DEFAULT_END_RETRY_SECONDS))
        self._lock = threading.Lock()
        self._processes: dict[int, multiprocessing.Process] = {}
        self._stopping: set[int] = set()
        self._finished = threading.Condition(self._lock)

    # -------------------------------------------------------------------------------- public

    def recover(self) -> None:
        """At start: end the jobs of servers that are gone and remove the folders of ended jobs."""
        self.reap()
        folders = list(self.workdir.glob("job-*"))  # listed before the active jobs: a job's row comes first
        try:
            active = set(db.session.scalars(select(Job.id).where(Job.status.in_(ACTIVE))))
            db.session.commit()
        except SQLAlchemyError:
            logger.exception("listing the active solve jobs")
            self._discard_session()
            return
        for folder in folders:
            job_id = folder.name.removeprefix("job-")
            if not (job_id.isdigit() and int(job_id) in active):
                shutil.rmtree(folder, ignore_errors=True)

    def submit(self, time_limit_seconds: float, username: str = "", fresh: bool = False) -> int:
        """Start a solve of the stored campaign, with its events applied.

        When a version is published (and not ``fresh``), the solve starts from it and changes
        only what the data forces: re-solving unchanged data keeps the roster people were told.

        Returns
        -------
        int
            The job id. A job whose process could not start is already ``failed``, with the reason
            in its message.

        Raises
        ------
        JobBusy
            A job of the data set is queued or running, in this or any other server process.
        LookupError
            No campaign data has been imported.
        """
        with self._lock:
            if any(p.is_alive() for p in self._processes.values()):
                raise JobBusy("a solve is already running")
            campaign = store.campaign()
            if campaign is None:
                raise LookupError("no campaign data has been imported")
            now = clock.now(self.app.config.get("RAQUAN_NOW"))
            campaign, published = _live_start(campaign, now, fresh)
            settings = store.solve_settings().with_changes(
                time_limit_seconds=time_limit_seconds, processes=self.workers
            )
            self.reap()
            host, pid, started = _server()
            job = Job(
                status="running",
                dataset=DATASET,
                time_limit_seconds=time_limit_seconds,
                created_by=username,
                started_at=utcnow(),
                dataset_revision=store.revision(),
                message="đang khởi động",
                host=host,
                server_pid=pid,
                server_start=started,
                heartbeat_at=utcnow(),
            )
            db.session.add(job)
            try:
                db.session.commit()
            except IntegrityError:  # the unique partial index: another process's job is active
                db.session.rollback()
                raise JobBusy("a solve of this data set is already queued or running") from None
            job_id = job.id
            try:
                folder = self.workdir / f"job-{job_id}"
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)
                self._processes[job_id] = self._start(job_id, campaign, settings, folder, published, now)
            except Exception as error:
                logger.exception("starting solve job %s", job_id)
                self._end(job_id, "failed", f"không khởi động được tiến trình giải: {_reason(error)}")
        return job_id

    def stop(self, job_id: int) -> bool:
        """Stop an active job. Returns whether it was active.

        A job watched here is stopped at once (its whole process group); a job of another server
        process is ended in the database, and its watcher stops the solve at its next heartbeat.
        """
        with self._lock:
            process = self._processes.get(job_id)
            if process is not None:
                if not process.is_alive():
                    return False
                self._stopping.add(job_id)
        if process is None:
            return self._end(job_id, "stopped", STOPPED)
        if process.pid is None:  # its watcher is still starting it: the watcher stops it once it has a pid
            return True
        _terminate(process)
        return True

    def process(self, job_id: int, timeout: float = 60.0):
        """The job's solver process once its watcher has started it (None if the job is not watched here or did not
        start within ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        with self._finished:
            while True:
                process = self._processes.get(job_id)
                if process is None or process.pid is not None:
                    return process
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._finished.wait(remaining)

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

    def reap(self) -> list[int]:
        """End the active jobs whose server is gone; returns their ids.

        A server is gone when its process has ended (on this host) or its heartbeat is older than
        the lease. Its solver, if still running on this host, is killed; a result it left is stored
        as a draft when the data set is the one it solved, else discarded with the reason.
        Database errors are logged, not raised: the caller's page still shows.
        """
        ended = []
        try:
            jobs = db.session.execute(
                select(
                    Job.id,
                    Job.host,
                    Job.server_pid,
                    Job.server_start,
                    Job.solver_pid,
                    Job.solver_start,
                    Job.heartbeat_at,
                    Job.dataset_revision,
                ).where(Job.status.in_(ACTIVE))
            ).all()
            for job in jobs:
                if job.id in self._processes:
                    continue
                why = self._owner_gone(job)
                if why is not None and self._take_over(job, why):
                    ended.append(job.id)
        except SQLAlchemyError:
            logger.exception("ending the solve jobs of servers that are gone")
            self._discard_session()
        return ended

    # -------------------------------------------------------------------------------- start and watch

    def _start(self, job_id: int, campaign, settings, folder: Path, published=None, now=None):
        """Start the job's process from its watcher thread (the death signal follows that thread), without waiting
        for it: a new process reads the campaign and roster for a second or two, and the page that pressed
        "Xếp lịch" answers at once (the job page shows "đang khởi động" until the process runs)."""
        threading.Thread(
            target=self._watch,
            args=(job_id, campaign, settings, folder, published, now),
            daemon=True,
            name=f"raquan-watch-{job_id}",
        ).start()
        return _Starting()

    def _watch(self, job_id: int, campaign, settings, folder: Path, published, now) -> None:
        context = multiprocessing.get_context("spawn")
        process = context.Process(
            target=run_solve,
            name=f"raquan-solve-{job_id}",
            args=(
                campaign,
                settings,
                str(folder),
                os.getpid(),
                published,
                now,
                self.app.config.get("RAQUAN_DASK_SCHEDULER"),
            ),
        )
        try:
            process.start()
        except BaseException as error:
            logger.exception("starting solve job %s", job_id)
            with self.app.app_context():
                self._end(job_id, "failed", f"không khởi động được tiến trình giải: {_reason(error)}")
                db.session.remove()
            with self._finished:
                self._processes.pop(job_id, None)
                self._stopping.discard(job_id)
                self._finished.notify_all()
            return
        with self._finished:
            self._processes[job_id] = process
            stopping = job_id in self._stopping
            self._finished.notify_all()
        if stopping:  # stopped while it started
            _terminate(process)
        with self.app.app_context():
            try:
                active = self._renew(
                    job_id, solver_pid=process.pid, solver_start=process_start(process.pid), message="đang giải"
                )
                last_state, last_renewal = None, time.monotonic()
                while active is not False and process.is_alive():
                    process.join(POLL_SECONDS)
                    state = self._progress(folder)
                    if state != last_state or time.monotonic() - last_renewal >= HEARTBEAT_SECONDS:
                        active = self._renew(job_id, **(state or {}))
                        last_state, last_renewal = state, time.monotonic()
                if active is False:
                    logger.warning("solve job %s was ended elsewhere; stopping its process", job_id)
                else:
                    self._record_end(job_id, process, folder)
            except Exception as error:
                logger.exception("watching solve job %s", job_id)
                self._end(job_id, "failed", f"lỗi khi theo dõi lượt giải: {_reason(error)}")
            finally:
                _kill_group(process.pid)  # whatever is left of the group
                process.join(POLL_SECONDS)
                if not self._still_active(job_id):  # else its result waits for whoever ends the job
                    shutil.rmtree(folder, ignore_errors=True)
                db.session.remove()
                with self._finished:
                    self._processes.pop(job_id, None)
                    self._stopping.discard(job_id)
                    self._finished.notify_all()

    def _still_active(self, job_id: int) -> bool:
        """Whether the job is still queued or running (True when the database cannot tell)."""
        try:
            return db.session.scalar(select(Job.status).where(Job.id == job_id)) in ACTIVE
        except SQLAlchemyError:
            self._discard_session()
            return True

    @staticmethod
    def _progress(folder: Path) -> dict | None:
        try:
            state = json.loads((folder / "progress.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        message = "đang kiểm tra và giải thích" if state.get("phase") == "checking" else "đang giải"
        return {"progress_done": state.get("done", 0), "progress_total": state.get("total", 0), "message": message}

    def _renew(self, job_id: int, **values) -> bool | None:
        """Renew the job's heartbeat (and progress): True, False when the job was ended elsewhere,
        None when it could not be written (retried at the next beat)."""
        try:
            renewed = db.session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status.in_(ACTIVE))
                .values(heartbeat_at=utcnow(), **values)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            return renewed.rowcount == 1
        except SQLAlchemyError:
            logger.warning("could not renew the heartbeat of solve job %s", job_id, exc_info=True)
            self._discard_session()
            return None

    def _record_end(self, job_id: int, process, folder: Path) -> None:
        if job_id in self._stopping:
            self._end(job_id, "stopped", STOPPED)
        elif process.exitcode == 0 and (folder / RESULT).exists():
            self._store_result(job_id, folder)
        else:
            self._end(job_id, "failed", f"tiến trình giải dừng bất thường (mã {process.exitcode})")

    # -------------------------------------------------------------------------------- ending

    def _store_result(self, job_id: int, folder: Path, server_gone: bool = False) -> bool:
        """Store the job's result as a draft and end the job ``done``; or end it ``failed`` with why.

        ``server_gone``: the result was left by a server that is gone (the messages say so).
        """
        prefix = f"{SERVER_GONE}; " if server_gone else ""
        suffix = f", lưu sau khi {SERVER_GONE}" if server_gone else ""
        try:
            with open(folder / RESULT, "rb") as stream:
                roster, report, explanations = pickle.load(stream)
        except Exception as error:
            return self._end(job_id, "failed", f"{prefix}không đọc được kết quả: {_reason(error)}")

        def claim_and_store():
            """The job's end and the draft in one transaction: of two writers only one stores."""
            claimed = db.session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status.in_(ACTIVE))
                .values(status="done", finished_at=utcnow(), progress_done=Job.progress_total, message=f"xong{suffix}")
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:
                db.session.rollback()
                return None
            revision = db.session.scalar(select(Job.dataset_revision).where(Job.id == job_id))
            return store.store_roster(roster, report, explanations, revision).id

        try:
            version_id = self._retrying(claim_and_store)
        except Exception as error:
            logger.exception("storing the result of solve job %s", job_id)
            return self._end(job_id, "failed", f"{prefix}không lưu được kết quả: {_reason(error)}")
        if version_id is None:
            logger.warning("solve job %s was ended elsewhere; its result is not stored", job_id)
            return False

        def link():
            db.session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(version_id=version_id, message=f"xong: phiên bản {version_id}{suffix}")
                .execution_options(synchronize_session=False)
            )
            db.session.commit()

        try:
            self._retrying(link)
        except Exception:
            logger.exception("solve job %s stored version %s but could not name it", job_id, version_id)
        return True

    def _end(self, job_id: int, status: str, message: str) -> bool:
        """End an active job with ``status`` and ``message``; returns whether this call ended it.

        Retried on a fresh connection for the end-retry time, then tried once as a bare UPDATE of
        status and message on its own connection, outside the session; failing that the lease ends
        the job.
        """

        def write() -> bool:
            ended = db.session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status.in_(ACTIVE))
                .values(status=status, message=message, finished_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            return ended.rowcount == 1

        try:
            return self._retrying(write)
        except Exception as error:
            logger.error("could not write the end of solve job %s (%s); trying a bare update", job_id, _reason(error))
        try:
            with db.engine.begin() as connection:
                ended = connection.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status.in_(ACTIVE))
                    .values(status=status, message=message[:REASON_CHARS])
                )
            return ended.rowcount == 1
        except Exception:
            logger.exception("could not end solve job %s; the lease will end it", job_id)
            return False

    def _retrying(self, write):
        """Run ``write`` and return its value; after an operational error (a lost connection, a locked
        or full database) roll back and run it again on a fresh connection until the end-retry time
        has passed."""
        deadline = time.monotonic() + self.end_retry_seconds
        delay_seconds = 0.2
        while True:
            try:
                return write()
            except OperationalError as error:
                self._discard_session()
                if time.monotonic() + delay_seconds > deadline:
                    raise
                logger.warning("database write failed (%s); retrying in %.1f s", _reason(error), delay_seconds)
                time.sleep(delay_seconds)
                delay_seconds = min(2 * delay_seconds, 2.0)
            except Exception:
                self._discard_session()
                raise

    @staticmethod
    def _discard_session() -> None:
        """End the session's transaction after an error: its next statement takes a fresh connection."""
        try:
            db.session.rollback()
        except Exception:
            logger.debug("rollback failed", exc_info=True)
            db.session.remove()

    # -------------------------------------------------------------------------------- reaping

    def _owner_gone(self, job) -> str | None:
        """Why the job's server is gone, or None while it may still be running the job."""
        if job.host is None or job.server_pid is None:
            return "no server recorded"
        if (
            job.host == socket.gethostname()
            and job.server_start is not None
            and process_start(job.server_pid) != job.server_start
        ):
            return f"server process {job.server_pid} has ended"
        if job.heartbeat_at is None or utcnow() - job.heartbeat_at > timedelta(seconds=self.lease_seconds):
            return f"no heartbeat since {job.heartbeat_at}"
        return None

    def _take_over(self, job, why: str) -> bool:
        """End a job whose server is gone; returns whether this call ended it."""
        logger.warning("solve job %s: %s; ending it", job.id, why)
        if (
            job.host == socket.gethostname()
            and job.solver_pid
            and job.solver_start is not None
            and process_start(job.solver_pid) == job.solver_start
        ):
            logger.warning("killing the solver of job %s left running (pid %s)", job.id, job.solver_pid)
            _kill_group(job.solver_pid)
        folder = self.workdir / f"job-{job.id}"
        seen = job.heartbeat_at
        if (folder / RESULT).exists():
            revision = store.revision()
            if revision == job.dataset_revision:
                ended = self._store_result(job.id, folder, server_gone=True)
            else:
                ended = self._end(
                    job.id,
                    "failed",
                    f"{SERVER_GONE}; kết quả bị bỏ vì dữ liệu đã thay đổi "
                    f"(đã giải bản {job.dataset_revision}, nay là bản {revision})",
                )
        else:
            ended = self._end_if_unrenewed(job.id, seen)
        if ended or db.session.scalar(select(Job.status).where(Job.id == job.id)) not in ACTIVE:
            shutil.rmtree(folder, ignore_errors=True)
        db.session.commit()
        return ended

    def _end_if_unrenewed(self, job_id: int, seen) -> bool:
        """End the job as failed unless its heartbeat moved since ``seen`` (its server came back)."""
        renewal = Job.heartbeat_at.is_(None) if seen is None else Job.heartbeat_at == seen
        try:
            ended = db.session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status.in_(ACTIVE), renewal)
                .values(status="failed", message=SERVER_GONE, finished_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            return ended.rowcount == 1
        except SQLAlchemyError:
            logger.exception("ending solve job %s", job_id)
            self._discard_session()
            return False
