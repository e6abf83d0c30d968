"""Keep the curated store healthy for years: compact small files, vacuum files no kept release reads.

Why: every nightly append adds a few small Parquet files per table (one commit per 16 MB), so after
a year a table is thousands of tiny files and every read opens them all; and files replaced by
backfills stay on disk forever (tables are created with a 10-year deleted-file retention so that
old releases stay readable, tablestore.TABLE_CONFIGURATION).

How releases map to table versions: readers open each table at the version a release recorded
(releases.py). `optimize.compact()` writes a new table version with the same rows in fewer files;
readers would never see it, so after compacting, `maintain` appends a release of kind "maintain"
that points at the compacted versions with the same row counts and no changes. Vacuum then uses
delta-rs's `keep_versions`: every file some kept release's version reads is kept, the rest (files
only superseded versions or crashed publishes used) is deleted. By default every release is kept,
so every release stays readable; `keep_releases=N` keeps the last N (older ones then fail to read,
which `versions` still lists). The whole run holds the publish lock and first undoes a crashed
publish, like `curated.publish`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from deltalake import CommitProperties, DeltaTable

from govreports.config import DataPaths
from govreports.io.files import ensure_dirs
from govreports.io.releases import RELEASES, Release, append_release, read_releases
from govreports.io.tablestore import (
    ensure_tables,
    options,
    publish_lock,
    released_versions,
    rollback_unreleased,
)
from govreports.tables.schemas import TABLES


@dataclass(slots=True)
class TableMaintenance:
    """What maintenance did to one table."""

    table: str
    files_before: int = 0          # files the latest release's version reads, before
    files_after: int = 0           # files the latest release's version reads, after compaction
    compacted_version: int | None = None
    vacuumed_files: int = 0        # files deleted from storage


@dataclass(slots=True)
class MaintenanceReport:
    """The outcome of one `maintain` run (JSON-able through `to_json`)."""

    release: int | None = None              # the "maintain" release appended, if compaction changed anything
    kept_releases: list[int] = field(default_factory=list)
    tables: list[TableMaintenance] = field(default_factory=list)
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def files_before(self) -> int:
        return sum(t.files_before for t in self.tables)

    @property
    def files_after(self) -> int:
        return sum(t.files_after for t in self.tables)

    @property
    def vacuumed(self) -> int:
        return sum(t.vacuumed_files for t in self.tables)


def maintain(paths: DataPaths, *, run_id: str, code_version: str, keep_releases: int | None = None,
             dry_run: bool = False) -> MaintenanceReport:
    """Compact every curated table, record a "maintain" release, vacuum what no kept release reads.

    Args:
        paths: the data layout.
        run_id, code_version: recorded in the maintain release and the Delta commits.
        keep_releases: keep only the last N releases readable (None: all of them).
        dry_run: compact nothing, delete nothing; report what vacuum would delete.
    """
    if keep_releases is not None and keep_releases < 1:
        raise ValueError("keep_releases must be at least 1 (the latest release is always kept)")
    report = MaintenanceReport(dry_run=dry_run)
    if paths.curated_is_local:
        ensure_dirs(paths)
    with publish_lock(paths):
        ensure_tables(paths)
        releases = read_releases(paths)
        if not releases:
            return report
        last = releases[-1]
        released = released_versions(last)
        rollback_unreleased(paths, released)
        commit = CommitProperties(custom_metadata={"run_id": run_id, "maintenance": "compact"})
        versions: dict[str, int] = {}
        for name in TABLES:
            uri = paths.table_uri(name)
            table = DeltaTable(uri, version=released[name], storage_options=options(paths))
            entry = TableMaintenance(name, files_before=len(table.file_uris()))
            entry.files_after = entry.files_before
            report.tables.append(entry)
            if dry_run or entry.files_before < 2:
                continue
            latest = DeltaTable(uri, storage_options=options(paths))
            metrics = latest.optimize.compact(commit_properties=commit)
            if metrics.get("numFilesRemoved", 0):
                versions[name] = latest.version()
                entry.compacted_version = versions[name]
                entry.files_after = len(DeltaTable(uri, storage_options=options(paths)).file_uris())
        if versions:
            tables = {name: dict(last.tables.get(name) or {"version": released[name], "rows": 0}) for name in TABLES}
            for name, version in versions.items():
                tables[name]["version"] = version
            release = Release(release=last.release + 1, created_at=dt.datetime.now(dt.UTC), run_id=run_id,
                              code_version=code_version, kind="maintain", tables=tables, changes={})
            append_release(paths, release)
            releases.append(release)
            report.release = release.release
        kept = releases if keep_releases is None else releases[-keep_releases:]
        report.kept_releases = [r.release for r in kept]
        for entry in report.tables:
            keep = sorted({v for r in kept if (v := r.version_of(entry.table)) is not None})
            entry.vacuumed_files = len(_vacuum(paths, entry.table, keep, dry_run))
        if not dry_run:  # one small file per release: compact the log too (readers read its latest version)
            DeltaTable(paths.table_uri(RELEASES), storage_options=options(paths)).optimize.compact(commit_properties=commit)
        _vacuum(paths, RELEASES, [], dry_run)
    return report


def _vacuum(paths: DataPaths, name: str, keep_versions: list[int], dry_run: bool) -> list[str]:
    """Delete the files of `name` that neither its latest version nor `keep_versions` read.

    Returns the files deleted (would be, on a dry run). delta-rs lists a tombstoned file again on
    every vacuum even once it is gone, so on a local store only files still present are counted.
    """
    table = DeltaTable(paths.table_uri(name), storage_options=options(paths))
    kwargs: dict[str, Any] = {"retention_hours": 0, "enforce_retention_duration": False,
                              "keep_versions": keep_versions or None, "full": True}
    files = table.vacuum(dry_run=True, **kwargs)
    if paths.curated_is_local:
        root = Path(paths.table_uri(name))
        files = [f for f in files if (root / f).exists()]
    if files and not dry_run:
        table.vacuum(dry_run=False, commit_properties=CommitProperties(custom_metadata={"maintenance": "vacuum"}),
                     **kwargs)
    return files
