"""Where the web app keeps its data: the data directory, the database URL and the secret key.

- ``RAQUAN_DATA_DIR``: the data directory (default ``$XDG_DATA_HOME/raquan``, else
  ``~/.local/share/raquan``). It holds the SQLite file, the secret key and the solve jobs' work files.
- ``RAQUAN_DATABASE_URL``: a SQLAlchemy URL, e.g. ``postgresql+psycopg://user:pw@host/raquan``
  (default: ``sqlite:///<data dir>/raquan.db``).
- ``RAQUAN_SECRET_KEY``: signs sessions, CSRF tokens, volunteers' links and codes (default: a random
  key written once to ``<data dir>/secret_key``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


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
