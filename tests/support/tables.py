"""Fake parser output and curated-store checks, shared by the store tests (test_curated, test_crash,
test_backfill_stream, test_store_integrity): small but complete Documents built directly, so the
store is tested independently of the real parser."""

from __future__ import annotations

import hashlib

import pyarrow as pa
from deltalake import DeltaTable

from govreports.config import DataPaths
from govreports.io import curated
from govreports.models import (
    REQUIRED_PARTS,
    Citation,
    Document,
    IndicatorValue,
    Keyword,
    PageResult,
    Quantity,
    Section,
)
from govreports.tables.rows import TABLES, results_to_tables
from govreports.tables.schemas import KEYS


def page_sha(page: str) -> str:
    return hashlib.sha256(page.encode()).hexdigest()


def make_doc(page: str, index: int, year: int | None, *, tag: str = "", source: str = "test") -> Document:
    """A small but complete Document, built directly (independent of the real parser)."""
    sha = page_sha(page)
    doc_id = hashlib.sha256(f"{sha}:{index}".encode()).hexdigest()[:16]
    body = f"{year}年法治政府建设年度报告。一、主要举措。全年办理案件120件{tag}，同比增长5%。二、存在不足。"
    q1, q2 = body.index("120件"), body.index("5%")
    s1, s2 = body.index("一、"), body.index("二、")
    sections = [
        Section(id=f"{doc_id}-s000", parent_id=None, label="一、", label_raw="一、", marker="cn", heading="主要举措",
                level=1, part="measures_results", start=s1, heading_end=s1 + 6, end=s2, ordinal=1,
                responsible_units=["市司法局"]),
        Section(id=f"{doc_id}-s001", parent_id=None, label="二、", label_raw="二、", marker="cn", heading="存在不足",
                level=1, part="shortcomings", start=s2, heading_end=s2 + 6, end=len(body), ordinal=2),
    ]
    quantities = [
        Quantity(surface="120件", value=120.0, unit="件", qualifier=None, start=q1, end=q1 + 4,
                 section_id=sections[0].id, sentence="全年办理案件120件", subject="案件"),
        Quantity(surface="5%", value=5.0, unit="%", qualifier=None, start=q2, end=q2 + 2, section_id=sections[0].id,
                 unit_class="ratio", change=True),
    ]
    return Document(
        doc_id=doc_id, source=source, raw_sha256=sha, doc_index=index, title=f"{year}年度报告{tag}",
        agency="某市司法局", region="某省某市", doc_type="annual_report", report_year=year,
        publish_date=f"{(year or 2000) + 1}-03-01", signed_date="not a date", body=body, sections=sections,
        completeness={p: "present" for p in REQUIRED_PARTS[:3]}, meta={"index_no": "001", "url": f"http://x/{page}"},
        quantities=quantities,
        indicators=[IndicatorValue(indicator_id="cases", value=120.0, unit="件", qualifier=None, sub=None,
                                   quantity_index=0, section_id=sections[0].id, start=q1, end=q1 + 4,
                                   surface="120件", evidence="案件")],
        keywords=[Keyword("法治", 0.5, None, 1), Keyword("案件", 0.4, sections[0].id, 1)],
        topics=["行政执法"], citations=[Citation("法治政府建设实施纲要", "plan", 1, 3)], warnings=["w"],
    )


def make_result(page: str, years: list[int | None], *, tag: str = "", error: str | None = None) -> PageResult:
    docs = [make_doc(page, i, y, tag=tag) for i, y in enumerate(years)]
    return PageResult(source="test", raw_sha256=page_sha(page), documents=docs, error=error)


def make_tables(pages: dict[str, list[int | None]], *, tag: str = "", code: str = "v1") -> dict[str, pa.Table]:
    return results_to_tables([make_result(p, y, tag=tag) for p, y in pages.items()], code_version=code)


def snapshot(paths: DataPaths, version: int | None = None) -> dict[str, list[dict]]:
    return {name: curated.read_arrow(name, version, data_dir=paths).to_pylist() for name in TABLES}


def delta_versions(paths: DataPaths) -> dict[str, int]:
    return {n: DeltaTable(paths.table_uri(n)).version() for n in (*TABLES, "_releases")}


def assert_unique_keys(paths: DataPaths) -> None:
    for name in TABLES:
        rows = curated.read_arrow(name, data_dir=paths).to_pylist()
        keys = [tuple(r[k] for k in KEYS[name]) for r in rows]
        assert len(keys) == len(set(keys)), name
