"""What a file dropped into the inbox holds, read safely: a complete regular file within its size
cap (never a symlink, a FIFO or a file still being written), and its JSON sidecar.

The per-file half of inbox.py, which walks the inbox, stores what these accept and quarantines
what they refuse (`Reject`) or leaves for a later run (`Wait`).
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from typing import Any

PAGE_EXTENSIONS = frozenset({".html", ".htm", ".txt", ".shtml"})
SIDECAR_SUFFIXES = (".json", ".meta.json")
MAX_SIDECAR_BYTES = 1_000_000


class Reject(Exception):
    """An inbox entry that must go to quarantine; the message is the recorded reason."""


class Wait(Exception):
    """An inbox entry that may still be being written: left for a later run; the message says why."""


def printable(name: str) -> str:
    """The name as valid UTF-8 text (undecodable bytes from the filesystem become U+FFFD)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def read_regular(path: Path, limit: int) -> bytes:
    """Read a regular file without following symlinks or blocking on FIFOs; at most `limit` bytes."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise Reject(f"unreadable: {exc.strerror or exc}") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Reject("not a regular file")
        if st.st_size > limit:
            raise Reject(f"larger than the limit ({st.st_size} > {limit} bytes)")
        chunks, total = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise Reject(f"larger than the limit (> {limit} bytes)")
        after = os.fstat(fd)
        if (after.st_size, after.st_mtime_ns) != (st.st_size, st.st_mtime_ns) or total != st.st_size:
            raise Wait("changed while being read (still being written?)")
        return b"".join(chunks)
    except OSError as exc:
        raise Reject(f"unreadable: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)


def check_page(path: Path, name: str, max_bytes: int, settle: float) -> bytes:
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise Reject("symlink (links are never followed)")
    if stat.S_ISDIR(st.st_mode):
        raise Reject("directory")
    if not stat.S_ISREG(st.st_mode):
        raise Reject("not a regular file")
    ext = os.path.splitext(name)[1].lower()
    if ext not in PAGE_EXTENSIONS:
        raise Reject(f"unknown extension {printable(ext) or '(none)'!r}; accepted: {sorted(PAGE_EXTENSIONS)}")
    age = time.time() - st.st_mtime
    if age < settle:
        raise Wait(f"modified {max(age, 0):.0f} s ago; taken once unchanged for {settle:g} s")
    if st.st_size == 0:
        raise Reject("empty file")
    if st.st_size > max_bytes:
        raise Reject(f"larger than the limit ({st.st_size} > {max_bytes} bytes)")
    data = read_regular(path, max_bytes)
    if not data:
        raise Reject("empty file")
    return data


def load_sidecar(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(read_regular(path, MAX_SIDECAR_BYTES).decode("utf-8"))
    except Reject as exc:
        raise Reject(f"bad sidecar: {exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Reject(f"bad sidecar: not UTF-8 JSON ({exc})") from exc
    if not isinstance(meta, dict):
        raise Reject("bad sidecar: not a JSON object")
    for key in ("url", "source", "content_type", "received_at"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            raise Reject(f"bad sidecar: {key!r} must be a string")
    headers = meta.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise Reject("bad sidecar: 'headers' must map names to strings")
    return meta


def pair_sidecars(names: list[str]) -> tuple[dict[str, list[str]], set[str]]:
    present = set(names)
    pairs = {n: [n + s for s in SIDECAR_SUFFIXES if n + s in present] for n in names}
    pairs = {n: s for n, s in pairs.items() if s}
    return pairs, {s for group in pairs.values() for s in group}


def looks_like_sidecar(name: str) -> bool:
    for suffix in SIDECAR_SUFFIXES:
        if name.endswith(suffix) and os.path.splitext(name[: -len(suffix)])[1].lower() in PAGE_EXTENSIONS:
            return True
    return False


def count_waiting(inbox_dir: Path) -> int:
    """Entries waiting in the inbox (hidden names are uploads in progress): what a run expects to receive."""
    try:
        return sum(1 for entry in os.scandir(inbox_dir) if not entry.name.startswith("."))
    except OSError:
        return 0
