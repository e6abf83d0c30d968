"""Many files made durable with two filesystem syncs, instead of an fsync or two per file (issue 16).

Storing one page durably costs four fsyncs (object, its directory, sidecar, its directory), and on a
real disk each is a journal commit: the inbox's 2,000 pages spent most of their time waiting for
them. A batch stages every file as a temp file in its target directory *without* syncing, makes all
of them durable with one `syncfs` (per filesystem), only then links or renames them into place, and
syncs once more. So a target name never points at bytes that are not on disk, and once `publish`
returns every published file is durable: a crash at any point leaves old content or new, never a
torn file, and at worst some `.tmp-*` debris that readers skip.

`syncfs` (Linux ≥ 2.6.39; it reports writeback errors from 5.8) is called through libc; where it is
missing each temp file and each touched directory is fsynced instead: the same guarantee, more syncs.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govreports.io.files import fsync_dir, write_temp


def _load_syncfs() -> Any:
    try:
        fn = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
    return fn


_SYNCFS = _load_syncfs()  # None where libc has no syncfs (tests set it to None to take the fallback)


def _syncfs(fd: int) -> None:
    """Flush everything on the filesystem holding `fd` to disk (data and metadata)."""
    if _SYNCFS(fd) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"syncfs: {os.strerror(err)}")


def sync_filesystems(dirs: Iterable[Path]) -> None:
    """One syncfs per filesystem that holds any of `dirs`."""
    seen: set[int] = set()
    for directory in dirs:
        if (dev := os.stat(directory).st_dev) in seen:
            continue
        seen.add(dev)
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            _syncfs(fd)
        finally:
            os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(slots=True, eq=False)
class Staged:
    """One file waiting in the batch: its temp name, its target, and how it is put in place."""

    tmp: Path
    target: Path
    once: bool  # True: hard link, never overwrite (content-addressed); False: replace
    created: bool | None = None  # after publish: True placed by this batch, False (once) already there
    error: OSError | None = None  # after publish: why it could not be put in place
    after: Staged | None = None  # put in place only if this one was (a sidecar never names missing bytes)


class DurableBatch:
    """Stage files, then `publish` them all durably: sync, link or replace, sync (see module doc).

    Use as a context manager: temp files not published (an error, a crash in the caller) are removed.
    """

    def __init__(self) -> None:
        self.staged: list[Staged] = []

    def __enter__(self) -> DurableBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    def stage(self, target: Path, data: bytes, *, once: bool, mode: int = 0o644,
              after: Staged | None = None) -> Staged:
        """Write `data` to a temp file beside `target`, not yet synced; OSError (disk full) stages nothing.

        `after`, an entry staged earlier, must be put in place first: if it fails, this one is not placed.
        """
        target.parent.mkdir(parents=True, exist_ok=True)
        entry = Staged(write_temp(target.parent, data, mode=mode, sync=False), target, once, after=after)
        self.staged.append(entry)
        return entry

    def drop(self, entry: Staged) -> None:
        """Take one staged file back out of the batch (its temp file is removed)."""
        self.staged.remove(entry)
        _remove(entry.tmp)

    def discard(self) -> None:
        """Remove every temp file still waiting (published ones are gone already)."""
        for entry in self.staged:
            _remove(entry.tmp)
        self.staged.clear()

    def publish(self) -> list[Staged]:
        """Make every staged file durable, put it in place, make the names durable; returns the entries.

        An OSError of the first sync leaves every target untouched; one of a single link or replace is
        stored on that entry (`error`) and the others go on; one of the last sync means
        nothing published may be taken as durable, so it is raised.
        """
        entries, dirs = list(self.staged), sorted({e.target.parent for e in self.staged})
        if not entries:
            return []
        if _SYNCFS is None:
            for entry in entries:
                _fsync_file(entry.tmp)
        else:
            sync_filesystems(dirs)
        for entry in entries:
            try:
                if entry.after is not None and entry.after.error is not None:
                    raise entry.after.error
                entry.created = _place(entry)
            except OSError as exc:
                entry.error = exc
            _remove(entry.tmp)  # the name linked to it stays; a replaced one is gone already
        self.staged.clear()
        if _SYNCFS is None:
            for directory in dirs:
                fsync_dir(directory)
        else:
            sync_filesystems(dirs)
        return entries


def _place(entry: Staged) -> bool:
    """Link (once) or rename the temp file to its target; True when this placed it."""
    if not entry.once:
        os.replace(entry.tmp, entry.target)
        return True
    try:
        os.link(entry.tmp, entry.target)
        return True
    except FileExistsError:
        return False
    except OSError:  # filesystems without hard links: re-check, then rename (as files.write_once does)
        if entry.target.exists():
            return False
        os.replace(entry.tmp, entry.target)
        return True


def _remove(tmp: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
