"""The published contract: one explicit pyarrow schema per curated table, with a data dictionary.

delta-rs infers nothing safely (it casts "2.5" into a double and lets a pandas index leak in as
`__index_level_0__`; shared/docs/libraries.md §3), so every write goes through these schemas. Each field
carries `description` and `example` metadata: the data dictionary is generated from here, so a column
cannot exist without being documented. Keys (`KEYS`) say what makes a row unique; publishing uses them
for idempotent appends and for deterministic row order.
"""

from __future__ import annotations

import pyarrow as pa

from govreports.models import PARTS, REQUIRED_PARTS

STR, I32, F64, BOOL, DATE = pa.string(), pa.int32(), pa.float64(), pa.bool_(), pa.date32()
STRS = pa.list_(pa.string())
DOC_ID_EX, SHA_EX = "3f2a9c0d1e4b5a67", "9b1c7e4f" + "0" * 56
PART_VALUES = "present | embedded | missing"


def _f(name: str, type_: pa.DataType, description: str, example: str, *, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": description, "example": example})


def _doc_id() -> pa.Field:
    return _f("doc_id", STR, "Document id: first 16 hex digits of sha256('<raw_sha256>:<doc_index>'); joins all "
              "tables.", DOC_ID_EX, nullable=False)


def _year(partition: bool = True) -> pa.Field:
    if partition:
        return _f("report_year", I32, "Year the report is about (a work plan: the year planned); partition column.",
                  "2023", nullable=False)
    return _f("report_year", I32, "Year the document reports on; null when it could not be read.", "2023")


def _section_id(what: str) -> pa.Field:
    return _f("section_id", STR, f"Section ({{doc_id}}-s{{k:03d}}) {what}; null: outside any numbered section.",
              f"{DOC_ID_EX}-s004")


_PARTS_DOC = ", ".join(PARTS)

DOCUMENTS = pa.schema([
    _doc_id(),
    _f("raw_sha256", STR, "sha256 of the raw page bytes: the page's name in raw/objects/.", SHA_EX, nullable=False),
    _f("source", STR, "Where the page came from: a sources.yaml id, or 'inbox' for pushed files.", "ningbo-edu",
       nullable=False),
    _f("url", STR, "Portal URL of the page, when known (fetched pages, or an inbox sidecar).",
       "http://jyj.ningbo.gov.cn/art/2023/3/1/art_123.html"),
    _f("doc_index", I32, "Position of the report in its page, from 0 (a page may carry several).", "0",
       nullable=False),
    _f("title", STR, "Report title as written.", "宁波市教育局2022年法治政府建设年度报告"),
    _f("agency", STR, "Reporting agency (the 落款 or title), as written.", "宁波市教育局"),
    _f("region", STR, "Administrative region of the agency.", "浙江省宁波市"),
    _f("doc_type", STR, "annual_report | work_plan | summary_and_plan | other.", "annual_report", nullable=False),
    _year(),
    _f("publish_date", DATE, "Date the portal published the page (portal metadata).", "2023-03-01"),
    _f("signed_date", DATE, "Date under the signature block (落款日期).", "2023-02-20"),
    _f("body", STR, "Report text after chrome removal; every start/end offset in other tables indexes it "
       "(Python str indices).", "2022年，市教育局坚持……", nullable=False),
    _f("truncated", BOOL, "True when the page text looks cut off (report ends mid-way).", "false", nullable=False),
    *[_f(f"part_{p}", STR, f"Completeness of required part '{p}' (2019 规定): {PART_VALUES}; null when "
         "not graded for this doc_type (annual reports and summaries: the four required parts; work plans: "
         "next_year_plan only; other: none; part_other only where present), rules/parts.yaml graded_parts.",
         "present") for p in REQUIRED_PARTS],
    _f("topics", STRS, "纲要 topics the report touches, from rules/topics.", '["行政执法", "依法决策"]',
       nullable=False),
    _f("n_sections", I32, "Number of rows this document has in `sections`.", "24", nullable=False),
    _f("n_quantities", I32, "Number of rows this document has in `quantities`.", "57", nullable=False),
    _f("meta", STR, "JSON object of the portal metadata harvested from the page (索引号, 发布机构, ...).",
       '{"index_no": "11330200MB1234567X/2023-00012"}', nullable=False),
    _f("warnings", STRS, "Parser warnings about this document (non-fatal oddities).", '["bad signed_date"]',
       nullable=False),
    _f("code_version", STR, "Version of the code that produced the row: package version + code digest.",
       "0.1.0+4be1c09d2a7f", nullable=False),
    _f("fingerprint", STR, "sha256 (32 hex) of the body's letters and digits: equal for the same report in "
       "another wrapper (html, txt, with portal menus); govreports/documents/duplicates.py.", "3f2a9c0e5b7d41a8c6e2f09b1d4a7c55"),
    _f("duplicate_of", STR, "doc_id of the first document with the same fingerprint; null for the first. "
       "Default reads leave duplicates out.", DOC_ID_EX),
    _f("supersedes", STR, "doc_id of the earlier version this corrected re-upload replaces (same agency, year "
       "and type, same title, nearly the same body); default reads leave the superseded version out.", DOC_ID_EX),
])

SECTIONS = pa.schema([
    _f("section_id", STR, "Section id: {doc_id}-s{k:03d}, k = position in the document.", f"{DOC_ID_EX}-s004",
       nullable=False),
    _doc_id(), _year(),
    _f("parent_id", STR, "section_id of the enclosing section; null at the outermost level.", f"{DOC_ID_EX}-s001"),
    _f("seq", I32, "Order of the section in the document, from 0.", "4", nullable=False),
    _f("label", STR, "Normalised numbering label: 第一部分, 一、, (一), 1., (1), ①, 一是.", "(二)", nullable=False),
    _f("label_raw", STR, "Numbering label as written in the page.", "（二）", nullable=False),
    _f("marker", STR, "Numbering family (rules/headings.yaml): cn, cn_paren, arabic, ...", "cn_paren",
       nullable=False),
    _f("heading", STR, "Heading text after the label, up to the first 。 or line end.", "深化行政执法体制改革",
       nullable=False),
    _f("level", I32, "Nesting depth; 1 = outermost numbering the document uses.", "2", nullable=False),
    _f("part", STR, f"Canonical report part: {_PARTS_DOC}.", "measures_results", nullable=False),
    _f("ordinal", I32, "Number the label stands for (1 for 一、/(一)/1./一是); null when not numeric.", "2"),
    _f("start", I32, "Body offset where the label starts.", "1520", nullable=False),
    _f("heading_end", I32, "Body offset just after the heading text.", "1534", nullable=False),
    _f("end", I32, "Body offset where the section, children included, ends.", "2890", nullable=False),
    _f("responsible_units", STRS, "Units named as responsible (牵头单位/责任单位) in the section.",
       '["市司法局"]', nullable=False),
])

_QUALIFIER = "more_than | nearly | at_least | at_most | redacted; null: exact"
_MODALITY = "actual | target | historical"

QUANTITIES = pa.schema([
    _f("quantity_id", STR, "Quantity id: {doc_id}-q{start:06d}.", f"{DOC_ID_EX}-q001532", nullable=False),
    _doc_id(), _year(),
    _section_id("holding the mention"),
    _f("part", STR, f"Canonical part of the text holding the mention: {_PARTS_DOC}.", "measures_results"),
    _f("surface", STR, "The mention as written.", "1.2万余件", nullable=False),
    _f("value", F64, "Value in `unit` with 万/亿 multiplied out; the low end of a range; null when redacted.",
       "12000.0"),
    _f("unit", STR, "Normalised unit or measure word (rules/units).", "件", nullable=False),
    _f("unit_class", STR, "count | money | ratio | other.", "count", nullable=False),
    _f("qualifier", STR, f"Qualifier of the value: {_QUALIFIER}.", "more_than"),
    _f("low", F64, "Low end of a range (10-20人); null otherwise.", "10.0"),
    _f("high", F64, "High end of a range; null otherwise.", "20.0"),
    _f("approximate", BOOL, "True for 约/左右/近 approximations.", "false", nullable=False),
    _f("redacted", BOOL, "True when the number is masked (XX人).", "false", nullable=False),
    _f("modality", STR, f"{_MODALITY}: achieved, planned, or a past-year comparison.", "actual", nullable=False),
    _f("change", BOOL, "True when the value is a change (增长12%), not a level.", "false", nullable=False),
    _f("start", I32, "Body offset of the mention's first character.", "1532", nullable=False),
    _f("end", I32, "Body offset just after the mention.", "1538", nullable=False),
    _f("sentence", STR, "Sentence holding the mention (context for readers).", "全年办理行政复议案件1.2万余件。",
       nullable=False),
    _f("subject", STR, "What is counted, when recognised.", "行政复议案件"),
    _f("change_direction", STR, "increase | decrease when `change` (同比下降12.5% is a decrease of 12.5, 增长-2% "
       "a decrease of -2); null for a level.", "decrease"),
])

INDICATORS = pa.schema([
    _f("indicator_row_id", STR, "Row id: {quantity_id}-{indicator_id}[-{sub}] (or {doc_id}-x{start:06d}-... "
       "without a quantity).", f"{DOC_ID_EX}-q001532-admin_review_cases", nullable=False),
    _f("indicator_id", STR, "Catalog indicator (rules/indicators).", "admin_review_cases", nullable=False),
    _doc_id(), _year(),
    _f("agency", STR, "Reporting agency (copied from documents for convenience).", "宁波市教育局"),
    _f("region", STR, "Region of the agency (copied from documents).", "浙江省宁波市"),
    _f("value", F64, "Indicator value in `unit`; null when redacted.", "12000.0"),
    _f("unit", STR, "Unit of the value: the indicator's own unit (rules/indicators.yaml), one per indicator.", "件",
       nullable=False),
    _f("measure", STR, "count | money | rate: what the indicator measures (one per indicator).", "count",
       nullable=False),
    _f("qualifier", STR, f"Qualifier: {_QUALIFIER}.", "more_than"),
    _f("sub", STR, "Sub-value of a split indicator (立案/结案, 清理/保留/废止 ...); null when none.", "结案"),
    _f("modality", STR, f"{_MODALITY}.", "actual", nullable=False),
    _f("quantity_id", STR, "The mention it was read from (quantities.quantity_id).", f"{DOC_ID_EX}-q001532"),
    _section_id("holding the mention"),
    _f("start", I32, "Body offset of the mention.", "1532", nullable=False),
    _f("end", I32, "Body offset just after the mention.", "1538", nullable=False),
    _f("surface", STR, "The mention as written.", "1.2万余件", nullable=False),
    _f("evidence", STR, "Keyword or pattern that mapped the mention to the indicator.", "行政复议",
       nullable=False),
])

INDICATOR_VALUES = pa.schema([
    _doc_id(), _year(),
    _f("indicator_id", STR, "Catalog indicator (rules/indicators).", "ADMIN_RECONSIDERATION", nullable=False),
    _f("sub", STR, "Sub-value of a split indicator; null when none.", "结案"),
    _f("value", F64, "The value a comparison uses, in `unit`.", "12000.0", nullable=False),
    _f("unit", STR, "The indicator's unit.", "件", nullable=False),
    _f("measure", STR, "count | money | rate.", "count", nullable=False),
    _f("qualifier", STR, f"Qualifier of the chosen mention: {_QUALIFIER}.", "more_than"),
    _f("rule", STR, "Rule that chose the value (rules/indicator_values.yaml): only | repeated | marked_total | "
       "sum_of_breakdown | largest | first | statement.", "marked_total", nullable=False),
    _f("n_mentions", I32, "Actual mentions of this (indicator, sub) in the document.", "2", nullable=False),
    _f("indicator_row_id", STR, "The indicators row chosen (lineage).", f"{DOC_ID_EX}-q001532-ADMIN_RECONSIDERATION",
       nullable=False),
    _f("quantity_id", STR, "The quantity mention chosen; null for a statement without a number.",
       f"{DOC_ID_EX}-q001532"),
    _f("surface", STR, "The chosen mention as written.", "1.2万余件", nullable=False),
    _f("agency", STR, "Reporting agency (copied from documents).", "宁波市教育局"),
    _f("region", STR, "Region of the agency (copied from documents).", "浙江省宁波市"),
    _f("doc_type", STR, "annual_report | work_plan | summary_and_plan (copied from documents).", "annual_report",
       nullable=False),
])

KEYWORDS = pa.schema([
    _doc_id(), _year(),
    _section_id("the keyword describes; null: the whole document"),
    _f("term", STR, "Keyword (jieba tokens, user dictionary applied).", "行政执法", nullable=False),
    _f("weight", F64, "TF-IDF weight of the term in its scope.", "0.42", nullable=False),
    _f("rank", I32, "Rank by weight within its scope, from 1.", "1", nullable=False),
])

CITATIONS = pa.schema([
    _doc_id(), _year(),
    _f("title", STR, "Title inside 《》 as written.", "法治政府建设实施纲要（2021—2025年）", nullable=False),
    _f("kind", STR, "law | regulation | plan | notice | other.", "plan", nullable=False),
    _f("count", I32, "Times the title is cited in the body.", "2", nullable=False),
    _f("first_start", I32, "Body offset of the first citation.", "88", nullable=False),
])

PAGES = pa.schema([
    _f("raw_sha256", STR, "sha256 of the raw page bytes (raw/objects/).", SHA_EX, nullable=False),
    _f("source", STR, "Source the page was processed under.", "ningbo-edu", nullable=False),
    _f("status", STR, "ok | no_report | error | quarantined (all its documents failed validation).", "ok",
       nullable=False),
    _f("error", STR, "'<kind>: <detail>' when status is not ok; null otherwise.",
       "no_report: the page carries no report text"),
    _f("n_documents", I32, "Documents the parser found in the page.", "1", nullable=False),
    _f("report_years", pa.list_(I32), "Report years of those documents.", "[2022]", nullable=False),
    _f("code_version", STR, "Code that processed the page.", "0.1.0+4be1c09d2a7f", nullable=False),
])

QUARANTINE = pa.schema([
    _f("doc_id", STR, "Document held back from publication.", DOC_ID_EX),
    _f("raw_sha256", STR, "Its raw page.", SHA_EX),
    _f("source", STR, "Source of the page.", "ningbo-edu"),
    _year(partition=False),
    _f("failed", STR, "JSON list of failed expectations: [{expectation, examples}].",
       '[{"expectation": "report_year_not_null", "examples": [null]}]', nullable=False),
    _f("run_id", STR, "Run that quarantined it.", "nightly-2024-03-01"),
])

SCHEMAS: dict[str, pa.Schema] = {
    "documents": DOCUMENTS, "sections": SECTIONS, "quantities": QUANTITIES, "indicators": INDICATORS,
    "indicator_values": INDICATOR_VALUES, "keywords": KEYWORDS, "citations": CITATIONS, "pages": PAGES, "quarantine": QUARANTINE,
}
TABLES: tuple[str, ...] = tuple(SCHEMAS)
PARTITIONED: tuple[str, ...] = ("documents", "sections", "quantities", "indicators", "indicator_values",
                                 "keywords", "citations")
PARTITION_COLUMN = "report_year"
#: what makes a row unique; also the sort order of published rows.
KEYS: dict[str, tuple[str, ...]] = {
    "documents": ("doc_id",), "sections": ("section_id",), "quantities": ("quantity_id",),
    "indicators": ("indicator_row_id",), "indicator_values": ("doc_id", "indicator_id", "sub"), "keywords": ("doc_id", "section_id", "term"),
    "citations": ("doc_id", "title"), "pages": ("raw_sha256", "source"), "quarantine": ("doc_id", "raw_sha256"),
}
DESCRIPTIONS: dict[str, str] = {
    "documents": "One row per report found in a page.",
    "sections": "One row per numbered heading (or 一是-style lead) of a document, with the span it governs.",
    "quantities": "One row per number-with-unit mention in a document body.",
    "indicators": "Quantities mapped to catalog indicators, with lineage back to the mention.",
    "indicator_values": "One comparable value per (document, indicator, sub): the actual a comparison uses.",
    "keywords": "Top TF-IDF terms per document and per section.",
    "citations": "Documents cited by title (《...》) in a report.",
    "pages": "Ledger of processed raw pages: what each produced, or why it produced nothing.",
    "quarantine": "Documents held back because they failed validation; the reasons as JSON.",
}
