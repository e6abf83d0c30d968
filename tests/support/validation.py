"""Synthetic but consistent curated tables for the validation tests (test_validate,
test_expectations): offsets point into the body and ids resolve, so a test breaks exactly one
thing in one document and looks at where it went."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pyarrow as pa

from govreports.tables.schemas import SCHEMAS

TODAY = dt.date(2026, 6, 1)
BODY = ("2022年,市教育局坚持依法行政。\n"
        "一、主要举措和成效\n"
        "(一)学法用法。全局现有持证人员70人,有效持证率94.4%,覆盖率达xx%。\n"
        "学习《中华人民共和国行政许可法》。\n"
        "二、存在的不足\n"
        "培训不足。")


def doc_rows(n: int) -> dict[str, list[dict[str, Any]]]:
    """All rows of one consistent document (its own page), number n."""
    sha = hashlib.sha256(f"page{n}".encode()).hexdigest()
    doc_id = hashlib.sha256(f"{sha}:0".encode()).hexdigest()[:16]
    find = BODY.index
    s1, s2, s3 = find("一、"), find("(一)"), find("二、")
    sections = [
        dict(section_id=f"{doc_id}-s000", parent_id=None, seq=0, label="一、", label_raw="一、", marker="cn",
             heading="主要举措和成效", level=1, part="measures_results", ordinal=1, start=s1, heading_end=s1 + 9,
             end=s3 - 1),
        dict(section_id=f"{doc_id}-s001", parent_id=f"{doc_id}-s000", seq=1, label="(一)", label_raw="(一)",
             marker="cn_paren", heading="学法用法", level=2, part="measures_results", ordinal=1, start=s2,
             heading_end=s2 + 7, end=s3 - 1),
        dict(section_id=f"{doc_id}-s002", parent_id=None, seq=2, label="二、", label_raw="二、", marker="cn",
             heading="存在的不足", level=1, part="shortcomings", ordinal=2, start=s3, heading_end=s3 + 7,
             end=len(BODY)),
    ]
    for s in sections:
        s.update(doc_id=doc_id, report_year=2022, responsible_units=[])
    quantities = []
    for surface, value, unit, cls, qualifier in (
            [("70人", 70.0, "人", "count", None), ("94.4%", 94.4, "%", "ratio", None),
             ("xx%", None, "%", "ratio", "redacted")]):
        start = find(surface)
        quantities.append(dict(quantity_id=f"{doc_id}-q{start:06d}", doc_id=doc_id, report_year=2022,
                               section_id=f"{doc_id}-s001", part="measures_results", surface=surface, value=value,
                               unit=unit, unit_class=cls, qualifier=qualifier, low=None, high=None,
                               approximate=False, redacted=value is None, modality="actual", change=False,
                               start=start, end=start + len(surface), sentence="", subject=None))
    q = quantities[0]
    return {
        "documents": [dict(doc_id=doc_id, raw_sha256=sha, source=f"page{n}.html", url=None, doc_index=0,
                           title="2022年法治政府建设年度报告", agency="市教育局", region="宁波市",
                           doc_type="annual_report", report_year=2022, publish_date=dt.date(2023, 3, 1),
                           signed_date=dt.date(2023, 1, 9), body=BODY, truncated=False,
                           part_measures_results="present", part_shortcomings="present",
                           part_first_responsible="missing", part_next_year_plan="missing", part_other="missing",
                           topics=["依法行政"], n_sections=3, n_quantities=3, meta="{}", warnings=[],
                           code_version="test")],
        "sections": sections,
        "quantities": quantities,
        "indicators": [dict(indicator_row_id=f"{q['quantity_id']}-ENF_CERT_HOLDERS", indicator_id="ENF_CERT_HOLDERS", doc_id=doc_id,
                            report_year=2022, agency="市教育局", region="宁波市", value=70.0, unit="人",
                            measure="count", qualifier=None, sub=None, modality="actual",
                            quantity_id=q["quantity_id"], section_id=q["section_id"], start=q["start"], end=q["end"],
                            surface=q["surface"], evidence="持证人员")],
        "indicator_values": [dict(doc_id=doc_id, report_year=2022, indicator_id="ENF_CERT_HOLDERS", sub=None, value=70.0,
                                  unit="人", measure="count", qualifier=None, rule="only", n_mentions=1,
                                  indicator_row_id=f"{q['quantity_id']}-ENF_CERT_HOLDERS", quantity_id=q["quantity_id"],
                                  surface=q["surface"], agency="市教育局", region="宁波市", doc_type="annual_report")],
        "keywords": [dict(doc_id=doc_id, report_year=2022, section_id=None, term="依法行政", weight=0.5, rank=1),
                     dict(doc_id=doc_id, report_year=2022, section_id=f"{doc_id}-s001", term="持证", weight=0.3,
                          rank=1)],
        "citations": [dict(doc_id=doc_id, report_year=2022, title="中华人民共和国行政许可法", kind="law", count=1,
                           first_start=find("《"))],
        "pages": [dict(raw_sha256=sha, source=f"page{n}.html", status="ok", error=None, n_documents=1,
                       report_years=[2022], code_version="test")],
    }


def good_tables(n_docs: int = 3) -> dict[str, pa.Table]:
    """n consistent documents, each on its own page, plus one no_report page."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in SCHEMAS if name != "quarantine"}
    for n in range(n_docs):
        for name, part in doc_rows(n).items():
            rows[name].extend(part)
    rows["pages"].append(dict(raw_sha256=hashlib.sha256(b"news").hexdigest(), source="news.html", status="no_report",
                              error="no_report: the page carries no report text", n_documents=0, report_years=[],
                              code_version="test"))
    return {name: pa.Table.from_pylist(part, schema=SCHEMAS[name]) for name, part in rows.items()}


def doc_ids(tables: dict[str, pa.Table]) -> list[str]:
    return tables["documents"].column("doc_id").to_pylist()


def set_value(tables: dict[str, pa.Table], table: str, row: int, column: str, value: Any) -> dict[str, pa.Table]:
    """A copy of `tables` with one cell changed."""
    t = tables[table]
    index = t.schema.get_field_index(column)
    values = t.column(column).to_pylist()
    values[row] = value
    out = dict(tables)
    out[table] = t.set_column(index, t.schema.field(index), pa.array(values, t.schema.field(index).type))
    return out


def row_of(tables: dict[str, pa.Table], table: str, doc_id: str) -> int:
    return tables[table].column("doc_id").to_pylist().index(doc_id)
