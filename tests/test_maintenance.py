"""`maintain`: compaction and vacuum leave every kept release readable with the same rows, in fewer files."""

from __future__ import annotations

from pathlib import Path

import pytest

from govreports.config import DataPaths
from govreports.io import curated
from govreports.io.maintenance import maintain
from govreports.tables.schemas import TABLES
from tests.release_store import build_store


def _snapshot(paths: DataPaths) -> dict[tuple[int, str], list[dict]]:
    return {(r.release, name): curated.read_arrow(name, r.release, data_dir=paths).to_pylist()
            for r in curated.read_releases(paths) for name in TABLES}


def _data_files(paths: DataPaths) -> int:
    """Parquet files of the curated tables (the release log, always read at its latest version, apart)."""
    return sum(1 for p in Path(paths.curated_dir).rglob("*.parquet")
               if "_delta_log" not in p.parts and "_releases" not in p.parts)


@pytest.fixture
def store(tmp_path):
    return build_store(tmp_path / "data")


def test_maintain_keeps_every_release_identical_and_reads_fewer_files(store):
    paths = store.paths
    before, files_before = _snapshot(paths), _data_files(paths)
    report = maintain(paths, run_id="maintain-1", code_version="test")
    releases = curated.read_releases(paths)
    assert report.release == releases[-1].release == 4 and releases[-1].kind == "maintain"
    assert releases[-1].changes == {} and report.kept_releases == [1, 2, 3, 4]
    for (release, name), rows in before.items():
        assert curated.read_arrow(name, release, data_dir=paths).to_pylist() == rows, (release, name)
    for name in TABLES:  # the new release reads what release 3 read
        assert curated.read_arrow(name, data_dir=paths).to_pylist() == before[(3, name)]
        assert releases[-1].tables[name]["rows"] == releases[-2].tables[name]["rows"]
    assert report.files_after < report.files_before  # the latest release reads fewer files
    compacted = [t for t in report.tables if t.compacted_version is not None]
    assert compacted and all(t.files_after < t.files_before for t in compacted)
    assert "pages" in {t.table for t in compacted}  # two nightly appends: two files, now one
    assert _data_files(paths) >= files_before  # nothing an old release reads was deleted
    assert curated.processed_hashes(paths)  # the nightly's view of the ledger is intact


def test_maintain_with_retention_deletes_files_only_dropped_releases_read(store):
    paths = store.paths
    before, files_before = _snapshot(paths), _data_files(paths)
    report = maintain(paths, run_id="maintain-1", code_version="test", keep_releases=1)
    assert report.kept_releases == [4] and report.vacuumed > 0
    assert _data_files(paths) < files_before
    for name in TABLES:
        assert curated.read_arrow(name, 4, data_dir=paths).to_pylist() == before[(3, name)]
    again = maintain(paths, run_id="maintain-2", code_version="test", keep_releases=1)
    assert again.release is None and again.vacuumed == 0  # nothing left to compact or delete


def test_maintain_dry_run_changes_nothing(store):
    paths = store.paths
    files_before, n_releases = _data_files(paths), len(curated.read_releases(paths))
    report = maintain(paths, run_id="m", code_version="test", dry_run=True, keep_releases=1)
    assert report.release is None and _data_files(paths) == files_before
    assert len(curated.read_releases(paths)) == n_releases


def test_maintain_refuses_zero_retention(store):
    with pytest.raises(ValueError):
        maintain(store.paths, run_id="m", code_version="test", keep_releases=0)
