"""Rate limits counted in the database: atomic, shared by every server process, and failing closed.

An attempt raises the counter of its key in the current fixed window with one statement
(``INSERT … ON CONFLICT DO UPDATE … RETURNING``, on SQLite and PostgreSQL alike) in a transaction of
its own (a quick write, :mod:`web.writes`: a power failure may lose the last counts, a crash does not),
*before* the attempt is checked. Simultaneous requests therefore each see a distinct count,
and no burst gets more attempts through than the limit. If the counter cannot be written (a locked
database, a full disk) :func:`take` raises :class:`LimitUnavailable` and the caller refuses the
attempt: a security counter never fails open.

A :class:`Limit` says how many attempts one subject (a phone, an account, a client address, or a pair
of them) may make per window. Windows are fixed (aligned to the epoch), so the most attempts a subject
can ever make over a period is ``attempts × number of windows`` — the figure the guessing arithmetic
in the README uses.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, text, update
from sqlalchemy.exc import SQLAlchemyError

from web.models import RateCounter, db, utcnow
from web.writes import quick_transaction

logger = logging.getLogger(__name__)

KEEP_COUNTERS = timedelta(days=2)
REMEMBER_OVER_SECONDS = 5.0
_over: dict[tuple[str, str], float] = {}  # (database, key) found over its limit -> refuse it unasked until then
_over_lock = threading.Lock()
_EPOCH = datetime(2000, 1, 1)

_UPSERT = text(
    "INSERT INTO rate_counters (key, window_start, hits) VALUES (:key, :window_start, 1) "
    "ON CONFLICT (key) DO UPDATE SET hits = rate_counters.hits + 1 RETURNING hits"
)


class LimitUnavailable(RuntimeError):
    """The counter could not be written; the attempt must be refused."""


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` per ``window`` for one subject of the kind ``name``."""

    name: str
    attempts: int
    window: timedelta

    def window_start(self, now: datetime) -> datetime:
        seconds = int(self.window.total_seconds())
        elapsed = int((now - _EPOCH).total_seconds())
        return _EPOCH + timedelta(seconds=elapsed - elapsed % seconds)

    def key(self, subject: str, now: datetime) -> str:
        return f"{self.name}:{subject}:{self.window_start(now).isoformat()}"[:200]


def client_address(remote_addr: str | None) -> str:
    """The client's address as a rate-limit subject: IPv4 as is, IPv6 by its /64 network."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return "unknown"
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def take(limit: Limit, subject: str, now: datetime | None = None) -> bool:
    """Count one attempt of ``subject`` at ``now`` (default: the current time); whether it is within the limit.

    A key found over its limit is remembered in this process for :data:`REMEMBER_OVER_SECONDS`, and
    attempts on it meanwhile are refused without touching the database, so a flood from a refused
    client costs next to nothing. Within a window a count falls only by a success given back (which
    a refused client cannot have) or by a coordinator's reset, which clears this process's memory at
    once and reaches other processes within those seconds; so this never lets a failure through.

    Raises
    ------
    LimitUnavailable
        The counter could not be written (the caller refuses the attempt).
    """
    now = now or utcnow()
    key = limit.key(subject, now)
    remembered = (str(db.engine.url), key)
    with _over_lock:
        until = _over.get(remembered)
    if until is not None and time.monotonic() < until:
        return False
    try:
        with quick_transaction() as connection:
            hits = connection.execute(_UPSERT, {"key": key, "window_start": limit.window_start(now)}).scalar_one()
            if random.random() < 0.02:  # now and then, forget old windows
                connection.execute(delete(RateCounter).where(RateCounter.window_start < now - KEEP_COUNTERS))
    except SQLAlchemyError as error:
        logger.error("rate counter %s unavailable: %s", limit.name, error)
        raise LimitUnavailable(str(error)) from error
    if hits > limit.attempts:
        with _over_lock:
            if len(_over) > 10_000:
                _over.clear()
            _over[remembered] = time.monotonic() + REMEMBER_OVER_SECONDS
        return False
    return True


@dataclass(frozen=True)
class Attempt:
    """An attempt counted by :func:`take_all`: when, and the first limit it exceeded (None if none)."""

    at: datetime
    exceeded: Limit | None


def take_all(checks: list[tuple[Limit, str]]) -> Attempt:
    """Count an attempt against each (limit, subject) in order, all in the same windows.

    The counting stops at the first limit exceeded, so a client refused by its own address limit
    adds nothing to the counters of the account or phone it was trying.
    """
    now = utcnow()
    for limit, subject in checks:
        if not take(limit, subject, now):
            return Attempt(now, limit)
    return Attempt(now, None)


def reset(limit: Limit, subject: str) -> None:
    """Forget the attempts of ``subject`` under ``limit``, alone or paired (``subject|address``).

    A coordinator's reset of a volunteer's code lockout.
    """
    with _over_lock:
        prefixes = (f"{limit.name}:{subject}:", f"{limit.name}:{subject}|")
        for remembered in [item for item in _over if item[1].startswith(prefixes)]:
            del _over[remembered]
    escaped = subject.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    with db.engine.begin() as connection:
        for pattern in (f"{limit.name}:{escaped}:%", f"{limit.name}:{escaped}|%"):
            connection.execute(delete(RateCounter).where(RateCounter.key.like(pattern, escape="\\")))


def give_back(checks: list[tuple[Limit, str]], attempt: Attempt) -> None:
    """Take back one ``attempt`` of each (limit, subject): it succeeded, so it was no failure.

    The counts come off the windows the attempt was counted in, even if a window has ended since.
    The counters then count failures (and attempts still in flight), which is what the limits bound.
    """
    with quick_transaction() as connection:
        for limit, subject in checks:
            connection.execute(
                update(RateCounter)
                .where(RateCounter.key == limit.key(subject, attempt.at), RateCounter.hits > 0)
                .values(hits=RateCounter.hits - 1)
            )
