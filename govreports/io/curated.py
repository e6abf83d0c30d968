"""Publishing the curated tables: Delta Lake tables under curated/, tied together by the release log.

Why this shape (shared/docs/libraries.md §3): one Delta table per entity gives atomic commits, time
travel and a folder Spark/DuckDB/Polars can read; `_releases` (releases.py) makes a multi-table publish
visible in one commit. Guarantees:

* Idempotent. A nightly publish appends only rows whose key (schemas.KEYS) is not in the released
  table; a backfill replaces a year's partition only when its content (a multiset of row hashes) differs.
  When no table changes, nothing is committed and `publish` returns None.
* Backfill = replace what the re-parsed pages produced in the given years, in ONE commit per table
  (`mode="overwrite", predicate="report_year IN (...)"`); other partitions' files are not touched. Rows of
  those years that came from *other* pages (e.g. a nightly run that published meanwhile) are kept.
* Crash-safe. A publisher killed between table commits leaves commits no release points to; readers
  never see them. The next publish first restores every such table to its released version, then
  publishes, so the crashed run's pages are simply processed again.
* Concurrency: on a local curated dir, the whole publish (rollback, diff, commits, release row) holds
  an exclusive fcntl.flock on curated/_publish.lock, so concurrent runs (nightly + backfill, separate
  processes) serialise and each diffs against the other's release. On object storage (s3://) there is
  no lock: a SINGLE WRITER is assumed, enforced by deployment concurrency limits (one work pool slot
  for all publishing flows). delta-rs 1.x commits with S3 conditional puts, so a second writer would
  fail its commit rather than corrupt a table, but the release log could still interleave.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, write_deltalake

from govreports import settings
from govreports.config import DataPaths
from govreports.io import append, replace
from govreports.io.files import ensure_dirs
from govreports.io.reading import dataset, hashes_for_years, processed_hashes, read, read_arrow, versions
from govreports.io.releases import (
    Release,
    append_release,
    arrow_filesystem,
    check_rows,
    get_release,
    read_releases,
)
from govreports.io.tablestore import (
    ensure_tables,
    options,
    partition_by,
    publish_lock,
    released_versions,
    rollback_unreleased,
)
from govreports.tables.rows import check_columns, conform
from govreports.tables.schemas import KEYS, PARTITION_COLUMN, PARTITIONED, SCHEMAS, TABLES

__all__ = ["Release", "dataset", "get_release", "hashes_for_years", "processed_hashes", "publish", "read",
           "read_arrow", "read_releases", "versions"]

#: test hook: seconds to sleep after each table commit, so a test can SIGKILL a publisher mid-way.
ENV_TEST_PAUSE = "GOVREPORTS_TEST_PUBLISH_PAUSE"
KINDS = ("nightly", "backfill")
#: Arrow bytes per Delta commit of a nightly append: delta-rs holds a write in memory until it ends
#: (several times its Arrow size), so a large run is appended in commits of about this size; the
#: release records the table's last version, so readers still see the run whole or not at all.
COMMIT_BYTES = int(os.environ.get("GOVREPORTS_COMMIT_BYTES") or 16 * 2**20)
#: a backfill replaces the rows of up to this many changed pages in an unpartitioned table with a
#: `raw_sha256 IN (...)` overwrite; beyond, it rewrites the table (one row per page: small), because
#: delta-rs's memory for the predicate grew with its list (+161 MB for 20,000 pages, +4 MB rewriting).
PREDICATE_PAGES = 1_000
#: tables written at once, on threads: the Delta writes and DuckDB diffs run in native code, so one
#: table's write overlaps another's, and a table handed over as a callable (the documents, whose
#: duplicate linking is Python) is prepared while the others are written. 10,000 pages: link +
#: publish 6.3 → 4.1–4.6 s wall for +65 MB at most (benchmarks/README.md, round 7).
PUBLISH_THREADS = 2

#: a table given to `publish` as a callable is made in the thread that writes it
Deferred = Callable[[], Any]


def _in_list(column: str, values: Iterable[Any]) -> str:
    items = sorted(set(values))
    literal = ", ".join(str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'" for v in items)
    return f"{column} = {literal}" if len(items) == 1 else f"{column} IN ({literal})"


@dataclass
class _Outcome:
    """What publishing one table did: its new version, row changes, partitions and raw pages touched."""

    version: int
    change: dict[str, Any]
    years: set[int] = field(default_factory=set)
    pages: set[str] = field(default_factory=set)


class _Publisher:
    """One publish under the lock: diffs each table against its released version and commits."""

    def __init__(self, paths: DataPaths, last: Release | None, run_id: str, release_no: int) -> None:
        self.paths, self.last, self.run_id, self.release_no = paths, last, run_id, release_no
        self.released = released_versions(last)

    def released_table(self, name: str) -> DeltaTable:
        return DeltaTable(self.paths.table_uri(name), version=self.released[name], storage_options=options(self.paths))

    def fs(self, name: str) -> Any:
        return arrow_filesystem(self.paths, name)

    def released_dataset(self, name: str) -> Any:
        """The released version of `name` as a lazy pyarrow dataset (what replace.py streams)."""
        return self.released_table(name).to_pyarrow_dataset(filesystem=self.fs(name))

    def commit(self, name: str, data: pa.RecordBatchReader, *, mode: str, predicate: str | None = None) -> int:
        uri = self.paths.table_uri(name)
        write_deltalake(uri, data, mode=mode, predicate=predicate,  # type: ignore[arg-type]
                        partition_by=partition_by(name), storage_options=options(self.paths),
                        commit_properties=CommitProperties(custom_metadata={
                            "run_id": self.run_id, "release": str(self.release_no)}))
        settings.trim_heap()  # the write's buffers, freed but kept by glibc: without, commits stack up (+85 MB)
        pause = float(os.environ.get(ENV_TEST_PAUSE) or 0)
        if pause > 0:
            time.sleep(pause)
        return DeltaTable(uri, storage_options=options(self.paths)).version()

    def released_keys(self, name: str, data: append.Data) -> pa.Table:
        """Key columns of the released rows that belong to the documents (pages) in `data`."""
        column, owned = append.owners(data, name)
        if not owned:
            return pa.schema([SCHEMAS[name].field(k) for k in KEYS[name]]).empty_table()
        return self.released_table(name).to_pyarrow_table(columns=list(KEYS[name]), filters=[(column, "in", owned)],
                                                          filesystem=self.fs(name))

    def append_new(self, name: str, data: append.Data) -> _Outcome | None:
        """Nightly: append the rows whose key is not released yet, streamed from `data`."""
        fresh = append.fresh_rows(data, name, self.released_keys(name, data))
        if fresh is None:
            return None
        version = self.released[name]
        for group in append.budgeted(fresh.batches, COMMIT_BYTES):  # a few commits: bounded memory
            version = self.commit(name, pa.RecordBatchReader.from_batches(SCHEMAS[name], group), mode="append")
        return _Outcome(version, {"added": fresh.rows, "removed": 0}, fresh.years, fresh.pages)

    def append_replacing(self, name: str, data: append.Data, replaced: set[str]) -> _Outcome | None:
        """Nightly, for a small unpartitioned table: append new rows, replace the rows of `replaced` pages."""
        table = conform(name, data if isinstance(data, pa.Table) else data.to_table())
        mask = pc.is_in(table["raw_sha256"], value_set=pa.array(sorted(replaced), pa.string()))
        appended = self.append_new(name, table.filter(pc.invert(mask)))
        swapped = self.replace_pages(name, table.filter(mask), replaced)
        if swapped is None or appended is None:
            return swapped or appended
        change = {k: appended.change.get(k, 0) + swapped.change.get(k, 0) for k in ("added", "removed")}
        return _Outcome(swapped.version, change, appended.years | swapped.years, appended.pages | swapped.pages)

    def replace_years(self, name: str, data: append.Data, years: list[int], hashes: set[str],
                      doc_pages: pa.Table) -> _Outcome | None:
        """Backfill of a partitioned table: the years whose content changed are overwritten, year by year.

        Streamed (replace.py): the diff runs in DuckDB, each changed year is written by a predicate
        overwrite of its first ≤ COMMIT_BYTES of rows and appends of the rest, so memory stays that of
        one commit; the release records the table's last version, so readers see the backfill whole.
        """
        kept = (hashes, None if name == "documents" else doc_pages) if hashes else None
        with replace.diff_groups(name, data, self.released_dataset(name),
                                 group=PARTITION_COLUMN, groups=years, kept_pages=kept) as diff:
            if not diff.changed:
                return None
            for year in diff.changed:
                version = self.commit_replacing(name, diff.rows([year]), _in_list(PARTITION_COLUMN, [year]))
            return _Outcome(version, diff.change, set(diff.changed))

    def replace_pages(self, name: str, data: append.Data, hashes: set[str]) -> _Outcome | None:
        """Backfill of an unpartitioned table: replace the rows of the re-parsed raw pages that changed."""
        with replace.diff_groups(name, data, self.released_dataset(name),
                                 group="raw_sha256", groups=sorted(hashes)) as diff:
            if not diff.changed:
                return None
            change = {k: v for k, v in diff.change.items() if k != "ignored_outside_years"}
            if len(diff.changed) <= PREDICATE_PAGES:
                version = self.commit_replacing(name, diff.rows(diff.changed), _in_list("raw_sha256", diff.changed))
            else:  # the whole (one row per page) table, rewritten: changed pages' rows, then the others'
                kept = replace.rows_except_pages(name, self.released_dataset(name), diff.changed)
                version = self.commit_replacing(name, itertools.chain(diff.rows(diff.changed), kept), None)
            return _Outcome(version, change, pages=set(diff.changed) if name == "pages" else set())

    def commit_replacing(self, name: str, batches: Iterator[pa.RecordBatch], predicate: str | None) -> int:
        """Overwrite the rows matching `predicate` (None: every row) with `batches`: the first commit
        replaces, later ones append."""
        version, mode = None, "overwrite"
        for group in append.budgeted(batches, COMMIT_BYTES):
            version = self.commit(name, pa.RecordBatchReader.from_batches(SCHEMAS[name], group), mode=mode,
                                  predicate=predicate if mode == "overwrite" else None)
            mode = "append"
        if version is None:  # every row of the group is gone: the overwrite writes nothing
            version = self.commit(name, pa.RecordBatchReader.from_batches(SCHEMAS[name], []), mode="overwrite",
                                  predicate=predicate)
        return version

    def rows_at(self, name: str, version: int) -> int:
        return DeltaTable(self.paths.table_uri(name), version=version, storage_options=options(self.paths)).count()


def publish(
    paths: DataPaths,
    tables: Mapping[str, pa.Table],
    *,
    run_id: str,
    code_version: str,
    kind: str = "nightly",
    replace_years: list[int] | None = None,
    raw_hashes: Iterable[str] = (),
    retried: Iterable[str] = (),
) -> Release | None:
    """Publish `tables` as the next release, or nothing when no table would change.

    Args:
        paths: the data layout (curated_dir local or s3://).
        tables: name → table (or a pyarrow dataset, e.g. staged Parquet parts) with that name's schema
            (schemas.SCHEMAS); tables not given are left alone. A nightly publish streams datasets.
            A value may be a callable returning one (`Deferred`): it is called, under the lock, by
            the thread that writes that table, so its preparation overlaps the other tables' writes.
        run_id: the run publishing (recorded in the release and in each Delta commit's metadata).
        code_version: config.code_version() of the code that produced the rows.
        kind: "nightly" or "backfill" (a label in the release log).
        replace_years: None appends new rows (nightly); a list of years replaces, in those years, what
            the pages in `raw_hashes` (plus the pages in `tables["pages"]`) produced. Rows of other years
            are ignored (counted in changes[...]["ignored_outside_years"]).
        raw_hashes: the raw pages this run processed.
        retried: pages whose earlier processing failed and that this run parsed again: in a
            nightly publish their `pages` rows are replaced (their other rows are new anyway).
    Returns:
        The new Release, or None when nothing changed (a rerun of the same input publishes nothing).
    """
    _check_arguments(tables, run_id=run_id, kind=kind, replace_years=replace_years)
    years = sorted({int(y) for y in replace_years}) if replace_years is not None else None
    hashes: set[str] = set(raw_hashes)
    if years is not None and "pages" in tables:  # the pages a backfill re-parsed replace their rows
        hashes |= set(append.owners(tables["pages"], "pages")[1])
    if paths.curated_is_local:
        ensure_dirs(paths)
    with publish_lock(paths):
        pub = _open(paths, run_id, kind)
        done = _write_tables(pub, tables, years, hashes, retried)
        if not done:
            return None
        pages = set(raw_hashes) | (hashes if years is not None else set())
        release = Release(
            release=pub.release_no, created_at=dt.datetime.now(dt.UTC), run_id=run_id, code_version=code_version,
            kind=kind, years=sorted(set().union(*(o.years for o in done.values()))),
            raw_hashes=sorted(pages.union(*(o.pages for o in done.values()))),
            tables=_table_state(pub, done), changes={name: o.change for name, o in done.items()})
        append_release(paths, release)
        return release


def _check_arguments(tables: Mapping[str, pa.Table], *, run_id: str, kind: str,
                     replace_years: list[int] | None) -> None:
    """Refuse a bad publish before the lock and before any commit (a streamed write would fail half-way)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if replace_years is not None and kind != "backfill":
        raise ValueError("replace_years is a backfill: pass kind='backfill'")
    if not run_id:
        raise ValueError("run_id is required")
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise ValueError(f"unknown tables {sorted(unknown)}; known: {list(TABLES)}")
    for name, data in tables.items():
        if not callable(data):  # a deferred table is checked once it is made
            check_columns(name, data.schema.names)


def _open(paths: DataPaths, run_id: str, kind: str) -> _Publisher:
    """Under the lock: the next release's publisher, after rolling back unreleased commits and
    refusing a damaged table (except to a backfill: that is how a damaged table is restored)."""
    ensure_tables(paths)
    releases = read_releases(paths)
    last = releases[-1] if releases else None
    pub = _Publisher(paths, last, run_id, (last.release + 1) if last else 1)
    if rollback_unreleased(paths, pub.released):
        ensure_tables(paths)  # a restore to before a column was added drops the column again
    if last is not None and kind != "backfill":
        for name in TABLES:
            check_rows(paths, name, last)
    return pub


def _write_tables(pub: _Publisher, tables: Mapping[str, Any], years: list[int] | None, hashes: set[str],
                  retried: Iterable[str]) -> dict[str, _Outcome]:
    """Commit each given table that changes (append, replace a page's rows, or replace years),
    PUBLISH_THREADS at a time; the first error stops the tables not begun and is raised once the
    others are done (their commits are unreleased: the next publish rolls them back)."""
    doc_pages = pa.table({"doc_id": pa.array([], pa.string()), "raw_sha256": pa.array([], pa.string())})
    if years is not None and hashes:  # which page each released document of those years came from
        doc_pages = pub.released_table("documents").to_pyarrow_table(
            columns=["doc_id", "raw_sha256"], filters=[(PARTITION_COLUMN, "in", years)], filesystem=pub.fs("documents"))
    retried = set(retried)

    def write(name: str) -> _Outcome | None:
        data = tables[name]
        if callable(data):
            data = data()
            check_columns(name, data.schema.names)
        if years is None and name == "pages" and retried:
            result = pub.append_replacing(name, data, retried)
        elif years is None:
            result = pub.append_new(name, data)
        elif name in PARTITIONED:
            result = pub.replace_years(name, data, years, hashes, doc_pages)
        elif hashes:
            result = pub.replace_pages(name, data, hashes)
        else:
            result = pub.append_new(name, data)
        settings.trim_heap()  # each table's diff and commits free what they held: give it back before the next
        return result

    names = [name for name in TABLES if name in tables]
    threads = max(1, min(PUBLISH_THREADS, os.cpu_count() or 1, len(names)))
    with ThreadPoolExecutor(threads, thread_name_prefix="publish") as pool:
        futures = [pool.submit(write, name) for name in names]
        try:
            results = [future.result() for future in futures]
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return {name: result for name, result in zip(names, results, strict=True) if result is not None}


def _table_state(pub: _Publisher, done: dict[str, _Outcome]) -> dict[str, dict[str, int]]:
    """Each table's version and row count in the new release (unchanged tables: as last released)."""
    last, state = pub.last, {}
    for name in TABLES:
        if name in done:
            version = done[name].version
            state[name] = {"version": version, "rows": pub.rows_at(name, version)}
        elif last is not None and name in last.tables:
            state[name] = dict(last.tables[name])
        else:
            state[name] = {"version": pub.released[name], "rows": pub.rows_at(name, pub.released[name])}
    return state

