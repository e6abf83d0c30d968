"""The backfill flow: re-parse the raw pages of some report years with today's code.

Only those years' partitions are replaced, in one new version per table, so a parser fix can be
rolled out year by year without touching the rest. Pages are re-parsed whole (a page may carry
reports of several years); `curated.publish(replace_years=…)` keeps only the rows of the given
years in the partitioned tables, so documents of other years in the same page stay as they were. Re-running the same backfill with the same
code publishes nothing (the curated store sees no change), so it is safe to repeat.
"""

from __future__ import annotations

from prefect import flow

from flows import _runtime as rt
from govreports.config import code_version
from govreports.run_contract import PagesCounts, ParseCounts, RunSummary
from govreports_cli import stage_log
from tasks.ingest import hashes_for_years


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
             data_dir: str | None = None, batch_size: int = 1000) -> RunSummary:
    """Replace the given report years in every curated table; returns the run summary."""
    chosen = resolve_years(years, start, end)
    paths, version = rt.resolve_paths(data_dir), code_version()
    logical = rt.logical_time()
    run_id = rt.make_run_id(logical)

    hashes = hashes_for_years(paths, chosen)
    stage_log.stage("parsed", f"{len(hashes)} raw pages of {', '.join(map(str, chosen))} to re-parse",
                    done=0, total=len(hashes))
    staged, validated, failed = rt.stage_in_batches(paths, hashes, version, run_id, batch_size)
    pages = [entry for batch in staged for entry in batch.pages]
    summary = RunSummary(
        run_id=run_id, kind="backfill", years=chosen, logical_date=logical.date().isoformat(),
        scheduled_start_time=logical.isoformat(), code_version=version, data_dir=str(paths.data_dir),
        pages=PagesCounts.reparsed_pages(len(hashes)), parse=ParseCounts.of(pages, failed))
    # only pages parsed now are published: rows of a page whose batch failed must stay as they are
    return rt.finish_run(paths, summary, validated, pages, len(hashes), replace_years=chosen)


if __name__ == "__main__":
    import sys

    backfill(years=[int(y) for y in sys.argv[1:]])
