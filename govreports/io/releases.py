"""The release log: which version of every curated table belongs together.

A run commits several Delta tables one after the other; between those commits (or after a crash) the
tables disagree. So readers never look at a table's latest version: they look up the latest *release*,
one row of the Delta table curated/_releases, and open each table at the version that row recorded.
Appending that row is a single Delta commit, which makes a whole multi-table publish appear at once.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pyarrow as pa

from govreports.config import DataPaths

RELEASES = "_releases"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))
#: what `govreports backfill` needs to rewrite a table whose log lost files (docs/operations.md)
RESTORE_HINT = "`govreports backfill FIRST LAST` over all report years restores it from raw/"


class DamagedStore(RuntimeError):
    """A curated table or the release log does not hold what the release log says: refuse, never guess."""
RELEASES_SCHEMA = pa.schema([
    pa.field("release", pa.int64(), nullable=False, metadata={"description": "Release number: 1, 2, ..."}),
    pa.field("created_at", pa.timestamp("us", tz="UTC"), nullable=False,
             metadata={"description": "When the release was committed (UTC)."}),
    pa.field("run_id", pa.string(), nullable=False, metadata={"description": "Run that published it."}),
    pa.field("code_version", pa.string(), nullable=False, metadata={"description": "Code that produced it."}),
    pa.field("kind", pa.string(), nullable=False, metadata={"description": "nightly | backfill"}),
    pa.field("years", pa.list_(pa.int32()), nullable=False,
             metadata={"description": "Report years whose rows this release added or replaced."}),
    pa.field("raw_hashes", pa.list_(pa.string()), nullable=False,
             metadata={"description": "Raw pages this release added or re-parsed."}),
    pa.field("tables", pa.string(), nullable=False,
             metadata={"description": "JSON: table -> {version, rows}: the Delta version readers open."}),
    pa.field("changes", pa.string(), nullable=False,
             metadata={"description": "JSON: table -> {added, removed}: rows changed by this release."}),
])


@dataclass(frozen=True)
class Release:
    """One published, consistent set of table versions."""

    release: int
    created_at: dt.datetime
    run_id: str
    code_version: str
    kind: str
    years: list[int] = field(default_factory=list)
    raw_hashes: list[str] = field(default_factory=list)
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    changes: dict[str, dict[str, int]] = field(default_factory=dict)

    def version_of(self, name: str) -> int | None:
        """Delta version of table `name` in this release (None: the table did not exist yet)."""
        entry = self.tables.get(name)
        return None if entry is None else int(entry["version"])

    def to_row(self) -> dict[str, Any]:
        return {"release": self.release, "created_at": self.created_at, "run_id": self.run_id,
                "code_version": self.code_version, "kind": self.kind, "years": list(self.years),
                "raw_hashes": list(self.raw_hashes),
                "tables": json.dumps(self.tables, sort_keys=True),
                "changes": json.dumps(self.changes, sort_keys=True)}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Release:
        return cls(release=int(row["release"]), created_at=row["created_at"], run_id=row["run_id"],
                   code_version=row["code_version"], kind=row["kind"], years=list(row["years"] or []),
                   raw_hashes=list(row["raw_hashes"] or []), tables=json.loads(row["tables"]),
                   changes=json.loads(row["changes"]))


def _options(paths: DataPaths) -> dict[str, str] | None:
    return dict(paths.storage_options) or None


def arrow_filesystem(paths: DataPaths, name: str) -> Any:
    """pyarrow's own filesystem rooted at a local table, None for object storage.

    Why: without it deltalake reads the Parquet files through a Python-level filesystem handler
    (DeltaStorageHandler) called from pyarrow's I/O threads; one of those native threads is still
    running when the interpreter exits and the process aborts ("terminate called without an active
    exception", exit 134) about every other run. pyarrow's LocalFileSystem keeps the reads native.
    """
    if not paths.curated_is_local:
        return None
    import pyarrow.fs as pafs

    return pafs.SubTreeFileSystem(paths.table_uri(name), pafs.LocalFileSystem())


def read_releases(paths: DataPaths) -> list[Release]:
    """Every release, oldest first ([] before the first publish).

    Raises:
        DamagedStore: the release log cannot be read (e.g. a truncated commit file).
    """
    from deltalake import DeltaTable

    uri = paths.table_uri(RELEASES)
    try:
        if not DeltaTable.is_deltatable(uri, storage_options=_options(paths)):
            return []
        rows = _log_rows(DeltaTable(uri, storage_options=_options(paths)), paths)
        return sorted((Release.from_row(r) for r in rows), key=lambda r: r.release)
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException, _delta_error()) as exc:
        raise DamagedStore(f"the release log {uri} is unreadable ({first_line(exc)}); "
                           "restore its last _delta_log commit from a backup") from exc


def _log_rows(table: Any, paths: DataPaths) -> list[dict[str, Any]]:
    """The log's rows. A local log (a few small files, append-only: no deletes, no partitions) is read
    file by file: `to_pyarrow_table` goes through pyarrow.dataset, which imports pandas (≈1 s on every
    `govreports versions`)."""
    if not paths.curated_is_local:
        return table.to_pyarrow_table().to_pylist()
    import pyarrow.parquet as pq

    parts = [pq.ParquetFile(unquote(uri.removeprefix("file://"))).read() for uri in table.file_uris()]
    if not parts:
        return []
    # tz-aware timestamps to Python would import pandas too: convert the microseconds here
    log = pa.concat_tables(parts)
    micros = log.column("created_at").cast(pa.int64()).to_pylist()
    rows = log.drop_columns(["created_at"]).to_pylist()
    for row, us in zip(rows, micros, strict=True):
        row["created_at"] = _EPOCH + dt.timedelta(microseconds=us)
    return rows


def first_line(exc: BaseException) -> str:
    """An error's first line: delta-rs appends a Rust backtrace to its messages."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _delta_error() -> type[Exception]:
    from deltalake.exceptions import DeltaError

    return DeltaError


def release_number(release: int | str | None) -> int | None:
    """A release number as given by a person or a script: 3, "3" or None (latest)."""
    if release is None or (isinstance(release, int) and not isinstance(release, bool)):
        return release
    if isinstance(release, str) and release.strip().isdigit():
        return int(release.strip())
    raise TypeError(f"a release is a number like 3, not {release!r}")


def check_rows(paths: DataPaths, name: str, release: Release, table: Any = None) -> None:
    """Raise DamagedStore unless table `name` at `release`'s version holds the rows the log recorded.

    The release log records every table's row count; a commit that lost an `add` line (a
    hand-edited or damaged `_delta_log`) reads as fewer rows without any error, so this is the
    only place the loss shows. Counting uses the commit statistics, not the data files.
    """
    from deltalake import DeltaTable

    entry, version = release.tables.get(name), release.version_of(name)
    if entry is None or version is None or entry.get("rows") is None:
        return
    try:
        table = table or DeltaTable(paths.table_uri(name), version=version, storage_options=_options(paths))
        rows = table.count()
    except (OSError, ValueError, pa.ArrowException, _delta_error()) as exc:
        raise DamagedStore(f"curated table {name!r} version {version} (release {release.release}) is "
                           f"unreadable ({first_line(exc)}); {RESTORE_HINT}") from exc
    if rows != int(entry["rows"]):
        raise DamagedStore(f"curated table {name!r} version {version} holds {rows} rows but release "
                           f"{release.release} recorded {entry['rows']}: its Delta log is damaged; {RESTORE_HINT}")


def get_release(paths: DataPaths, release: int | str | None = None) -> Release | None:
    """Release number `release`, or the latest one when None; None when nothing was published yet.

    Raises:
        LookupError: `release` was given and does not exist. TypeError: `release` is not a number.
        DamagedStore: the release log is unreadable.
    """
    release = release_number(release)
    releases = read_releases(paths)
    if release is None:
        return releases[-1] if releases else None
    for candidate in releases:
        if candidate.release == release:
            return candidate
    known = f"1..{releases[-1].release}" if releases else "none yet"
    raise LookupError(f"no release {release} (releases: {known})")


def append_release(paths: DataPaths, release: Release) -> None:
    """Commit one release row: the single atomic step that makes a publish visible."""
    from deltalake import CommitProperties, write_deltalake

    row = pa.Table.from_pylist([release.to_row()], schema=RELEASES_SCHEMA)
    write_deltalake(paths.table_uri(RELEASES), row, mode="append", storage_options=_options(paths),
                    commit_properties=CommitProperties(custom_metadata={"run_id": release.run_id,
                                                                         "release": str(release.release)}))
