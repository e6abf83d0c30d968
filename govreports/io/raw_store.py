"""The raw store: every page the pipeline ever saw, content-addressed and immutable.

Parsing is re-run whenever the code changes, so the original bytes must outlive every parser version:
they are kept byte-for-byte under raw/objects/<sha[:2]>/<sha> and never rewritten. Where a page came
from is not part of its identity (the same bytes arrive by fetch and by inbox, from several URLs), so
each arrival is a *sighting* appended to a JSON sidecar <sha>.json next to the bytes. A plain directory
of files beats a database here: it is inspectable, rsync-able, and needs no server.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from govreports.config import DataPaths
from govreports.io.durable_batch import DurableBatch, Staged
from govreports.io.files import atomic_write, exclusive_lock, write_once

Via = Literal["inbox", "fetch"]
_SIGHTING_KEYS = ("source", "url", "via", "original_name", "content_type", "received_at", "headers")


class RawStoreError(RuntimeError):
    """The store is inconsistent (an object's bytes no longer match its name)."""


@dataclass(frozen=True, slots=True)
class StoredPage:
    """One page in the raw store; `is_new` is False when the bytes were already there."""

    sha256: str
    path: Path
    is_new: bool


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _canonical(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _read_sidecar(path: Path, sha256: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"sha256": sha256, "sightings": []}


def _checked(data: Any, via: str) -> bytes:
    if via not in ("inbox", "fetch"):
        raise ValueError(f"via must be 'inbox' or 'fetch', not {via!r}")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    return bytes(data)


def _check_size(path: Path, sha: str, size: int) -> None:
    if path.stat().st_size != size:
        raise RawStoreError(f"raw object {sha} exists with a different size: the store is damaged")


def _sighting(source: str, url: str | None, via: str, original_name: str | None, content_type: str | None,
              headers: Mapping[str, str] | None, received_at: str | None) -> dict[str, Any]:
    return {
        "source": source,
        "url": url,
        "via": via,
        "original_name": original_name,
        "content_type": content_type,
        "received_at": received_at or _now(),
        "headers": dict(sorted((headers or {}).items())),
    }


def _add_sighting(meta: dict[str, Any], sighting: dict[str, Any], sha: str, size: int) -> bool:
    """Append `sighting` to a sidecar's content unless an identical one is there; True when it changed."""
    if _canonical(sighting) in {_canonical(s) for s in meta.get("sightings", [])}:
        return False
    meta["sha256"] = sha
    meta["size"] = size
    meta.setdefault("sightings", []).append(sighting)
    return True


def _sidecar_bytes(meta: dict[str, Any]) -> bytes:
    return (json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def put(
    paths: DataPaths,
    data: bytes,
    *,
    source: str,
    url: str | None = None,
    via: Via = "inbox",
    original_name: str | None = None,
    content_type: str | None = None,
    headers: Mapping[str, str] | None = None,
    received_at: str | None = None,
) -> StoredPage:
    """Store `data` (once) and record this sighting of it.

    The bytes are durable (fsynced, atomically linked into place) before this returns, so a caller may
    delete its own copy afterwards. A sighting identical to a recorded one is not added twice, which
    makes retries harmless.

    Returns:
        The page's hash and path; `is_new` tells whether the bytes were stored by this call.
    """
    data = _checked(data, via)
    sha = hashlib.sha256(data).hexdigest()
    path = paths.object_path(sha)
    is_new = write_once(path, data)
    if not is_new:
        _check_size(path, sha, len(data))
    sighting = _sighting(source, url, via, original_name, content_type, headers, received_at)
    side = paths.sidecar_path(sha)
    # read-modify-write of the sidecar: serialise writers (threads and processes) with a flock
    with exclusive_lock(paths.sidecar_lock_path):
        meta = _read_sidecar(side, sha)
        if _add_sighting(meta, sighting, sha, len(data)):
            atomic_write(side, _sidecar_bytes(meta))
    return StoredPage(sha256=sha, path=path, is_new=is_new)


@dataclass(slots=True)
class _Pending:
    sha: str
    size: int
    stages_object: bool  # the first page of its bytes in the batch, and the bytes were not stored yet


class PutBatch:
    """Many `put`s made durable together with a few filesystem syncs (io/durable_batch.py): the inbox's
    path, where thousands of pages arrive at once and per-page fsyncs were most of the time.

    `add` stages a page's bytes and its sidecar's new content (taking the sidecar lock on the first
    page and holding it until `commit` or `discard`); an OSError such as a full disk stages nothing
    of that page. `commit` publishes objects and sidecars at once. Nothing is durable, and no caller
    may delete its copy, before `commit` returns. One batch, one commit.
    """

    def __init__(self, paths: DataPaths) -> None:
        self.paths = paths
        self.nbytes = 0
        self._pending: list[_Pending] = []
        self._objects: dict[str, Staged] = {}
        self._sides: dict[str, Staged] = {}
        self._metas: dict[str, dict[str, Any]] = {}
        self._files = DurableBatch()
        self._lock = contextlib.ExitStack()
        self._locked = False

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, data: bytes, *, source: str, url: str | None = None, via: Via = "inbox",
            original_name: str | None = None, content_type: str | None = None,
            headers: Mapping[str, str] | None = None, received_at: str | None = None) -> None:
        """Stage one page (arguments as for `put`)."""
        data = _checked(data, via)
        sha = hashlib.sha256(data).hexdigest()
        path = self.paths.object_path(sha)
        if not self._locked:  # read-modify-write of sidecars: serialised with `put` for the whole batch
            self._lock.enter_context(exclusive_lock(self.paths.sidecar_lock_path))
            self._locked = True
        first = sha not in self._objects and not path.exists()
        if not first and sha not in self._objects:
            _check_size(path, sha, len(data))
        obj = self._files.stage(path, data, once=True, mode=0o444) if first else self._objects.get(sha)
        try:
            meta = self._metas.get(sha) or _read_sidecar(self.paths.sidecar_path(sha), sha)
            meta = {**meta, "sightings": list(meta.get("sightings", []))}
            sighting = _sighting(source, url, via, original_name, content_type, headers, received_at)
            side = self._files.stage(self.paths.sidecar_path(sha), _sidecar_bytes(meta), once=False, after=obj) \
                if _add_sighting(meta, sighting, sha, len(data)) else None
        except BaseException:
            if first and obj is not None:
                self._files.drop(obj)  # give the space back: nothing of this page is stored
            raise
        if side is not None:
            if sha in self._sides:
                self._files.drop(self._sides[sha])
            self._sides[sha] = side
        if first and obj is not None:
            self._objects[sha] = obj
        self._metas[sha] = meta
        self._pending.append(_Pending(sha, len(data), first))
        self.nbytes += len(data)

    def commit(self) -> list[StoredPage | OSError]:
        """Publish every staged page; per page (in `add` order) where it is, or why it is not stored."""
        try:
            self._files.publish()
        except OSError as exc:  # not durable: every page of the batch stays where it came from
            return [exc for _ in self._pending]
        finally:
            self.discard()
        return [self._outcome(page) for page in self._pending]

    def discard(self) -> None:
        """Remove the temp files of pages not published and release the sidecar lock."""
        try:
            self._files.discard()
        finally:
            self._lock.close()
            self._locked = False

    def _outcome(self, page: _Pending) -> StoredPage | OSError:
        path = self.paths.object_path(page.sha)
        obj, side = self._objects.get(page.sha), self._sides.get(page.sha)
        error = (obj and obj.error) or (side and side.error)
        if error:
            return error
        if obj is not None and obj.created is False:  # a concurrent writer linked the same name first
            _check_size(path, page.sha, page.size)
        return StoredPage(sha256=page.sha, path=path, is_new=page.stages_object and bool(obj and obj.created))


def has(paths: DataPaths, sha256: str) -> bool:
    """True when the bytes of `sha256` are in the store."""
    return paths.object_path(sha256).is_file()


def get(paths: DataPaths, sha256: str) -> bytes:
    """The stored bytes of `sha256`, verified against the hash (a damaged store raises RawStoreError)."""
    data = paths.object_path(sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise RawStoreError(f"raw object {sha256} does not match its hash: the store is damaged")
    return data


def sidecar(paths: DataPaths, sha256: str) -> dict[str, Any]:
    """The sidecar of `sha256`: {"sha256", "size", "sightings": [...]} (sightings in arrival order)."""
    if not has(paths, sha256):
        raise FileNotFoundError(f"no raw object {sha256}")
    return _read_sidecar(paths.sidecar_path(sha256), sha256)


def iter_hashes(paths: DataPaths) -> Iterator[str]:
    """Every stored hash, sorted (temp files, sidecars and stray names are skipped)."""
    root = paths.objects_dir
    if not root.is_dir():
        return
    for shard in sorted(os.listdir(root)):
        shard_dir = root / shard
        if len(shard) != 2 or not shard_dir.is_dir():
            continue
        for name in sorted(os.listdir(shard_dir)):
            if len(name) == 64 and name.startswith(shard) and (shard_dir / name).is_file():
                try:
                    paths.object_path(name)
                except ValueError:
                    continue
                yield name
