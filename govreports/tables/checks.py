"""Cross-row and cross-table checks that GX expectations cannot express, in GX's result shape.

GX validates one DataFrame at a time and has no join: it cannot say that a section's parent is a
section of the same document, that a quantity's `surface` is `body[start:end]` of its document,
or that a document has at most 2000 quantities. These checks do that over the Arrow tables. Each
one is named in a suite's JSON (`"checks": [{"check": ..., "kwargs": ..., "meta": {"why": ...}}]`)
beside the GX expectations, and returns the failing row indices of the checked table with an
example value per row, which is exactly what `validate.py` reads from GX's COMPLETE results, so
one code path maps both kinds of failure back to documents.

Every check skips nulls (a nullable column is judged by its own not-null expectation) and skips
rows whose document has no body (that is `reference_exists(doc_id)`'s failure, reported once).
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pyarrow as pa

from govreports import rules as rulebook
from govreports.indicators.catalog import catalog
from govreports.models import PARTS
from govreports.tables.schemas import SCHEMAS

#: (row index in the checked table, an example value saying what is wrong there)
Violation = tuple[int, Any]


class MissingTable(Exception):
    """A check needs a table the caller did not pass; the check is recorded as skipped."""


@dataclass
class CheckData:
    """The tables under validation, with columns converted to Python lists once and cached."""

    tables: dict[str, pa.Table]
    today: dt.date = field(default_factory=dt.date.today)
    _columns: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    _bodies: dict[str, str] | None = None

    def column(self, table: str, name: str) -> list[Any]:
        if table not in self.tables:
            raise MissingTable(table)
        key = (table, name)
        if key not in self._columns:
            self._columns[key] = self.tables[table].column(name).to_pylist()
        return self._columns[key]

    def release(self) -> None:
        """Drop the cached lists but the documents' (every table's checks read them): the lists a
        table's checks made live while they run, not for the whole validation."""
        self._columns = {key: values for key, values in self._columns.items() if key[0] == "documents"}

    def bodies(self) -> dict[str, str]:
        """doc_id → body, the text every offset points into."""
        if self._bodies is None:
            self._bodies = dict(zip(self.column("documents", "doc_id"), self.column("documents", "body"),
                                    strict=True))
        return self._bodies


@cache
def unit_classes() -> dict[str, str]:
    """Output unit → unit class, from rules/units.yaml (aliases folded: ％ is written %)."""
    rules = rulebook.units()
    aliases = rules.get("aliases") or {}
    return {aliases.get(unit, unit): cls for unit, cls in (rules.get("units") or {}).items()}


@cache
def heading_markers() -> list[str]:
    """Marker family ids rules/headings.yaml defines (the values sections.marker may take)."""
    rules = rulebook.headings()
    ids = [family["id"] for family in rules.get("families") or []]
    if isinstance(rules.get("enum"), dict) and "id" in rules["enum"]:
        ids.append(rules["enum"]["id"])
    return ids


def indicator_units() -> dict[str, frozenset[str]]:
    """Catalog indicator id → the one unit its values are published in (rules/indicators.yaml)."""
    return {e.id: frozenset([e.unit]) for e in catalog()}


def rule_parameters(today: dt.date | None = None) -> dict[str, Any]:
    """Values suites take as {"$PARAMETER": name}: they live in code and rules, never copied into JSON."""
    today = today or dt.date.today()
    return {"max_report_year": today.year + 1, "parts": list(PARTS), "units": sorted(unit_classes()),
            "markers": heading_markers(), "indicator_ids": sorted(indicator_units()),
            "indicator_units": sorted(set(unit_classes()).union(*indicator_units().values()))}


def reference_exists(data: CheckData, table: str, *, column: str, ref_table: str, ref_column: str,
                     same_doc: bool = True) -> Iterator[Violation]:
    """Each non-null `column` value names a row of `ref_table` (of the same document by default)."""
    values = data.column(table, column)
    ref_values = data.column(ref_table, ref_column)
    if same_doc:
        refs = set(zip(data.column(ref_table, "doc_id"), ref_values, strict=True))
        keys = zip(data.column(table, "doc_id"), values, strict=True)
    else:
        refs, keys = set(ref_values), iter(values)
    for row, (key, value) in enumerate(zip(keys, values, strict=True)):
        if value is not None and key not in refs:
            yield row, value


def rows_per_doc_at_most(data: CheckData, table: str, *, max_rows: int) -> Iterator[Violation]:
    """A runaway extractor (a page of 10^5 numbers) shows up as too many rows for one document."""
    doc_ids = data.column(table, "doc_id")
    counts = Counter(doc_ids)
    reported: set[str] = set()
    for row, doc_id in enumerate(doc_ids):
        if counts[doc_id] > max_rows and doc_id not in reported:
            reported.add(doc_id)
            yield row, counts[doc_id]


def span_in_body(data: CheckData, table: str, *, start: str, end: str, surface: str | None = None,
                 inner: tuple[str, ...] = ()) -> Iterator[Violation]:
    """0 ≤ start ≤ inner ≤ end ≤ len(body), and `surface` is exactly body[start:end]."""
    bodies = data.bodies()
    doc_ids = data.column(table, "doc_id")
    starts, ends = data.column(table, start), data.column(table, end)
    surfaces = data.column(table, surface) if surface else None
    inners = [data.column(table, name) for name in inner]
    for row, (doc_id, lo, hi) in enumerate(zip(doc_ids, starts, ends, strict=True)):
        body = bodies.get(doc_id)
        if body is None or lo is None or hi is None:
            continue
        mids = [col[row] for col in inners if col[row] is not None]
        if not 0 <= lo <= hi <= len(body) or any(not lo <= m <= hi for m in mids):
            yield row, {"start": lo, "end": hi, "inner": mids, "body_len": len(body)}
        elif surfaces is not None and surfaces[row] is not None and body[lo:hi] != surfaces[row]:
            yield row, {"surface": surfaces[row], "body_slice": body[lo:hi]}


def text_at_offset(data: CheckData, table: str, *, offset: str, text: str,
                   prefix: str = "") -> Iterator[Violation]:
    """`prefix` then the `text` column (after optional whitespace) are written in the body at `offset`:
    a citation's 《 is at first_start and its (stripped) title follows."""
    bodies = data.bodies()
    rows = zip(data.column(table, "doc_id"), data.column(table, offset), data.column(table, text), strict=True)
    for row, (doc_id, at, value) in enumerate(rows):
        body = bodies.get(doc_id)
        if body is None or at is None or value is None:
            continue
        j = at + len(prefix)
        while j < len(body) and body[j].isspace():
            j += 1
        if not 0 <= at < len(body) or not body.startswith(prefix, at) or not body.startswith(value, j):
            yield row, {"offset": at, "text": value, "body_slice": body[max(at, 0):max(at, 0) + len(value) + 2]}


def same_as_document(data: CheckData, table: str, *, columns: tuple[str, ...]) -> Iterator[Violation]:
    """Denormalised copies (report_year on every child row) agree with the document's value."""
    doc_rows = {d: i for i, d in enumerate(data.column("documents", "doc_id"))}
    for name in columns:
        own, theirs = data.column(table, name), data.column("documents", name)
        for row, doc_id in enumerate(data.column(table, "doc_id")):
            index = doc_rows.get(doc_id)
            if index is not None and own[row] != theirs[index]:
                yield row, {name: own[row], "document": theirs[index]}


def child_count_matches(data: CheckData, table: str, *, column: str, child_table: str) -> Iterator[Violation]:
    """documents.n_sections (a convenience count) equals the rows the child table really has."""
    counts = Counter(data.column(child_table, "doc_id"))
    for row, (doc_id, n) in enumerate(zip(data.column(table, "doc_id"), data.column(table, column), strict=True)):
        if n is not None and n != counts.get(doc_id, 0):
            yield row, {column: n, child_table: counts.get(doc_id, 0)}


def dates_consistent_with_year(data: CheckData, table: str, *, columns: tuple[str, ...],
                               lead_years: dict[str, int], earliest: str,
                               future_days: int) -> Iterator[Violation]:
    """A report about year Y is not published or signed before Y (a plan: not before Y-lead), and
    no date lies before `earliest` or after today + `future_days`: such a date is a misread."""
    years, types = data.column(table, "report_year"), data.column(table, "doc_type")
    low, high = dt.date.fromisoformat(earliest), data.today + dt.timedelta(days=future_days)
    for name in columns:
        for row, value in enumerate(data.column(table, name)):
            if value is None:
                continue
            lead = lead_years.get(types[row] or "", 0)
            if not low <= value <= high or (years[row] is not None and value.year < years[row] - lead):
                yield row, {name: value.isoformat(), "report_year": years[row], "doc_type": types[row]}


def unit_class_matches_rules(data: CheckData, table: str) -> Iterator[Violation]:
    """unit_class is the class rules/units.yaml gives the unit (money stays money across runs)."""
    classes = unit_classes()
    rows = zip(data.column(table, "unit"), data.column(table, "unit_class"), strict=True)
    for row, (unit, cls) in enumerate(rows):
        if unit in classes and cls != classes[unit]:
            yield row, {"unit": unit, "unit_class": cls, "rules": classes[unit]}


def indicator_unit_in_catalog(data: CheckData, table: str) -> Iterator[Violation]:
    """An indicator value carries its catalog entry's unit and measure: one column never mixes
    counts with rates, and a head count is never in 元."""
    entries = {e.id: e for e in catalog()}
    rows = zip(data.column(table, "indicator_id"), data.column(table, "unit"), data.column(table, "measure"),
               strict=True)
    for row, (indicator, unit, measure) in enumerate(rows):
        entry = entries.get(indicator)
        if entry and (unit != entry.unit or measure != entry.measure):
            yield row, {"indicator_id": indicator, "unit": unit, "measure": measure,
                        "catalog": {"unit": entry.unit, "measure": entry.measure}}


def key_unique(data: CheckData, table: str, *, columns: tuple[str, ...]) -> Iterator[Violation]:
    """No two rows share `columns` (null equals null: one value per (doc, indicator, no sub))."""
    seen: set[tuple[Any, ...]] = set()
    for row, key in enumerate(zip(*(data.column(table, c) for c in columns), strict=True)):
        if key in seen:
            yield row, list(key)
        seen.add(key)


def chosen_mention_is_actual(data: CheckData, table: str, *, modalities: tuple[str, ...]) -> Iterator[Violation]:
    """The indicators row a comparable value was chosen from is an actual of the same indicator, sub and
    value: a target never stands in for an achievement, and lineage points at the right mention."""
    rows = {rid: (i, s, v, m) for rid, i, s, v, m in zip(
        *(data.column("indicators", c) for c in ("indicator_row_id", "indicator_id", "sub", "value", "modality")),
        strict=True)}
    for row, (rid, ind, sub, value) in enumerate(zip(
            *(data.column(table, c) for c in ("indicator_row_id", "indicator_id", "sub", "value")), strict=True)):
        mention = rows.get(rid)
        if mention is None or mention[:3] != (ind, sub, value) or mention[3] not in modalities:
            yield row, {"indicator_row_id": rid, "mention": list(mention) if mention else None}


def page_document_count(data: CheckData, table: str) -> Iterator[Violation]:
    """An ok page's n_documents equals the documents carrying its raw_sha256."""
    counts = Counter(data.column("documents", "raw_sha256"))
    rows = zip(data.column(table, "raw_sha256"), data.column(table, "status"),
               data.column(table, "n_documents"), strict=True)
    for row, (sha, status, n) in enumerate(rows):
        if status == "ok" and n != counts.get(sha, 0):
            yield row, {"n_documents": n, "documents": counts.get(sha, 0)}


CHECKS: dict[str, Callable[..., Iterator[Violation]]] = {
    fn.__name__: fn for fn in (reference_exists, rows_per_doc_at_most, span_in_body, text_at_offset,
                               same_as_document, child_count_matches, dates_consistent_with_year,
                               unit_class_matches_rules, indicator_unit_in_catalog, page_document_count, key_unique,
                               chosen_mention_is_actual)
}


def schema_problems(name: str, table: pa.Table, columns: list[str]) -> list[str]:
    """Columns other than the suite's, or Arrow types other than govreports.tables.schemas' (GX on pandas 3
    cannot tell int32 from a float64 with nulls, libraries.md §2.5): a code error, not bad data."""
    if sorted(table.column_names) != sorted(columns):
        return [f"columns {sorted(table.column_names)} != suite's {sorted(columns)}"]
    schema = SCHEMAS.get(name, table.schema)
    return [f"{f.name}: {f.type}, schema {schema.field(f.name).type}" for f in table.schema
            if f.name in schema.names and not f.type.equals(schema.field(f.name).type)]


class CheckConfigError(ValueError):
    """A suite names a check that does not exist or passes it arguments it does not take."""


def bind_check(check: str, kwargs: dict[str, Any]) -> None:
    """Fail at suite-load time, not mid-run, on an unknown check or a misspelled argument."""
    if check not in CHECKS:
        raise CheckConfigError(f"unknown check {check!r}")
    try:
        inspect.signature(CHECKS[check]).bind(None, "", **kwargs)
    except TypeError as exc:
        raise CheckConfigError(f"check {check!r}: {exc}") from exc


def run_check(check: str, data: CheckData, table: str, kwargs: dict[str, Any]) -> list[Violation]:
    """Run one named check; raises MissingTable when a table it needs was not passed."""
    args = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    return list(CHECKS[check](data, table, **args))


def run_checks(checks: dict[str, list[dict[str, Any]]], data: CheckData
               ) -> tuple[dict[str, list[dict[str, Any]]], list[tuple[str, str, list[int], list[Any]]]]:
    """Run each table's checks (suite JSON entries, meta.name filled in).

    Returns the per-table results shaped like GX's describe_dict entries (expectation_type,
    success, kwargs, meta, result.unexpected_index_list/unexpected_list; success None when a
    table the check needs was not given), and the failures as (table, name, rows, examples).
    """
    described: dict[str, list[dict[str, Any]]] = {}
    failures = []
    for table, entries in checks.items():
        if table not in data.tables:
            continue
        for entry in entries:
            record = {"expectation_type": entry["check"], "kwargs": entry["kwargs"], "meta": entry["meta"]}
            try:
                violations = run_check(entry["check"], data, table, entry["kwargs"])
            except MissingTable as exc:
                described.setdefault(table, []).append(
                    {**record, "success": None, "result": {"skipped": f"table {exc} not given"}})
                continue
            rows, examples = [r for r, _ in violations], [e for _, e in violations]
            described.setdefault(table, []).append(
                {**record, "success": not rows,
                 "result": {"element_count": data.tables[table].num_rows, "unexpected_count": len(rows),
                            "unexpected_index_list": rows, "unexpected_list": examples}})
            if rows:
                failures.append((table, f"{table}.{entry['meta']['name']}", rows, examples))
        data.release()
    return described, failures
