"""Validate the curated tables against expectations/*.json; failing documents go to quarantine.

Why documents, not rows: a report whose numbers or offsets are wrong somewhere cannot be trusted
anywhere, and an analyst joining tables must never see half a document. So every failing row
(GX's COMPLETE result gives its index; `checks.py` gives the same for cross-table checks) is
mapped to its doc_id, and that document leaves ALL tables for a `quarantine` row naming the
expectations it failed. What is not the data's fault raises instead: a suite that does not load
(GX drops a misspelled expectation type silently, so the loader counts), an expectation whose
metric raised (GX reports it as a failure, not an exception), or a table whose columns are not the
suite's. GX itself runs in gx_run.py.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from govreports.tables import checks as ck
from govreports.tables.gx_run import run_gx
from govreports.tables.schemas import SCHEMAS
from govreports.tables.suites import Failure, SchemaMismatchError, SuiteError, load_suites

EXAMPLES_PER_FAILURE = 3
LISTS_KEPT_IN_RESULTS = 200
QUARANTINE_SCHEMA = SCHEMAS["quarantine"]


@dataclass
class ValidationOutcome:
    tables: dict[str, pa.Table]
    quarantine: pa.Table
    results: dict[str, Any]
    failed_docs: dict[str, list[str]] = field(default_factory=dict)


def _attribute(failures: list[Failure], tables: dict[str, pa.Table]
               ) -> tuple[dict[str, dict[str, list]], dict[str, set[int]]]:
    """doc_id → {failure name → examples}; plus rows no document can be blamed for, per table."""
    docs_of_page: dict[str, list[str]] = defaultdict(list)
    if "documents" in tables:
        for sha, doc_id in zip(tables["documents"].column("raw_sha256").to_pylist(),
                               tables["documents"].column("doc_id").to_pylist(), strict=True):
            docs_of_page[sha].append(doc_id)
    blamed: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    orphans: dict[str, set[int]] = defaultdict(set)
    keys = {}
    for table, name, rows, examples in failures:
        if table not in keys:
            column = "doc_id" if "doc_id" in tables[table].column_names else "raw_sha256"
            keys[table] = (column, tables[table].column(column).to_pylist())
        column, values = keys[table]
        for row, example in zip(rows, examples or [None] * len(rows), strict=False):
            key = values[row]
            doc_ids = [key] if column == "doc_id" and key is not None else docs_of_page.get(key, [])
            if not doc_ids:
                orphans[table].add(row)
            for doc_id in doc_ids:
                blamed[doc_id][name].append(example)
    return blamed, orphans


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _quarantine_rows(blamed: dict[str, dict[str, list]], tables: dict[str, pa.Table],
                     run_id: str | None) -> pa.Table:
    docs = {}
    if "documents" in tables:
        docs = {row["doc_id"]: row for row in tables["documents"].select(
            ["doc_id", "raw_sha256", "source", "report_year"]).to_pylist()}
    rows = []
    for doc_id in sorted(blamed):
        doc = docs.get(doc_id, {})
        failed = [{"expectation": name, "examples": _jsonable(examples[:EXAMPLES_PER_FAILURE])}
                  for name, examples in sorted(blamed[doc_id].items())]
        rows.append({"doc_id": doc_id, "raw_sha256": doc.get("raw_sha256"), "source": doc.get("source"),
                     "report_year": doc.get("report_year"), "run_id": run_id,
                     "failed": json.dumps(failed, ensure_ascii=False, sort_keys=True)})
    return pa.Table.from_pylist(rows, schema=QUARANTINE_SCHEMA)


def _mark_pages(pages: pa.Table, documents: pa.Table | None, bad: set[str]) -> pa.Table:
    """A page all of whose documents were quarantined gets status "quarantined"."""
    if documents is None or not bad:
        return pages
    per_page: dict[str, list[bool]] = defaultdict(list)
    for sha, doc_id in zip(*documents.select(["raw_sha256", "doc_id"]).to_pydict().values(), strict=True):
        per_page[sha].append(doc_id in bad)
    rows = pages.to_pylist()
    for row in rows:
        if all(flags := per_page.get(row["raw_sha256"], [False])):
            row["status"], row["error"] = "quarantined", f"quarantined: {len(flags)} document(s) failed validation"
    return pa.Table.from_pylist(rows, schema=pages.schema)


def _drop(table: pa.Table, bad: set[str], rows: set[int]) -> pa.Table:
    keep = pc.invert(pc.is_in(table.column("doc_id"), pa.array(sorted(bad), pa.string())))
    if rows:
        mask = [i not in rows for i in range(table.num_rows)]
        keep = pc.and_(keep, pa.array(mask))
    return table.filter(pc.fill_null(keep, True))


def validate_tables(tables: dict[str, pa.Table], *, suites_dir: Path | None = None, today: dt.date | None = None,
                    run_id: str | None = None) -> ValidationOutcome:
    """Run every table's suite and checks; return the passing rows and the quarantine.

    Args:
        tables: the curated tables (results_to_tables); a "quarantine" table, if present, is not
            validated but carried over with the new quarantine rows appended.
        suites_dir: the suites (default: the repo's expectations/).
        today: the date that bounds report years and dates (default: today).
        run_id: stamped on the new quarantine rows (None: the caller fills it in).
    Raises:
        SuiteError / SchemaMismatchError: configuration or code errors; no data is judged then.
    """
    suites = load_suites(suites_dir)
    curated = {n: t for n, t in tables.items() if n != "quarantine"}
    for name, table in curated.items():
        if name not in suites:
            raise SuiteError(f"table {name!r} has no suite in expectations/")
        if problems := ck.schema_problems(name, table, suites[name].columns):
            raise SchemaMismatchError(f"{name}: {problems}")
    params = ck.rule_parameters(today)
    described, gx_failures = run_gx(suites, curated, params)
    checked, check_failures = ck.run_checks({n: s.checks for n, s in suites.items()},
                                            ck.CheckData(curated, today or dt.date.today()))
    blamed, orphans = _attribute(gx_failures + check_failures, curated)
    bad = set(blamed)
    quarantine = _quarantine_rows(blamed, curated, run_id)
    earlier = tables.get("quarantine")
    if earlier is not None and earlier.num_rows:   # held back before validation (tables.py: no report_year)
        quarantine = pa.concat_tables([earlier.cast(QUARANTINE_SCHEMA), quarantine])
    out = {n: _drop(t, bad, orphans.get(n, set())) if "doc_id" in t.column_names else t
           for n, t in curated.items()}
    if "pages" in out:
        out["pages"] = _mark_pages(out["pages"], curated.get("documents"), bad)
    out["quarantine"] = quarantine
    failed_docs = {doc_id: sorted(names) for doc_id, names in blamed.items()}
    for row in earlier.to_pylist() if earlier is not None else []:
        names = [f.get("expectation") for f in json.loads(row["failed"] or "[]") if isinstance(f, dict)]
        failed_docs.setdefault(row["doc_id"], sorted(set(filter(None, names))))
    failed_docs = dict(sorted(failed_docs.items()))
    results = _jsonable({
        "success": not failed_docs and not orphans,
        "parameters": params,
        "suites": {n: {"gx": {**described[n], "expectations": _trim(described[n].get("expectations", []))},
                       "checks": _trim(checked.get(n, []))} for n in curated},
        "quarantined": failed_docs,
        "unattributed": {n: sorted(rows) for n, rows in orphans.items()},
        "rows_in": {n: t.num_rows for n, t in curated.items()},
        "rows_out": {n: t.num_rows for n, t in out.items()},
    })
    return ValidationOutcome(out, quarantine, results, failed_docs)


def _trim(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep validation.json readable: long unexpected lists are cut (the counts stay whole)."""
    for result in (entry.get("result") or {} for entry in entries):
        result.update({k: v[:LISTS_KEPT_IN_RESULTS] for k, v in result.items() if isinstance(v, list)})
    return entries
