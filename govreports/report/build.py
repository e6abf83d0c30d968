"""The run report: what one run did and what the release it published contains, as HTML + JSON.

The operator reads it the morning after (which pages failed and why, which documents were held
back and for which expectations, what changed); analysts glance at the figures (indicator values
by year and region, completeness of the required parts, coverage of sources by year). Everything
comes from two inputs: the run summary (runs/<run_id>/summary.json, written by the flow) and the
curated tables at the release, read through the release log. report.json holds the same model
as the HTML, without the figures, for scripts and tests. The HTML is one file: inline SVG, inline
CSS, no scripts, no CDN, so it can be mailed or archived as is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from govreports.config import DataPaths
from govreports.io.reading import dataset, read_arrow
from govreports.io.releases import Release, read_releases
from govreports.models import REQUIRED_PARTS
from govreports.tables.schemas import TABLES

TEMPLATE = Path(__file__).resolve().parent / "template.html"
TOP_INDICATORS = 6
MAX_LISTED = 300  # rows per listing in the HTML; report.json keeps them all
PAGE_KEYS = ("received", "waiting", "fetched", "new", "not_modified", "skipped", "reparsed")
PARSE_KEYS = ("pages", "pages_ok", "no_report", "documents")
PART_COLUMNS = [f"part_{p}" for p in REQUIRED_PARTS]


def find_release(paths: DataPaths, number: int | None, run_id: str | None = None) -> tuple[Release | None,
                                                                                        Release | None]:
    """(the release to report on, the one before it). With no number, the release `run_id`
    published (the summary may not know its number), else None: the run published nothing."""
    releases = read_releases(paths)
    chosen = None
    if number is not None:
        chosen = next((r for r in releases if r.release == number), None)
        if chosen is None:
            raise LookupError(f"no release {number} (releases: {[r.release for r in releases] or 'none yet'})")
    elif run_id:
        chosen = next((r for r in reversed(releases) if r.run_id == run_id), None)
    previous = None
    if chosen is not None:
        previous = max((r for r in releases if r.release < chosen.release), key=lambda r: r.release, default=None)
    return chosen, previous


def summary_from_release(release: Release) -> dict[str, Any]:
    """A summary rebuilt from the release log alone, for runs whose summary.json is gone."""
    return {"run_id": release.run_id, "kind": release.kind, "logical_date": release.created_at.date().isoformat(),
            "code_version": release.code_version, "release": {"number": release.release, "tables": release.tables},
            "note": "runs/<run_id>/summary.json not found: pages, parsing and validation were not recorded; "
                    "this report is rebuilt from the release log and the curated tables."}


def _frame(name: str, release: Release, paths: DataPaths, columns: list[str]) -> pd.DataFrame:
    return read_arrow(name, release.release, data_dir=paths, columns=columns).to_pandas()


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


def _failures(detail: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Failed expectations and checks of one suite in validation.json, with their failing-row counts."""
    failures = []
    for e in [*((detail.get("gx") or {}).get("expectations") or []), *(detail.get("checks") or [])]:
        if e.get("success") is False:
            name = (e.get("meta") or {}).get("name") or e.get("expectation_type") or "?"
            column = (e.get("kwargs") or {}).get("column")
            failures.append({"name": f"{name}({column})" if column and column not in name else name,
                             "unexpected": (e.get("result") or {}).get("unexpected_count")})
    return failures


def _validation(summary: Mapping[str, Any], paths: DataPaths) -> dict[str, Any]:
    """Per-suite counts from the summary; which expectations failed from runs/<run_id>/validation.json."""
    section = summary.get("validation") or {}
    brief = section.get("suites") or {}
    full: dict[str, Any] = {}
    path = paths.runs_dir / str(summary.get("run_id")) / "validation.json"
    if summary.get("run_id") and path.is_file():
        full = json.loads(path.read_text(encoding="utf-8"))
    suites = []
    for table in sorted(set(brief) | set(full.get("suites") or {})):
        counts, detail = brief.get(table) or {}, (full.get("suites") or {}).get(table) or {}
        failures = _failures(detail)
        judged = [e for e in [*((detail.get("gx") or {}).get("expectations") or []), *(detail.get("checks") or [])]
                  if e.get("success") is not None]
        suites.append({"table": table, "evaluated": counts.get("expectations", len(judged)),
                       "failed": counts.get("failed", len(failures)), "failures": failures,
                       "rows_in": counts.get("rows_in", (full.get("rows_in") or {}).get(table)),
                       "rows_out": counts.get("rows_out", (full.get("rows_out") or {}).get(table))})
    by_doc = {str(d): _failed_names(f) for d, f in (full.get("quarantined") or {}).items()}
    quarantined = [{"doc_id": q.get("doc_id"), "failed": _failed_names(q.get("failed")) or by_doc.get(q.get("doc_id"), [])}
                   for q in section.get("quarantined") or []]
    listed = {q["doc_id"] for q in quarantined}
    quarantined += [{"doc_id": d, "failed": f} for d, f in sorted(by_doc.items()) if d not in listed]
    success = section.get("success", full.get("success"))
    return {"recorded": bool(suites), "success": success, "suites": suites, "quarantined": quarantined,
            "unattributed": full.get("unattributed") or {}}


def _changes(release: Release, previous: Release | None) -> list[dict[str, Any]]:
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


def _indicators(release: Release, paths: DataPaths, catalog: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    """The indicators most documents report, from indicator_values (one comparable actual per
    document; the headline sub-value: none, else the most common), median per region and year.

    Aggregated in DuckDB over the release's files (memory-limited), not in pandas: the table grows
    with the archive (≈15 rows a page), the figures do not. Same results as grouping in pandas:
    ties between indicators go to the smaller id, the most common sub to the smaller value, the
    unit is the first row's in key order, and the median of an even count is (a + b) / 2.
    """
    import duckdb

    con = duckdb.connect(config={"memory_limit": "256MB", "threads": 1})
    try:
        con.register("raw_values", dataset("indicator_values", release.release, data_dir=paths))
        con.execute("CREATE TEMP VIEW ind AS SELECT indicator_id, doc_id, report_year, "
                    "coalesce(region, agency, '(unknown)') AS region, value, unit, sub FROM raw_values")
        if not con.execute("SELECT count(*) FROM ind").fetchall()[0][0]:
            return {"top": [], "series": [], "regions": []}
        docs = con.execute("SELECT indicator_id, count(DISTINCT doc_id) AS n FROM ind WHERE indicator_id IS NOT NULL "
                           "GROUP BY indicator_id ORDER BY n DESC, indicator_id LIMIT ?", [TOP_INDICATORS]).fetchall()
        top, picked = [], []
        for indicator_id, documents in docs:
            has_null = con.execute("SELECT count(*) FROM ind WHERE indicator_id = ? AND sub IS NULL",
                                   [indicator_id]).fetchall()[0][0]
            sub = None if has_null else con.execute(
                "SELECT sub FROM ind WHERE indicator_id = ? GROUP BY sub ORDER BY count(*) DESC, sub LIMIT 1",
                [indicator_id]).fetchall()[0][0]
            picked.append((indicator_id, sub))
            unit = con.execute("SELECT unit FROM ind WHERE indicator_id = ? AND sub IS NOT DISTINCT FROM ? "
                               "ORDER BY doc_id NULLS FIRST, sub NULLS FIRST LIMIT 1", [indicator_id, sub]).fetchall()[0][0]
            top.append({"indicator_id": indicator_id, "name_zh": catalog[indicator_id][0], "unit": unit,
                        "measure": catalog[indicator_id][1], "documents": int(documents), "sub": sub})
        con.execute("CREATE TEMP TABLE chosen (indicator_id VARCHAR, sub VARCHAR)")
        con.executemany("INSERT INTO chosen VALUES (?, ?)", picked)
        con.execute("CREATE TEMP VIEW picked AS SELECT ind.* FROM ind JOIN chosen ON ind.indicator_id = "
                    "chosen.indicator_id AND ind.sub IS NOT DISTINCT FROM chosen.sub")
        series = con.sql("""
            SELECT indicator_id, report_year AS year, region,
                   CASE WHEN len(v) = 0 THEN NULL WHEN len(v) % 2 = 1 THEN v[len(v) // 2 + 1]
                        ELSE (v[len(v) // 2] + v[len(v) // 2 + 1]) / 2 END AS value,
                   documents
            FROM (SELECT indicator_id, report_year, region, count(DISTINCT doc_id) AS documents,
                         list_sort(list(value) FILTER (WHERE value IS NOT NULL AND NOT isnan(value))) AS v
                  FROM picked WHERE report_year IS NOT NULL GROUP BY ALL)
            ORDER BY indicator_id, year, region""").to_arrow_table().to_pandas()
        regions = [r for (r,) in con.execute("SELECT DISTINCT region FROM picked ORDER BY region").fetchall()]
    finally:
        con.close()
    return {"top": top, "series": _records(series), "regions": regions}


def _documents(release: Release, paths: DataPaths) -> dict[str, Any]:
    cols = ["doc_id", "raw_sha256", "source", "title", "agency", "region", "doc_type", "report_year", *PART_COLUMNS]
    docs = _frame("documents", release, paths, cols)
    sources = _codes(docs["source"], "S")
    coverage = (docs.assign(source_code=docs["source"].map(sources))
                .groupby(["report_year", "source_code"], as_index=False).agg(documents=("doc_id", "count"))
                .rename(columns={"report_year": "year"}))
    by_year = []
    for year, group in docs.groupby("report_year"):
        for part, column in zip(REQUIRED_PARTS, PART_COLUMNS, strict=True):
            counts = group[column].fillna("not assessed").value_counts()
            by_year.append({"year": int(year), "part": part, **{k: int(counts.get(k, 0)) for k in
                                                                ("present", "embedded", "missing", "not assessed")}})
    this_run = docs[docs["raw_sha256"].isin(set(release.raw_hashes))]
    published = [{**{k: row[k] for k in ("doc_id", "title", "agency", "region", "doc_type", "report_year")},
                  "parts": {p: row[c] for p, c in zip(REQUIRED_PARTS, PART_COLUMNS, strict=True)}}
                 for row in _records(this_run.sort_values(["report_year", "doc_id"]))]
    return {"total": len(docs), "published": published, "completeness_by_year": by_year,
            "coverage": _records(coverage), "sources": [{"code": c, "source": s} for s, c in sources.items()]}


def _quarantined_in_release(release: Release, paths: DataPaths) -> list[dict[str, Any]]:
    q = _frame("quarantine", release, paths, ["doc_id", "raw_sha256", "source", "report_year", "failed", "run_id"])
    mine = q[(q["run_id"] == release.run_id) | q["raw_sha256"].isin(set(release.raw_hashes))]
    return [{"doc_id": r["doc_id"], "source": r["source"], "report_year": r["report_year"],
             "failed": _failed_names(r["failed"])} for r in _records(mine)]


def _catalog() -> dict[str, tuple[str, str]]:
    from govreports.indicators.catalog import catalog

    return {e.id: (e.name_zh, e.measure) for e in catalog()}


def build_report(paths: DataPaths, summary: Mapping[str, Any], release_number: int | None) -> dict[str, Any]:
    """The report model (what report.json holds), from the summary and the release's tables."""
    release, previous = find_release(paths, release_number, summary.get("run_id"))
    note = summary.get("note") or ((summary.get("release") or {}).get("note") if release is None else None)
    model: dict[str, Any] = {
        "run": {k: summary.get(k) for k in ("run_id", "kind", "logical_date", "code_version")},
        "note": note, "pages": _section(summary.get("pages"), PAGE_KEYS, "failed"),
        "parse": _section(summary.get("parse"), PARSE_KEYS, "errors"),
        "validation": _validation(summary, paths), "release": None,
    }
    if release is None:
        return model
    model["release"] = {"number": release.release, "created_at": release.created_at.isoformat(timespec="seconds"),
                        "run_id": release.run_id, "kind": release.kind, "years": release.years,
                        "previous": previous.release if previous else None, "changes": _changes(release, previous)}
    model["documents"] = _documents(release, paths)
    if not model["validation"]["quarantined"]:
        model["validation"]["quarantined"] = _quarantined_in_release(release, paths)
    model["indicators"] = _indicators(release, paths, _catalog())
    return model


def render_html(model: Mapping[str, Any]) -> str:
    """The self-contained HTML page of a report model (figures drawn here, not stored in the model)."""
    import jinja2

    figures = {}
    if model.get("release"):
        from govreports.report import (
            plots,  # matplotlib (≈0.6 s to import) only when there is something to draw
        )

        series = pd.DataFrame(model["indicators"]["series"], columns=["indicator_id", "year", "region", "value"])
        order = {t["indicator_id"]: n for n, t in enumerate(model["indicators"]["top"])}
        series = series.sort_values("indicator_id", key=lambda s: s.map(order), kind="stable")
        titles = {t["indicator_id"]: f"{t['name_zh']} ({t['unit']}{', ' + t['sub'] if t['sub'] else ''})"
                  for t in model["indicators"]["top"]}
        figures["indicators"] = plots.indicator_panels(series, titles)
        coverage = pd.DataFrame(model["documents"]["coverage"], columns=["year", "source_code", "documents"])
        figures["coverage"] = plots.coverage_bars(coverage)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(TEMPLATE.read_text(encoding="utf-8"))
    return template.render(m=model, figures=figures, parts=REQUIRED_PARTS, max_listed=MAX_LISTED)


def write_run_report(paths: DataPaths, summary: dict, release_number: int | None, *,
                     out: Path | None = None) -> Path:
    """Write runs/<run_id>/report.html and report.json (or `out` and its .json sibling).

    Args:
        paths: the data layout.
        summary: the run summary (tasks/summary.py shape; summary_from_release when it is lost).
        release_number: the release the run published; None looks it up by run id, and a run that
            published nothing gets a report of its pages and validation only.
    Returns:
        The path of the HTML file.
    """
    model = build_report(paths, summary, release_number)
    html_path = out or paths.run_dir(str(summary["run_id"])) / "report.html"
    html_path.parent.mkdir(parents=True, exist_ok=True)
    json_path = html_path.with_suffix(".json")
    json_path.write_text(json.dumps(model, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    html_path.write_text(render_html(model), encoding="utf-8")
    return html_path
