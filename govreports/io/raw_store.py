"""The raw store: every page the pipeline ever saw, content-addressed and immutable.

Parsing is re-run whenever the code changes, so the original bytes must outlive every parser version:
they are kept byte-for-byte under raw/objects/<sha[:2]>/<sha> and never rewritten. Where a page came
from is not part of its identity (the same bytes arrive by fetch and by inbox, from several URLs), so
each arrival is a *sighting* appended to a JSON sidecar <sha>.json next to the bytes. A plain directory
of files beats a database here: it is inspectable, rsync-able, and needs no server.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from govreports.config import DataPaths
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
    if via not in ("inbox", "fetch"):
        raise ValueError(f"via must be 'inbox' or 'fetch', not {via!r}")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    data = bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    path = paths.object_path(sha)
    is_new = write_once(path, data)
    if not is_new and path.stat().st_size != len(data):
        raise RawStoreError(f"raw object {sha} exists with a different size: the store is damaged")
    sighting = {
        "source": source,
        "url": url,
        "via": via,
        "original_name": original_name,
        "content_type": content_type,
        "received_at": received_at or _now(),
        "headers": dict(sorted((headers or {}).items())),
    }
    side = paths.sidecar_path(sha)
    # read-modify-write of the sidecar: serialise writers (threads and processes) with a flock
    with exclusive_lock(paths.sidecar_lock_path):
        meta = _read_sidecar(side, sha)
        seen = {_canonical(s) for s in meta.get("sightings", [])}
        if _canonical(sighting) not in seen:
            meta["sha256"] = sha
            meta["size"] = len(data)
            meta.setdefault("sightings", []).append(sighting)
            atomic_write(side, (json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode())
    return StoredPage(sha256=sha, path=path, is_new=is_new)


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
