"""Tasks of the maintain and retry flows: thin wrappers over govreports.io.maintenance and the retry ledgers."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from govreports.config import DataPaths
from govreports.io import fetch_state, maintenance, retry_ledger


@task(name="maintain-store", cache_policy=NO_CACHE)
def maintain_store(paths: DataPaths, run_id: str, code_version: str, keep_releases: int | None,
                   dry_run: bool) -> dict[str, Any]:
    """Compact, record a maintain release, vacuum; returns the report as JSON."""
    report = maintenance.maintain(paths, run_id=run_id, code_version=code_version,
                                  keep_releases=keep_releases, dry_run=dry_run)
    return {**report.to_json(), "files_before": report.files_before, "files_after": report.files_after,
            "vacuumed": report.vacuumed}


@task(name="make-failures-due", cache_policy=NO_CACHE)
def make_failures_due(paths: DataPaths, state_files: list[str], selected: list[str] | None) -> dict[str, list[str]]:
    """Unpark failed pages (parse) and failed report URLs (fetch): all, or those `selected` names.

    `selected` holds sha256 prefixes of stored pages, or report URLs; None means every failure.
    """
    pages = retry_ledger.make_due(paths, None if selected is None else [s for s in selected if "://" not in s])
    return {"pages": pages, "urls": fetch_state.unpark_failures(state_files, selected)}
