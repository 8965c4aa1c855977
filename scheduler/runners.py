"""Where the solve's independent tasks run: in this process, in a pool of local processes, or on Dask.

The solve pipeline (:mod:`scheduler.pipeline`) hands its tasks to a runner: planning a
province, solving one cluster of wards, closing a province's roster. Every task gets
plain data (dataclasses of :mod:`scheduler.model` and the cluster specs) and builds what
it needs, its CP-SAT model included, where it runs; models never travel.

- :class:`LocalRunner` — ``processes = 1``: one task after another in this process;
  more: a :class:`~concurrent.futures.ProcessPoolExecutor` whose processes receive the
  campaigns once, when they start.
- :class:`DaskRunner` — a Dask distributed cluster: a :class:`~distributed.LocalCluster`
  of processes on this machine (one thread each) or a running scheduler's address. The
  campaigns are scattered to every worker once; a task names its campaign by a
  :class:`CampaignRef` the runner swaps for the scattered data. When a worker dies, the
  scheduler runs its tasks again on another worker (a task is given up after
  ``distributed.scheduler.allowed-failures`` deaths, then its province fails and says why).

This is the only module of the project that imports Dask (a test proves it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import as_completed as futures_completed
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from scheduler.model import Campaign

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 30


def _quiet_dask(level: int) -> None:
    """Dask's own loggers at ``level`` (its import sets them to INFO: a line for every connection)."""
    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(level)


@dataclass(frozen=True)
class CampaignRef:
    """A campaign named in a task's arguments instead of sent with it; the runner gives the task the campaign."""

    key: str


_CAMPAIGNS: dict[str, Campaign] = {}  # what a local pool's process (or this process) was given


def _keep_campaigns(campaigns: Mapping[str, Campaign]) -> None:
    _CAMPAIGNS.clear()
    _CAMPAIGNS.update(campaigns)


def campaign_of(value: Campaign | CampaignRef) -> Campaign:
    """The campaign a task was given: itself, or the one its reference names in this process."""
    if isinstance(value, CampaignRef):
        return _CAMPAIGNS[value.key]
    return value


class _Deferred:
    """A task of an in-process session, run when its result is first asked for."""

    def __init__(self, fn: Callable, args: tuple):
        self._fn, self._args = fn, args
        self._future: Future = Future()

    def run(self) -> None:
        if self._future.done():
            return
        try:
            self._future.set_result(self._fn(*self._args))
        except BaseException as error:  # noqa: BLE001 - handed to the caller through the future
            self._future.set_exception(error)

    def result(self) -> Any:
        self.run()
        return self._future.result()

    def cancel(self) -> bool:
        return self._future.cancel()


class Session:
    """Tasks submitted for one set of campaigns; used as a context manager by :meth:`LocalRunner.open` and
    :meth:`DaskRunner.open`."""

    def submit(self, fn: Callable, *args: Any) -> Any:
        """Start ``fn(*args)`` (a :class:`CampaignRef` argument arrives as its campaign); returns a future."""
        raise NotImplementedError

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        """The futures as they finish (each has ``result()``, which raises the task's error)."""
        raise NotImplementedError

    def cancel(self, futures: Iterable[Any]) -> None:
        """Give up tasks whose results are no longer wanted (those running may still finish)."""
        for future in futures:
            future.cancel()


class _InlineSession(Session):
    def submit(self, fn, *args):
        return _Deferred(fn, args)

    def as_completed(self, futures):
        for future in list(futures):
            future.run()
            yield future


class _PoolSession(Session):
    def __init__(self, pool: ProcessPoolExecutor):
        self.pool = pool

    def submit(self, fn, *args):
        return self.pool.submit(fn, *args)

    def as_completed(self, futures):
        return futures_completed(list(futures))


class LocalRunner:
    """Tasks on this machine: in this process (``processes = 1``) or in a pool of ``processes`` processes."""

    def __init__(self, processes: int = 1):
        self.processes = max(1, processes)

    @property
    def workers(self) -> int:
        """How many tasks run at once."""
        return self.processes

    @contextlib.contextmanager
    def open(self, campaigns: Mapping[str, Campaign]) -> Iterator[Session]:
        """A session whose tasks can name ``campaigns`` by :class:`CampaignRef`."""
        if self.processes == 1:
            _keep_campaigns(campaigns)
            try:
                yield _InlineSession()
            finally:
                _CAMPAIGNS.clear()
            return
        pool = ProcessPoolExecutor(max_workers=self.processes, initializer=_keep_campaigns, initargs=(dict(campaigns),))
        try:
            yield _PoolSession(pool)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class _DaskSession(Session):
    def __init__(self, client, refs: dict[str, Any]):
        self.client = client
        self.refs = refs

    def submit(self, fn, *args):
        args = tuple(self.refs[a.key] if isinstance(a, CampaignRef) else a for a in args)
        return self.client.submit(fn, *args, pure=False)

    def as_completed(self, futures):
        from distributed import as_completed

        return as_completed(list(futures))

    def cancel(self, futures):
        futures = list(futures)
        if futures:
            self.client.cancel(futures)


class DaskRunner:
    """Tasks on a Dask distributed cluster, through a :class:`distributed.Client`.

    Build one with :meth:`local` (a LocalCluster of processes on this machine) or :meth:`connect`
    (a running scheduler); both are context managers that close what they opened.
    """

    def __init__(self, client):
        self.client = client

    @classmethod
    @contextlib.contextmanager
    def local(
        cls, workers: int = 2, threads_per_worker: int = 1, log_level: int = logging.WARNING
    ) -> Iterator[DaskRunner]:
        """A LocalCluster of ``workers`` processes with ``threads_per_worker`` threads each, on loopback only
        (Dask's own logging at ``log_level``)."""
        from distributed import Client, LocalCluster

        _quiet_dask(log_level)

        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=log_level,
        )
        client = Client(cluster)
        try:
            logger.info("Dask LocalCluster at %s: %d workers", cluster.scheduler_address, workers)
            yield cls(client)
        finally:
            # The workers first: a worker whose scheduler is gone logs its failed heartbeats as errors.
            with contextlib.suppress(Exception):
                client.retire_workers(close_workers=True)
            client.close()
            cluster.close()

    @classmethod
    @contextlib.contextmanager
    def connect(
        cls, address: str, timeout_seconds: float = CONNECT_TIMEOUT_SECONDS, log_level: int = logging.WARNING
    ) -> Iterator[DaskRunner]:
        """A running Dask scheduler at ``address`` (``tcp://HOST:PORT``) and its workers.

        Raises
        ------
        OSError
            When no scheduler answers there within ``timeout_seconds``.
        """
        from distributed import Client

        _quiet_dask(log_level)
        client = Client(address, timeout=timeout_seconds)
        try:
            yield cls(client)
        finally:
            client.close()

    @property
    def workers(self) -> int:
        """How many tasks run at once: the threads of all the cluster's workers (at least one)."""
        return max(1, sum(self.client.nthreads().values()))

    def worker_pids(self) -> dict[str, int]:
        """Each worker's address and process id."""
        return self.client.run(os.getpid)

    def describe(self) -> str:
        workers = self.client.nthreads()
        return f"Dask at {self.client.scheduler.address}: {len(workers)} workers, {sum(workers.values())} threads"

    @contextlib.contextmanager
    def open(self, campaigns: Mapping[str, Campaign]) -> Iterator[Session]:
        """A session whose tasks can name ``campaigns`` by :class:`CampaignRef`: each reaches a worker once, the
        first time one of its tasks runs there."""
        # A task that returns the campaign, rather than scattered data: when the worker holding it dies, the
        # scheduler makes it again from the task (scattered data would be lost with it).
        refs = {
            key: self.client.submit(pickle.loads, pickle.dumps(campaign), pure=False, key=f"campaign-{key}-{uuid4()}")
            for key, campaign in campaigns.items()
        }
        try:
            yield _DaskSession(self.client, refs)
        finally:
            self.client.cancel(list(refs.values()))


Runner = LocalRunner | DaskRunner
