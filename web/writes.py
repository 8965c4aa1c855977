"""Quick writes: a transaction of its own for rows whose loss in a power failure costs little.

A sign-in's session row, the version a volunteer last saw and the rate counters are written on almost every
sign-in and on many page views. Committed the usual way, each waits for the disk (SQLite fsyncs its
write-ahead log at every commit: 7 ms on the development machine, one writer at a time), so fifty volunteers
opening their links at once queue for a second. :func:`quick_transaction` commits without that wait:

- SQLite (WAL): ``PRAGMA synchronous=NORMAL`` for this connection while it commits. The database is never
  corrupted; a power failure (not a crash of the server) may lose the last such commits, and the next
  ordinary commit makes them durable with its own.
- PostgreSQL: ``SET LOCAL synchronous_commit TO OFF`` (the same promise, for this transaction only).

What such a loss means: a volunteer signed in just before the power went is asked to sign in again, the
changes banner shows once more, a few failed attempts are not counted. Everything else (rosters,
publishing, events, revocations and sign-outs) keeps the ordinary, durable commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

from web.models import db


@contextmanager
def quick_transaction() -> Iterator[Connection]:
    """A connection in a transaction of its own, committed at the end of the block without waiting for the disk
    (rolled back if the block raises). Writes here must not touch rows the request's session has changed and
    not committed."""
    with db.engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                yield connection
            return
        previous = int(connection.exec_driver_sql("PRAGMA synchronous").scalar() or 2)
        connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
        connection.commit()
        try:
            with connection.begin():
                yield connection
        finally:
            connection.exec_driver_sql(f"PRAGMA synchronous={previous}")
            connection.commit()
