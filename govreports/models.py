"""Typed records the core produces: pages in, documents with sections and quantities out.

Every stage of the core is a plain function over these records, so each stage can be tested on
its own and the shell (Prefect tasks, the CLI) only moves them around. Field meanings follow
../shared/gold/README.md; offsets are always into `Document.body` (Python str indices).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

DocType = Literal["annual_report", "work_plan", "summary_and_plan", "other"]
Qualifier = Literal["more_than", "nearly", "at_least", "at_most", "redacted"]
Modality = Literal["actual", "target", "historical"]

#: canonical parts of a report (shared/docs/domain.md §1.2); ids are the values stored in data.
PARTS = (
    "preamble",           # P0 导语
    "measures_results",   # P1 主要举措和成效
    "first_responsible",  # P2 党政主要负责人履行第一责任人职责
    "shortcomings",       # P3 存在的不足和原因
    "next_year_plan",     # P4 下一年度主要安排
    "other",              # P5 其他需要报告的情况
    "highlights",         # X1 特色亮点
    "closing",            # X2 结束语
    "signature",          # X3 落款
)
#: the parts the 2019 规定 requires in an annual report, in the order it lists them.
REQUIRED_PARTS = ("measures_results", "shortcomings", "first_responsible", "next_year_plan", "other")


@dataclass(slots=True)
class PageText:
    """A page after decoding and chrome stripping, before it is split into documents.

    `lines` are the content lines in reading order (chrome removed); `meta` is what the chrome
    and HTML head said (keys: index_no, publisher, written_date, publish_date, doc_no,
    page_title, site_name, column_name, content_source, url, keywords, description ...);
    `removed` lists the chrome lines dropped, so cleaning is auditable and reversible.
    """

    source: str
    lines: list[str]
    meta: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    encoding: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class DocDraft:
    """One document found on a page, before metadata extraction and sectioning.

    Made by documents/split.py, read by documents/metadata.py and parse.py: it lives here so that
    metadata.py does not import split.py for its type.
    """

    title: str | None
    body: str
    title_line: str | None
    meta: dict[str, str] = field(default_factory=dict)
    truncated: bool = False


@dataclass(slots=True)
class Section:
    """One numbered heading (or paragraph-initial 一是-style lead) and the body span it governs."""

    id: str
    parent_id: str | None
    label: str                 # normalised: 第一部分, 一、, (一), 1., (1), ①, 一是
    label_raw: str             # as written in the page
    marker: str                # marker family id from rules/headings.yaml (cn, cn_paren, arabic, ...)
    heading: str               # text after the label, up to (not incl.) the first 。 or line end
    level: int                 # 1 = outermost numbering the document uses
    part: str                  # one of PARTS
    start: int                 # body offset where the label starts
    heading_end: int           # body offset just after the heading text
    end: int                   # body offset where the section (incl. its children) ends
    ordinal: int | None = None # 1 for 一、/(一)/1./一是 ..., None when not numeric
    responsible_units: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PartSpan:
    """A stretch of body text tagged with a canonical part, headed or not."""

    part: str
    start: int
    end: int
    how: str  # "heading" (a heading names it), "embedded" (a sub-heading/一是 does), "cue" (un-headed block cue), "position"


@dataclass(slots=True)
class Quantity:
    """One quantity mention in the body (gold README: number + unit/measure word)."""

    surface: str
    value: float | None        # normalised in `unit` (万/亿 multiplied out); None when redacted
    unit: str
    qualifier: str | None      # more_than | nearly | at_least | at_most | redacted | None
    start: int
    end: int
    section_id: str | None = None
    unit_class: str = "count"  # count | money | ratio | other
    low: float | None = None   # ranges (10-20人): low/high; value = low
    high: float | None = None
    approximate: bool = False
    redacted: bool = False
    modality: str = "actual"   # actual | target | historical
    sentence: str = ""
    subject: str | None = None  # what is counted (持证人员, 合同审查 ...)
    change: bool = False        # 增长12% is a change, not a level
    change_direction: str | None = None  # increase | decrease when `change`


@dataclass(slots=True)
class IndicatorValue:
    """A quantity mapped to a catalog indicator; keeps lineage back to the mention."""

    indicator_id: str
    value: float | None
    unit: str
    qualifier: str | None
    sub: str | None            # sub-value (立案/结案/移交, 清理/保留/废止 ...)
    quantity_index: int        # index into Document.quantities; -1 for a statement without a number (无行政败诉 → 0)
    section_id: str | None
    start: int
    end: int
    surface: str
    evidence: str              # the keyword or pattern that matched
    modality: str = "actual"
    measure: str = "count"     # count | money | rate: the catalog entry's (one per indicator)


@dataclass(slots=True)
class IndicatorChoice:
    """The one value of an (indicator, sub) a comparison uses for a document (indicator_values.py)."""

    indicator_id: str
    sub: str | None
    value: float | None
    unit: str
    measure: str               # count | money | rate
    qualifier: str | None
    rule: str                  # which rule of rules/indicator_values.yaml chose it
    n_mentions: int            # mentions of this (indicator, sub) that were eligible
    quantity_index: int        # the chosen mention (-1: a statement without a number)
    start: int
    end: int
    surface: str


@dataclass(slots=True)
class Keyword:
    term: str
    weight: float
    section_id: str | None      # None: document level
    rank: int


@dataclass(slots=True)
class Citation:
    title: str                  # inside 《》, as written
    kind: str                   # law | regulation | plan | notice | other
    count: int
    first_start: int


@dataclass(slots=True)
class Document:
    """One report found in a page (a page may carry several: 第一篇/第二篇)."""

    doc_id: str
    source: str
    raw_sha256: str
    doc_index: int
    title: str | None
    agency: str | None
    region: str | None
    doc_type: str
    report_year: int | None
    publish_date: str | None   # ISO YYYY-MM-DD
    signed_date: str | None
    body: str
    sections: list[Section] = field(default_factory=list)
    parts: list[PartSpan] = field(default_factory=list)
    completeness: dict[str, str | None] = field(default_factory=dict)  # part -> present|embedded|missing|None
    truncated: bool = False
    meta: dict[str, str] = field(default_factory=dict)
    quantities: list[Quantity] = field(default_factory=list)
    indicators: list[IndicatorValue] = field(default_factory=list)
    indicator_values: list[IndicatorChoice] = field(default_factory=list)
    keywords: list[Keyword] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The `govreports parse --json` contract (one object per document)."""
        return asdict(self)


@dataclass(slots=True)
class PageResult:
    """What parsing one page produced: its documents, or the specific reason it produced none."""

    source: str
    raw_sha256: str
    documents: list[Document] = field(default_factory=list)
    error: str | None = None   # e.g. "not_text: PNG image", "no_report: page has no report text"
    warnings: list[str] = field(default_factory=list)
