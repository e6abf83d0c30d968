"""Scale-out: the same nightly flow with its parse batches on a 2-worker Dask LocalCluster.

The claim to check is that distribution changes nothing: the published rows are exactly those of
the serial run over the same pages (compared sorted, since order of completion may differ).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flows import _runtime as rt
from govreports.config import DataPaths
from tests.support.flows import drop_into_inbox, no_sources, read_all
from tests.support.pages import SAMPLES, extra_page

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300), pytest.mark.usefixtures("prefect_server")]


def _fill_inbox(data_dir: Path) -> None:
    drop_into_inbox(data_dir, *SAMPLES, ("extra-report.html", extra_page()),
                    ("binary.html", b"\x89PNG\r\n\x1a\n" + bytes(range(256))))


def test_dask_run_publishes_exactly_the_serial_rows(tmp_path):
    from distributed import LocalCluster

    from flows.nightly import nightly

    serial_dir, dask_dir = tmp_path / "serial", tmp_path / "dask"
    _fill_inbox(serial_dir)
    _fill_inbox(dask_dir)
    # batch_size=2: several batches, so the Dask run really spreads them over both workers
    serial = nightly(data_dir=str(serial_dir), sources_file=no_sources(tmp_path), batch_size=2).to_json()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster:
        runner = rt.task_runner_for(cluster.scheduler_address)  # what `govreports run --dask-address tcp://…` does
        distributed = nightly.with_options(task_runner=runner)(data_dir=str(dask_dir), batch_size=2,
                                                              sources_file=no_sources(tmp_path)).to_json()
        done = {name: prefix.state_counts["memory"] for name, prefix in cluster.scheduler.task_prefixes.items()}
    assert done.get("parse_batch") == 4, done  # 7 pages, 2 per batch: all 4 batches ran on the cluster
    assert serial["release"]["number"] == distributed["release"]["number"] == 1
    assert distributed["parse"]["pages"] == serial["parse"]["pages"] == len(SAMPLES) + 2
    assert distributed["parse"]["errors"] == serial["parse"]["errors"]
    assert read_all(dask_dir) == read_all(serial_dir)


def test_local_means_a_two_worker_local_cluster():
    runner = rt.task_runner_for("local")
    assert type(runner).__name__ == "DaskTaskRunner"
    assert runner.cluster_kwargs["n_workers"] == 2 and runner.address is None
    assert rt.task_runner_for("tcp://127.0.0.1:8786").address == "tcp://127.0.0.1:8786"
    assert type(rt.task_runner_for(None)).__name__ == "ThreadPoolTaskRunner"


def test_the_in_task_process_pool_parses_exactly_like_the_serial_path(tmp_path):
    """Large batches are staged by a pool of 2 spawned processes (govreports/io/parse_pool.py): same entries, same rows."""
    from govreports.io import inbox, parse_pool, raw_store, staging
    from govreports.io.parse_pool import stage_many

    _fill_inbox(tmp_path)
    paths = DataPaths.from_dir(tmp_path)
    inbox.receive(paths)
    hashes = list(raw_store.iter_hashes(paths))
    serial_entries = stage_many(paths, hashes, "v", "run", str(tmp_path / "serial"), chunk_size=3, pool=False)
    pooled_entries = stage_many(paths, hashes, "v", "run", str(tmp_path / "pooled"), chunk_size=3, pool=True)
    assert pooled_entries == serial_entries and [e.sha256 for e in serial_entries] == hashes
    for name in staging.SCHEMAS:
        assert staging.read_table(tmp_path / "pooled", name).equals(staging.read_table(tmp_path / "serial", name)), name
    assert staging.read_table(tmp_path / "pooled", "documents").num_rows >= len(SAMPLES)
    pool = parse_pool._POOL
    again = stage_many(paths, hashes[:2], "v", "run", str(tmp_path / "again"), chunk_size=3, pool=True)
    assert again == serial_entries[:2] and parse_pool._POOL is pool is not None, "the pool is reused"
