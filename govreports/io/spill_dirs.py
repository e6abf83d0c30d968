"""Scratch dirs in $TMPDIR that a killed run does not leave behind.

Why: the publish spills to the local temp dir (DuckDB's temp_directory for the key diff and the
backfill's diff, the incoming rows as Arrow IPC, the compared bodies), because it is fast and
local where the data dir may not be. A run killed mid-publish (SIGKILL, the OOM killer) cannot
remove them: a killed 10,000-page backfill left 273 MB, and 55 such dirs had piled up to 2.6 GB on
the development box. So each dir is made with a lock file whose flock its process holds while the
dir lives (the kernel drops it when the process dies however it dies), and every run first removes
the dirs whose lock nobody holds (`sweep_stale`), as staging.py does for killed runs' stages.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "govreports-spill-"
LOCK = ".in-use"
_HELD: dict[Path, int] = {}  # dir -> the fd holding its lock, while the dir lives


def make(kind: str) -> Path:
    """A new scratch dir `$TMPDIR/govreports-spill-<kind>-…`, marked as this live process's."""
    directory = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-"))
    fd = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a new dir: nobody else can hold it
    _HELD[directory] = fd
    return directory


def remove(directory: Path) -> None:
    """Delete a dir `make` made (its lock goes with it)."""
    directory = Path(directory)
    shutil.rmtree(directory, ignore_errors=True)
    fd = _HELD.pop(directory, None)
    if fd is not None:
        os.close(fd)


def sweep_stale(root: Path | None = None) -> list[Path]:
    """Remove the scratch dirs under `root` (default: the temp dir) whose process is gone; returns them.

    A dir without its lock file is one being made this instant (mkdtemp, then the lock): left alone.
    """
    removed = []
    for directory in sorted(Path(root or tempfile.gettempdir()).glob(f"{PREFIX}*")):
        if directory not in _HELD and (directory / LOCK).is_file() and remove_if_unheld(directory, directory / LOCK):
            removed.append(directory)
    return removed


def remove_if_unheld(target: Path, lock: Path, *, create: bool = False) -> bool:
    """Remove `target` when no process holds an flock on `lock` (its owner is gone); True if removed.
    staging.sweep_stale removes killed runs' stages with it too."""
    try:
        fd = os.open(lock, os.O_RDWR | (os.O_CREAT if create else 0), 0o644)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held: its owner is alive
        os.close(fd)
        return False
    try:
        shutil.rmtree(target, ignore_errors=True)
        return True
    finally:
        os.close(fd)
