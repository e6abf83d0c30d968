"""Inbox: pages in, odd entries quarantined with a reason, sidecars consumed, nothing escapes."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from govreports.config import DataPaths
from govreports.io import inbox, raw_store
from govreports.io.files import ensure_dirs


@pytest.fixture
def paths(tmp_path: Path) -> DataPaths:
    return ensure_dirs(DataPaths.from_dir(tmp_path / "data", env={}))


def _all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def _reason(paths: DataPaths, target: str) -> str:
    return (paths.quarantine_dir / f"{target}.reason.txt").read_text(encoding="utf-8")


def test_pages_are_stored_then_removed_in_sorted_order(paths: DataPaths):
    names = ["b.HTML", "a.txt", "c.shtml", "d.htm", "报告 2023.html", "-rf.html", "a..b.txt", "x" * 250 + ".txt"]
    for i, name in enumerate(names):
        (paths.inbox_dir / name).write_bytes(f"page {i}".encode())
    report = inbox.receive(paths)
    assert [r.name for r in report.stored] == sorted(names)
    assert report.quarantined == [] and report.errors == []
    assert os.listdir(paths.inbox_dir) == []
    for r in report.stored:
        i = names.index(r.name)
        assert raw_store.get(paths, r.sha256) == f"page {i}".encode()
        assert r.source == "inbox" and r.url is None
        sighting = raw_store.sidecar(paths, r.sha256)["sightings"][0]
        assert (sighting["via"], sighting["original_name"]) == ("inbox", r.name)


def test_sidecar_gives_url_and_source_and_is_consumed(paths: DataPaths):
    (paths.inbox_dir / "p.html").write_bytes("<p>报告</p>".encode())
    (paths.inbox_dir / "p.html.json").write_text(json.dumps({"url": "http://gov.cn/a.html", "source": "zj"}))
    (paths.inbox_dir / "q.txt").write_bytes(b"q")
    (paths.inbox_dir / "q.txt.meta.json").write_text(json.dumps({"source": "bj", "headers": {"ETag": "1"}}))
    report = inbox.receive(paths)
    assert [(r.name, r.source, r.url) for r in report.stored] == [
        ("p.html", "zj", "http://gov.cn/a.html"), ("q.txt", "bj", None)]
    assert os.listdir(paths.inbox_dir) == []
    sighting = raw_store.sidecar(paths, report.stored[1].sha256)["sightings"][0]
    assert sighting["headers"] == {"ETag": "1"}


def test_same_page_twice_is_stored_once(paths: DataPaths):
    (paths.inbox_dir / "one.html").write_bytes(b"same")
    (paths.inbox_dir / "two.html").write_bytes(b"same")
    report = inbox.receive(paths)
    assert [r.is_new for r in report.stored] == [True, False]
    assert len(set(r.sha256 for r in report.stored)) == 1
    assert len(raw_store.sidecar(paths, report.stored[0].sha256)["sightings"]) == 2


def test_what_cannot_be_taken_goes_to_quarantine_with_a_reason(paths: DataPaths, tmp_path: Path):
    secret = tmp_path / "secret.html"
    secret.write_bytes(b"outside the inbox")
    box = paths.inbox_dir
    (box / "doc.pdf").write_bytes(b"%PDF")
    (box / "empty.html").write_bytes(b"")
    (box / "big.html").write_bytes(b"x" * 101)
    (box / "link.html").symlink_to(secret)
    (box / "dangling.txt").symlink_to(tmp_path / "nowhere")
    (box / "folder.html").mkdir()
    (box / "folder.html" / "inner.html").write_bytes(b"inner")
    os.mkfifo(box / "fifo.html")
    (box / "noext").write_bytes(b"x")
    (box / "bad.html").write_bytes(b"fine page")
    (box / "bad.html.json").write_bytes(b"{not json")
    report = inbox.receive(paths, max_bytes=100)
    reasons = {name: reason for name, reason in report.quarantined}
    assert set(reasons) == {"doc.pdf", "empty.html", "big.html", "link.html", "dangling.txt", "folder.html",
                            "fifo.html", "noext", "bad.html"}
    assert "unknown extension '.pdf'" in reasons["doc.pdf"]
    assert reasons["empty.html"].startswith("empty file")
    assert reasons["big.html"].startswith("larger than the limit (101 > 100 bytes)")
    assert reasons["link.html"].startswith("symlink") and reasons["dangling.txt"].startswith("symlink")
    assert reasons["folder.html"].startswith("directory")
    assert reasons["fifo.html"].startswith("not a regular file")
    assert reasons["bad.html"].startswith("bad sidecar: not UTF-8 JSON")
    assert report.stored == [] and os.listdir(box) == []
    q = paths.quarantine_dir
    assert "unknown extension" in _reason(paths, "doc.pdf")
    assert (q / "link.html").is_symlink() and secret.read_bytes() == b"outside the inbox"
    assert (q / "folder.html" / "inner.html").read_bytes() == b"inner"
    assert (q / "bad.html.json").read_bytes() == b"{not json"
    assert "sidecar: bad.html.json" in _reason(paths, "bad.html")
    assert list(raw_store.iter_hashes(paths)) == []


def test_unreadable_file_is_quarantined(paths: DataPaths, monkeypatch: pytest.MonkeyPatch):
    (paths.inbox_dir / "locked.html").write_bytes(b"x")
    (paths.inbox_dir / "ok.html").write_bytes(b"y")
    real_open = os.open

    def deny(path, *a, **k):  # root ignores chmod 0, so simulate the EACCES a normal user would get
        if str(path).endswith("locked.html"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **k)

    monkeypatch.setattr(inbox.os, "open", deny)
    report = inbox.receive(paths)
    assert report.quarantined == [("locked.html", "unreadable: Permission denied -> locked.html")]
    assert [r.name for r in report.stored] == ["ok.html"]


def test_odd_names_are_sanitised_and_made_unique_deterministically(paths: DataPaths):
    box, q = paths.inbox_dir, paths.quarantine_dir
    long_name = "报" * 83 + ".pdf"  # 253 bytes: near NAME_MAX, no room for ".reason.txt" unless truncated
    odd = ["-rf .pdf", "..hidden..pdf", "a\nb.pdf", "a b.pdf", "a_b.pdf", long_name, "法治 报告.doc", "...html",
           ".up.html", "up.html.part"]
    for name in odd:
        (box / name).write_bytes(b"x")
    # an earlier quarantined a_b.pdf forces a suffix
    (q / "a_b.pdf").write_bytes(b"old")
    (q / "a_b.pdf.reason.txt").write_text("old")
    report = inbox.receive(paths)
    targets = {name: reason.rsplit(" -> ", 1)[1] for name, reason in report.quarantined}
    assert sorted(targets) == sorted(n for n in odd if n not in (".up.html", "up.html.part"))
    # a hidden or .part name is an upload in progress and waits; a name starting with '..' is not one
    assert report.waiting == [(".up.html", "hidden or .part name (upload in progress?)"),
                              ("up.html.part", "hidden or .part name (upload in progress?)")]
    assert "starts with '..'" in _reason(paths, targets["...html"])
    assert targets["-rf .pdf"] == "rf_.pdf"
    assert targets["a\nb.pdf"] == "a_b~2.pdf"
    assert targets["a b.pdf"] == "a_b~3.pdf"
    assert targets["a_b.pdf"] == "a_b~4.pdf"
    assert targets["法治 报告.doc"] == "法治_报告.doc"
    assert len(targets[long_name].encode()) <= 200
    for target in targets.values():
        assert "/" not in target and not target.startswith((".", "-")) and ".." not in target
        assert (q / target).is_file() and (q / f"{target}.reason.txt").is_file()
        assert len(f"{target}.reason.txt".encode()) <= 255
    assert "original_name: 法治 报告.doc" in _reason(paths, "法治_报告.doc")


def test_nothing_is_written_outside_the_data_dir(paths: DataPaths, tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.html").write_bytes(b"keep me")
    before = _all_files(outside)
    box = paths.inbox_dir
    (box / "..victim.html").write_bytes(b"dots")
    (box / "...html").write_bytes(b"dots")
    (box / "a..html").write_bytes(b"fine")
    (box / "to-outside.html").symlink_to(outside / "victim.html")
    (box / "to-dir.html").symlink_to(outside)
    (box / "x.html.json").symlink_to(outside / "victim.html")
    (box / "x.html").write_bytes(b"page with symlinked sidecar")
    inbox.receive(paths)
    assert _all_files(outside) == before and (outside / "victim.html").read_bytes() == b"keep me"
    everything = _all_files(tmp_path) - before - {outside}
    data = paths.data_dir
    assert all(p.is_relative_to(data) for p in everything), sorted(map(str, everything))


def test_orphan_sidecar_waits_and_unknown_json_is_quarantined(paths: DataPaths):
    (paths.inbox_dir / "later.html.json").write_text(json.dumps({"url": "http://x/later.html"}))
    (paths.inbox_dir / "data.json").write_text("{}")
    report = inbox.receive(paths)
    assert report.waiting == [("later.html.json", "sidecar waiting for its page")]
    assert [n for n, _ in report.quarantined] == ["data.json"]
    (paths.inbox_dir / "later.html").write_bytes(b"now here")
    report = inbox.receive(paths)
    assert [(r.name, r.url) for r in report.stored] == [("later.html", "http://x/later.html")]
    assert os.listdir(paths.inbox_dir) == []


def test_bad_sidecar_types_quarantine_page_and_sidecar(paths: DataPaths):
    (paths.inbox_dir / "p.html").write_bytes(b"page")
    (paths.inbox_dir / "p.html.json").write_text(json.dumps({"url": 5}))
    report = inbox.receive(paths)
    assert report.quarantined == [("p.html", "bad sidecar: 'url' must be a string -> p.html")]
    assert sorted(os.listdir(paths.quarantine_dir)) == ["p.html", "p.html.json", "p.html.reason.txt"]


def test_crash_before_removal_only_repeats_a_sighting(paths: DataPaths, monkeypatch: pytest.MonkeyPatch):
    """The page leaves the inbox only after it is stored; a crash in between loses nothing."""
    (paths.inbox_dir / "p.html").write_bytes(b"page")
    real_unlink = os.unlink

    def boom(path, *a, **k):
        if str(path).endswith("p.html"):
            raise KeyboardInterrupt("killed")
        return real_unlink(path, *a, **k)

    monkeypatch.setattr(inbox.os, "unlink", boom)
    with pytest.raises(KeyboardInterrupt):
        inbox.receive(paths)
    sha = hashlib.sha256(b"page").hexdigest()
    assert raw_store.has(paths, sha) and (paths.inbox_dir / "p.html").exists()
    monkeypatch.setattr(inbox.os, "unlink", real_unlink)
    report = inbox.receive(paths)
    assert [(r.sha256, r.is_new) for r in report.stored] == [(sha, False)]
    assert os.listdir(paths.inbox_dir) == []


def test_missing_inbox_is_created(tmp_path: Path):
    p = DataPaths.from_dir(tmp_path / "fresh", env={})
    assert inbox.receive(p).stored == [] and p.inbox_dir.is_dir()


def test_a_page_still_being_written_waits_until_it_has_settled(paths: DataPaths):
    """A real writer process appends to a page; the inbox leaves it alone until it stops changing."""
    import subprocess
    import sys
    import time

    page = paths.inbox_dir / "report.html"
    writer = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "with open(sys.argv[1], 'wb', buffering=0) as f:\n"
        "    f.write(b'<p>first half</p>')\n"
        "    sys.stdout.write('half\\n'); sys.stdout.flush()\n"
        "    sys.stdin.readline()\n"
        "    f.write(b'<p>second half</p>')\n"), str(page)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline() == "half\n"  # the first half is on disk, the writer is still going
    report = inbox.receive(paths, settle=3600)
    assert report.stored == [] and report.quarantined == []
    assert [name for name, _ in report.waiting] == ["report.html"] and "unchanged for 3600 s" in report.waiting[0][1]
    writer.communicate("go\n", timeout=60)
    assert page.read_bytes() == b"<p>first half</p><p>second half</p>"  # nothing was taken half-done
    old = time.time() - 7200
    os.utime(page, (old, old))  # as if the writer had finished two hours ago
    (stored,) = inbox.receive(paths, settle=3600).stored
    assert raw_store.get(paths, stored.sha256) == b"<p>first half</p><p>second half</p>"
    assert not page.exists()


def test_default_settle_time_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(inbox.SETTLE_ENV, "2.5")
    assert inbox.settle_seconds() == 2.5
    monkeypatch.delenv(inbox.SETTLE_ENV)
    assert inbox.settle_seconds() == inbox.DEFAULT_SETTLE_SECONDS


def test_concurrent_receivers_take_each_page_once_and_both_counts_add_up(paths: DataPaths):
    """Two real processes receive one inbox at the same time: every page is counted by exactly one."""
    import subprocess
    import sys

    n = 600
    for i in range(n):
        (paths.inbox_dir / f"p{i:04d}.html").write_bytes(f"<p>page {i}</p>".encode())
    code = ("import json, sys; from govreports.config import DataPaths; from govreports.io import inbox\n"
            "r = inbox.receive(DataPaths.from_dir(sys.argv[1], env={}))\n"
            "print(json.dumps({'stored': len(r.stored), 'errors': r.errors, 'quarantined': r.quarantined}))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(paths.data_dir)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-500:] for _, err in outs]
    results = [json.loads(out) for out, _ in outs]
    assert sum(r["stored"] for r in results) == n
    assert all(r["errors"] == [] and r["quarantined"] == [] for r in results)
    assert os.listdir(paths.inbox_dir) == [] and len(list(raw_store.iter_hashes(paths))) == n
