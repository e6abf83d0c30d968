"""One portal column fetched into the raw store: its pages stored byte for byte, then its fetch state.

The order is the guarantee: a source's fetch state (what was seen) is saved only after every page
fetched in this pass is durable in raw/, so a crash in between makes the next run fetch those pages
again instead of losing them. Per-URL failures are data in the outcome, never an exception.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govreports.config import DataPaths
from govreports.io import fetch, raw_store
from govreports.portals.sources import Source


def fetch_into_store(paths: DataPaths, source: Source, state_path: Path, source_name: str) -> dict[str, Any]:
    """Fetch `source`, store each report page, save its state; the outcome as JSON-able counts."""
    state = fetch.FetchState.load(state_path)
    report = fetch.fetch_source(source, state)
    new = 0
    for page in report.reports:  # list pages only lead to reports; they are not parsed or kept
        stored = raw_store.put(paths, page.data, source=source_name, url=page.final_url or page.url, via="fetch",
                               content_type=page.content_type, headers=dict(page.headers))
        new += bool(stored.is_new)
    state.save(state_path)
    return {
        "fetched": len(report.reports),
        "new": new,
        "list_pages": len(report.pages) - len(report.reports),
        "not_modified": len(report.not_modified),
        "already_seen": len(report.already_seen),
        "skipped": len(report.skipped),
        "failed": [{"source": source_name, "url": url, "reason": reason} for url, reason in report.failures],
    }
