"""Run-level facts the flows need: data dir, logical date, run id, task runner, bundled samples.

Kept out of the flow modules so they stay wiring only. The logical date comes from the flow
run's *scheduled* start (libraries.md §1.8): a nightly run that starts late, or is retried the
next morning, still reports the night it was scheduled for, which `now()` would get wrong.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from govreports.config import DataPaths
from govreports.run_contract import (
    BatchManifest,
    PageEntry,
    ReleaseOutcome,
    RunSummary,
    ValidatedBatch,
    ValidationOutcome,
)
from govreports_cli import stage_log

#: the deployments' schedule timezone; the logical date is the calendar day there.
SCHEDULE_TZ = ZoneInfo("Asia/Shanghai")
REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = REPO_ROOT / "samples" / "inbox"


def resolve_paths(data_dir: str | None) -> DataPaths:
    """The data layout of the parameter, else $GOVREPORTS_DATA_DIR, else the repo root (DataPaths
    decides): built once per flow run and passed to every task."""
    return DataPaths.from_dir(data_dir or None)


NO_SOURCES = "none"


def resolve_sources_file(sources_file: str | None) -> Path | None:
    """The parameter, else $GOVREPORTS_SOURCES, else sources.yaml at the repo root if present.
    NO_SOURCES ("none") means fetch nothing (a run on the inbox alone)."""
    if sources_file == NO_SOURCES:
        return None
    if sources_file:
        return Path(sources_file).expanduser().resolve()
    env = os.environ.get("GOVREPORTS_SOURCES")
    if env:
        return Path(env).expanduser().resolve()
    default = REPO_ROOT / "sources.yaml"
    return default if default.is_file() else None


def logical_time() -> datetime:
    """The flow run's scheduled start in the schedule's timezone (now, for ad-hoc calls)."""
    from prefect.runtime import flow_run

    scheduled = flow_run.scheduled_start_time
    return datetime.fromtimestamp(scheduled.timestamp(), SCHEDULE_TZ)  # a plain datetime, whatever Prefect returns


def make_run_id(logical: datetime) -> str:
    """Sortable and unique: logical time (UTC) plus the start of the Prefect flow run id."""
    from prefect.runtime import flow_run

    run = str(flow_run.id or os.getpid())
    return f"{logical.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%SZ}-{run[:8]}"


def copy_samples(inbox_dir: Path) -> int:
    """Copy (never move) the bundled sample pages into the inbox; returns how many."""
    inbox_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for page in sorted(SAMPLES_DIR.glob("*")):
        if page.is_file():
            shutil.copy2(page, inbox_dir / page.name)
            count += 1
    return count


def task_runner_for(dask_address: str | None) -> Any:
    """ThreadPool by default; a Dask runner for `tcp://…`, or a 2-worker LocalCluster for 'local'."""
    if not dask_address:
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=4)
    from prefect_dask import DaskTaskRunner

    if dask_address == "local":
        # one thread per worker process: parsing is CPU-bound (GIL); the dashboard gets a free
        # local port (None does not disable it in distributed 2026.x, and 8787 may be taken)
        return DaskTaskRunner(cluster_class="distributed.LocalCluster",
                              cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True,
                                              "host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"})
    return DaskTaskRunner(address=dask_address)


def fans_out() -> bool:
    """Whether this flow run's tasks run elsewhere (Dask workers), not on threads of this process."""
    from prefect.context import FlowRunContext
    from prefect.task_runners import ThreadPoolTaskRunner

    context = FlowRunContext.get()
    return context is not None and not isinstance(context.task_runner, ThreadPoolTaskRunner)


def start_receipt(paths: DataPaths, arrivals: Any) -> Callable[[], dict[str, Any]]:
    """Receive the inbox on a thread of the flow's pool, reporting its new pages to `arrivals` as they
    are stored (so they parse meanwhile); returns what waits for the receipt's outcome. On Dask the
    inbox is received here first: a Dask worker is another process, out of the reach of `arrivals`."""
    from tasks.ingest import receive_inbox

    if fans_out():
        outcome = receive_inbox(paths)
        arrivals.close()
        return lambda: outcome
    receipt = receive_inbox.submit(paths, arrivals.add)
    receipt.add_done_callback(lambda _: arrivals.close())
    return receipt.result


def stage_in_batches(paths: DataPaths, hashes: list[str] | Callable[[], list[str]], version: str, run_id: str,
                     size: int, *, early: Iterator[list[str]] | None = None, expected: int = 0,
                     ) -> tuple[list[BatchManifest], list[ValidatedBatch], list[dict[str, Any]]]:
    """Parse, stage and validate pages batch by batch; returns (manifests, validated batches, failures).

    Parse batches run as submitted tasks (on the default thread pool one at a time, one ahead:
    each already uses a process per CPU, so more would only oversubscribe the machine; on Dask
    all at once) while this thread validates the batch before: validation (GX, in this process)
    overlaps the next parse. Validating here, one batch at a time and always on the same thread,
    bounds memory to one batch's tables — on pool threads, each thread's malloc arena would keep
    its own high-water mark. A failed batch is not validated nor published, so its pages stay
    pending for the next run; a validation error (a suite or code error, never bad data) or an OS
    error while staging (disk full, read-only data dir) fails the run. Once the last batch is
    parsed the parse workers are stopped: the last validation and the publish run without them.

    `early` yields batches known before the others (the inbox's new pages as they are received):
    they parse first, and `hashes` — or what it returns, called once `early` is over — gives the
    rest (io/arrivals.BatchPlan); `expected` is the page count shown until then.
    """
    stage_dir = str(paths.stage_dir(run_id))
    from govreports.io import spill_dirs
    from govreports.io.arrivals import BatchPlan

    spill_dirs.sweep_stale()  # scratch dirs of killed runs' publishes, in $TMPDIR
    if any(paths.runs_dir.glob("*/stage")):  # stages of killed runs (not of live ones): swept by every run
        from govreports.io import staging

        staging.sweep_stale(paths.runs_dir)
    plan = BatchPlan(hashes, size, early, expected)
    if plan.get(0) is None:
        return [], [], []  # nothing new: not even the parser's imports (≈0.4 s)
    from govreports.io import staging
    from govreports.io.parse_pool import close_pool, plan_pool
    from govreports.run_contract import failed_batch_entries
    from tasks.parse import parse_batch
    from tasks.publish import validate_batch

    staging.claim(Path(stage_dir))
    fan_out = fans_out()
    plan_pool(plan.total)  # the pool's size follows the run's (settings.parse_workers)

    def submit(n: int) -> Any:
        return parse_batch.submit(paths, plan.groups[n], version, run_id, stage_dir, n, plan.before(n), plan.total)

    futures = {0: submit(0)}
    while fan_out and plan.get(len(futures)) is not None:  # on Dask: every batch at once
        futures[len(futures)] = submit(len(futures))
    manifests: list[BatchManifest] = []
    validated: list[ValidatedBatch] = []
    failed: list[dict[str, Any]] = []
    done, n = 0, 0
    while (group := plan.get(n)) is not None:
        future = futures.pop(n)
        future.wait()
        if n + 1 not in futures and plan.get(n + 1) is not None:
            futures[n + 1] = submit(n + 1)  # the next batch parses while this one is validated
        elif not futures:
            close_pool()  # every batch is parsed: the workers' memory goes before the last validation
        done += len(group)
        total = plan.total
        if future.state.is_completed():
            manifest = future.result()
            manifests.append(manifest)
            errors = sum(1 for page in manifest.pages if page.error)
            stage_log.stage("parsed", f"parsed {done}/{total} pages (batch {n}: {errors} page errors)",
                            done=done, total=total)
            validated.append(validate_batch(manifest.dir, run_id, n))
            stage_log.stage("validated", f"validated {done}/{total} pages (batch {n}: "
                            f"{len(validated[-1].failed_docs)} documents quarantined)", done=done, total=total)
        else:
            error = future.state.result(raise_on_failure=False)
            if isinstance(error, OSError):  # disk full, read-only: the run cannot go on, no page is to blame
                raise error
            failed.extend(failed_batch_entries(group, future.state.message or future.state.name))
            stage_log.stage("parsed", f"parse batch {n} failed: {future.state.message or future.state.name}; "
                            f"its {len(group)} pages stay pending", done=done, total=total, level=logging.WARNING)
        n += 1
    return manifests, validated, failed


def finish_run(paths: DataPaths, summary: RunSummary, validated: list[ValidatedBatch], pages: list[PageEntry],
               pages_total: int, **publish_args: Any) -> RunSummary:
    """The tail every run shares: validation.json, publish, clear the stage, summary.json, report.

    `summary` holds what the run did so far (pages, parse, retries); its validation, release and
    report are filled in here. `publish_args` go to the publish task (replace_years, retried).
    """
    from tasks.publish import publish, write_report, write_summary, write_validation

    release = None
    summary.validation = ValidationOutcome()
    if validated:
        summary.validation = write_validation(paths, summary.run_id, validated)
        release = publish(paths, [v.dir for v in validated], run_id=summary.run_id,
                          code_version=summary.code_version, kind=summary.kind,
                          raw_hashes=[e.sha256 for e in pages], **publish_args)
    clear_stage(paths.stage_dir(summary.run_id))
    log_published(release, pages_total)
    summary.release = ReleaseOutcome.of(release)
    write_summary(paths, summary)
    summary.report = write_report(paths, summary, summary.release.number)
    stage_log.stage("report", f"report: {summary.report}")
    return summary


def log_published(release: Any, pages: int) -> None:
    """The run's last stage line: the release it published, or why none."""
    if release is None:
        stage_log.stage("published", "nothing new: no new release", done=pages, total=pages)
        return
    changed = ", ".join(f"{name} +{c.get('added', 0)}/-{c.get('removed', 0)}"
                        for name, c in sorted(release.changes.items()) if c.get("added") or c.get("removed"))
    stage_log.stage("published", f"published release {release.release}" + (f": {changed}" if changed else ""),
                    done=pages, total=pages)


def clear_stage(stage_dir: Path) -> None:
    """The run's staged rows are scratch once published (or found to change nothing)."""
    from govreports.io.staging import clear

    clear(stage_dir)
