"""Raw store: content addressing, immutability, sightings, atomic writes; and the DataPaths layout."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from pathlib import Path

import pytest

from govreports.config import DataPaths, code_version
from govreports.io import raw_store
from govreports.io.files import ensure_dirs

PAGE = "<html><body>2023年法治政府建设年度报告</body></html>".encode()


@pytest.fixture
def paths(tmp_path: Path) -> DataPaths:
    return ensure_dirs(DataPaths.from_dir(tmp_path / "data", env={}))


def test_layout_is_built_in_one_place(tmp_path: Path):
    p = DataPaths.from_dir(tmp_path, env={})
    assert p.data_dir == tmp_path
    assert (p.raw_dir, p.inbox_dir, p.objects_dir) == (tmp_path / "raw", tmp_path / "raw/inbox", tmp_path / "raw/objects")
    assert (p.quarantine_dir, p.state_dir) == (tmp_path / "raw/quarantine", tmp_path / "raw/state")
    assert (p.curated_dir, p.runs_dir) == (tmp_path / "curated", tmp_path / "runs")
    assert p.table_uri("documents") == str(tmp_path / "curated/documents")
    sha = "ab" + "0" * 62
    assert p.object_path(sha) == tmp_path / "raw/objects/ab" / sha
    assert p.sidecar_path(sha) == tmp_path / "raw/objects/ab" / f"{sha}.json"
    with pytest.raises(ValueError):
        p.object_path("../../etc/passwd")
    with pytest.raises(ValueError):
        p.table_uri("../x")
    with pytest.raises(ValueError):
        p.run_dir("../x")


def test_env_chooses_data_dir_and_remote_curated(tmp_path: Path):
    env = {
        "GOVREPORTS_DATA_DIR": str(tmp_path),
        "GOVREPORTS_CURATED_URI": "s3://bucket/curated/",
        "AWS_REGION": "us-east-1",
        "AWS_PROFILE": "ignored",
        "GOVREPORTS_STORAGE_OPTIONS": json.dumps({"AWS_ALLOW_HTTP": "true"}),
    }
    p = DataPaths.from_dir(None, env=env)
    assert p.data_dir == tmp_path and p.raw_dir == tmp_path / "raw"
    assert p.curated_dir == "s3://bucket/curated" and not p.curated_is_local
    assert p.table_uri("pages") == "s3://bucket/curated/pages"
    assert dict(p.storage_options) == {"AWS_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true"}


def test_default_data_dir_is_the_repo_root_without_env():
    p = DataPaths.from_dir(None, env={})
    root = Path(__file__).resolve().parents[1]
    assert p.data_dir == (root if os.access(root, os.W_OK) else Path.cwd())


def test_code_version_is_deterministic_and_tracks_content(tmp_path: Path):
    pkg = tmp_path / "pkg"
    (pkg / "rules").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "rules" / "units.yaml").write_text("万: 10000\n")
    (pkg / "notes.md").write_text("not code")
    v1 = code_version(pkg)
    assert v1.startswith("0.1.0+") and len(v1.split("+")[1]) == 12
    (pkg / "notes.md").write_text("still not code")
    assert code_version.__wrapped__(pkg) == v1
    (pkg / "rules" / "units.yaml").write_text("万: 10000\n亿: 100000000\n")
    assert code_version.__wrapped__(pkg) != v1
    assert code_version() == code_version()


def test_put_stores_bytes_once_and_records_every_sighting(paths: DataPaths):
    a = raw_store.put(paths, PAGE, source="portal-a", url="http://a/1.html", via="fetch",
                      headers={"ETag": "x"}, received_at="2024-01-01T00:00:00+00:00")
    sha = hashlib.sha256(PAGE).hexdigest()
    assert (a.sha256, a.path, a.is_new) == (sha, paths.objects_dir / sha[:2] / sha, True)
    assert a.path.read_bytes() == PAGE
    mtime = a.path.stat().st_mtime_ns
    b = raw_store.put(paths, PAGE, source="inbox", original_name="报告 1.html", received_at="2024-01-02T00:00:00+00:00")
    again = raw_store.put(paths, PAGE, source="inbox", original_name="报告 1.html", received_at="2024-01-02T00:00:00+00:00")
    assert (b.sha256, b.is_new, again.is_new) == (sha, False, False)
    assert a.path.stat().st_mtime_ns == mtime  # never rewritten
    side = raw_store.sidecar(paths, sha)
    assert side["sha256"] == sha and side["size"] == len(PAGE)
    assert [(s["source"], s["via"], s["url"], s["original_name"]) for s in side["sightings"]] == [
        ("portal-a", "fetch", "http://a/1.html", None), ("inbox", "inbox", None, "报告 1.html")]
    assert side["sightings"][0]["headers"] == {"ETag": "x"}
    assert raw_store.get(paths, sha) == PAGE
    assert list(raw_store.iter_hashes(paths)) == [sha]


def test_iter_hashes_is_sorted_and_skips_debris(paths: DataPaths):
    shas = [raw_store.put(paths, f"page {i}".encode(), source="s").sha256 for i in range(20)]
    (paths.objects_dir / shas[0][:2] / ".tmp-leftover").write_bytes(b"partial")
    (paths.objects_dir / "zz").mkdir()
    assert list(raw_store.iter_hashes(paths)) == sorted(shas)


def test_objects_are_read_only_and_no_temp_files_remain(paths: DataPaths):
    stored = raw_store.put(paths, PAGE, source="s")
    assert stored.path.stat().st_mode & 0o222 == 0
    leftovers = [p.name for p in stored.path.parent.iterdir() if p.name.startswith(".tmp-")]
    assert leftovers == []


def test_damaged_object_is_detected(paths: DataPaths):
    stored = raw_store.put(paths, PAGE, source="s")
    os.chmod(stored.path, 0o644)
    stored.path.write_bytes(PAGE.replace(b"2023", b"2024"))
    with pytest.raises(raw_store.RawStoreError):
        raw_store.get(paths, stored.sha256)
    stored.path.write_bytes(b"short")
    with pytest.raises(raw_store.RawStoreError):
        raw_store.put(paths, PAGE, source="s")


def test_object_without_sidecar_gains_one(paths: DataPaths):
    """A crash between the object and its sidecar leaves bytes without sightings; the next put heals it."""
    stored = raw_store.put(paths, PAGE, source="s", received_at="t1")
    paths.sidecar_path(stored.sha256).unlink()
    assert raw_store.sidecar(paths, stored.sha256)["sightings"] == []
    raw_store.put(paths, PAGE, source="s", received_at="t2")
    assert [s["received_at"] for s in raw_store.sidecar(paths, stored.sha256)["sightings"]] == ["t2"]


def test_bad_arguments(paths: DataPaths):
    with pytest.raises(ValueError):
        raw_store.put(paths, PAGE, source="s", via="mail")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        raw_store.put(paths, "text", source="s")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        raw_store.sidecar(paths, "0" * 64)


def _put_many(data_dir: str, worker: int) -> None:
    p = DataPaths.from_dir(data_dir, env={})
    for i in range(15):
        raw_store.put(p, PAGE, source=f"w{worker}", received_at=f"{i:03d}")


def test_concurrent_puts_lose_no_sighting(paths: DataPaths):
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    procs = [ctx.Process(target=_put_many, args=(str(paths.data_dir), w)) for w in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    side = raw_store.sidecar(paths, hashlib.sha256(PAGE).hexdigest())
    assert len(side["sightings"]) == 45
    assert raw_store.get(paths, side["sha256"]) == PAGE
