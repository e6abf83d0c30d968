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
from typing import Any

import pyarrow as pa

from govreports.models import REQUIRED_PARTS, Document, PageResult
from govreports.schemas import KEYS, PARTITIONED, SCHEMAS, TABLES

__all__ = ["PARTITIONED", "TABLES", "conform", "empty_table", "results_to_tables", "to_table"]

_ERROR_KIND = re.compile(r"^[a-z_]+: ")


def empty_table(name: str) -> pa.Table:
    """A zero-row table with the schema of `name`."""
    return SCHEMAS[name].empty_table()


def _sort_key(row: dict[str, Any], key: tuple[str, ...]) -> tuple:
    return tuple((row[k] is not None, row[k] if row[k] is not None else "") for k in key)


def to_table(name: str, rows: Iterable[dict[str, Any]]) -> pa.Table:
    """Rows (dicts) → the table `name`, sorted by its key and typed by its schema."""
    ordered = sorted(rows, key=lambda r: _sort_key(r, KEYS[name]))
    return pa.Table.from_pylist(ordered, schema=SCHEMAS[name])


def conform(name: str, table: pa.Table) -> pa.Table:
    """`table` with exactly the schema of `name`: columns reordered and cast, extras and gaps refused.

    Raises:
        ValueError: a missing or unexpected column (e.g. a leaked `__index_level_0__`), or a null in a
            non-nullable column. Silent casting of bad data is what this guards against.
    """
    schema = SCHEMAS[name]
    have, want = set(table.column_names), set(schema.names)
    if have != want:
        raise ValueError(f"{name}: missing columns {sorted(want - have)}, unexpected {sorted(have - want)}")
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


def _document_row(doc: Document, warnings: list[str], n_quantities: int, code_version: str,
                  url: str | None) -> dict[str, Any]:
    row = {
        "doc_id": doc.doc_id, "raw_sha256": doc.raw_sha256, "source": doc.source, "url": doc.meta.get("url") or url,
        "doc_index": doc.doc_index, "title": doc.title, "agency": doc.agency, "region": doc.region,
        "doc_type": doc.doc_type, "report_year": doc.report_year,
        "publish_date": _date(doc.publish_date, "publish_date", warnings),
        "signed_date": _date(doc.signed_date, "signed_date", warnings),
        "body": doc.body, "truncated": bool(doc.truncated),
        "topics": list(doc.topics), "n_sections": len(doc.sections), "n_quantities": n_quantities,
        "meta": json.dumps(doc.meta, ensure_ascii=False, sort_keys=True), "warnings": warnings,
        "code_version": code_version,
    }
    row.update({f"part_{p}": doc.completeness.get(p) for p in REQUIRED_PARTS})
    return row


def _part_at(doc: Document, section_part: dict[str, str], section_id: str | None, start: int) -> str | None:
    if section_id in section_part:
        return section_part[section_id]
    return next((span.part for span in doc.parts if span.start <= start < span.end), None)


def _document_rows(doc: Document, code_version: str, url: str | None,
                   out: dict[str, list[dict[str, Any]]]) -> None:
    """Append the rows of one document (with a non-null report_year) to `out`."""
    base = {"doc_id": doc.doc_id, "report_year": doc.report_year}
    warnings = list(doc.warnings)
    section_part = {s.id: s.part for s in doc.sections}
    for seq, s in enumerate(doc.sections):
        out["sections"].append({
            **base, "section_id": s.id, "parent_id": s.parent_id, "seq": seq, "label": s.label,
            "label_raw": s.label_raw, "marker": s.marker, "heading": s.heading, "level": s.level,
            "part": s.part, "ordinal": s.ordinal, "start": s.start, "heading_end": s.heading_end, "end": s.end,
            "responsible_units": list(s.responsible_units)})
    quantity_ids: dict[int, str] = {}
    for i, q in enumerate(doc.quantities):
        qid = f"{doc.doc_id}-q{q.start:06d}"
        if qid in quantity_ids.values():
            warnings.append(f"duplicate quantity at offset {q.start} dropped")
            continue
        quantity_ids[i] = qid
        out["quantities"].append({
            **base, "quantity_id": qid, "section_id": q.section_id,
            "part": _part_at(doc, section_part, q.section_id, q.start), "surface": q.surface, "value": q.value,
            "unit": q.unit, "unit_class": q.unit_class, "qualifier": q.qualifier, "low": q.low, "high": q.high,
            "approximate": bool(q.approximate), "redacted": bool(q.redacted), "modality": q.modality,
            "change": bool(q.change), "start": q.start, "end": q.end, "sentence": q.sentence,
            "subject": q.subject})
    seen: set[str] = set()
    for iv in doc.indicators:
        qid = quantity_ids.get(iv.quantity_index)
        row_id = f"{qid or f'{doc.doc_id}-x{iv.start:06d}'}-{iv.indicator_id}" + (f"-{iv.sub}" if iv.sub else "")
        base_id, n = row_id, 1
        while row_id in seen:
            n += 1
            row_id = f"{base_id}~{n}"
        seen.add(row_id)
        out["indicators"].append({
            **base, "indicator_row_id": row_id, "indicator_id": iv.indicator_id, "agency": doc.agency,
            "region": doc.region, "value": iv.value, "unit": iv.unit, "qualifier": iv.qualifier, "sub": iv.sub,
            "modality": iv.modality, "quantity_id": qid, "section_id": iv.section_id, "start": iv.start,
            "end": iv.end, "surface": iv.surface, "evidence": iv.evidence})
    keys: set[tuple[str | None, str]] = set()
    for kw in doc.keywords:
        if (kw.section_id, kw.term) not in keys:
            keys.add((kw.section_id, kw.term))
            out["keywords"].append({**base, "section_id": kw.section_id, "term": kw.term, "weight": kw.weight,
                                    "rank": kw.rank})
    titles: set[str] = set()
    for c in doc.citations:
        if c.title not in titles:
            titles.add(c.title)
            out["citations"].append({**base, "title": c.title, "kind": c.kind, "count": c.count,
                                     "first_start": c.first_start})
    out["documents"].append(_document_row(doc, warnings, len(quantity_ids), code_version, url))


def _page_row(result: PageResult, held: int, code_version: str) -> dict[str, Any]:
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
    return {"raw_sha256": result.raw_sha256, "source": result.source, "status": status, "error": error,
            "n_documents": len(docs), "report_years": years, "code_version": code_version}


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
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    pages_seen: set[tuple[str, str]] = set()
    docs_seen: set[str] = set()
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
                out["quarantine"].append({"doc_id": doc.doc_id, "raw_sha256": doc.raw_sha256, "source": doc.source,
                                          "report_year": None, "failed": json.dumps(failed), "run_id": run_id})
                continue
            _document_rows(doc, code_version, urls.get(doc.raw_sha256), out)
        out["pages"].append(_page_row(result, held, code_version))
    return {name: to_table(name, rows) for name, rows in out.items()}

