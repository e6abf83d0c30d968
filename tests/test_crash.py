"""SIGKILL a publisher between table commits: readers keep the last release; the next publish heals.

The publisher runs in a real subprocess with the test hook GOVREPORTS_TEST_PUBLISH_PAUSE (a sleep after
each table commit). The test waits until the wanted number of table commits is on disk, then kills it,
so the kill lands between commits deterministically (no timing assertions). Children fork from a
forkserver that preloaded this module before any Delta I/O (no delta-rs runtime threads to copy), which
saves a full interpreter start per kill.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import time
from pathlib import Path

import pytest
from deltalake import DeltaTable

from govreports.config import DataPaths
from govreports.io import curated
from govreports.io.curated import ENV_TEST_PAUSE, publish
from govreports.tables.rows import TABLES
from tests.support.tables import assert_unique_keys, make_tables, page_sha, snapshot

COMMIT = re.compile(r"\d{20}\.json")
BASE = {"a": [2019, 2020], "b": [2019]}
NIGHTLY = {"c": [2019, 2021], "d": [None]}   # touches all 8 tables (the None year goes to quarantine)
BACKFILL = {"a": [2019, 2020], "b": [2019]}  # re-parsed with a tag: 2019 changes in every partitioned table


def _job(kind: str) -> dict:
    if kind == "nightly":
        return {"tables": make_tables(NIGHTLY), "kind": "nightly", "replace_years": None, "raw_hashes": ()}
    return {"tables": make_tables(BACKFILL, tag="（修订）", code="v2"), "kind": "backfill", "replace_years": [2019],
            "raw_hashes": [page_sha("a"), page_sha("b")]}


def _publish(data_dir: str, kind: str, run_id: str, pause: str) -> None:
    os.environ[ENV_TEST_PAUSE] = pause  # set here: a forkserver child inherits the server's environment
    job = _job(kind)
    publish(DataPaths.from_dir(data_dir, env={}), job.pop("tables"), run_id=run_id, code_version="v", **job)


def _commits(paths: DataPaths) -> int:
    return sum(1 for name in TABLES for p in (Path(paths.table_uri(name)) / "_delta_log").iterdir()
               if COMMIT.fullmatch(p.name))


def _store(tmp: Path, name: str) -> DataPaths:
    paths = DataPaths.from_dir(tmp / name, env={})
    publish(paths, make_tables(BASE), run_id="base", code_version="v")
    return paths


@pytest.mark.parametrize(("kind", "kill_after"), [("nightly", 1), ("nightly", 8), ("backfill", 3)])
def test_sigkill_between_commits_keeps_last_release_and_next_publish_heals(
        tmp_path: Path, kind: str, kill_after: int):
    paths = _store(tmp_path, "crashed")
    before, releases_before = snapshot(paths), len(curated.versions(paths))
    released = {n: curated.get_release(paths).version_of(n) for n in TABLES}  # type: ignore[union-attr]

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])  # children fork from a server that imported once, before any Delta I/O
    proc = ctx.Process(target=_publish, args=(str(paths.data_dir), kind, "doomed", "0.5"))
    base_commits = _commits(paths)
    proc.start()
    deadline = time.monotonic() + 300
    while _commits(paths) < base_commits + kill_after:
        assert proc.is_alive(), f"publisher ended (exit {proc.exitcode}) before {kill_after} commits"
        assert time.monotonic() < deadline, "publisher made no progress"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(30)
    assert proc.exitcode == -signal.SIGKILL

    # the crash left commits no release points to; readers do not see them
    assert any(DeltaTable(paths.table_uri(n)).version() > released[n] for n in TABLES)
    assert len(curated.versions(paths)) == releases_before
    assert snapshot(paths) == before

    # the next publish (the rerun of the crashed run) rolls back, then completes
    job = _job(kind)
    rel = publish(paths, job.pop("tables"), run_id="rerun", code_version="v", **job)
    assert rel is not None and rel.release == releases_before + 1
    restores = [n for n in TABLES if any(h["operation"] == "RESTORE" for h in DeltaTable(paths.table_uri(n)).history())]
    assert restores, "the crashed commits were rolled back"
    assert snapshot(paths, releases_before) == before  # time travel to the old release still works

    clean = _store(tmp_path, "clean")
    job = _job(kind)
    publish(clean, job.pop("tables"), run_id="rerun", code_version="v", **job)
    assert snapshot(paths) == snapshot(clean)  # no duplicates, nothing lost: same as a run that never crashed
    assert_unique_keys(paths)
    job = _job(kind)
    assert publish(paths, job.pop("tables"), run_id="again", code_version="v", **job) is None
