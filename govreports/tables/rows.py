"""Parsed pages → the curated tables, row for row, in a deterministic order.

The parser speaks in nested records (models.py); analysts want flat tables joined on doc_id. This module is
the only place that flattens, so ids (quantity_id, indicator_row_id), sort order and the handling of
duplicate or unusable records are decided once. Two rules matter for publishing: every table is sorted by
its key (same input, byte-identical output), and a document without a report year never reaches a
partitioned table (the partition column is non-null); it goes to `quarantine` with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import Any, TypeVar

import pyarrow as pa

from govreports.documents.duplicates import fingerprint
from govreports.models import REQUIRED_PARTS, Document, PageResult
from govreports.tables.schemas import KEYS, PARTITIONED, SCHEMAS, TABLES

__all__ = ["PARTITIONED", "TABLES", "conform", "empty_table", "results_to_tables", "to_table"]

_Row = TypeVar("_Row", tuple, dict[str, Any])
_ERROR_KIND = re.compile(r"^[a-z_]+: ")


def empty_table(name: str) -> pa.Table:
    """A zero-row table with the schema of `name`."""
    return SCHEMAS[name].empty_table()


def to_table(name: str, rows: Iterable[dict[str, Any]]) -> pa.Table:
    """Rows (dicts) → the table `name`, sorted by its key and typed by its schema.

    Order: by each key column, None first, stable. A missing key column raises KeyError; other missing
    columns are null and extra keys ignored, as with `Table.from_pylist`.
    """
    return _table(name, _sort_rows(list(rows), list(KEYS[name])))


def check_columns(name: str, columns: list[str]) -> None:
    """Refuse a table (or a stream's schema) whose columns are not exactly those of `name`."""
    have, want = set(columns), set(SCHEMAS[name].names)
    if have != want:
        raise ValueError(f"{name}: missing columns {sorted(want - have)}, unexpected {sorted(have - want)}")


def fill_added_columns(name: str, table: pa.Table, wanted: list[str] | None = None) -> pa.Table:
    """`table` plus null columns for the nullable fields of `name` (or of `wanted`) it lacks.

    A table version written before a column was added to the schema (tablestore.add_columns) has no
    such column; its rows read as null there.
    """
    for field in SCHEMAS[name]:
        if field.name not in table.column_names and field.nullable and (wanted is None or field.name in wanted):
            table = table.append_column(field, pa.nulls(len(table), field.type))
    return table


def conform(name: str, table: pa.Table) -> pa.Table:
    """`table` with exactly the schema of `name`: columns reordered and cast, extras and gaps refused.

    Raises:
        ValueError: a missing or unexpected column (e.g. a leaked `__index_level_0__`), or a null in a
            non-nullable column. Silent casting of bad data is what this guards against.
    """
    schema = SCHEMAS[name]
    check_columns(name, table.column_names)
    columns = []
    for field in schema:
        column = table.column(field.name)
        if not column.type.equals(field.type):
            column = column.cast(field.type, safe=True)
        if not field.nullable and column.null_count:
            raise ValueError(f"{name}.{field.name}: {column.null_count} null(s) in a non-nullable column")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def _date(value: str | None, what: str, warnings: list[str]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        warnings.append(f"bad {what}: {value!r}")
        return None


def _part_at(doc: Document, section_part: dict[str, str], section_id: str | None, start: int) -> str | None:
    if section_id in section_part:
        return section_part[section_id]
    return next((span.part for span in doc.parts if span.start <= start < span.end), None)


def _document_rows(doc: Document, code_version: str, url: str | None, out: dict[str, list[tuple]]) -> None:
    """Append the rows of one document (with a non-null report_year) to `out`, as tuples in schema order.

    Tuples, not dicts: a dict per row and `Table.from_pylist` cost most of the time of this module.
    """
    doc_id, year = doc.doc_id, doc.report_year
    warnings = list(doc.warnings)
    section_part = {s.id: s.part for s in doc.sections}
    add = out["sections"].append
    for seq, s in enumerate(doc.sections):
        add((s.id, doc_id, year, s.parent_id, seq, s.label, s.label_raw, s.marker, s.heading, s.level, s.part,
             s.ordinal, s.start, s.heading_end, s.end, list(s.responsible_units)))
    quantity_ids: dict[int, str] = {}
    taken: set[str] = set()  # == set(quantity_ids.values()), kept to make the duplicate test O(1)
    add = out["quantities"].append
    for i, q in enumerate(doc.quantities):
        qid = f"{doc_id}-q{q.start:06d}"
        if qid in taken:
            warnings.append(f"duplicate quantity at offset {q.start} dropped")
            continue
        quantity_ids[i] = qid
        taken.add(qid)
        sid = q.section_id
        part = section_part[sid] if sid in section_part else _part_at(doc, section_part, sid, q.start)
        add((qid, doc_id, year, sid, part, q.surface, q.value, q.unit, q.unit_class, q.qualifier, q.low,
             q.high, bool(q.approximate), bool(q.redacted), q.modality, bool(q.change), q.start, q.end,
             q.sentence, q.subject, q.change_direction))
    seen: set[str] = set()
    row_of: dict[tuple[str, str | None, int], str] = {}  # (indicator, sub, start) → indicator_row_id
    agency, region = doc.agency, doc.region
    add = out["indicators"].append
    for iv in doc.indicators:
        qid = quantity_ids.get(iv.quantity_index)
        row_id = f"{qid or f'{doc_id}-x{iv.start:06d}'}-{iv.indicator_id}" + (f"-{iv.sub}" if iv.sub else "")
        base_id, n = row_id, 1
        while row_id in seen:
            n += 1
            row_id = f"{base_id}~{n}"
        seen.add(row_id)
        row_of.setdefault((iv.indicator_id, iv.sub, iv.start), row_id)
        add((row_id, iv.indicator_id, doc_id, year, agency, region, iv.value, iv.unit, iv.measure,
             iv.qualifier, iv.sub, iv.modality, qid, iv.section_id, iv.start, iv.end, iv.surface, iv.evidence))
    add = out["indicator_values"].append
    for c in doc.indicator_values:
        add((doc_id, year, c.indicator_id, c.sub, c.value, c.unit, c.measure, c.qualifier, c.rule, c.n_mentions,
             row_of[(c.indicator_id, c.sub, c.start)], quantity_ids.get(c.quantity_index), c.surface, agency,
             region, doc.doc_type))
    keys: set[tuple[str | None, str]] = set()
    add = out["keywords"].append
    for kw in doc.keywords:
        key = (kw.section_id, kw.term)
        if key not in keys:
            keys.add(key)
            add((doc_id, year, kw.section_id, kw.term, kw.weight, kw.rank))
    titles: set[str] = set()
    add = out["citations"].append
    for c in doc.citations:
        if c.title not in titles:
            titles.add(c.title)
            add((doc_id, year, c.title, c.kind, c.count, c.first_start))
    completeness = doc.completeness
    out["documents"].append((
        doc_id, doc.raw_sha256, doc.source, doc.meta.get("url") or url, doc.doc_index, doc.title, doc.agency,
        doc.region, doc.doc_type, year, _date(doc.publish_date, "publish_date", warnings),
        _date(doc.signed_date, "signed_date", warnings), doc.body, bool(doc.truncated),
        *[completeness.get(p) for p in REQUIRED_PARTS], list(doc.topics), len(doc.sections), len(quantity_ids),
        json.dumps(doc.meta, ensure_ascii=False, sort_keys=True), warnings, code_version,
        fingerprint(doc.body), None, None))  # duplicate_of / supersedes: set at publish (io/dedupe.py)


def _page_row(result: PageResult, held: int, code_version: str) -> tuple:
    docs = result.documents
    status, error = "ok", None
    if result.error:
        error = result.error if _ERROR_KIND.match(result.error) else f"error: {result.error}"
        status = "no_report" if error.startswith("no_report") else "error"
    elif not docs:
        status, error = "no_report", "no_report: the page carries no report text"
    elif held == len(docs):
        status, error = "quarantined", f"quarantined: {len(docs)} document(s) failed validation"
    years = sorted({d.report_year for d in docs if d.report_year is not None})
    return (result.raw_sha256, result.source, status, error, len(docs), years, code_version)


def _sort_rows(rows: list[_Row], key: list[int] | list[str]) -> list[_Row]:
    """`rows` sorted by the columns `key` (positions or names), None first, stable, as `to_table` promises.

    A key column without None is compared as is ((True, a) < (True, b) iff a < b); a column holding None
    becomes two, `is not None` then the value or "". Flat tuples of strings and bools are untracked by the
    garbage collector, so this many of them cannot set off a full collection of the caller's heap.
    """
    columns: list[list[Any]] = []
    for i in key:
        column = list(map(itemgetter(i), rows))
        if None in column:
            columns += [[v is not None for v in column], ["" if v is None else v for v in column]]
        else:
            columns.append(column)
    keys = columns[0] if len(columns) == 1 else list(zip(*columns, strict=True))
    return [rows[j] for j in sorted(range(len(rows)), key=keys.__getitem__)]


def _table(name: str, rows: list[tuple] | list[dict[str, Any]]) -> pa.Table:
    """Sorted rows (tuples in schema order, or dicts) → the table `name`.

    Arrow converts them as one struct array (the same converters as `from_pylist`, without a Python list
    per column).
    """
    schema = SCHEMAS[name]
    return pa.Table.from_arrays(pa.array(rows, type=pa.struct(list(schema))).flatten(), schema=schema)


def results_to_tables(results: list[PageResult], *, code_version: str, run_id: str | None = None,
                      urls: Mapping[str, str] | None = None) -> dict[str, pa.Table]:
    """Flatten parsed pages into every curated table (`TABLES`), each sorted by its key.

    Duplicates are resolved deterministically: a page (raw_sha256, source) or a document id seen twice
    keeps its first occurrence in (raw_sha256, source) order. A document without report_year is not
    published; it becomes a `quarantine` row (failed: report_year_not_null) stamped with `run_id`.
    `urls` (raw_sha256 → URL, e.g. from the raw store's sightings) fills `documents.url` when the page's
    own metadata has none.
    """
    urls = urls or {}
    out: dict[str, list[tuple]] = {name: [] for name in TABLES}
    pages_seen: set[tuple[str, str]] = set()
    docs_seen: set[str] = set()
    published: list[Document] = []
    for result in sorted(results, key=lambda r: (r.raw_sha256, r.source)):
        if (result.raw_sha256, result.source) in pages_seen:
            continue
        pages_seen.add((result.raw_sha256, result.source))
        held = 0
        for doc in result.documents:
            if doc.report_year is None:
                held += 1
            if doc.doc_id in docs_seen:
                continue
            docs_seen.add(doc.doc_id)
            if doc.report_year is None:
                failed = [{"expectation": "report_year_not_null", "examples": [None]}]
                out["quarantine"].append((doc.doc_id, doc.raw_sha256, doc.source, None, json.dumps(failed), run_id))
                continue
            published.append(doc)
        out["pages"].append(_page_row(result, held, code_version))
    # in doc_id order, so the rows reach _sort_rows nearly sorted (its result does not depend on this)
    for doc in sorted(published, key=lambda d: (d.doc_id is not None, d.doc_id or "")):
        _document_rows(doc, code_version, urls.get(doc.raw_sha256), out)
    return {name: _table(name, _sort_rows(rows, [SCHEMAS[name].get_field_index(k) for k in KEYS[name]]))
            for name, rows in out.items()}
