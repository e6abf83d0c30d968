"""What the run report reads from disk: the release to report on, its tables, the indicator aggregates.

govreports/report/ builds the report from these values without touching disk; this module does the
reading. What grows with the archive is counted in DuckDB over the release's files (memory-limited),
never loaded: the documents (counts by source, year and part state; only this run's own rows are
read) and the indicator figures (indicator_values, ≈15 rows a page). Loading the release's documents
into pandas cost the run ≈190 MB at its end at 20,000 pages, growing with the archive. The figures
are the same as grouping in pandas. Indicators: ties go to the smaller id, the most
common sub to the smaller value, the unit is the first row's in key order, and the median of an
even count is (a + b) / 2.
"""

from __future__ import annotations

import json
from typing import Any

from govreports.config import DataPaths
from govreports.io.reading import dataset, read_arrow
from govreports.io.releases import Release, read_releases
from govreports.models import REQUIRED_PARTS
from govreports.report.model import DocumentFacts, IndicatorAggregates, ReportInputs

TOP_INDICATORS = 6
#: the run's documents report.json lists: all of a nightly's; a run that publishes an archive (50,000
#: pages: 55,000 documents) lists the first ones, with the count, rather than hold them all in memory
#: as dicts (the report was the run's last and highest peak) for a list nobody reads in full
PUBLISHED_LISTED = 10_000
DOCUMENT_COLUMNS = ["doc_id", "raw_sha256", "source", "title", "agency", "region", "doc_type", "report_year",
                    *(f"part_{p}" for p in REQUIRED_PARTS)]
QUARANTINE_COLUMNS = ["doc_id", "raw_sha256", "source", "report_year", "failed", "run_id"]


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


def read_report_inputs(paths: DataPaths, number: int | None, run_id: str | None) -> ReportInputs | None:
    """The release side of a run's report; None when the run published no release."""
    release, previous = find_release(paths, number, run_id)
    if release is None:
        return None
    return ReportInputs(
        release=release, previous=previous,
        documents=document_facts(paths, release),
        quarantine=read_arrow("quarantine", release.release, data_dir=paths, columns=QUARANTINE_COLUMNS).to_pandas(),
        indicators=indicator_aggregates(paths, release.release))


def document_facts(paths: DataPaths, release: Release) -> DocumentFacts:
    """The release's documents counted by source, by year and source, by year and part state (in
    DuckDB); and the rows of the documents from the pages the release's run processed."""
    import duckdb
    import pyarrow.dataset as pads

    docs = dataset("documents", release.release, data_dir=paths)
    con = duckdb.connect(config={"memory_limit": "64MB", "threads": 1})
    try:
        con.register("docs", docs)
        total = con.execute("SELECT count(*) FROM docs").fetchall()[0][0]
        sources = con.execute("SELECT source, count(*) AS n FROM docs WHERE source IS NOT NULL "
                              "GROUP BY source ORDER BY n DESC, source").fetchall()
        coverage = con.execute("SELECT report_year, source, count(*) FROM docs "
                               "WHERE report_year IS NOT NULL AND source IS NOT NULL GROUP BY ALL").fetchall()
        parts = con.execute(" UNION ALL ".join(
            f"SELECT report_year, '{part}', coalesce(part_{part}, 'not assessed'), count(*) FROM docs "
            "WHERE report_year IS NOT NULL GROUP BY ALL" for part in REQUIRED_PARTS)).fetchall()
    finally:
        con.close()
    mine = docs.to_table(columns=DOCUMENT_COLUMNS, filter=pads.field("raw_sha256").isin(sorted(set(release.raw_hashes))))
    published = mine.sort_by([("report_year", "ascending", "at_end"), ("doc_id", "ascending", "at_end")])
    return DocumentFacts(total=int(total), sources=[(s, int(n)) for s, n in sources],
                         coverage=[(int(y), s, int(n)) for y, s, n in coverage],
                         parts=[(int(y), p, v, int(n)) for y, p, v, n in parts],
                         published=published.slice(0, PUBLISHED_LISTED).to_pylist(), published_total=mine.num_rows)


def _records(frame: Any) -> list[dict[str, Any]]:
    """Rows as plain JSON values (numpy scalars → int/float, NaN → None)."""
    return json.loads(frame.to_json(orient="records", force_ascii=False, date_format="iso"))


def indicator_aggregates(paths: DataPaths, release: int) -> IndicatorAggregates:
    """The indicators most documents report, from indicator_values (one comparable actual per
    document; the headline sub-value: none, else the most common), median per region and year."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": "256MB", "threads": 1})
    try:
        con.register("raw_values", dataset("indicator_values", release, data_dir=paths))
        con.execute("CREATE TEMP VIEW ind AS SELECT indicator_id, doc_id, report_year, "
                    "coalesce(region, agency, '(unknown)') AS region, value, unit, sub FROM raw_values")
        if not con.execute("SELECT count(*) FROM ind").fetchall()[0][0]:
            return IndicatorAggregates(top=[], series=[], regions=[])
        docs = con.execute("SELECT indicator_id, count(DISTINCT doc_id) AS n FROM ind WHERE indicator_id IS NOT NULL "
                           "GROUP BY indicator_id ORDER BY n DESC, indicator_id LIMIT ?", [TOP_INDICATORS]).fetchall()
        top = []
        for indicator_id, documents in docs:
            has_null = con.execute("SELECT count(*) FROM ind WHERE indicator_id = ? AND sub IS NULL",
                                   [indicator_id]).fetchall()[0][0]
            sub = None if has_null else con.execute(
                "SELECT sub FROM ind WHERE indicator_id = ? GROUP BY sub ORDER BY count(*) DESC, sub LIMIT 1",
                [indicator_id]).fetchall()[0][0]
            unit = con.execute("SELECT unit FROM ind WHERE indicator_id = ? AND sub IS NOT DISTINCT FROM ? "
                               "ORDER BY doc_id NULLS FIRST, sub NULLS FIRST LIMIT 1", [indicator_id, sub]).fetchall()[0][0]
            top.append((indicator_id, unit, int(documents), sub))
        con.execute("CREATE TEMP TABLE chosen (indicator_id VARCHAR, sub VARCHAR)")
        con.executemany("INSERT INTO chosen VALUES (?, ?)", [(t[0], t[3]) for t in top])
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
    return IndicatorAggregates(top=top, series=_records(series), regions=regions)
