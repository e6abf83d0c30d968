"""Delta table lifecycle for the curated store: where tables are, creating them, the publish lock, rollback.

Kept apart from the publish logic (curated.py) because these are the steps that make a publish safe
rather than correct: every table exists before anything diffs against it (version 0 is the empty
creation, so "roll back to before the first release" is just "restore version 0"), a schema drift is
refused instead of silently merged, and commits no release points to are undone before a new publish.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable

from govreports.config import DataPaths
from govreports.io.files import exclusive_lock
from govreports.io.releases import RELEASES, RELEASES_SCHEMA, Release
from govreports.tables.schemas import DESCRIPTIONS, PARTITION_COLUMN, PARTITIONED, SCHEMAS, TABLES

#: releases point at old table versions, so their logs must outlive delta-rs's 30-day default: without
#: this, the checkpoint written every 100 commits may delete the log files time travel needs. Files a
#: release no longer uses are only ever removed by an explicit vacuum (none runs automatically).
TABLE_CONFIGURATION = {
    "delta.enableExpiredLogCleanup": "false",
    "delta.logRetentionDuration": "interval 3650 days",
    "delta.deletedFileRetentionDuration": "interval 3650 days",
}


def options(paths: DataPaths) -> dict[str, str] | None:
    return dict(paths.storage_options) or None


def partition_by(name: str) -> list[str] | None:
    return [PARTITION_COLUMN] if name in PARTITIONED else None


@contextlib.contextmanager
def publish_lock(paths: DataPaths) -> Iterator[None]:
    """Exclusive for the whole publish on a local store; a no-op on object storage (single writer)."""
    if paths.curated_is_local:
        with exclusive_lock(paths.publish_lock_path):
            yield
    else:
        yield


def ensure_tables(paths: DataPaths) -> None:
    """Create every missing table empty (version 0) and refuse a table whose schema drifted."""
    for name, schema in [*SCHEMAS.items(), (RELEASES, RELEASES_SCHEMA)]:
        uri = paths.table_uri(name)
        if not DeltaTable.is_deltatable(uri, storage_options=options(paths)):
            DeltaTable.create(uri, schema, mode="ignore", partition_by=partition_by(name), name=name,
                              description=DESCRIPTIONS.get(name, "release log"), configuration=TABLE_CONFIGURATION,
                              storage_options=options(paths))
            continue
        table = DeltaTable(uri, storage_options=options(paths))
        have = pa.schema(table.schema().to_arrow())
        same = all(a.name == b.name and a.type.equals(b.type) for a, b in zip(have, schema, strict=False))
        added = list(schema)[len(have):]
        if same and added and all(f.nullable for f in added):
            add_columns(table, added)
        elif len(have) != len(schema) or not same:
            raise RuntimeError(f"curated table {name!r} has schema {have.names}, code expects {schema.names}: "
                               "migrate the table before publishing")


def add_columns(table: DeltaTable, fields: list[pa.Field]) -> None:
    """The one migration done automatically: new nullable columns at the end of a table's schema.

    Older table versions (and the releases that point at them) keep their schema; readers fill the
    missing columns with nulls (tables.fill_added_columns).
    """
    from deltalake.schema import Schema

    table.alter.add_columns(list(Schema.from_arrow(pa.schema(fields)).fields), commit_properties=CommitProperties(
        custom_metadata={"migration": "add columns " + ", ".join(f.name for f in fields)}))


def released_versions(last: Release | None) -> dict[str, int]:
    """Version per table readers currently see; 0 (the empty creation) for tables not yet released."""
    return {name: (last.version_of(name) if last and last.version_of(name) is not None else 0) for name in TABLES}


def rollback_unreleased(paths: DataPaths, released: Mapping[str, int]) -> list[str]:
    """Restore every table whose latest version went beyond its released one (a crashed publish).

    A table already restored (same active files as the released version) is left alone, so repeated
    runs after one crash do not pile up restore commits. Returns the tables restored.
    """
    restored = []
    for name, version in released.items():
        table = DeltaTable(paths.table_uri(name), storage_options=options(paths))
        if table.version() <= version:
            continue
        at_release = DeltaTable(paths.table_uri(name), version=version, storage_options=options(paths))
        if set(table.file_uris()) != set(at_release.file_uris()):
            table.restore(version, commit_properties=CommitProperties(
                custom_metadata={"rollback_to_version": str(version)}))
            restored.append(name)
    return restored
