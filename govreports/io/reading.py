"""Reading the curated tables the safe way: through the release log, never by globbing Parquet.

A Delta table directory holds files of every version; reading it as plain Parquet returns stale and
duplicate rows (libraries.md §3). And a table's *latest* Delta version may belong to a publish that has
not finished. So every reader here resolves a release first and opens each table at the version that
release recorded. DuckDB's `delta_scan` would download an extension at runtime, so DuckDB and Polars get
a pyarrow dataset instead (`duckdb.sql("select ... from ds")`, `pl.scan_pyarrow_dataset(ds)`).

An analyst's read of a store with no release raises `NoReleaseError` naming the path, rather than
returning an empty table: an empty result from a mistyped `data_dir` or GOVREPORTS_DATA_DIR looks
like "no data" and is trusted. The pipeline's own look-ups (what is already processed) treat no
release as empty, which is what it means before the first run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from govreports.config import DataPaths
from govreports.io.releases import Release, arrow_filesystem, check_rows, get_release, read_releases
from govreports.tables.rows import fill_added_columns
from govreports.tables.schemas import KEYS, PARTITION_COLUMN, SCHEMAS, TABLES

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow.dataset as pads

DataDir = str | Path | DataPaths | None
#: tables whose rows belong to a document: default reads leave out repeats and superseded versions
DOC_TABLES = ("documents", "sections", "quantities", "indicators", "indicator_values", "keywords", "citations")


class NoReleaseError(LookupError):
    """The data dir holds no release (it may not exist at all); the message names the path."""


def _paths(data_dir: DataDir) -> DataPaths:
    return data_dir if isinstance(data_dir, DataPaths) else DataPaths.from_dir(data_dir)


def no_release_message(paths: DataPaths) -> str:
    """Why there is nothing to read at `paths`, naming the data dir and what to check."""
    where = f"no release in {paths.curated_dir}"
    if not paths.data_dir.exists():
        return f"{where}: the data dir {paths.data_dir} does not exist (check --data-dir / $GOVREPORTS_DATA_DIR)"
    return f"{where}: nothing published there yet (run `govreports run`, or check --data-dir / $GOVREPORTS_DATA_DIR)"


def require_release(paths: DataPaths, version: int | str | None) -> Release:
    """Release `version` (latest when None).

    Raises:
        NoReleaseError: nothing was ever published at `paths`. LookupError: no release `version`.
    """
    release = get_release(paths, version)
    if release is None:
        raise NoReleaseError(no_release_message(paths))
    return release


def _check(name: str) -> None:
    if name not in SCHEMAS:
        raise KeyError(f"no curated table {name!r}; tables: {list(TABLES)}")


def _open(paths: DataPaths, name: str, release: Release | None, verify: bool = True) -> Any:
    """The DeltaTable of `name` at `release`'s version, or None when the release has no such table.

    Raises DamagedStore (when `verify`) if the table does not hold the rows the release recorded.
    """
    from deltalake import DeltaTable

    version = release.version_of(name) if release else None
    if release is None or version is None:
        return None
    table = DeltaTable(paths.table_uri(name), version=version, storage_options=dict(paths.storage_options) or None)
    if verify:
        check_rows(paths, name, release, table)
    return table


def _hidden(paths: DataPaths, release: Release | None) -> list[str]:
    """doc_ids a default read leaves out: repeats (duplicate_of) and versions a correction superseded."""
    table = _open(paths, "documents", release, verify=False)
    if table is None or "duplicate_of" not in pa.schema(table.schema().to_arrow()).names:
        return []
    links = table.to_pyarrow_table(columns=["doc_id", "duplicate_of", "supersedes"],
                                   filesystem=arrow_filesystem(paths, "documents"))
    # in Arrow, not a dict per document: this runs for every default read of a document table
    repeats = links.column("doc_id").filter(pc.fill_null(pc.not_equal(links.column("duplicate_of"), ""), False))
    superseded = links.column("supersedes").filter(pc.fill_null(pc.not_equal(links.column("supersedes"), ""), False))
    return sorted(set(repeats.to_pylist()) | set(superseded.to_pylist()))


def read_arrow(name: str, version: int | str | None = None, *, data_dir: DataDir = None,
               columns: list[str] | None = None, filters: list | None = None, verify: bool = True,
               all_versions: bool = False) -> pa.Table:
    """Table `name` as of release `version` (default: the latest), as a pyarrow Table.

    Rows are sorted by the table's key and typed exactly by schemas.SCHEMAS, whatever files the
    table is made of.

    Args:
        name: one of TABLES (documents, sections, quantities, indicators, keywords, citations, pages,
            quarantine).
        version: a release number (see `versions()`); None for the latest release.
        data_dir: the data dir (default: GOVREPORTS_DATA_DIR / the repo root), or a DataPaths.
        columns: the columns to return (default all).
        filters: row filters in pyarrow DNF form, e.g. [("report_year", "=", 2023)].
        verify: check the table holds the rows the release recorded (off only for the backfill
            that restores a damaged table).
        all_versions: also the rows of documents that repeat an earlier one (`duplicate_of`) or
            that a corrected version superseded; by default each report counts once.
    Raises:
        KeyError: unknown table. NoReleaseError: nothing published in that data dir (the message names
        it). LookupError: no such release. TypeError: `version` is not a number. DamagedStore: the
        table lost rows the release recorded (a damaged Delta log), or the log is unreadable.
    """
    _check(name)
    paths = _paths(data_dir)
    return _read_at(paths, name, require_release(paths, version), columns, filters, verify, all_versions)


def _read_at(paths: DataPaths, name: str, release: Release | None, columns: list[str] | None = None,
             filters: list | None = None, verify: bool = True, all_versions: bool = False) -> pa.Table:
    """read_arrow at a resolved release; no release (before the first publish) reads as empty."""
    _check(name)
    schema = SCHEMAS[name]
    wanted = list(columns or schema.names)
    unknown = [c for c in wanted if c not in schema.names]
    if unknown:
        raise KeyError(f"{name} has no columns {unknown}; columns: {schema.names}")
    table = _open(paths, name, release, verify)
    if table is None:
        return schema.empty_table().select(wanted)
    hidden = [] if all_versions or name not in DOC_TABLES else _hidden(paths, release)
    keys = [k for k in dict.fromkeys([*KEYS[name], *(["doc_id"] if hidden else [])]) if k not in wanted]
    stored = set(pa.schema(table.schema().to_arrow()).names)  # an older version may lack added columns
    data = table.to_pyarrow_table(columns=[c for c in wanted + keys if c in stored], filters=filters,
                                  filesystem=arrow_filesystem(paths, name))
    data = fill_added_columns(name, data, wanted)
    if hidden:
        data = data.filter(pc.invert(pc.is_in(data.column("doc_id"), value_set=pa.array(hidden, pa.string()))))
    data = data.sort_by([(k, "ascending", "at_start") for k in KEYS[name]]).select(wanted)  # as tables.to_table
    return data.cast(pa.schema([schema.field(c) for c in wanted]))


def read(name: str, version: int | str | None = None, *, data_dir: DataDir = None,
         columns: list[str] | None = None, filters: list | None = None, all_versions: bool = False) -> pd.DataFrame:
    """Table `name` as of release `version` (default: the latest), as a pandas DataFrame.

    Same arguments as `read_arrow`. Example: `read("indicators", filters=[("report_year", "=", 2023)])`.
    """
    return read_arrow(name, version, data_dir=data_dir, columns=columns, filters=filters,
                      all_versions=all_versions).to_pandas()


def dataset(name: str, version: int | str | None = None, *, data_dir: DataDir = None,
            all_versions: bool = False) -> pads.Dataset:
    """Table `name` as of a release, as a pyarrow dataset (lazy; for DuckDB and Polars).

    Like `read`, leaves out repeated and superseded documents unless `all_versions`.
    Example: `ds = dataset("quantities"); duckdb.sql("select unit, count(*) from ds group by unit")`.
    Raises as `read_arrow`.
    """
    import pyarrow.dataset as pads

    _check(name)
    paths = _paths(data_dir)
    release = require_release(paths, version)
    table = _open(paths, name, release)
    if table is None:
        return pads.dataset(SCHEMAS[name].empty_table())
    data = table.to_pyarrow_dataset(filesystem=arrow_filesystem(paths, name))
    hidden = [] if all_versions or name not in DOC_TABLES else _hidden(paths, release)
    return data.filter(~pads.field("doc_id").isin(hidden)) if hidden else data


def versions(data_dir: DataDir = None) -> pd.DataFrame:
    """The release log: one row per release (release, created_at, run_id, code_version, kind, years,
    n_raw_hashes, rows_<table> for every table, changes as JSON).

    Raises:
        NoReleaseError: nothing published in that data dir (the message names it).
    """
    import pandas as pd

    paths = _paths(data_dir)
    releases = read_releases(paths)
    if not releases:
        raise NoReleaseError(no_release_message(paths))
    rows = []
    for rel in releases:
        row: dict[str, Any] = {"release": rel.release, "created_at": rel.created_at, "run_id": rel.run_id,
                               "code_version": rel.code_version, "kind": rel.kind, "years": rel.years,
                               "n_raw_hashes": len(rel.raw_hashes)}
        row.update({f"rows_{name}": (rel.tables.get(name) or {}).get("rows", 0) for name in TABLES})
        row["changes"] = json.dumps(rel.changes, sort_keys=True)
        rows.append(row)
    columns = ["release", "created_at", "run_id", "code_version", "kind", "years", "n_raw_hashes",
               *[f"rows_{n}" for n in TABLES], "changes"]
    return pd.DataFrame(rows, columns=columns)


def read_if_published(name: str, paths: DataPaths, *, columns: list[str] | None = None,
                      filters: list | None = None, all_versions: bool = False) -> pa.Table:
    """The pipeline's read of the latest release: before the first publish, an empty table (what a
    first run sees), where an analyst's `read_arrow` raises NoReleaseError. Not checked for lost
    rows (a backfill restoring a damaged table reads through here too)."""
    return _read_at(paths, name, get_release(paths), columns, filters, verify=False, all_versions=all_versions)


def processed_hashes(paths: DataPaths) -> set[str]:
    """Raw pages already processed (the `pages` ledger of the latest release): skip them nightly."""
    pages = _read_at(paths, "pages", get_release(paths), columns=["raw_sha256"])
    return set(pages.column("raw_sha256").to_pylist())


def hashes_for_years(paths: DataPaths, years: list[int] | set[int]) -> set[str]:
    """Raw pages that produced documents (published or quarantined) in `years`: what a backfill re-parses.

    Read without the row-count check: a backfill is how a table with a damaged log is restored.
    """
    wanted = sorted({int(y) for y in years})
    if not wanted:
        return set()
    flt = [(PARTITION_COLUMN, "in", wanted)]
    release = get_release(paths)
    found = set(_read_at(paths, "documents", release, ["raw_sha256"], flt, False, True)["raw_sha256"].to_pylist())
    found |= {h for h in _read_at(paths, "quarantine", release, ["raw_sha256"], flt, False)["raw_sha256"].to_pylist()
              if h}
    pages = _read_at(paths, "pages", release, ["raw_sha256", "report_years"], verify=False).to_pylist()
    found |= {p["raw_sha256"] for p in pages if set(p["report_years"] or ()) & set(wanted)}
    return found


def panel(indicator_id: str, *, by: str = "region", version: int | None = None, data_dir: DataDir = None,
          sub: str | None = None, long: bool = False) -> pd.DataFrame:
    """One indicator across regions (or agencies) and report years, from release `version` (default latest).

    Args:
        indicator_id: a catalog id (`docs/datasets.md`, Indicator catalog), e.g. "ENF_CERT_HOLDERS".
        by: "region" (default) or "agency": what the rows are.
        sub: a sub-value (立案, 结案 …) instead of the headline value.
        long: the rows behind the panel (one per cell, with doc_id and lineage) instead of the pivot.
    Returns:
        region × report_year values in the indicator's unit (`.attrs` name it); one document per cell.
    """
    from govreports.indicators.panel import build_panel, panel_rows

    values = read("indicator_values", version, data_dir=data_dir)
    if long:
        return panel_rows(values, indicator_id, by=by, sub=sub)
    return build_panel(values, indicator_id, by=by, sub=sub)
