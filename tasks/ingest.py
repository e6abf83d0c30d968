"""Tasks that bring pages into raw/: the inbox, the portals, and the list of pages not yet parsed.

Thin wrappers over govreports.io: they add what only the orchestrator should decide — retries
with backoff on the network (and only there), no caching for anything that reads changing
state — and turn the core's reports into small JSON-able dicts for the run summary.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from govreports.config import DataPaths
from govreports.io import curated, fetch_store, inbox, raw_store, retry_ledger
from govreports.portals.sources import Source
from govreports.run_contract import PageEntry
from govreports_cli import stage_log as progress


def _is_io_error(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only what another attempt can fix: network and file-system errors."""
    exc = state.data if isinstance(state.data, BaseException) else None
    return isinstance(exc, OSError | httpx.TransportError | httpx.HTTPStatusError | TimeoutError)


@task(name="receive-inbox", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5,
      retry_condition_fn=_is_io_error)
def receive_inbox(paths: DataPaths, on_new: Callable[[list[str]], None] | None = None) -> dict[str, Any]:
    """Move inbox files into the raw store; what it refuses is quarantined (or left) with a reason.

    `on_new` gets the hashes of each chunk's pages new to the raw store once they are durable (the
    flow starts parsing them while the rest are received: govreports/io/arrivals.py).
    """
    counter: list[progress.Counter] = []

    def on_file(seen: int, total: int) -> None:
        if not counter:
            counter.append(progress.Counter("received", total, verb="received"))
        if seen:
            counter[0].advance(seen - counter[0].done)

    def on_stored(pages: list[inbox.ReceivedPage]) -> None:
        if on_new is not None:
            on_new([page.sha256 for page in pages if page.is_new])

    report = inbox.receive(paths, on_file=on_file, on_stored=on_stored)
    outcome = {
        "received": len(report.stored),
        "new": sum(1 for page in report.stored if page.is_new),
        "waiting": len(report.waiting),
        "failed": [{"source": name, "reason": reason} for name, reason in report.quarantined + report.errors],
    }
    # said here, when it is over: the flow may be parsing the first pages meanwhile
    progress.stage("received", f"inbox: {outcome['received']} pages received ({outcome['new']} new), "
                   f"{len(outcome['failed'])} refused", done=outcome["received"], total=outcome["received"])
    return outcome


@task(
    name="fetch-source",
    task_run_name="fetch-{source_name}",
    cache_policy=NO_CACHE,  # conditional GETs against fetch state: a cached result would hide new pages
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=10),
    retry_jitter_factor=0.5,
    retry_condition_fn=_is_io_error,
)
def fetch_source(paths: DataPaths, source: Source, state_file: str, source_name: str) -> dict[str, Any]:
    """Fetch one portal, store each page byte for byte, save its fetch state; per-URL failures are data.

    One task per source, so one slow or broken portal is retried on its own and the others go
    on. State is one file per source so concurrent fetch tasks never overwrite each other's.
    """
    outcome = fetch_store.fetch_into_store(paths, source, Path(state_file), source_name)
    progress.stage("fetched", f"fetched {source_name}: {outcome['fetched']} report pages ({outcome['new']} new), "
                   f"{outcome['not_modified']} not modified, {len(outcome['failed'])} failed")
    return outcome


@task(name="list-pending", cache_policy=NO_CACHE)
def list_pending(paths: DataPaths) -> list[str]:
    """Hashes in raw/ whose pages no curated version has processed yet, sorted."""
    done = set(curated.processed_hashes(paths))
    return sorted(sha for sha in raw_store.iter_hashes(paths) if sha not in done)


@task(name="hashes-for-years", cache_policy=NO_CACHE)
def hashes_for_years(paths: DataPaths, years: list[int]) -> list[str]:
    """Raw pages whose documents belong to `years`, per the curated tables (for backfills)."""
    return sorted(curated.hashes_for_years(paths, years))


@task(name="due-retries", cache_policy=NO_CACHE)
def due_retries(paths: DataPaths) -> list[str]:
    """Pages whose earlier parse failed and whose backoff has passed (not parked): parse them again."""
    return retry_ledger.due(paths, datetime.now(UTC))


@task(name="record-retries", cache_policy=NO_CACHE)
def record_parse_outcomes(paths: DataPaths, pages: list[PageEntry]) -> dict[str, int]:
    """Count one more attempt for each page that failed to parse (parking it after N); forget the ones that now parse."""
    return retry_ledger.record(paths, [p.to_json() for p in pages], datetime.now(UTC))
