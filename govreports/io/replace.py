"""Streaming backfill: which partitions (or pages) changed, and their new rows, without Python rows.

Why DuckDB and not dicts (what the backfill did before): diffing a 10-year rebuild of 10,000 pages
as Python dicts peaked at 4.8 GB and grew with the archive. Here the incoming rows (staged Parquet
or a table) and the released rows of the replaced years stream once through a DuckDB connection with
a memory limit (it spills to a temp dir beyond it), which keeps only narrow columns (group, key, a
row number, a hash of the whole row); the whole rows go to an Arrow IPC file beside it (Session says
why). The diff is a multiset comparison of row hashes per group (a year, or a raw page for the
unpartitioned tables) done in SQL, and each changed group's rows are read back from the IPC file,
batch by batch, for the Delta write. Peak memory is the limit plus one batch and one commit's
buffer, whatever the size of the archive or of its reports.

Semantics are those of the dict version, kept exactly: incoming rows outside the groups are
ignored (and counted), duplicates keep their first row (staged order), a group is rewritten only
when its multiset of rows differs, and — for a backfill by year — released rows of those years
that came from pages outside the backfill (e.g. a nightly that published meanwhile) are kept
unless the backfill brings a row with the same key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.ipc

from govreports.io import append, spill_dirs
from govreports.tables.rows import conform, fill_added_columns
from govreports.tables.schemas import KEYS, SCHEMAS

ROW = "__row"
#: DuckDB's working memory (append.py says why this size); beyond it, it spills to its temp dir
MEMORY_LIMIT = append.MEMORY_LIMIT
#: rows per Arrow batch handed back for writing
BATCH_ROWS = 65_536


@dataclass
class GroupDiff:
    """What replacing a table's groups changes: the changed groups, row counts, and the rows to write.

    Holds the DuckDB session the rows stream from: use it as a context manager (closes it).
    """

    changed: list[Any]
    change: dict[str, int]
    session: Session = field(repr=False)

    def rows(self, groups: list[Any]) -> Iterator[pa.RecordBatch]:
        """The rows to write for `groups`, in incoming order (kept released rows after them)."""
        yield from self.session.rows(groups)

    def __enter__(self) -> GroupDiff:
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _numbered(batches: Iterator[pa.RecordBatch], name: str, start: int = 0) -> pa.RecordBatchReader:
    """`batches` conformed to the schema of `name`, with a row number column (the order to keep)."""
    schema = SCHEMAS[name].append(pa.field(ROW, pa.int64()))

    def gen() -> Iterator[pa.RecordBatch]:
        n = start
        for batch in batches:
            if not batch.num_rows:
                continue
            # a released version older than a nullable column lacks it: read as null (tables.py)
            table = conform(name, fill_added_columns(name, pa.Table.from_batches([batch])))
            rows = pa.array(range(n, n + table.num_rows), pa.int64())
            n += table.num_rows
            yield from table.append_column(ROW, rows).to_batches()

    return pa.RecordBatchReader.from_batches(schema, gen())


class Session:
    """One table's diff: narrow columns in a private DuckDB connection, whole rows in Arrow IPC files.

    Why two stores: DuckDB pins a vector's worth (2,048 rows) of a stored table's strings to read it,
    so a table of whole rows with report bodies in DuckDB ran out of memory under any small limit
    (10,000 pages' documents at 64MB). Only the group, the key, a row number and a hash of the whole
    row (computed by DuckDB as the Arrow batches stream in, outside its buffer pool) go into DuckDB;
    the rows themselves are written once to an IPC file in the session's temp dir and read back,
    batch by batch, for the groups being written. `close` removes both.
    """

    def __init__(self, name: str, group: str) -> None:
        self.name, self.group = name, group
        self.tmp = spill_dirs.make("replace")
        self.con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "threads": 1, "temp_directory": str(self.tmp),
                                          "preserve_insertion_order": True})
        self.columns = [_quote(c) for c in SCHEMAS[name].names]
        self.keys = [_quote(k) for k in KEYS[name]]
        self.spans: dict[str, list[tuple[int, int]]] = {}  # per IPC file: each batch's row numbers [start, end)

    def close(self) -> None:
        self.con.close()
        spill_dirs.remove(self.tmp)

    def load(self, table: str, reader: pa.RecordBatchReader) -> None:
        self.con.register("_src", reader)
        self.con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM _src").fetchall()
        self.con.unregister("_src")

    def load_values(self, table: str, column: str, values: list[Any], kind: pa.DataType) -> None:
        self.load(table, pa.RecordBatchReader.from_batches(
            pa.schema([(column, kind)]), pa.table({column: pa.array(values, kind)}).to_batches()))

    def spill(self, table: str, numbered: pa.RecordBatchReader, extra: list[str] = ()) -> None:
        """Whole rows of `numbered` to `table`.arrow; DuckDB `table` gets group, key, row number, the
        row's hash and the `extra` columns."""
        path = f"{self.tmp}/{table}.arrow"
        spans = self.spans[table] = []

        def written() -> Iterator[pa.RecordBatch]:
            with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, numbered.schema) as out:
                for batch in numbered:
                    out.write_batch(batch)
                    rows = batch.column(ROW)
                    spans.append((rows[0].as_py(), rows[-1].as_py() + 1))
                    yield batch

        narrow = dict.fromkeys([_quote(self.group), *self.keys, *(_quote(c) for c in extra)])
        self.con.register("_src", pa.RecordBatchReader.from_batches(numbered.schema, written()))
        self.con.execute(f"CREATE TEMP TABLE {table} AS SELECT {', '.join(narrow)}, {ROW}, "
                         f"hash(row({', '.join(self.columns)})) AS _h FROM _src").fetchall()
        self.con.unregister("_src")

    def read(self, table: str, wanted: np.ndarray) -> Iterator[pa.RecordBatch]:
        """The rows of `table`.arrow whose numbers are in `wanted` (sorted), in file order."""
        if not len(wanted):
            return
        with pa.OSFile(f"{self.tmp}/{table}.arrow", "rb") as source:
            reader = pa.ipc.open_file(source)
            for i, (start, end) in enumerate(self.spans[table]):
                if np.searchsorted(wanted, start) == np.searchsorted(wanted, end):
                    continue  # no wanted row in this batch: not read
                batch = reader.get_batch(i)
                mask = np.isin(batch.column(ROW).to_numpy(), wanted, assume_unique=True)
                kept = pa.Table.from_batches([batch.filter(pa.array(mask))]).drop_columns([ROW])
                yield from conform(self.name, kept).to_batches()

    def rows(self, groups: list[Any]) -> Iterator[pa.RecordBatch]:
        self.load_values("_chosen", "g", groups, self._group_type())
        try:
            chosen = f"{_quote(self.group)} IN (SELECT g FROM _chosen)"
            for table, picked in (("incoming", "n_rows"), ("o", "o_rows")):
                wanted = self.con.execute(f"SELECT {ROW} FROM {table} WHERE {chosen} AND {ROW} IN "
                                          f"(SELECT r FROM {picked}) ORDER BY {ROW}").fetchnumpy()[ROW]
                yield from self.read(table, np.asarray(wanted, dtype=np.int64))
        finally:
            self.con.execute("DROP TABLE _chosen").fetchall()

    def _group_type(self) -> pa.DataType:
        return SCHEMAS[self.name].field(self.group).type


def diff_groups(name: str, incoming: append.Data, released: pads.Dataset, *, group: str, groups: list[Any],
                kept_pages: tuple[set[str], pa.Table | None] | None = None) -> GroupDiff:
    """Diff `incoming` against the `released` rows, group by group (close the result when done).

    Args:
        group: the column the replacement is done by (report_year, or raw_sha256).
        groups: the groups being replaced; incoming rows of other groups are ignored (and counted).
        kept_pages: for a backfill by year, (the re-parsed pages, doc_id → raw_sha256 of released
            documents in those years or None for the documents table): released rows of pages not
            re-parsed are kept unless an incoming row has their key.
    """
    session = Session(name, group)
    try:
        g, kind = _quote(group), session._group_type()
        session.load_values("_groups", "g", sorted(set(groups)), kind)
        session.spill("incoming", _numbered(append.iter_batches(incoming), name))
        in_groups = f"{g} IN (SELECT g FROM _groups)"
        total, inside = session.con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {in_groups}) FROM incoming").fetchall()[0]
        # each key's first incoming row in the groups
        session.con.execute(f"CREATE TEMP TABLE n_rows AS SELECT min({ROW}) AS r FROM incoming "
                            f"WHERE {in_groups} GROUP BY {', '.join(session.keys)}").fetchall()
        filt = pads.field(group).isin(pa.array(sorted(set(groups)), kind))
        pages = [c for c in ("doc_id", "raw_sha256") if c in SCHEMAS[name].names and c not in (group, *KEYS[name])]
        session.spill("o", _numbered(released.to_batches(filter=filt, batch_size=BATCH_ROWS, use_threads=False), name),
                      pages)  # one batch at a time: a threaded scan reads 16 batches ahead
        if kept_pages is not None:
            _keep_outside_rows(session, *kept_pages)
        else:
            session.con.execute("CREATE TEMP TABLE o_rows (r BIGINT)").fetchall()
        # n: the row hashes the groups will hold (kept released rows with the incoming ones)
        session.con.execute(f"""CREATE TEMP VIEW n AS
            SELECT {g}, _h FROM incoming WHERE {ROW} IN (SELECT r FROM n_rows)
            UNION ALL SELECT {g}, _h FROM o WHERE {ROW} IN (SELECT r FROM o_rows)""").fetchall()
        counts = session.con.execute(f"""
            WITH nh AS (SELECT {g} AS grp, _h AS h, count(*) AS c FROM n GROUP BY ALL),
                 oh AS (SELECT {g} AS grp, _h AS h, count(*) AS c FROM o GROUP BY ALL)
            SELECT grp, sum(greatest(coalesce(nh.c, 0) - coalesce(oh.c, 0), 0)),
                        sum(greatest(coalesce(oh.c, 0) - coalesce(nh.c, 0), 0))
            FROM nh FULL OUTER JOIN oh USING (grp, h) GROUP BY grp""").fetchall()
        changes = {grp: (int(added), int(removed)) for grp, added, removed in counts if added or removed}
        changed = [grp for grp in sorted(set(groups)) if grp in changes]
        change = {"added": sum(changes[grp][0] for grp in changed), "removed": sum(changes[grp][1] for grp in changed)}
        if total - inside:
            change["ignored_outside_years"] = int(total - inside)
        return GroupDiff(changed, change, session)
    except BaseException:
        session.close()
        raise


def _keep_outside_rows(session: Session, pages: set[str], doc_pages: pa.Table | None) -> None:
    """`o_rows`: the released rows (numbers in `o`) whose page is not re-parsed and whose key no new row has."""
    session.load_values("_pages", "h", sorted(pages), pa.string())
    if doc_pages is None:  # the documents table names its page itself
        page, join = "o.raw_sha256", ""
    else:
        session.load("_doc_pages", doc_pages.to_reader())
        page, join = "d.raw_sha256", "LEFT JOIN (SELECT doc_id, max(raw_sha256) AS raw_sha256 FROM _doc_pages " \
                                     "GROUP BY doc_id) d ON d.doc_id = o.doc_id"
    keys = ", ".join(session.keys)
    session.con.execute(f"CREATE TEMP TABLE n_keys AS SELECT {keys} FROM incoming "
                        f"WHERE {ROW} IN (SELECT r FROM n_rows)").fetchall()
    same_key = " AND ".join(f"n_keys.{k} IS NOT DISTINCT FROM o.{k}" for k in session.keys)
    session.con.execute(f"""
        CREATE TEMP TABLE o_rows AS SELECT o.{ROW} AS r
        FROM o {join}
        WHERE ({page} IS NULL OR {page} NOT IN (SELECT h FROM _pages))
          AND NOT EXISTS (SELECT 1 FROM n_keys WHERE {same_key})""").fetchall()



def rows_except_pages(name: str, released: pads.Dataset, pages: list[str]) -> Iterator[pa.RecordBatch]:
    """The `released` rows of `name` whose raw page is not in `pages`, batch by batch (one in memory)."""
    changed = pa.array(sorted(pages), pa.string())
    for batch in released.to_batches(batch_size=BATCH_ROWS, use_threads=False):
        other = pc.invert(pc.fill_null(pc.is_in(batch.column("raw_sha256"), value_set=changed), False))
        kept = batch.filter(other)
        if kept.num_rows:
            yield from conform(name, fill_added_columns(name, pa.Table.from_batches([kept]))).to_batches()
