"""The nightly flow: inbox + portals → raw/ → parse new pages → validate → publish one version.

Wiring only: every step is a task in tasks/, every decision about pages lives in govreports/.
A page that fails anywhere is recorded (summary.json, pages table) and the run goes on; the
run fails only when the run itself cannot complete (e.g. the curated store is unwritable).
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows import _runtime as rt
from govreports.config import DataPaths, code_version
from govreports.portals.sources import load_sources
from tasks import progress
from tasks import summary as sm
from tasks.ingest import due_retries, fetch_source, list_pending, receive_inbox, record_parse_outcomes
from tasks.publish import publish, write_report, write_summary, write_validation


@flow(name="nightly")
def nightly(data_dir: str | None = None, sources_file: str | None = None, with_samples: bool = False,
            batch_size: int = 1000) -> dict[str, Any]:
    """One nightly run; returns the run summary (also written to runs/<run_id>/summary.json)."""
    data_dir = rt.resolve_data_dir(data_dir)
    paths, version = DataPaths.from_dir(data_dir), code_version()
    logical = rt.logical_time()
    run_id = rt.make_run_id(logical)
    run_dir = paths.run_dir(run_id)
    if with_samples:
        progress.stage("received", f"copied {rt.copy_samples(paths.inbox_dir)} sample pages into the inbox")

    inbox = receive_inbox(data_dir)
    progress.stage("received", f"inbox: {inbox['received']} pages received ({inbox['new']} new), "
                   f"{len(inbox['failed'])} refused", done=inbox["received"], total=inbox["received"])
    sources_path = rt.resolve_sources_file(sources_file)
    sources = [s for s in load_sources(sources_path) if s.enabled] if sources_path else []
    fetches = [fetch_source.submit(data_dir, s, str(paths.state_dir / f"fetch-{s.name}.json"), s.name)
               for s in sources]
    fetched = [_fetch_outcome(f, s.name) for f, s in zip(fetches, sources, strict=True)]

    pending, retries = list_pending(data_dir), due_retries(data_dir)  # retries: failed before, backoff over
    todo = sorted(set(pending) | set(retries))
    progress.stage("parsed", f"{len(todo)} pages to parse" + (f" ({len(retries)} failed before: retried)" if retries
                                                               else ""), done=0, total=len(todo))
    stage_dir = str(run_dir / "stage")
    staged, validated, failed = rt.stage_in_batches(data_dir, todo, version, run_id, stage_dir, batch_size)
    pages = [entry for batch in staged for entry in batch["pages"]]
    retried = sorted(set(retries) & {e["sha256"] for e in pages})
    retry_counts = record_parse_outcomes(data_dir, pages)
    release, outcome = None, None
    if validated:
        outcome = write_validation(str(run_dir), validated)
        release = publish(data_dir, [v["dir"] for v in validated], run_id=run_id, code_version=version,
                          kind="nightly", raw_hashes=[e["sha256"] for e in pages], retried=retried)
    rt.clear_stage(stage_dir)
    rt.log_published(release, len(todo))

    summary = {
        "run_id": run_id, "kind": "nightly", "logical_date": logical.date().isoformat(),
        "scheduled_start_time": logical.isoformat(), "code_version": version, "data_dir": data_dir,
        "pages": sm.pages_section(inbox, fetched),
        "parse": sm.parse_section(pages, failed),
        "retries": {"retried": len(retried), **retry_counts},
        "validation": sm.validation_section(outcome),
        "release": sm.release_section(release),
    }
    write_summary(str(run_dir), summary)
    summary["report"] = write_report(data_dir, summary, summary["release"]["number"])
    progress.stage("report", f"report: {summary['report']}")
    return summary


def _fetch_outcome(future: Any, name: str) -> dict[str, Any]:
    """A source whose task failed after its retries becomes one failure entry, not a failed run."""
    future.wait()
    state = future.state
    if state.is_completed():
        return future.result()
    return {"failed": [{"source": name, "reason": f"fetch failed: {state.message or state.name}"}]}


if __name__ == "__main__":  # local run: `python -m flows.nightly` (the Dask runner needs this guard)
    nightly()
