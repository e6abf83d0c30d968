"""Crash-safe local file primitives shared by the raw store, the inbox and the curated publisher.

A page must never be half-written and a lock must die with its holder, so every write goes to a temp
file in the target directory, is fsynced and renamed into place, and every lock is an fcntl.flock
(released by the kernel when the process ends, even on SIGKILL: no stale lock files to clean).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govreports.config import DataPaths


def ensure_dirs(paths: DataPaths) -> DataPaths:
    """Create the deployment's local directories (not a remote curated store); returns `paths`."""
    for path in paths.local_dirs:
        path.mkdir(parents=True, exist_ok=True)
    return paths


def fsync_dir(path: Path) -> None:
    """Persist a directory entry (a rename or link) to disk; a no-op where directories can't be opened."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_temp(directory: Path, data: bytes, *, mode: int = 0o644, sync: bool = True) -> Path:
    """Write `data` to a fresh hidden temp file in `directory`, fsynced unless `sync` is False (a batch
    that syncs the whole filesystem once, io/durable_batch.py); the caller renames or links it."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        os.chmod(name, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace `path` with `data` atomically: readers see the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = write_temp(path.parent, data, mode=mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def write_once(path: Path, data: bytes, *, mode: int = 0o444) -> bool:
    """Create `path` with `data` unless it exists; True when this call created it.

    A hard link of a complete temp file publishes the content atomically *and* refuses to overwrite,
    so two writers racing on the same content-addressed name cannot clobber each other.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return False
    tmp = write_temp(path.parent, data, mode=mode)
    try:
        try:
            os.link(tmp, path)
            created = True
        except FileExistsError:
            created = False
        except OSError:  # filesystems without hard links: re-check, then rename
            created = not path.exists()
            if created:
                os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    fsync_dir(path.parent)
    return created


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `path` (created if missing) for the duration of the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
