"""The retry ledger: attempts and last reason of every stored page whose parse failed.

Why a ledger beside the curated `pages` table: the table records what the last processing of a
page produced (status `error` and its reason), which readers query; how often we tried and when
to try next is operational state that changes between releases. It lives in one JSON file
(raw/state/retries.json) written atomically; fetch failures keep theirs in each source's fetch
state (govreports.io.fetch_state). Decisions are govreports.portals.retry_policy's.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from govreports.config import DataPaths
from govreports.io.files import atomic_write
from govreports.io.reading import read_if_published
from govreports.portals.retry_policy import DEFAULT_POLICY, RetryPolicy, unpark


def _path(paths: DataPaths) -> Path:
    return paths.retry_ledger_path


def load(paths: DataPaths) -> dict[str, dict[str, Any]]:
    """sha256 -> {attempts, reason, last_attempt, next_after, parked}; {} before the first failure."""
    path = _path(paths)
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return dict(data.get("pages") or {})


def save(paths: DataPaths, ledger: dict[str, dict[str, Any]]) -> None:
    text = json.dumps({"version": 1, "pages": dict(sorted(ledger.items()))}, ensure_ascii=False, indent=1)
    _path(paths).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(_path(paths), (text + "\n").encode("utf-8"))


def failed_pages(paths: DataPaths) -> dict[str, str]:
    """Pages whose latest processing failed (`pages.status == "error"`): sha256 -> reason."""
    table = read_if_published("pages", paths, columns=["raw_sha256", "status", "error"],
                              filters=[("status", "=", "error")])
    return {r["raw_sha256"]: r["error"] or "" for r in table.to_pylist()}


def due(paths: DataPaths, now: dt.datetime, policy: RetryPolicy = DEFAULT_POLICY) -> list[str]:
    """Failed pages to parse again in this run: not parked, and past their backoff (sorted)."""
    ledger = load(paths)
    return sorted(sha for sha in failed_pages(paths) if policy.wait_reason(ledger.get(sha), now) is None)


def _first(reason: str, now: dt.datetime, policy: RetryPolicy) -> dict[str, Any]:
    """A failure published before the ledger existed counts as one attempt made just now."""
    return policy.record(None, reason, now)


def record(paths: DataPaths, entries: Iterable[dict[str, Any]], now: dt.datetime,
           policy: RetryPolicy = DEFAULT_POLICY) -> dict[str, int]:
    """Update the ledger from a run's page entries ({sha256, error}); returns {failed, recovered, parked}."""
    ledger = load(paths)
    counts = {"failed": 0, "recovered": 0, "parked": 0}
    for entry in entries:
        sha, error = entry["sha256"], entry.get("error")
        if error and not error.startswith("no_report"):
            ledger[sha] = policy.record(ledger.get(sha), error, now)
            counts["failed"] += 1
            counts["parked"] += bool(ledger[sha]["parked"])
        elif sha in ledger:
            del ledger[sha]
            counts["recovered"] += 1
    save(paths, ledger)
    return counts


def make_due(paths: DataPaths, selected: Iterable[str] | None = None) -> list[str]:
    """Unpark failed pages (all, or those whose sha256 starts with one of `selected`); returns them."""
    ledger, failed = load(paths), failed_pages(paths)
    prefixes = list(selected) if selected is not None else None
    chosen = sorted(sha for sha in failed if prefixes is None or any(sha.startswith(p) for p in prefixes))
    now = dt.datetime.now(dt.UTC)
    for sha in chosen:
        ledger[sha] = unpark(ledger.get(sha) or _first(failed[sha], now, DEFAULT_POLICY))
    save(paths, ledger)
    return chosen
