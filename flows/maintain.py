"""The maintain flow (weekly): compact the curated tables, vacuum files no kept release reads.

Wiring only; what it does and why is in govreports/io/maintenance.py. The report is written to
runs/<run_id>/maintenance.json.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows import _runtime as rt
from govreports.config import code_version
from govreports.io import runs
from tasks.maintain import maintain_store


@flow(name="maintain")
def maintain(data_dir: str | None = None, keep_releases: int | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Compact and vacuum the curated store; returns (and writes) what it did."""
    paths = rt.resolve_paths(data_dir)
    run_id = rt.make_run_id(rt.logical_time())
    report = maintain_store(paths, run_id, code_version(), keep_releases, dry_run)
    report = {"run_id": run_id, "kind": "maintain", **report}
    report["report"] = str(runs.write_maintenance(paths, run_id, report))
    return report


if __name__ == "__main__":
    maintain()
