"""`govreports run` and `govreports backfill`: the Prefect flows, run in-process from the shell.

Prefect reads its settings when it is first imported, so the environment defaults are set here
*before* importing it: a per-data-dir PREFECT_HOME (the temporary server's SQLite DB and cached
parse results live next to the data, not in ~/.prefect), a startup timeout that survives a
first-run DB migration (libraries.md §1.4), no analytics and quiet logs. A run whose pages
partly failed still exits 0: those pages are recorded; non-zero means the run itself failed.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any


def _prepare_env(data_dir: Path) -> None:
    """Environment defaults for an in-process Prefect run; values already set win."""
    os.environ.setdefault("PREFECT_HOME", str(data_dir / ".prefect"))
    # Prefect creates its home without parents and then cannot open its database: make it first
    Path(os.environ["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def _data_dir(data_dir: Path | None) -> Path:
    """--data-dir, else $GOVREPORTS_DATA_DIR, else the repo root (the rule lives in DataPaths)."""
    from govreports.config import DataPaths

    return DataPaths.from_dir(data_dir).data_dir


def run_nightly(data_dir: Path | None, *, sources: Path | None, with_samples: bool,
                dask_address: str | None) -> int:
    """Run the nightly flow once (optionally on Dask) and print a short summary."""
    root = _data_dir(data_dir)
    _prepare_env(root)
    from flows import _runtime as rt
    from flows.nightly import nightly

    flow = nightly
    if dask_address:
        flow = nightly.with_options(task_runner=rt.task_runner_for(dask_address))
        # the in-process scheduler and nannies log every connection at INFO through Prefect's handler
        logging.getLogger("distributed").setLevel(os.environ["PREFECT_LOGGING_LEVEL"])
    try:
        summary = flow(data_dir=str(root), sources_file=str(sources) if sources else None,
                       with_samples=with_samples)
    except Exception as exc:
        print(f"run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print_summary(summary)
    return 0


def run_backfill(years: list[int], data_dir: Path | None, *, as_range: bool) -> int:
    """Run the backfill flow for `years` (two years with as_range = inclusive range)."""
    root = _data_dir(data_dir)
    _prepare_env(root)
    if as_range and len(years) == 2:
        params: dict[str, Any] = {"start": min(years), "end": max(years)}
    else:
        params = {"years": sorted(set(years))}
    from flows.backfill import backfill

    try:
        summary = backfill(data_dir=str(root), **params)
    except Exception as exc:
        print(f"backfill failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print_summary(summary)
    return 0


def print_summary(summary: dict[str, Any]) -> None:
    """A few lines a person reads after a run; the details are in the report."""
    pages, parse, release = summary["pages"], summary["parse"], summary["release"]
    quarantined = summary.get("validation", {}).get("quarantined", [])
    head = f"{summary['kind']} run {summary['run_id']} (logical date {summary['logical_date']})"
    if summary.get("years"):
        head += f" years {', '.join(map(str, summary['years']))}"
    print(head)
    if summary["kind"] == "backfill":
        print(f"  pages: re-parsed {pages.get('reparsed', 0)}")
    else:
        print(f"  pages: received {pages.get('received', 0)}, fetched {pages.get('fetched', 0)}, "
              f"not modified {pages.get('not_modified', 0)}, failed {len(pages.get('failed', []))}")
    print(f"  parsed: {parse['pages']} pages, {parse['pages_ok']} with reports, {parse['documents']} documents, "
          f"{len(parse['errors'])} page errors")
    for failure in (pages.get("failed", []) + parse["errors"])[:10]:
        what = failure.get("url") or failure.get("name") or failure.get("source") or failure.get("sha256")
        print(f"    ! {what}: {failure.get('reason') or failure.get('error')}")
    print(f"  quarantined documents: {len(quarantined)}")
    if release.get("number") is None:
        print(f"  {release.get('note', 'nothing new: no new version')}")
    else:
        print(f"  published release {release['number']}")
    if summary.get("report"):
        print(f"  report: {summary['report']}")
