"""The shape of every rule file: one TypedDict per file, naming its top-level keys.

Why typed: a rule file is an interface between whoever edits the rules and the code that reads
them; the declared keys are that interface, and tests/test_rulebook.py checks that each file has
exactly the keys its type declares (a renamed or forgotten key fails there, not mid-run).
Nested sections are typed where the code reads many of their keys (metadata.yaml, text.yaml).
"""

from __future__ import annotations

from typing import Any, TypedDict


class ChromeRules(TypedDict):
    """rules/chrome.yaml: portal furniture (labels, toolbars, footers) and HTML body selection."""

    version: int
    max_chrome_len: int
    bullet_prefix: str
    line_patterns: dict[str, list[str]]
    footer_patterns: list[str]
    toolbar_tokens: list[str]
    toolbar_separators: str
    labels: dict[str, dict[str, Any]]
    title_value: str
    counter_value: str
    header_byline: str
    month_value: str
    site_prefix: str
    pinyin_gloss: str
    value_lines: list[str]
    html_meta: dict[str, str]
    body_selectors: list[str]
    min_body_chars: int
    drop_tags: list[str]
    block_tags: list[str]
    title_selectors: list[str]
    max_tree_depth: int
    max_html_chars: int
    wrap_block_start: str


class DuplicatesRules(TypedDict):
    """rules/duplicates.yaml: when a re-published document supersedes an earlier one."""

    version: int
    supersede_min_similarity: float
    shingle_chars: int


class FetchedRules(TypedDict):
    """rules/fetched.yaml: what makes a fetched page an error page."""

    version: int
    max_error_page_chars: int
    error_phrases: list[str]


class HeadingsRules(TypedDict):
    """rules/headings.yaml: the heading-marker grammar."""

    numeral: str
    families: list[dict[str, Any]]
    enum: dict[str, str]
    not_headings: list[str]
    table_row: str
    heading_end: str
    heading_trim: str
    inline: dict[str, Any]
    max_gap: int
    owner_tags: dict[str, str]


class IndicatorValuesRules(TypedDict):
    """rules/indicator_values.yaml: which of a document's values is its indicator value."""

    modalities: list[str]
    total_cue: str
    total_cue_chars: int
    order: list[str]
    government_agency: str
    breakdown: str
    list_item: str


class IndicatorsRules(TypedDict):
    """rules/indicators.yaml: the indicator catalog."""

    version: int
    indicators: list[dict[str, Any]]


class ListFamiliesRules(TypedDict):
    """rules/list_families.yaml: list-page families of portal CMSs (TRS, Hanweb, gkmlpt)."""

    version: int
    trs: dict[str, Any]
    hanweb: dict[str, Any]
    gkmlpt: dict[str, Any]
    dates: dict[str, Any]


class SplitRules(TypedDict):
    """metadata.yaml split: document boundaries and title lines."""

    part_doc: str
    part_doc_marked: str
    title_cues: list[str]
    title_max_len: int
    title_min_len: int
    title_scan_lines: int
    body_start: str
    not_title: str
    cover_notice: str
    cover_notice_plain: str
    issuing_sentence: str
    site_suffix: str
    bracketed_title: str
    title_head: str
    title_tail_max: int
    title_tail_not: str
    run_in_title: str
    title_after_issuer: str
    named_year: str
    cited_title: str
    truncated_tail: str
    min_body_chars: int


class DocTypeRules(TypedDict):
    """metadata.yaml doc_type: annual report, work plan, summary and plan, other."""

    other: list[str]
    other_title_re: list[str]
    other_opening_re: list[str]
    summary: list[str]
    plan: list[str]
    work_plan: list[str]
    annual_report: list[str]
    rule_of_law: list[str]
    rule_of_law_min_body_hits: int
    body_annual_report: list[str]
    body_work_plan: list[str]
    opening_lines: int
    body_work_plan_re: str
    headline_max_len: int


class YearRules(TypedDict):
    """metadata.yaml year: the year a report is about."""

    year: str
    cited_title: str
    opening_max_pos: int
    opening_lines: int
    month_line: str
    dominant_min: int


class AgencyRules(TypedDict):
    """metadata.yaml agency: organisation names and where a report names its issuer."""

    title_agency: str
    org_suffix: str
    org_max_len: int
    strip_prefixes: list[str]
    level_chars: str
    long_forms: dict[str, str]
    filler_chars: str
    cited_issuer: str
    cited_own: str
    opening_subject: str
    self_reference: str


class SignatureRules(TypedDict):
    """metadata.yaml signature: the org and date lines a report is signed with."""

    date_line: str
    org_date_line: str
    trailer: str
    max_trailer_lines: int
    notice_scan_lines: int


class RegionRules(TypedDict):
    """metadata.yaml region: administrative places in agency names and titles."""

    levels: list[str]
    township: str
    title_place: str
    opening_place: str
    site_place: str
    not_in_place: str
    cited_place: str


class MetadataRules(TypedDict):
    """rules/metadata.yaml: document boundaries and document-level metadata."""

    version: int
    split: SplitRules
    doc_type: DocTypeRules
    year: YearRules
    agency: AgencyRules
    signature: SignatureRules
    region: RegionRules


class PartsRules(TypedDict):
    """rules/parts.yaml: the parts of a report and the cues that name them."""

    priority: list[str]
    keywords: dict[str, list[str]]
    breaks_out: list[str]
    part_titles: dict[str, list[str]]
    may_nest_in: dict[str, list[str]]
    content_parts: list[str]
    embeddable: list[str]
    graded_parts: dict[str, list[str]]
    optional_parts: list[str]
    default_part: dict[str, str]
    plan_cues: list[str]
    unnumbered_heading: dict[str, Any]
    closing_cues: list[str]
    base_year: str
    base_year_window: int
    signature: dict[str, str]


class QuantitiesRules(TypedDict):
    """rules/quantities.yaml: the quantity grammar and the context cues of a mention."""

    prefixes: dict[str, str]
    approximators: dict[str, str]
    suffixes: dict[str, str]
    multipliers: dict[str, int]
    range_separators: list[str]
    negative_sign: str
    redacted: str
    percent_words: str
    ordinal_before: str
    rank_before: str
    rank_units: list[str]
    session_ordinal: dict[str, str]
    duration_after: str
    set_phrases: str
    change_cues: str
    decrease_cues: str
    negative_change_cues: str
    target_cues: str
    future_cues: str
    governing_year: str
    subject_fillers: str
    subject_stops: list[str]


class TopicsRules(TypedDict):
    """rules/topics.yaml: the chapters of the 2021–2025 纲要 and their vocabularies."""

    min_terms: int
    topics: list[dict[str, Any]]


class UnitsRules(TypedDict):
    """rules/units.yaml: measure words, their classes, families and aliases."""

    units: dict[str, str]
    families: dict[str, dict[str, float]]
    aliases: dict[str, str]
    clashes: list[str]


class CharClasses(TypedDict):
    """text.yaml classes: character classes of Chinese text, each named for what it holds."""

    sentence_end: str
    clause_end: str
    clause_mark: str
    sentence_punct: str
    digit: str
    han_basic: str
    han_extended: str
    cjk_text_and_punct: str
    cjk_script_and_punct: str


class DateRules(TypedDict):
    """text.yaml dates: portal dates in their spellings."""

    date: str
    time: str
    lead_date: str


class CitationRules(TypedDict):
    """text.yaml citations: what a cited 《title》 is, and which quoted names count nothing."""

    max_title: int
    trailing_paren: str
    kinds: dict[str, list[str]]
    law_ending: str
    not_law: list[str]
    short_quotes: str


class TextRules(TypedDict):
    """rules/text.yaml: character classes, cited titles and date spellings every stage shares."""

    version: int
    classes: CharClasses
    citations: CitationRules
    dates: DateRules


UserWord = tuple[str, int | None, str | None]
