"""The retry flow (`govreports retry`): failed pages come back on demand, then a nightly run takes them.

Nightly runs already retry failures with backoff and park them after N attempts
(govreports/portals/retry_policy.py). This flow makes the chosen failures due now — parse failures in
the retry ledger, fetch failures in each source's fetch state — and runs the nightly flow, which
re-fetches those URLs, re-parses those pages with today's code and publishes what now parses.
"""

from __future__ import annotations

from prefect import flow

from flows import _runtime as rt
from flows.nightly import nightly
from govreports.portals.sources import load_sources
from govreports.run_contract import RunSummary
from tasks.maintain import make_failures_due


@flow(name="retry")
def retry(pages: list[str] | None = None, data_dir: str | None = None,
          sources_file: str | None = None) -> RunSummary:
    """Retry `pages` (sha256 prefixes or report URLs), or every failed page when None."""
    paths = rt.resolve_paths(data_dir)
    sources_path = rt.resolve_sources_file(sources_file)
    sources = [s for s in load_sources(sources_path) if s.enabled] if sources_path else []
    states = [str(paths.fetch_state_path(s.name)) for s in sources]
    made_due = make_failures_due(paths, states, pages)
    summary = nightly(data_dir=str(paths.data_dir), sources_file=str(sources_path) if sources_path else None)
    summary.made_due = made_due
    return summary
