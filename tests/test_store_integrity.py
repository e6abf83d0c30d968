"""A damaged store is refused with a clear error, and reading it never aborts the interpreter.

Real Delta tables in a temp dir, damaged by hand the way an operator (or a bad disk) would: one
`add` line deleted from a commit, the release log's last commit truncated. Exit codes are from real
interpreter processes (the abort at exit is native, so only a fresh process shows it).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from govreports.config import DataPaths
from govreports.io import curated
from govreports.io.releases import DamagedStore
from tests.support.tables import make_tables

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"p1": [2020, 2021], "p2": [2021], "p3": [2022]}


@pytest.fixture
def paths(tmp_path: Path) -> DataPaths:
    paths = DataPaths.from_dir(tmp_path / "data", env={})
    curated.publish(paths, make_tables(PAGES), run_id="run-1", code_version="v1")
    return paths


def _drop_one_add(paths: DataPaths, name: str) -> None:
    """Delete the first `add` line of the table's newest commit (a hand-edited _delta_log)."""
    commit = sorted((Path(paths.table_uri(name)) / "_delta_log").glob("*.json"))[-1]
    lines = commit.read_text().splitlines()
    first_add = next(i for i, line in enumerate(lines) if '"add"' in line[:10])
    commit.write_text("\n".join(lines[:first_add] + lines[first_add + 1:]) + "\n")


def test_a_table_that_lost_rows_is_refused_on_read_and_on_publish(paths: DataPaths):
    assert len(curated.read("documents", data_dir=paths)) == 4
    _drop_one_add(paths, "documents")
    with pytest.raises(DamagedStore, match=r"'documents' version 1 holds [0-3] rows but release 1 recorded 4.*backfill"):
        curated.read("documents", data_dir=paths)
    with pytest.raises(DamagedStore, match="'documents' version 1"):
        curated.dataset("documents", data_dir=paths)
    assert len(curated.read("sections", data_dir=paths)) == 8  # the other tables still read

    with pytest.raises(DamagedStore, match="'documents'"):  # nothing is published on top
        curated.publish(paths, make_tables({"p4": [2023]}), run_id="run-2", code_version="v1")
    assert list(curated.versions(paths)["release"]) == [1]

    # a backfill of every year restores the lost rows, and reads work again
    release = curated.publish(paths, make_tables(PAGES), run_id="bf", code_version="v1", kind="backfill",
                              replace_years=[2020, 2021, 2022])
    assert release is not None and release.tables["documents"]["rows"] == 4
    assert len(curated.read("documents", data_dir=paths)) == 4
    assert curated.publish(paths, make_tables({"p4": [2023]}), run_id="run-2", code_version="v1") is not None


def test_truncated_release_log_is_a_clear_error_not_a_traceback(paths: DataPaths):
    commit = sorted((Path(paths.table_uri("_releases")) / "_delta_log").glob("*.json"))[-1]
    commit.write_bytes(commit.read_bytes()[:150])
    with pytest.raises(DamagedStore, match=r"release log .* is unreadable"):
        curated.versions(paths)
    for args in (["versions"], ["query", "select count(*) from documents"], ["show", "abc"]):
        done = subprocess.run([str(ROOT / ".venv/bin/govreports"), *args, "--data-dir", str(paths.data_dir)],
                              capture_output=True, text=True)
        assert done.returncode == 1, (args, done.stderr)
        assert "Traceback" not in done.stderr and "release log" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1  # no Rust backtrace either


def test_release_numbers_given_as_text(paths: DataPaths):
    assert len(curated.read("documents", "1", data_dir=paths)) == 4
    with pytest.raises(LookupError, match="no release 7"):
        curated.read("documents", "7", data_dir=paths)
    with pytest.raises(TypeError, match="a release is a number"):
        curated.read("documents", "latest", data_dir=paths)


SCRIPT = """
import sys, govreports
d = sys.argv[1]
assert len(govreports.versions(data_dir=d)) == 1
try:
    govreports.read("documents", version=99, data_dir=d)
except LookupError:
    pass
print(len(govreports.read("quantities", data_dir=d)))
"""


def test_the_python_api_exits_cleanly_every_time(paths: DataPaths):
    codes = []
    for _ in range(10):
        done = subprocess.run([sys.executable, "-c", SCRIPT, str(paths.data_dir)], capture_output=True, text=True)
        codes.append((done.returncode, done.stderr[-200:]))
    assert codes == [(0, "")] * 10


def test_a_store_from_before_a_new_column_is_migrated_and_old_releases_still_read(tmp_path, monkeypatch):
    """quantities.change_direction (issue 19) arrived after stores existed: they gain the column."""
    from deltalake import DeltaTable

    from govreports.tables import schemas

    paths = DataPaths.from_dir(tmp_path / "old", env={})
    old_tables = make_tables({"p1": [2020]})
    old_tables["quantities"] = old_tables["quantities"].drop_columns(["change_direction"])
    new_schema = schemas.SCHEMAS["quantities"]
    monkeypatch.setitem(schemas.SCHEMAS, "quantities", new_schema.remove(new_schema.get_field_index("change_direction")))
    curated.publish(paths, old_tables, run_id="old", code_version="v0")
    monkeypatch.setitem(schemas.SCHEMAS, "quantities", new_schema)

    assert curated.publish(paths, make_tables({"p2": [2021]}), run_id="new", code_version="v1") is not None
    stored = DeltaTable(paths.table_uri("quantities")).schema().to_arrow()
    assert "change_direction" in [f.name for f in stored]
    first = curated.read_arrow("quantities", 1, data_dir=paths)
    assert first.schema.equals(new_schema) and first.column("change_direction").null_count == first.num_rows == 2
    assert curated.read_arrow("quantities", 2, data_dir=paths).num_rows == 4
