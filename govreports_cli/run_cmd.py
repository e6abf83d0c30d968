"""`govreports run` and `govreports backfill`: the Prefect flows, run in-process from the shell.

Prefect reads its settings when it is first imported, so the environment defaults are set here
*before* importing it: a per-data-dir PREFECT_HOME (the temporary server's SQLite DB and cached
parse results live next to the data, not in ~/.prefect), a startup timeout that survives a
first-run DB migration (libraries.md §1.4), no analytics and quiet logs (the run's own stage lines
are shown by govreports_cli/progress.py). Before any of that, preflight.py checks what the command was
given; the Prefect server is found or started (prefect_server.py) while the pipeline loads. A
watchdog (lifeline.py) ends whatever the run started if the run is killed.
Exit status: 0 the run completed (pages that failed are recorded, not fatal), 1 the run itself failed,
2 a usage error caught before starting (no such data dir, a bad sources file, nothing to backfill).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govreports import collector
from govreports_cli import lifeline, prefect_server, preflight
from govreports_cli.progress import RunView

if TYPE_CHECKING:
    from govreports.run_contract import RunSummary


def _prepare_env(data_dir: Path) -> None:
    """Environment defaults for an in-process Prefect run; values already set win."""
    from govreports.config import DataPaths

    os.environ.setdefault("PREFECT_HOME", str(DataPaths.from_dir(data_dir).prefect_home))
    # Prefect creates its home without parents and then cannot open its database: make it first
    Path(os.environ["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def _data_dir(data_dir: Path | None) -> Path:
    """--data-dir, else $GOVREPORTS_DATA_DIR, else the repo root (the rule lives in DataPaths); unchecked
    (`maintain` and `retry` use it; `run` and `backfill` go through preflight.py)."""
    from govreports.config import DataPaths

    return DataPaths.from_dir(data_dir).data_dir


def run_nightly(data_dir: Path | None, *, sources: Path | None, with_samples: bool, dask_address: str | None,
                init: bool = False, server: str = "auto", view: str = "rich") -> int:
    """Run the nightly flow once (optionally on Dask); print what it does and a short summary."""
    # --with-samples is the first try on bundled pages: it fetches portals only when asked to (--sources)
    samples_only = with_samples and sources is None and not os.environ.get("GOVREPORTS_SOURCES")
    no_sources = samples_only or str(sources) == "none"
    try:
        root = preflight.data_dir(data_dir, init=init)
        sources_path = None if no_sources else preflight.sources_file(sources)
        preflight.environment()
    except preflight.UsageError as exc:
        RunView(view, live=False).error(str(exc))
        return preflight.USAGE
    shown = RunView(view)
    shown.step(f"data dir {root}; sources {sources_path or 'none'}"
               + (" (--with-samples: the bundled pages only; add --sources sources.yaml to fetch portals too)"
                  if samples_only else ""))
    params = {"data_dir": str(root), "sources_file": str(sources_path) if sources_path else "none",
              "with_samples": with_samples}
    return _run(shown, root, "nightly", params, server=server, dask_address=dask_address)


def run_backfill(years: list[int], data_dir: Path | None, *, as_range: bool, server: str = "auto",
                 view: str = "rich") -> int:
    """Run the backfill flow for `years` (two years with as_range = inclusive range)."""
    try:
        root = preflight.data_dir(data_dir)
        preflight.has_release(root)
        preflight.environment()
    except preflight.UsageError as exc:
        RunView(view, live=False).error(str(exc))
        return preflight.USAGE
    shown = RunView(view)
    shown.step(f"data dir {root}")
    if as_range and len(years) == 2:
        params: dict[str, Any] = {"start": min(years), "end": max(years)}
    else:
        params = {"years": sorted(set(years))}
    return _run(shown, root, "backfill", {"data_dir": str(root), **params}, server=server)


def _run(shown: RunView, root: Path, kind: str, params: dict[str, Any], *, server: str,
         dask_address: str | None = None) -> int:
    """Find or start the Prefect API, load the pipeline meanwhile, run the flow, stop what was started."""
    _prepare_env(root)
    lifeline.start()  # before any server or worker starts: whatever the run starts dies with it
    api = prefect_server.connect(server, Path(os.environ["PREFECT_HOME"]))
    shown.step(("starting " if api.kind == "temporary" else "using ") + api.describe())
    previous_url = os.environ.get("PREFECT_API_URL")
    importing = collector.ImportPause()  # imports make no garbage worth a collection
    try:
        if api.kind != "configured":
            os.environ["PREFECT_API_URL"] = api.url  # before Prefect is imported: it reads settings once
        shown.step("loading the pipeline (Prefect, Arrow, Delta)")
        flow = _load_flow(kind, dask_address)
        pages_coming = kind == "backfill"
        waiting = 0
        if kind == "nightly":
            waiting = _inbox_files(root)
            shown.step(f"inbox: {waiting} file{'' if waiting == 1 else 's'} waiting"
                       + (" (+ the bundled samples)" if params.get("with_samples") else ""))
            pages_coming = bool(waiting or params.get("with_samples"))
        ready = prefect_server.healthy(api.url)
        if pages_coming or not ready:
            expected = (lambda: 0) if dask_address else (  # Dask workers parse: no pool here
                _years_pages(root, params) if kind == "backfill" else lambda: waiting)
            _warm_up(parsing=pages_coming, then=importing.end, expected_pages=expected)
        else:
            importing.end()
        if not ready:
            shown.step("waiting for the Prefect server")
            api.wait(float(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"]))
        api.ready()
        shown.step(f"running the {kind} flow")
        summary = _call(flow, params, shown, api)
    except (Exception, asyncio.CancelledError) as exc:
        shown.error(f"{kind if kind == 'backfill' else 'run'} failed: {failure(exc, root)}")
        return 1
    finally:
        importing.close()
        shown.close_view()
        _close_pool()
        api.stop()
        if previous_url is None:  # an in-process caller keeps its environment (a stopped server's URL is no use)
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous_url
    if shown.mode == "json":
        shown.result(summary.to_json())
    elif shown.mode == "rich":
        print_summary(summary)
    return 0


def _load_flow(kind: str, dask_address: str | None) -> Any:
    """Import the flow (Prefect, pyarrow, deltalake: the slow imports) and pick its task runner."""
    if kind == "backfill":
        from flows.backfill import backfill

        return backfill
    from flows import _runtime as rt
    from flows.nightly import nightly

    if not dask_address:
        return nightly
    # the in-process scheduler and nannies log every connection at INFO through Prefect's handler
    logging.getLogger("distributed").setLevel(os.environ["PREFECT_LOGGING_LEVEL"])
    return nightly.with_options(task_runner=rt.task_runner_for(dask_address))


def _call(flow: Any, params: dict[str, Any], shown: RunView, api: prefect_server.PrefectApi) -> RunSummary:
    """Run the flow with its run logs routed to the view; send the logs to the API before returning."""
    from prefect.logging.configuration import ensure_logging_setup
    from prefect.settings import PREFECT_API_URL, temporary_settings

    ensure_logging_setup()  # Prefect configures its loggers once: after that the view can take over
    shown.attach()
    # the environment variable only counts if Prefect was not loaded before (an embedding program)
    chosen = contextlib.nullcontext() if api.kind == "configured" else temporary_settings({PREFECT_API_URL: api.url})
    try:
        with chosen:
            return flow(**params)
    finally:
        _flush_prefect()
        shown.detach()


def _flush_prefect() -> None:
    """Send the run's logs and events now, while the server (maybe a temporary one) still runs.
    Best effort: a failure here must not turn a completed run into a failed one."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with contextlib.suppress(Exception):
            worker.drain_all(timeout=5, at_exit=False)


def _years_pages(root: Path, params: dict[str, Any]) -> Callable[[], int]:
    """How many pages a backfill will re-parse (what its first task reads), for the warm-up."""
    def count() -> int:
        from flows.backfill import resolve_years
        from govreports.config import DataPaths
        from govreports.io.reading import hashes_for_years

        years = resolve_years(params.get("years"), params.get("start"), params.get("end"))
        return len(hashes_for_years(DataPaths.from_dir(root), years))
    return count


def _warm_up(*, parsing: bool, then: Callable[[], None], expected_pages: Callable[[], int] = lambda: 0) -> None:
    """Import in the background what the run will import later anyway: the report (always), and the
    parser and GX (≈3 s) when there are pages — while this thread waits for the server or the flow
    waits on its API calls. A module imported twice at once is imported once (Python's import lock).
    When the run will parse enough pages for the parse pool (`expected_pages()`: the inbox files, or
    a backfill's pages of its years), its workers are started too: their imports and tokenizer
    (≈1.3 CPU s each) then overlap the inbox receipt or the flow's start instead of following them.
    `then` runs once they are loaded (or failed to)."""
    import threading

    modules = ["govreports.report.build"] + (["tasks.parse", "govreports.tables.validate"] if parsing else [])

    def load() -> None:
        import importlib

        for name in modules:
            with contextlib.suppress(Exception):  # the flow's own import will raise it properly
                importlib.import_module(name)
            if name == "tasks.parse":
                with contextlib.suppress(Exception):  # else the first batch starts them
                    from govreports.io import parse_pool

                    parse_pool.prestart_pool(expected_pages())
        if parsing:  # validate.py imports GX only when a batch is validated: import it now
            with contextlib.suppress(Exception):
                from govreports.tables.gx_run import import_gx

                import_gx()
        then()

    threading.Thread(target=load, name="govreports-warm-up", daemon=True).start()


def _close_pool() -> None:
    """The parse workers, if the run started them (never import the parser just to say no)."""
    import sys

    worker = sys.modules.get("govreports.io.parse_pool")
    if worker is not None:
        worker.close_pool()


def _inbox_files(root: Path) -> int:
    from govreports.config import DataPaths
    from govreports.io.inbox_files import count_waiting

    return count_waiting(DataPaths.from_dir(root).inbox_dir)


_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
_DISK_FULL_TEXT = ("No space left on device", "database or disk is full", "Disk quota exceeded")


def failure(exc: BaseException, data_dir: Path) -> str:
    """One line saying why a run failed; a full disk is named as such, wherever it surfaced."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if (isinstance(cause, OSError) and cause.errno in _DISK_FULL) or any(t in str(cause) for t in _DISK_FULL_TEXT):
            return f"disk full under {data_dir} ({type(cause).__name__}): free space and run again; nothing " \
                   "published was changed, and the pages of this run stay pending"
        cause = cause.__cause__ or cause.__context__
    text = re.split(r"\n\s+0: ", str(exc).strip())[0]  # delta-rs appends a Rust backtrace
    return f"{type(exc).__name__}: {text}"


def print_summary(summary: RunSummary) -> None:
    """A few lines a person reads after a run; the details are in the report."""
    from govreports.run_contract import PagesCounts, ReleaseOutcome, ValidationOutcome

    pages, parse = summary.pages or PagesCounts(), summary.parse
    release = summary.release or ReleaseOutcome(number=None)
    quarantined = (summary.validation or ValidationOutcome()).quarantined
    head = f"{summary.kind} run {summary.run_id} (logical date {summary.logical_date})"
    if summary.years:
        head += f" years {', '.join(map(str, summary.years))}"
    print(head)
    if summary.kind == "backfill":
        print(f"  pages: re-parsed {pages.reparsed or 0}")
    else:
        print(f"  pages: received {pages.received or 0}, waiting in the inbox {pages.waiting or 0}, "
              f"fetched {pages.fetched or 0}, "
              f"not modified {pages.not_modified or 0}, failed {len(pages.failed)}")
    errors = parse.errors if parse else []
    if parse:
        print(f"  parsed: {parse.pages} pages, {parse.pages_ok} with reports, {parse.documents} documents, "
              f"{len(errors)} page errors")
    for failure in (pages.failed + errors)[:10]:
        what = failure.get("url") or failure.get("name") or failure.get("source") or failure.get("sha256")
        print(f"    ! {what}: {failure.get('reason') or failure.get('error')}")
    print(f"  quarantined documents: {len(quarantined)}")
    if release.number is None:
        print(f"  {release.note or 'nothing new: no new version'}")
    else:
        print(f"  published release {release.number}")
    if summary.report:
        print(f"  report: {summary.report}")
