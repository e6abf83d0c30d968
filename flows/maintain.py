"""The maintain flow (weekly): compact the curated tables, vacuum files no kept release reads.

Wiring only; what it does and why is in govreports/io/maintenance.py. The report is written to
runs/<run_id>/maintenance.json.
"""

from __future__ import annotations

import json
from typing import Any

from prefect import flow

from flows import _runtime as rt
from govreports.config import DataPaths, code_version
from tasks.maintain import maintain_store


@flow(name="maintain")
def maintain(data_dir: str | None = None, keep_releases: int | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Compact and vacuum the curated store; returns (and writes) what it did."""
    data_dir = rt.resolve_data_dir(data_dir)
    paths = DataPaths.from_dir(data_dir)
    run_id = rt.make_run_id(rt.logical_time())
    report = maintain_store(data_dir, run_id, code_version(), keep_releases, dry_run)
    report = {"run_id": run_id, "kind": "maintain", **report}
    out = paths.run_dir(run_id) / "maintenance.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    report["report"] = str(out)
    return report


if __name__ == "__main__":
    maintain()
