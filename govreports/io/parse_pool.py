"""Parse stored pages by hash and stage their tables, in this process or in a pool of workers.

In io/ (no Prefect, as all of govreports/): tasks/parse.py's `parse_batch` hands pages to a
spawned process pool, and each worker imports this module; importing Prefect there would cost
≈1 s per worker and drag its settings and threads into a process that only needs the core. The parsing itself is the
core's `parse_page`; this module reads bytes by hash, turns a crash into a recorded per-page
error (one bad page never loses the rest of a batch) and writes each chunk's tables to the stage.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import itertools
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from govreports import settings
from govreports.config import DataPaths
from govreports.io import raw_store, staging
from govreports.models import PageResult
from govreports.parse import parse_page
from govreports.run_contract import PageEntry
from govreports.tables.rows import results_to_tables

#: below this many pages a batch is parsed serially. Measured on the 2-vCPU dev box: a warm
#: parse costs ≈0.05–0.15 s a page, starting a worker ≈5–10 s (imports, tokenizer), so the pool
#: pays off only from a few hundred pages on, and only because later batches reuse it.
POOL_MIN_PAGES = 150
#: pages a pool worker parses and stages per call: large enough that a call's overhead (pickling,
#: one Parquet file per table) is small per page, small enough that both workers stay busy and a
#: worker's memory stays a few MB of records.
CHUNK_PAGES = 50
#: the glue around parse_page (source lookup, crash capture, table building) is part of what a
#: staged batch means, so this module's code is part of the batch key
_POOL_DIGEST = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
#: pages the run will parse (plan_pool), which sizes the pool when it starts
_PLANNED_PAGES: int | None = None
_POOL_SIZE = 0


def _first(sightings: list[dict[str, Any]], *keys: str) -> str | None:
    """The first non-empty value of `keys` over the sightings, in arrival order (stable)."""
    for sighting in sightings:
        for key in keys:
            if sighting.get(key):
                return str(sighting[key])
    return None


def origin(paths: DataPaths, sha: str) -> dict[str, str | None]:
    """Where a stored page came from, per its first sighting (arrival order, so stable).

    `source` is the sources.yaml name or "inbox" (what the curated tables carry); `url` the portal
    URL when known; `name` what a person recognises: the URL, else the inbox file name.
    """
    sightings = raw_store.sidecar(paths, sha).get("sightings") or []
    url = _first(sightings, "url")
    return {"source": _first(sightings, "source") or "unknown", "url": url,
            "name": url or _first(sightings, "original_name") or sha,
            "content_type": _first(sightings, "content_type")}


def parse_stored(paths: DataPaths, sha: str, where: dict[str, str | None] | None = None) -> PageResult:
    """Parse one stored page; never raises (an unexpected exception becomes `error="crash: …"`)."""
    source = "unknown"
    try:
        where = where or origin(paths, sha)
        source = where["source"] or source
        data = raw_store.get(paths, sha)
    except Exception as exc:  # a missing or damaged object is recorded, not fatal
        return PageResult(source=source, raw_sha256=sha, error=f"unreadable: {type(exc).__name__}: {exc}")
    try:
        return parse_page(data, source, raw_sha256=sha, content_type=where["content_type"])
    except Exception as exc:  # parse_page should not raise; if it does, record it and go on
        return PageResult(source=source, raw_sha256=sha, error=f"crash: {type(exc).__name__}: {exc}")


def _can_fork_workers() -> bool:
    """Daemonic processes (Dask workers) may not have children; 1 CPU gains nothing."""
    return not multiprocessing.current_process().daemon and (os.cpu_count() or 1) >= 2


def _init_worker() -> None:
    """Run in each pool worker before any task: keep pandas out, load the dictionaries once.

    pyarrow imports pandas on the first `pa.array(list)` only to ask whether the list is a pandas
    object (it never is here); that import costs a parse worker ≈60 MB and ≈0.5 CPU s. Marking
    pandas absent makes pyarrow take its no-pandas path; workers never use pandas themselves.
    """
    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, _NoPandas())
    from govreports.text import keywords, tokenize

    tokenize.cut("加载")  # the tokenizer and the IDF table, once, before the first page …
    keywords.idf_table()
    settings.trim_heap()  # … and the heap their loading left freed


class _NoPandas(importlib.abc.MetaPathFinder):
    """An import finder that says pandas is not installed (what pyarrow's check then believes)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"pandas is kept out of parse workers ({name})", name=name)
        return None


def _spawn_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker)


def _shared_pool() -> ProcessPoolExecutor:
    """The process's pool, started on first use and reused by later batches.

    Starting a worker costs imports and tokenizer set-up (≈5–10 s of CPU on a small machine), so
    one pool serves every batch of a run instead of one pool per batch. `spawn`, not fork: the
    caller runs Prefect's threads, and forking a threaded process can deadlock the child.
    """
    global _POOL, _POOL_SIZE
    with _POOL_LOCK:
        if _POOL is None:
            _POOL_SIZE = settings.parse_workers(_PLANNED_PAGES)
            _POOL = _spawn_pool(_POOL_SIZE)
        return _POOL


def plan_pool(pages: int) -> None:
    """Size the pool for a run of `pages` pages (settings.parse_workers); a running pool keeps its size."""
    global _PLANNED_PAGES
    _PLANNED_PAGES = pages


def prestart_pool(pages: int) -> bool:
    """Start the workers for a run of about `pages` pages now, so that their imports and tokenizer
    load overlap what comes before the first batch (the inbox receipt); False when a run that size
    would not use the pool. A later close_pool() stops them as usual."""
    if pages < POOL_MIN_PAGES or not _can_fork_workers():
        return False
    plan_pool(pages)
    pool = _shared_pool()
    for _ in range(_POOL_SIZE):  # one no-op each: a worker is spawned per task submitted, up to the size
        pool.submit(os.getpid)
    return True


def pool_running() -> bool:
    return _POOL is not None


def close_pool() -> None:
    """Stop the shared pool's workers: once a run has parsed its last batch (they hold ≈190 MB each,
    which the validation and publish that follow need more than a warm pool), and before a command
    exits (it does not wait for the interpreter's own clean-up to do it)."""
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _discard_pool(pool: ProcessPoolExecutor) -> None:
    global _POOL
    with _POOL_LOCK:
        if _POOL is pool:
            _POOL = None
    pool.shutdown(wait=False, cancel_futures=True)


def _safe_origin(paths: DataPaths, sha: str) -> dict[str, str | None] | None:
    """origin(), or None when the sidecar cannot be read (parse_stored then records why)."""
    try:
        return origin(paths, sha)
    except Exception:  # a damaged or missing sidecar is the page's problem, not the chunk's
        return None


def page_entry(result: PageResult, where: dict[str, str | None] | None) -> PageEntry:
    """What the run summary keeps of a parsed page: small and JSON-able (the rows are staged)."""
    return PageEntry(sha256=result.raw_sha256, source=result.source, name=(where or {}).get("name"),
                     error=result.error, documents=len(result.documents))


def stage_chunk(paths: DataPaths, hashes: list[str], code_version: str, run_id: str, out_dir: str,
                part: str) -> list[PageEntry]:
    """Parse `hashes`, write their tables under `out_dir` (staging), return one page entry each.

    Runs in a pool worker: only page entries cross the process boundary (≈100 bytes a page,
    where a PageResult pickles to ≈37 KB), and the tables go to disk straight from here.
    """
    wheres = [_safe_origin(paths, sha) for sha in hashes]
    results = [parse_stored(paths, sha, where) for sha, where in zip(hashes, wheres, strict=True)]
    urls = {sha: w["url"] for sha, w in zip(hashes, wheres, strict=True) if w and w.get("url")}
    tables = results_to_tables(results, code_version=code_version, run_id=run_id, urls=urls)
    staging.write_tables(Path(out_dir), tables, part)
    return [page_entry(r, w) for r, w in zip(results, wheres, strict=True)]


def chunks(hashes: list[str], size: int) -> list[list[str]]:
    size = max(1, size)
    return [hashes[i:i + size] for i in range(0, len(hashes), size)]


def stage_many(paths: DataPaths, hashes: list[str], code_version: str, run_id: str, out_dir: str, *,
               chunk_size: int = CHUNK_PAGES, pool: bool | None = None,
               on_chunk: Callable[[int], None] | None = None) -> list[PageEntry]:
    """Stage pages in chunks, on the shared pool for large batches; entries in the order of `hashes`.

    A chunk whose worker died is redone page by page, each in its own process, so only the page
    that kills a worker is lost (recorded as a crash, with no rows staged). `on_chunk(pages)` is
    called in this process as each chunk is done (for progress).
    """
    if pool is None:  # a small batch (a run's last) still goes to workers that are already up
        pool = (len(hashes) >= POOL_MIN_PAGES or pool_running()) and _can_fork_workers()
    groups = chunks(list(hashes), chunk_size)
    done = on_chunk or (lambda pages: None)
    if not pool:
        serial: list[PageEntry] = []
        for n, group in enumerate(groups):
            serial += stage_chunk(paths, group, code_version, run_id, out_dir, f"c{n:05d}")
            done(len(group))
        return serial
    executor = _shared_pool()
    entries: dict[int, list[PageEntry]] = {}
    try:
        futures = {n: executor.submit(stage_chunk, paths, g, code_version, run_id, out_dir, f"c{n:05d}")
                   for n, g in enumerate(groups)}
    except BrokenProcessPool:
        futures = {}
    broken = not futures and bool(groups)
    for n, future in futures.items():
        try:
            entries[n] = future.result()
            done(len(groups[n]))
        except BrokenProcessPool:
            broken = True
    if broken:
        _discard_pool(executor)
    for n, group in enumerate(groups):
        if n in entries:
            continue
        entries[n] = []
        staging.drop_part(Path(out_dir), f"c{n:05d}")  # whatever the lost worker wrote before it died
        for k, sha in enumerate(group):  # isolate each page of a lost chunk in its own process
            part = f"c{n:05d}-p{k:04d}"
            try:
                with _spawn_pool(1) as one:
                    entries[n] += one.submit(stage_chunk, paths, [sha], code_version, run_id, out_dir,
                                             part).result()
            except BrokenProcessPool:
                entries[n].append(PageEntry(sha256=sha, source="unknown", name=None, documents=0,
                                            error="crash: BrokenProcessPool: worker process died"))
        done(len(group))
    return [e for n in range(len(groups)) for e in entries[n]]


def batch_key(hashes: list[str], code_version: str) -> str:
    """Sorted page hashes + code version + this module's own code: same key, same staged rows."""
    digest = hashlib.sha256(_POOL_DIGEST.encode())
    digest.update(b"\0" + code_version.encode())
    for sha in sorted(hashes):
        digest.update(b"\0" + sha.encode())
    return digest.hexdigest()


def batches(hashes: list[str], size: int) -> list[list[str]]:
    """Split sorted hashes into as few batches of at most `size` as there can be, of even sizes
    (1,074 pages: 537 + 537, not 1,000 + 74), deterministically, so batch keys repeat."""
    ordered = sorted(hashes)
    count = -(-len(ordered) // max(1, size))
    bounds = [-(-len(ordered) * k // count) for k in range(count + 1)] if count else [0]
    return [ordered[a:b] for a, b in itertools.pairwise(bounds)]
