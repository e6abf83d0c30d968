"""The inbox: pages pushed to us (not fetched) enter the raw store here, or land in quarantine.

Anyone can drop files into raw/inbox/, so nothing about them is trusted: names may hold spaces, Chinese,
leading dashes or `..`; entries may be symlinks, directories, FIFOs, empty or huge. A page leaves the
inbox only once its bytes and sidecar are durable in the raw store (stored in chunks of up to
CHUNK_PAGES made durable together by two filesystem syncs, not four fsyncs a page); anything that
cannot be taken moves to raw/quarantine/ under a sanitised, deterministic name with a
`<name>.reason.txt`, so a person can look at it and nothing is silently dropped. No path is ever built from a file's name except by sanitising
it into a single component, so nothing can be written outside the data dir.

Conventions for uploaders: write under a hidden name (`.name.part`) and rename when complete (hidden
and `.part` names are never taken); a sidecar `<page>.json` or `<page>.meta.json` may give {"url",
"source", "content_type", "received_at", "headers"}. A sidecar whose page has not arrived yet waits.
A writer that ignores the convention is caught by time: a page is taken only once its mtime is at
least `settle_seconds` old (GOVREPORTS_INBOX_SETTLE_SECONDS, default 10) and its size and mtime did
not change while it was read; until then it waits, and the run summary counts what waits.
Concurrent runs on one data dir take turns (an flock on raw/inbox.lock), so each page is received
by exactly one of them and both summaries add up.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govreports.config import DataPaths
from govreports.io import raw_store
from govreports.io.files import atomic_write, ensure_dirs, exclusive_lock, fsync_dir
from govreports.io.inbox_files import (
    Reject,
    Wait,
    check_page,
    load_sidecar,
    looks_like_sidecar,
    pair_sidecars,
    printable,
)

SETTLE_ENV = "GOVREPORTS_INBOX_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 10.0
_NAME_BUDGET = 200  # bytes: leaves room for "~NNN", ".json" and ".reason.txt" under NAME_MAX (255)
CHUNK_PAGES = 256  # pages stored per batch (two filesystem syncs each, raw_store.PutBatch) ...
CHUNK_BYTES = 64 << 20  # ... or fewer, once their bytes reach this: bounds what one sync writes back


@dataclass(frozen=True, slots=True)
class ReceivedPage:
    """A page taken from the inbox into the raw store."""

    name: str
    sha256: str
    path: Path
    is_new: bool
    source: str
    url: str | None


@dataclass(slots=True)
class InboxReport:
    """What one `receive` did: pages stored, entries quarantined (name, reason), entries left waiting."""

    stored: list[ReceivedPage] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    waiting: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


def settle_seconds() -> float:
    """How long a page's mtime must be unchanged before it is taken ($GOVREPORTS_INBOX_SETTLE_SECONDS)."""
    value = os.environ.get(SETTLE_ENV, "").strip()
    try:
        return max(0.0, float(value)) if value else DEFAULT_SETTLE_SECONDS
    except ValueError:
        return DEFAULT_SETTLE_SECONDS


def sanitise(name: str) -> str:
    """One safe path component: letters/digits (any script), '.', '_', '-'; no leading dot or dash,
    no '..' run, at most _NAME_BUDGET UTF-8 bytes."""
    safe = "".join(ch if (ch.isalnum() and ch.isprintable()) or ch in "._-" else "_" for ch in printable(name))
    safe = re.sub(r"\.{2,}", "_", safe).lstrip(".-") or "unnamed"
    encoded = safe.encode("utf-8")[:_NAME_BUDGET]
    return encoded.decode("utf-8", "ignore")


def _unique(quarantine: Path, base: str) -> str:
    """`base`, or `stem~N.ext` with the smallest N whose name and companions are all unused."""
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem or len(ext) > 10:
        stem, ext = base, ""
    candidate, n = base, 1
    while any((quarantine / (candidate + s)).exists() or (quarantine / (candidate + s)).is_symlink()
              for s in ("", ".json", ".reason.txt")):
        n += 1
        candidate = f"{stem}~{n}" + (f".{ext}" if ext else "")
    return candidate


def _move(src: Path, dst: Path) -> None:
    try:
        os.rename(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.move(str(src), str(dst))  # across filesystems; symlinks are moved as links


def _quarantine(paths: DataPaths, name: str, reason: str, sidecar: str | None) -> str:
    qdir = paths.quarantine_dir
    target = _unique(qdir, sanitise(name))
    dst = qdir / target
    if dst.parent != qdir:  # sanitise() yields one component; belt and braces
        raise RuntimeError(f"refusing to quarantine outside {qdir}: {target!r}")
    _move(paths.inbox_dir / name, dst)
    lines = [f"reason: {reason}", f"original_name: {printable(name)}"]
    if sidecar is not None:
        _move(paths.inbox_dir / sidecar, qdir / (target + ".json"))
        lines.append(f"sidecar: {printable(sidecar)} -> {target}.json")
    atomic_write(qdir / (target + ".reason.txt"), ("\n".join(lines) + "\n").encode("utf-8"))
    return target


def receive(paths: DataPaths, *, max_bytes: int = 20_000_000, default_source: str = "inbox",
            on_file: Callable[[int, int], None] | None = None, settle: float | None = None,
            on_stored: Callable[[list[ReceivedPage]], None] | None = None) -> InboxReport:
    """Take every settled page in raw/inbox/ into the raw store (sorted by name); quarantine what can't
    be taken; leave what may still be written (hidden, `.part`, recently modified) waiting.

    Args:
        paths: the data layout.
        max_bytes: larger files are quarantined unread.
        default_source: source recorded for pages whose sidecar names none.
        on_file: called as (files looked at, files in all) before each file, for progress.
        settle: seconds a page's mtime must be unchanged (default: settle_seconds()).
        on_stored: called with each chunk's stored pages once they are durable and out of the inbox
            (the run parses them while it receives the rest: io/arrivals.py).
    """
    ensure_dirs(paths)
    with exclusive_lock(paths.inbox_lock_path):
        return _receive(paths, max_bytes, default_source, settle_seconds() if settle is None else settle, on_file,
                        on_stored)


def _receive(paths: DataPaths, max_bytes: int, default_source: str, settle: float,
             on_file: Callable[[int, int], None] | None,
             on_stored: Callable[[list[ReceivedPage]], None] | None = None) -> InboxReport:
    inbox, report = paths.inbox_dir, InboxReport()
    names = sorted(os.listdir(inbox))
    sidecars_of, claimed = pair_sidecars(names)
    total = len(names) - len(claimed)
    chunk = _Chunk(paths, report, default_source, on_stored)
    try:
        for seen, name in enumerate(n for n in names if n not in claimed):  # a claimed sidecar travels with its page
            if on_file:
                on_file(seen, total)
            _take(chunk, name, sidecars_of.get(name, []), max_bytes, settle)
            if len(chunk.batch) >= CHUNK_PAGES or chunk.batch.nbytes >= CHUNK_BYTES:
                chunk.commit()
        chunk.commit()
    finally:
        chunk.batch.discard()  # temp files of pages staged but not committed (an exception)
    fsync_dir(inbox)
    if on_file:
        on_file(total, total)
    return report


def _take(chunk: _Chunk, name: str, sidecars: list[str], max_bytes: int, settle: float) -> None:
    """One inbox name (with its sidecars): staged for storing, quarantined, left waiting, or left with an error."""
    paths, report = chunk.paths, chunk.report
    if (name.startswith(".") and not name.startswith("..")) or name.endswith(".part"):
        report.waiting.append((printable(name), "hidden or .part name (upload in progress?)"))
        return
    try:
        got = _read(paths.inbox_dir, name, sidecars, max_bytes, settle)
    except Reject as exc:
        _reject(paths, report, name, sidecars, exc)
        return
    except Wait as exc:
        report.waiting.append((printable(name), str(exc)))
        return
    except OSError as exc:
        report.errors.append((printable(name), f"left in the inbox: {exc}"))
        return
    if got is None:
        report.waiting.append((printable(name), "sidecar waiting for its page"))
        return
    chunk.add(name, sidecars[0] if sidecars else None, *got)


def _read(inbox: Path, name: str, sidecars: list[str], max_bytes: int,
          settle: float) -> tuple[bytes, dict[str, Any]] | None:
    """A page's bytes and its sidecar's fields; None for a sidecar whose page has not arrived."""
    if looks_like_sidecar(name) and os.path.lexists(inbox / name) and not sidecars:
        return None
    if name.startswith(".."):
        raise Reject("name starts with '..' (neither a page name nor an upload in progress)")
    data = check_page(inbox / name, name, max_bytes, settle)
    if len(sidecars) > 1:
        raise Reject(f"two sidecars: {', '.join(map(printable, sidecars))}")
    return data, (load_sidecar(inbox / sidecars[0]) if sidecars else {})


def _reject(paths: DataPaths, report: InboxReport, name: str, sidecars: list[str], exc: Reject) -> None:
    """Move a refused page (and its sidecars) to quarantine, or record why it could not be moved."""
    try:
        extra = sidecars[1] if len(sidecars) > 1 else None
        target = _quarantine(paths, name, str(exc), sidecars[0] if sidecars else None)
        if extra:
            _quarantine(paths, extra, f"second sidecar of {printable(name)}", None)
        report.quarantined.append((printable(name), f"{exc} -> {target}"))
    except OSError as move_exc:
        report.errors.append((printable(name), f"{exc}; could not quarantine: {move_exc}"))


class _Chunk:
    """Pages staged in one raw_store.PutBatch; `commit` stores them, then (only then: their bytes and
    sidecars are durable) unlinks them and their sidecars from the inbox."""

    def __init__(self, paths: DataPaths, report: InboxReport, default_source: str,
                 on_stored: Callable[[list[ReceivedPage]], None] | None = None) -> None:
        self.paths, self.report, self.default_source, self.on_stored = paths, report, default_source, on_stored
        self.batch = raw_store.PutBatch(paths)
        self.pages: list[tuple[str, str | None, dict[str, Any]]] = []

    def add(self, name: str, sidecar: str | None, data: bytes, meta: dict[str, Any]) -> None:
        try:
            self.batch.add(
                data, source=meta.get("source") or self.default_source, url=meta.get("url"), via="inbox",
                original_name=printable(name), content_type=meta.get("content_type"),
                headers=meta.get("headers"), received_at=meta.get("received_at"),
            )
        except OSError as exc:  # e.g. disk full: this page stays in the inbox, the others are tried
            self._failed(name, exc)
            return
        except raw_store.RawStoreError:
            self.commit()  # the pages before it are stored, as they would be one by one
            raise
        self.pages.append((name, sidecar, meta))

    def _failed(self, name: str, exc: OSError) -> None:
        self.report.errors.append((printable(name), f"left in the inbox: cannot store it: {exc}"))

    def commit(self) -> None:
        batch, pages = self.batch, self.pages
        self.batch, self.pages = raw_store.PutBatch(self.paths), []
        if not pages:
            batch.discard()  # a first page that failed may have taken the sidecar lock
            return
        before = len(self.report.stored)
        for (name, sidecar, meta), stored in zip(pages, batch.commit(), strict=True):
            if isinstance(stored, OSError):
                self._failed(name, stored)
                continue
            for done in (name, sidecar) if sidecar else (name,):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.paths.inbox_dir / done)
            self.report.stored.append(ReceivedPage(printable(name), stored.sha256, stored.path, stored.is_new,
                                                   meta.get("source") or self.default_source, meta.get("url")))
        if self.on_stored and len(self.report.stored) > before:
            self.on_stored(self.report.stored[before:])
