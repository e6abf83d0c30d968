"""The run report: what one run did and what the release it published contains, as HTML + JSON.

The operator reads it the morning after (which pages failed and why, which documents were held
back and for which expectations, what changed); analysts glance at the figures (indicator values
by year and region, completeness of the required parts, coverage of sources by year). Everything
comes from three inputs: the run summary (govreports/run_contract.RunSummary), the run's validation
results, and what govreports/io/report_inputs.py read at the release. No file is read or written
here: the caller reads the inputs and writes what `build_report` and `render_html` return
(govreports/io/runs.py). report.json holds the same model
as the HTML, without the figures, for scripts and tests. The HTML is one file: inline SVG, inline
CSS, no scripts, no CDN, so it can be mailed or archived as is.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

import pandas as pd

from govreports.models import REQUIRED_PARTS
from govreports.report.model import (
    DocumentFacts,
    IndicatorAggregates,
    ReleaseFacts,
    ReportInputs,
    ReportModel,
)
from govreports.run_contract import RunSummary
from govreports.tables.schemas import TABLES

MAX_LISTED = 300  # rows per listing in the HTML; report.json keeps them all
PAGE_KEYS = ("received", "waiting", "fetched", "new", "not_modified", "skipped", "reparsed")
PARSE_KEYS = ("pages", "pages_ok", "no_report", "documents")
PART_COLUMNS = [f"part_{p}" for p in REQUIRED_PARTS]
PART_STATES = ("present", "embedded", "missing", "not assessed")


def _section(given: Mapping[str, Any] | None, keys: tuple[str, ...], listing: str) -> dict[str, Any]:
    """A summary section with every key present (None: not recorded), so the page never guesses."""
    given = given or {}
    return {"recorded": bool(given), **{k: given.get(k) for k in keys}, listing: list(given.get(listing) or [])}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain JSON values (numpy scalars → int/float, NaN → None)."""
    return json.loads(frame.to_json(orient="records", force_ascii=False, date_format="iso"))


def _failed_names(value: Any) -> list[str]:
    """Expectation names from a quarantine `failed` value (JSON text, a list of names or of dicts)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    if isinstance(value, dict):
        value = [value]
    names: list[str] = []
    for item in value or []:
        if isinstance(item, dict):
            names.append(str(item.get("expectation") or item.get("name") or item))
        else:
            names.extend(_failed_names(item) if isinstance(item, str) and item.startswith("[") else [str(item)])
    return sorted(dict.fromkeys(names))


def _entries(detail: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A suite's GX expectation results and cross-table check results, in that order."""
    return [*((detail.get("gx") or {}).get("expectations") or []), *(detail.get("checks") or [])]


def _failures(detail: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Failed expectations and checks of one suite in validation.json, with their failing-row counts."""
    failures = []
    for e in _entries(detail):
        if e.get("success") is False:
            name = (e.get("meta") or {}).get("name") or e.get("expectation_type") or "?"
            column = (e.get("kwargs") or {}).get("column")
            failures.append({"name": f"{name}({column})" if column and column not in name else name,
                             "unexpected": (e.get("result") or {}).get("unexpected_count")})
    return failures


def _suite_rows(brief: Mapping[str, Any], full: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per suite: counts from the summary when it has them, else counted in validation.json."""
    detailed = full.get("suites") or {}
    suites = []
    for table in sorted(set(brief) | set(detailed)):
        counts, detail = brief.get(table) or {}, detailed.get(table) or {}
        failures = _failures(detail)
        judged = [e for e in _entries(detail) if e.get("success") is not None]
        suites.append({"table": table, "evaluated": counts.get("expectations", len(judged)),
                       "failed": counts.get("failed", len(failures)), "failures": failures,
                       "rows_in": counts.get("rows_in", (full.get("rows_in") or {}).get(table)),
                       "rows_out": counts.get("rows_out", (full.get("rows_out") or {}).get(table))})
    return suites


def _quarantine_rows(listed: list[Mapping[str, Any]], full: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The summary's quarantined documents (with names from validation.json when the summary has
    none), then those only validation.json lists."""
    by_doc = {str(d): _failed_names(f) for d, f in (full.get("quarantined") or {}).items()}
    quarantined = [{"doc_id": q.get("doc_id"), "failed": _failed_names(q.get("failed")) or by_doc.get(q.get("doc_id"), [])}
                   for q in listed]
    seen = {q["doc_id"] for q in quarantined}
    return quarantined + [{"doc_id": d, "failed": f} for d, f in sorted(by_doc.items()) if d not in seen]


def _validation(summary: RunSummary, full: Mapping[str, Any]) -> dict[str, Any]:
    """Per-suite counts from the summary; which expectations failed from the run's validation.json (`full`)."""
    section = summary.validation.to_json() if summary.validation else {}
    suites = _suite_rows(section.get("suites") or {}, full)
    return {"recorded": bool(suites), "success": section.get("success", full.get("success")), "suites": suites,
            "quarantined": _quarantine_rows(section.get("quarantined") or [], full),
            "unattributed": full.get("unattributed") or {}}


def _changes(release: ReleaseFacts, previous: ReleaseFacts | None) -> list[dict[str, Any]]:
    rows = []
    for name in TABLES:
        before = (previous.tables.get(name) or {}).get("rows", 0) if previous else 0
        after = (release.tables.get(name) or {}).get("rows", 0)
        change = release.changes.get(name) or {}
        rows.append({"table": name, "rows_before": before, "rows_after": after,
                     "added": change.get("added", 0), "removed": change.get("removed", 0)})
    return rows


def _codes(values: pd.Series, prefix: str) -> dict[str, str]:
    """Name → short ASCII code (R1, S2 …), most frequent first, for plot labels."""
    order = values.value_counts().sort_index().sort_values(ascending=False, kind="stable").index
    return {name: f"{prefix}{n}" for n, name in enumerate(order, start=1)}


def _indicators(found: IndicatorAggregates, catalog: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    """The top indicators with their names and measures from the catalog, their series and regions."""
    top = [{"indicator_id": indicator_id, "name_zh": catalog[indicator_id][0], "unit": unit,
            "measure": catalog[indicator_id][1], "documents": documents, "sub": sub}
           for indicator_id, unit, documents, sub in found.top]
    return {"top": top, "series": found.series, "regions": found.regions}


def _documents(facts: DocumentFacts) -> dict[str, Any]:
    """Counts by source code (S1 = most documents), coverage and completeness by year, this run's documents."""
    sources = {name: f"S{n}" for n, (name, _) in enumerate(facts.sources, start=1)}
    coverage = sorted(({"year": year, "source_code": sources[source], "documents": n}
                       for year, source, n in facts.coverage), key=lambda row: (row["year"], row["source_code"]))
    counts: dict[tuple[int, str], dict[str, int]] = {}
    for year, part, state, n in facts.parts:
        counts.setdefault((year, part), {})[state] = n
    by_year = [{"year": year, "part": part, **{k: counts.get((year, part), {}).get(k, 0) for k in PART_STATES}}
               for year in sorted({year for year, _ in counts}) for part in REQUIRED_PARTS]
    published = [{**{k: row[k] for k in ("doc_id", "title", "agency", "region", "doc_type", "report_year")},
                  "parts": {p: row[c] for p, c in zip(REQUIRED_PARTS, PART_COLUMNS, strict=True)}}
                 for row in facts.published]
    return {"total": facts.total, "published_total": facts.published_total, "published": published,
            "completeness_by_year": by_year,
            "coverage": coverage, "sources": [{"code": c, "source": s} for s, c in sources.items()]}


def _quarantined_in_release(release: ReleaseFacts, q: pd.DataFrame) -> list[dict[str, Any]]:
    mine = q[(q["run_id"] == release.run_id) | q["raw_sha256"].isin(set(release.raw_hashes))]
    return [{"doc_id": r["doc_id"], "source": r["source"], "report_year": r["report_year"],
             "failed": _failed_names(r["failed"])} for r in _records(mine)]


def _catalog() -> dict[str, tuple[str, str]]:
    from govreports.indicators.catalog import catalog

    return {e.id: (e.name_zh, e.measure) for e in catalog()}


def build_report(summary: RunSummary, validation: Mapping[str, Any], inputs: ReportInputs | None) -> ReportModel:
    """The report model, from the run summary, the run's validation results and the release's inputs
    (None: the run published no release, and the report covers its pages and validation only)."""
    note = summary.note or (summary.release.note if inputs is None and summary.release else None)
    model = ReportModel(
        run={"run_id": summary.run_id, "kind": summary.kind, "logical_date": summary.logical_date,
             "code_version": summary.code_version},
        note=note, pages=_section(summary.pages.to_json() if summary.pages else None, PAGE_KEYS, "failed"),
        parse=_section(summary.parse.to_json() if summary.parse else None, PARSE_KEYS, "errors"),
        validation=_validation(summary, validation))
    if inputs is None:
        return model
    release, previous = inputs.release, inputs.previous
    model.release = {"number": release.release, "created_at": release.created_at.isoformat(timespec="seconds"),
                     "run_id": release.run_id, "kind": release.kind, "years": release.years,
                     "previous": previous.release if previous else None, "changes": _changes(release, previous)}
    model.documents = _documents(inputs.documents)
    if not model.validation["quarantined"]:
        model.validation["quarantined"] = _quarantined_in_release(release, inputs.quarantine)
    model.indicators = _indicators(inputs.indicators, _catalog())
    return model


@functools.cache
def _template() -> str:
    """The page's Jinja template, shipped as package data beside this module."""
    return resources.files("govreports.report").joinpath("template.html").read_text(encoding="utf-8")


def render_html(model: ReportModel) -> str:
    """The self-contained HTML page of a report model (figures drawn here, not stored in the model)."""
    import jinja2

    m = model.to_json()
    figures = {}
    if m.get("release"):
        from govreports.report import (
            plots,  # matplotlib (≈0.6 s to import) only when there is something to draw
        )

        series = pd.DataFrame(m["indicators"]["series"], columns=["indicator_id", "year", "region", "value"])
        order = {t["indicator_id"]: n for n, t in enumerate(m["indicators"]["top"])}
        series = series.sort_values("indicator_id", key=lambda s: s.map(order), kind="stable")
        titles = {t["indicator_id"]: f"{t['name_zh']} ({t['unit']}{', ' + t['sub'] if t['sub'] else ''})"
                  for t in m["indicators"]["top"]}
        figures["indicators"] = plots.indicator_panels(series, titles)
        coverage = pd.DataFrame(m["documents"]["coverage"], columns=["year", "source_code", "documents"])
        figures["coverage"] = plots.coverage_bars(coverage)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(_template()).render(m=m, figures=figures, parts=REQUIRED_PARTS, max_listed=MAX_LISTED)
