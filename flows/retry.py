"""The retry flow (`govreports retry`): failed pages come back on demand, then a nightly run takes them.

Nightly runs already retry failures with backoff and park them after N attempts
(govreports/portals/retry_policy.py). This flow makes the chosen failures due now — parse failures in
the retry ledger, fetch failures in each source's fetch state — and runs the nightly flow, which
re-fetches those URLs, re-parses those pages with today's code and publishes what now parses.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows import _runtime as rt
from flows.nightly import nightly
from govreports.config import DataPaths
from govreports.portals.sources import load_sources
from tasks.maintain import make_failures_due


@flow(name="retry")
def retry(pages: list[str] | None = None, data_dir: str | None = None,
          sources_file: str | None = None) -> dict[str, Any]:
    """Retry `pages` (sha256 prefixes or report URLs), or every failed page when None."""
    data_dir = rt.resolve_data_dir(data_dir)
    paths = DataPaths.from_dir(data_dir)
    sources_path = rt.resolve_sources_file(sources_file)
    sources = [s for s in load_sources(sources_path) if s.enabled] if sources_path else []
    states = [str(paths.state_dir / f"fetch-{s.name}.json") for s in sources]
    made_due = make_failures_due(data_dir, states, pages)
    summary = nightly(data_dir=data_dir, sources_file=str(sources_path) if sources_path else None)
    return {**summary, "made_due": made_due}
