"""The nightly flow: inbox + portals → raw/ → parse new pages → validate → publish one version.

Wiring only: every step is a task in tasks/, every decision about pages lives in govreports/.
A page that fails anywhere is recorded (summary.json, pages table) and the run goes on; the
run fails only when the run itself cannot complete (e.g. the curated store is unwritable).
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows import _runtime as rt
from govreports.config import code_version
from govreports.io.arrivals import Arrivals
from govreports.io.inbox_files import count_waiting
from govreports.portals.sources import load_sources
from govreports.run_contract import PagesCounts, ParseCounts, RetryCounts, RunSummary
from govreports_cli import stage_log
from tasks.ingest import due_retries, fetch_source, list_pending, record_parse_outcomes


@flow(name="nightly")
def nightly(data_dir: str | None = None, sources_file: str | None = None, with_samples: bool = False,
            batch_size: int = 1000) -> RunSummary:
    """One nightly run; returns the run summary (also written to runs/<run_id>/summary.json)."""
    paths, version = rt.resolve_paths(data_dir), code_version()
    logical = rt.logical_time()
    run_id = rt.make_run_id(logical)
    if with_samples:
        stage_log.stage("received", f"copied {rt.copy_samples(paths.inbox_dir)} sample pages into the inbox")

    arrivals = Arrivals(batch_size)  # the inbox's new pages parse while the rest are received
    received = rt.start_receipt(paths, arrivals)
    gathered: dict[str, Any] = {}

    def the_rest() -> list[str]:
        """Once the inbox is received: the portals, then every page still to parse (retries too)."""
        gathered["inbox"] = received()  # the receipt logged its own outcome
        sources_path = rt.resolve_sources_file(sources_file)
        sources = [s for s in load_sources(sources_path) if s.enabled] if sources_path else []
        fetches = [fetch_source.submit(paths, s, str(paths.fetch_state_path(s.name)), s.name) for s in sources]
        gathered["fetched"] = [_fetch_outcome(f, s.name) for f, s in zip(fetches, sources, strict=True)]
        pending, retries = list_pending(paths), due_retries(paths)  # retries: failed before, backoff over
        gathered["retries"] = retries
        todo = sorted(set(pending) | set(retries))
        total = gathered["total"] = len(arrivals.handed_out | set(todo))
        stage_log.stage("parsed", f"{total} pages to parse" + (f" ({len(retries)} failed before: retried)"
                                                               if retries else ""), done=0, total=total)
        return todo

    staged, validated, failed = rt.stage_in_batches(paths, the_rest, version, run_id, batch_size,
                                                    early=arrivals.batches(), expected=count_waiting(paths.inbox_dir))
    inbox, fetched, retries = gathered["inbox"], gathered["fetched"], gathered["retries"]  # the_rest ran
    pages = [entry for batch in staged for entry in batch.pages]
    retried = sorted(set(retries) & {e.sha256 for e in pages})
    retry_counts = record_parse_outcomes(paths, pages)
    summary = RunSummary(
        run_id=run_id, kind="nightly", logical_date=logical.date().isoformat(),
        scheduled_start_time=logical.isoformat(), code_version=version, data_dir=str(paths.data_dir),
        pages=PagesCounts.gathered(inbox, fetched), parse=ParseCounts.of(pages, failed),
        retries=RetryCounts.from_json({"retried": len(retried), **retry_counts}))
    return rt.finish_run(paths, summary, validated, pages, gathered["total"], retried=retried)


def _fetch_outcome(future: Any, name: str) -> dict[str, Any]:
    """A source whose task failed after its retries becomes one failure entry, not a failed run."""
    future.wait()
    state = future.state
    if state.is_completed():
        return future.result()
    return {"failed": [{"source": name, "reason": f"fetch failed: {state.message or state.name}"}]}


if __name__ == "__main__":  # local run: `python -m flows.nightly` (the Dask runner needs this guard)
    nightly()
