"""The backfill flow: re-parse the raw pages of some report years with today's code.

Only those years' partitions are replaced, in one new version per table, so a parser fix can be
rolled out year by year without touching the rest. Pages are re-parsed whole (a page may carry
reports of several years); `curated.publish(replace_years=…)` keeps only the rows of the given
years in the partitioned tables, so documents of other years in the same page stay as they were. Re-running the same backfill with the same
code publishes nothing (the curated store sees no change), so it is safe to repeat.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows import _runtime as rt
from govreports.config import DataPaths, code_version
from tasks import progress
from tasks import summary as sm
from tasks.ingest import hashes_for_years
from tasks.publish import publish, write_report, write_summary, write_validation


def resolve_years(years: list[int] | None, start: int | None, end: int | None) -> list[int]:
    """Explicit years, or the inclusive range start..end (one bound alone means that one year)."""
    chosen = set(years or ())
    if start is not None or end is not None:
        lo, hi = start if start is not None else end, end if end is not None else start
        if lo > hi:
            raise ValueError(f"backfill range is empty: start {lo} > end {hi}")
        chosen.update(range(lo, hi + 1))
    if not chosen:
        raise ValueError("backfill needs years, or start/end")
    return sorted(chosen)


@flow(name="backfill")
def backfill(years: list[int] | None = None, start: int | None = None, end: int | None = None,
             data_dir: str | None = None, batch_size: int = 1000) -> dict[str, Any]:
    """Replace the given report years in every curated table; returns the run summary."""
    chosen = resolve_years(years, start, end)
    data_dir = rt.resolve_data_dir(data_dir)
    paths, version = DataPaths.from_dir(data_dir), code_version()
    logical = rt.logical_time()
    run_id = rt.make_run_id(logical)
    run_dir = paths.run_dir(run_id)

    hashes = hashes_for_years(data_dir, chosen)
    progress.stage("parsed", f"{len(hashes)} raw pages of {', '.join(map(str, chosen))} to re-parse",
                   done=0, total=len(hashes))
    stage_dir = str(run_dir / "stage")
    staged, validated, failed = rt.stage_in_batches(data_dir, hashes, version, run_id, stage_dir, batch_size)
    pages = [entry for batch in staged for entry in batch["pages"]]
    release, outcome = None, None
    if validated:
        outcome = write_validation(str(run_dir), validated)
        # only pages parsed now: rows of a page whose batch failed must stay as they are
        release = publish(data_dir, [v["dir"] for v in validated], run_id=run_id, code_version=version,
                          kind="backfill", replace_years=chosen, raw_hashes=[e["sha256"] for e in pages])
    rt.clear_stage(stage_dir)
    rt.log_published(release, len(hashes))

    summary = {
        "run_id": run_id, "kind": "backfill", "years": chosen, "logical_date": logical.date().isoformat(),
        "scheduled_start_time": logical.isoformat(), "code_version": version, "data_dir": data_dir,
        "pages": {"received": 0, "fetched": 0, "not_modified": 0, "skipped": 0, "failed": [],
                  "reparsed": len(hashes)},
        "parse": sm.parse_section(pages, failed),
        "validation": sm.validation_section(outcome),
        "release": sm.release_section(release),
    }
    write_summary(str(run_dir), summary)
    summary["report"] = write_report(data_dir, summary, summary["release"]["number"])
    progress.stage("report", f"report: {summary['report']}")
    return summary


if __name__ == "__main__":
    import sys

    backfill(years=[int(y) for y in sys.argv[1:]])
