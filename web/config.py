"""Where the web app keeps its data: the data directory, the database URL and the secret key.

- ``RAQUAN_DATA_DIR``: the data directory (default ``$XDG_DATA_HOME/raquan``, else
  ``~/.local/share/raquan``). It holds the SQLite file, the secret key and the solve jobs' work files.
- ``RAQUAN_DATABASE_URL``: a SQLAlchemy URL, e.g. ``postgresql+psycopg://user:pw@host/raquan``
  (default: ``sqlite:///<data dir>/raquan.db``).
- ``RAQUAN_SECRET_KEY``: signs sessions, CSRF tokens, volunteers' links and codes (default: a random
  key written once to ``<data dir>/secret_key``).
- ``RAQUAN_SECURE_COOKIES``: ``1`` (the default) sends the session cookie over HTTPS only; ``0`` for plain
  HTTP on loopback (``raquan demo`` sets it off for its own server).
- ``RAQUAN_LINK_MAX_AGE_DAYS``: how long volunteers' personal links and calendar feeds stay valid (90).
- ``RAQUAN_DB_TIMEOUT_SECONDS``: how long a write waits for a locked database, and PostgreSQL's lock
  and connect timeouts (5); past it the request answers 503 instead of hanging.
- ``RAQUAN_TRUSTED_PROXIES``: the number of reverse proxies in front of the app whose
  ``X-Forwarded-For`` is trusted (0); rate limits count per client address, so behind a proxy this
  must be set, or every client shares the proxy's address.

The data directory holds personal data (phones, password hashes, rosters): :func:`make_private`
keeps it mode 0700 and everything the process writes there 0600.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import stat
from pathlib import Path

logger = logging.getLogger(__name__)


def data_dir() -> Path:
    """The data directory from ``RAQUAN_DATA_DIR`` or the platform default."""
    configured = os.environ.get("RAQUAN_DATA_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "raquan"


def database_url(directory: Path) -> str:
    """``RAQUAN_DATABASE_URL`` or a SQLite file in the data directory."""
    return os.environ.get("RAQUAN_DATABASE_URL") or f"sqlite:///{(directory / 'raquan.db').resolve()}"


def secret_key(directory: Path) -> str:
    """``RAQUAN_SECRET_KEY`` or a key kept in the data directory (created on first use, mode 0600)."""
    configured = os.environ.get("RAQUAN_SECRET_KEY")
    if configured:
        return configured
    path = directory / "secret_key"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(secrets.token_hex(32))
    return path.read_text().strip()


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1 or 0, not {value!r}")


def _number(name: str, default: float, minimum: float, maximum: float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if not minimum <= number <= maximum:
        raise ValueError(f"{name} must be between {minimum:g} and {maximum:g}, not {value!r}")
    return number


def secure_cookies() -> bool:
    """``RAQUAN_SECURE_COOKIES`` (default on): the session cookie goes over HTTPS only."""
    return _flag("RAQUAN_SECURE_COOKIES", True)


def link_max_age_days() -> float:
    return _number("RAQUAN_LINK_MAX_AGE_DAYS", 90, 1, 3650)


def dask_scheduler() -> str | None:
    """``RAQUAN_DASK_SCHEDULER``: a running Dask scheduler (``tcp://HOST:PORT``) whose workers run the solve jobs'
    cluster solves; unset: the job's own local processes.

    Raises
    ------
    ValueError
        When the value is not an address Dask reads (``tcp://``, ``tls://`` or ``inproc://`` and a host).
    """
    value = os.environ.get("RAQUAN_DASK_SCHEDULER", "").strip()
    if not value:
        return None
    if not re.fullmatch(r"(tcp|tls|inproc)://[^\s/]+", value):
        raise ValueError(f"RAQUAN_DASK_SCHEDULER: '{value}' không phải địa chỉ bộ lập lịch Dask (tcp://HOST:PORT)")
    return value


def database_timeout_seconds() -> float:
    return _number("RAQUAN_DB_TIMEOUT_SECONDS", 5, 0.1, 300)


def trusted_proxies() -> int:
    return int(_number("RAQUAN_TRUSTED_PROXIES", 0, 0, 10))


def engine_options(url: str, timeout_seconds: float) -> dict:
    """SQLAlchemy engine options: short waits for locks and connections, so a busy database answers 503.

    A request may hold two connections at once (its session's, and the rate counter's own transaction,
    see :mod:`web.limits`), so the pool allows more than twice the server's threads before a request
    waits; it never waits longer than the timeout.
    """
    pool = {"pool_size": 10, "max_overflow": 30, "pool_timeout": timeout_seconds}
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": timeout_seconds}, **pool}
    options = {"pool_pre_ping": True, **pool}
    if url.startswith("postgresql"):
        milliseconds = int(timeout_seconds * 1000)
        options["connect_args"] = {
            "connect_timeout": max(1, round(timeout_seconds)),
            "options": f"-c lock_timeout={milliseconds}",
        }
    return options


def make_private(directory: Path) -> None:
    """Create the data directory 0700, make what is already in it private, and have the process create
    every later file 0600 (``umask 077``): the SQLite file and its journal, job files, the demo's tables."""
    os.umask(0o077)
    directory.mkdir(parents=True, exist_ok=True)
    for path in (directory, *directory.rglob("*")):
        try:
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
                continue
            mode = stat.S_IMODE(info.st_mode)
            if mode & 0o077:
                os.chmod(path, (mode & 0o700) | (0o700 if stat.S_ISDIR(info.st_mode) else 0))
        except OSError as error:
            logger.warning("could not make %s private: %s", path, error)
