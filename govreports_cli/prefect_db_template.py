"""An empty, migrated Prefect database to start temporary servers from, kept once per Prefect version.

Why: a temporary server on a new data dir creates its SQLite database by running every one of
Prefect's Alembic migrations, ≈3 of the ≈6 CPU seconds its start-up costs (and ≈3 s of a cold run's
wall time), to reach the same empty database every time for a given Prefect version. So the first
temporary server on a machine migrates as before and, once it answers (before any flow has run, so
its database holds no run), its database is copied with SQLite's online backup into the user's
cache; later temporary servers on new data dirs start from a copy, and Prefect's start-up check finds
it at head: nothing to migrate. Block types are still registered at start-up as usual (their memo is
keyed to the database's path, so it cannot be shared).

Only Prefect's default database (SQLite at $PREFECT_HOME/prefect.db) is ever seeded: a configured
database URL is left alone. A template that cannot be read or written is skipped, never fatal: the
server then migrates as it would have.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

CACHE_ENV = "GOVREPORTS_CACHE_DIR"
DB_NAME = "prefect.db"
#: settings that point Prefect's server at another database: then there is nothing to seed
DB_URL_SETTINGS = ("PREFECT_SERVER_DATABASE_CONNECTION_URL", "PREFECT_API_DATABASE_CONNECTION_URL")


def cache_root() -> Path:
    """$GOVREPORTS_CACHE_DIR, else $XDG_CACHE_HOME/govreports, else ~/.cache/govreports."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "govreports"


def template_path() -> Path | None:
    """Where the template of the installed Prefect version lives; None if Prefect's version is unknown."""
    try:
        version = metadata.version("prefect")
    except metadata.PackageNotFoundError:
        return None
    return cache_root() / "prefect-db" / version / DB_NAME


def applies() -> bool:
    """True when the temporary server will use the default SQLite database under PREFECT_HOME."""
    return not any(os.environ.get(name) for name in DB_URL_SETTINGS)


def seed(home: Path) -> bool:
    """Before a temporary server starts on `home`: copy the template in if `home` has no database yet.

    Returns True when the server will start from the template.
    """
    template = template_path()
    target = home / DB_NAME
    if not applies() or template is None or target.exists() or not template.is_file():
        return False
    return _write_whole(target, lambda partial: shutil.copyfile(template, partial))


def keep(home: Path) -> bool:
    """Once a temporary server that created `home`'s database answers: save it as the template.

    Call only before any flow runs against it (the copy must be empty). Returns True when saved.
    """
    template = template_path()
    source = home / DB_NAME
    if not applies() or template is None or template.exists() or not source.is_file():
        return False

    def backup(partial: Path) -> None:
        with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=5)) as src, \
                contextlib.closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)  # consistent even while the server has the file open (WAL)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it

    try:
        template.parent.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only cache: the server migrates, as it would have
        return False
    return _write_whole(template, backup)


def _write_whole(target: Path, write: Callable[[Path], object]) -> bool:
    """`write` a partial file beside `target`, then rename it into place: a reader (the server, or a
    concurrent run) never sees half a file. False, and no partial file left, when it fails."""
    partial = target.with_name(f".{DB_NAME}.{os.getpid()}.part")
    try:
        write(partial)
        os.replace(partial, target)
    except (OSError, sqlite3.Error):
        partial.unlink(missing_ok=True)
        return False
    return True
