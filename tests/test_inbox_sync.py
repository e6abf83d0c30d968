"""The inbox stores pages in chunks made durable by a few filesystem syncs (issue 16), and that loses
nothing: same objects and sidecars as one `put` per page, no inbox file removed before its copy is
durable, a crash between the phases only repeats work, and a full disk fails one page, not a chunk."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from govreports.config import DataPaths
from govreports.io import durable_batch, inbox, raw_store
from govreports.io.files import ensure_dirs
from tests.support.disks import small_tmpfs

STAMP = "2024-05-01T00:00:00+00:00"


def _paths(root: Path) -> DataPaths:
    return ensure_dirs(DataPaths.from_dir(root, env={}))


def _drop(paths: DataPaths, n: int, *, twins: bool = False) -> dict[str, bytes]:
    """n pages (every fifth with a sidecar; with `twins`, pages 3 and 4 share their bytes)."""
    pages = {}
    for i in range(n):
        name = f"p{i:03d}.html"
        data = f"<p>page {3 if twins and i == 4 else i}</p>".encode()
        (paths.inbox_dir / name).write_bytes(data)
        pages[name] = data
        if i % 5 == 0:
            side = {"url": f"http://gov.cn/{i}.html", "source": "zj", "received_at": STAMP, "headers": {"ETag": str(i)}}
            (paths.inbox_dir / f"{name}.json").write_text(json.dumps(side))
    return pages


def _store_files(paths: DataPaths) -> dict[str, tuple[bytes, int]]:
    """Every file under raw/objects (but the lock): bytes and mode."""
    root = paths.objects_dir
    return {str(p.relative_to(root)): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".sidecar.lock"}


def _stamped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(raw_store, "_now", lambda: STAMP)  # sightings without a sidecar time compare equal


def test_chunked_receive_stores_exactly_what_one_put_per_page_stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _stamped(monkeypatch)
    monkeypatch.setattr(inbox, "CHUNK_PAGES", 4)
    batched, single = _paths(tmp_path / "batched"), _paths(tmp_path / "single")
    for paths in (batched, single):  # a page already stored, seen again: a second sighting, not new bytes
        raw_store.put(paths, b"<p>page 7</p>", source="portal", url="http://a/7.html", via="fetch")
    pages = _drop(batched, 11, twins=True)
    report = inbox.receive(batched)
    for name, data in sorted(pages.items()):
        i = int(name[1:4])
        meta = {"url": f"http://gov.cn/{i}.html", "source": "zj", "received_at": STAMP,
                "headers": {"ETag": str(i)}} if i % 5 == 0 else {}
        raw_store.put(single, data, source=meta.get("source") or "inbox", url=meta.get("url"), via="inbox",
                      original_name=name, content_type=None, headers=meta.get("headers"),
                      received_at=meta.get("received_at"))
    assert _store_files(batched) == _store_files(single)
    assert [(r.name, r.is_new) for r in report.stored] == [
        (name, name not in ("p004.html", "p007.html")) for name in sorted(pages)]
    assert report.errors == [] and os.listdir(batched.inbox_dir) == []
    assert not [p for p in batched.objects_dir.rglob(".tmp-*")]


def test_syncs_grow_with_chunks_not_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if durable_batch._SYNCFS is None:
        pytest.skip("no syncfs in this libc: the fallback fsyncs each file")
    paths = _paths(tmp_path / "d")
    _drop(paths, 45)
    monkeypatch.setattr(inbox, "CHUNK_PAGES", 10)
    calls = {"syncfs": 0, "fsync": 0}
    real_syncfs, real_fsync = durable_batch._syncfs, os.fsync

    def count(kind: str, real: Callable[[int], None]) -> Callable[[int], None]:
        def counted(fd: int) -> None:
            calls[kind] += 1
            real(fd)
        return counted

    monkeypatch.setattr(durable_batch, "_syncfs", count("syncfs", real_syncfs))
    monkeypatch.setattr(os, "fsync", count("fsync", real_fsync))
    report = inbox.receive(paths)
    assert len(report.stored) == 45
    assert calls == {"syncfs": 2 * 5, "fsync": 1}  # two per chunk of ten; the inbox directory once


def test_the_byte_budget_also_closes_a_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    paths = _paths(tmp_path / "d")
    _drop(paths, 6)
    monkeypatch.setattr(inbox, "CHUNK_BYTES", 26)  # pages are 13 bytes: a chunk closes every two
    commits: list[int] = []
    real_commit = raw_store.PutBatch.commit

    def commit(self: raw_store.PutBatch) -> list:
        commits.append(len(self))
        return real_commit(self)

    monkeypatch.setattr(raw_store.PutBatch, "commit", commit)
    assert len(inbox.receive(paths).stored) == 6
    assert commits == [2, 2, 2]


def test_without_syncfs_each_file_is_fsynced_and_the_result_is_the_same(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    _stamped(monkeypatch)
    a, b = _paths(tmp_path / "a"), _paths(tmp_path / "b")
    _drop(a, 7)
    _drop(b, 7)
    inbox.receive(a)
    monkeypatch.setattr(durable_batch, "_SYNCFS", None)
    fsyncs: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd))[1])
    assert len(inbox.receive(b).stored) == 7
    assert _store_files(a) == _store_files(b)
    assert len(fsyncs) >= 7 + 7  # every object and sidecar temp file, then their directories


class Crash(BaseException):
    """A kill -9 in the middle of a chunk (nothing after it runs but `finally` clean-up)."""


def _crash_on(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    if where in ("first sync", "last sync"):
        calls = []
        real = durable_batch.sync_filesystems if durable_batch._SYNCFS else durable_batch._fsync_file

        def sync(*args: object) -> None:
            calls.append(1)
            if where == "first sync" or durable_batch._SYNCFS is None or len(calls) == 2:
                raise Crash(where)
            real(*args)

        monkeypatch.setattr(durable_batch, "sync_filesystems" if durable_batch._SYNCFS else "_fsync_file", sync)
    elif where == "linking":
        real_link, links = os.link, []

        def link(src: object, dst: object) -> None:
            links.append(dst)
            if len(links) == 3:
                raise Crash(where)
            real_link(src, dst)

        monkeypatch.setattr(os, "link", link)
    elif where == "replacing a sidecar":
        real_replace = os.replace

        def replace(src: object, dst: object) -> None:
            if str(dst).endswith(".json"):
                raise Crash(where)
            real_replace(src, dst)

        monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("where", ["first sync", "linking", "replacing a sidecar", "last sync"])
def test_a_crash_between_the_phases_leaves_every_page_in_the_inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    where: str):
    paths = _paths(tmp_path / "d")
    pages = _drop(paths, 8)
    before = sorted(os.listdir(paths.inbox_dir))
    with monkeypatch.context() as patch:
        _crash_on(patch, where)
        with pytest.raises(Crash):
            inbox.receive(paths)
    assert sorted(os.listdir(paths.inbox_dir)) == before  # no page left before its copy was durable
    for sha in raw_store.iter_hashes(paths):  # whatever got linked is whole and readable
        assert raw_store.get(paths, sha) in pages.values()
        raw_store.sidecar(paths, sha)
    report = inbox.receive(paths)  # the next run completes
    assert len(report.stored) == 8 and report.errors == [] and os.listdir(paths.inbox_dir) == []
    for data in pages.values():
        sha = hashlib.sha256(data).hexdigest()
        assert raw_store.get(paths, sha) == data and len(raw_store.sidecar(paths, sha)["sightings"]) == 1
    assert not [p for p in paths.objects_dir.rglob(".tmp-*")]


def test_a_failed_sync_leaves_its_chunk_in_the_inbox_and_the_other_chunks_go_on(tmp_path: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch):
    paths = _paths(tmp_path / "d")
    _drop(paths, 6)
    monkeypatch.setattr(inbox, "CHUNK_PAGES", 3)
    real, calls = durable_batch.sync_filesystems, []

    def sync(dirs: object) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError(errno.EIO, "Input/output error")
        real(dirs)

    monkeypatch.setattr(durable_batch, "sync_filesystems", sync)
    monkeypatch.setattr(durable_batch, "_SYNCFS", durable_batch._SYNCFS or (lambda fd: 0))
    report = inbox.receive(paths)
    assert [r.name for r in report.stored] == ["p003.html", "p004.html", "p005.html"]
    assert report.errors == [(f"p00{i}.html", "left in the inbox: cannot store it: [Errno 5] Input/output error")
                             for i in range(3)]
    assert sorted(os.listdir(paths.inbox_dir)) == ["p000.html", "p000.html.json", "p001.html", "p002.html"]
    assert len(inbox.receive(paths).stored) == 3 and os.listdir(paths.inbox_dir) == []


def _full_on(monkeypatch: pytest.MonkeyPatch, doomed: Callable[[bytes], bool]) -> None:
    real = durable_batch.write_temp

    def write_temp(directory: Path, data: bytes, **kw: object) -> Path:
        if doomed(data):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(directory, data, **kw)

    monkeypatch.setattr(durable_batch, "write_temp", write_temp)


@pytest.mark.parametrize(("what", "i"), [("page", 0), ("page", 2), ("sidecar", 2), ("sidecar", 4)])
def test_a_full_disk_on_one_page_leaves_that_page_and_stores_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                       what: str, i: int):
    paths = _paths(tmp_path / "d")
    _drop(paths, 6)
    monkeypatch.setattr(inbox, "CHUNK_PAGES", 4)
    if what == "page":
        _full_on(monkeypatch, lambda data: data == f"<p>page {i}</p>".encode())
    else:
        _full_on(monkeypatch, lambda data: f'"original_name": "p00{i}.html"'.encode() in data)
    report = inbox.receive(paths)
    name = f"p00{i}.html"
    assert [r.name for r in report.stored] == [f"p00{k}.html" for k in range(6) if k != i]
    assert report.errors == [(name, "left in the inbox: cannot store it: [Errno 28] No space left on device")]
    assert sorted(os.listdir(paths.inbox_dir)) == [name, f"{name}.json"] if i == 0 else [name]
    assert not [p for p in paths.objects_dir.rglob(".tmp-*")]
    assert not raw_store.has(paths, hashlib.sha256(f"<p>page {i}</p>".encode()).hexdigest())  # its bytes gave way
    monkeypatch.undo()
    (again,) = inbox.receive(paths).stored
    assert again.name == name and raw_store.get(paths, again.sha256) == f"<p>page {i}</p>".encode()
    assert [s["original_name"] for s in raw_store.sidecar(paths, again.sha256)["sightings"]] == [name]


def test_a_damaged_object_stops_the_receive_after_storing_the_pages_before_it(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch):
    paths = _paths(tmp_path / "d")
    _drop(paths, 5)
    damaged = paths.object_path(hashlib.sha256(b"<p>page 2</p>").hexdigest())
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"not the page")
    with pytest.raises(raw_store.RawStoreError, match="different size"):
        inbox.receive(paths)
    assert sorted(os.listdir(paths.inbox_dir)) == ["p002.html", "p003.html", "p004.html"]


@pytest.mark.slow
def test_a_really_full_disk_fails_some_pages_and_loses_none(tmp_path: Path):
    """A real 2 MB tmpfs (needs root; skipped where mount is not allowed): the inbox fills most of it."""
    with small_tmpfs(tmp_path / "disk", "2m") as mount:
        paths = _paths(mount / "data")
        pages = {f"p{i:02d}.html": os.urandom(40_000) for i in range(30)}  # 1.2 MB: cannot all fit twice
        for name, data in pages.items():
            (paths.inbox_dir / name).write_bytes(data)
        report = inbox.receive(paths)
        left = sorted(os.listdir(paths.inbox_dir))
        assert report.stored and left, (len(report.stored), len(left))
        assert sorted([r.name for r in report.stored] + left) == sorted(pages)
        assert [name for name, _ in report.errors] == left
        assert all("No space left on device" in reason for _, reason in report.errors)
        for r in report.stored:
            assert raw_store.get(paths, r.sha256) == pages[r.name]
        assert not [p for p in paths.objects_dir.rglob(".tmp-*")]
        shutil.rmtree(paths.objects_dir)  # make room (as if the store had moved to a bigger disk)
        report = inbox.receive(_paths(mount / "data"))
        assert [r.name for r in report.stored] == left and os.listdir(paths.inbox_dir) == []
