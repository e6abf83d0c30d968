"""Bad and hostile pages: each yields a specific recorded error or a correct parse, never an exception.

The small inputs are committed in tests/fixtures/bad/ (README there lists every input and its
expected outcome); the big ones (10 MB of text, 50,000-deep HTML, entity bombs, a 2 MB line, 510
headings) are generated here at run time and never committed. Every page is parsed once per
module; the per-input tests then assert the exact error category or the key facts of the parse,
and one test runs all results through results_to_tables + validate_tables, where the pages that
parse into nonsense (a 10^30 head count, 4000 numbers in one line) must end up in quarantine.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govreports.models import PageResult
from govreports.parse import parse_page

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "fixtures" / "bad"
SEED = (ROOT / "samples" / "inbox" / "000_3c8b6c302f097d1e.txt").read_text(encoding="utf-8")
SEED_TITLE = "2022年法治政府工作总结和2023年工作计划"
TITLE = "宁波市教育局2022年法治政府建设年度报告"
TODAY = dt.date(2026, 6, 1)


def _file(name: str) -> Callable[[], bytes]:
    return lambda: (BAD / name).read_bytes()


def _paras(text: str) -> str:
    return "".join(f"<p>{line}</p>" for line in text.splitlines() if line.strip())


def _ten_megabytes() -> bytes:
    """10 MB of distinct lines (identical lines would be dropped as chrome before the size check)."""
    line = "line {:07d}: filler text for the page size cap, not a report at all\n"
    return "".join(line.format(i) for i in range(10_000_000 // len(line.format(0)) + 1)).encode()


def _deep_html() -> str:
    return "<html><body>" + "<div>" * 50_000 + _paras(SEED) + "</div>" * 50_000 + "</body></html>"


def _billion_laughs() -> str:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return (f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]><html><body><p>&lol9;</p>'
            + _paras(SEED) + "</body></html>")


def _one_line() -> str:
    unit = "依法行政工作持续推进,法治建设成效明显。" * 24 + "开展培训3次。"
    return "2022年法治政府建设年度报告。" + unit * (2_000_000 // len(unit))


def _headings_510() -> str:
    cn = "一二三四五六七八九十"
    lines = ["2022年法治政府建设年度报告", "2022年,市司法局全面推进法治政府建设,现报告如下。"]
    for i in range(10):
        lines.append(f"{cn[i]}、第{cn[i]}方面工作")
        for j in range(10):
            lines.append(f"({cn[j]})第{j + 1}项任务")
            lines.extend(f"{k + 1}.具体措施{k + 1}。开展培训{k + 2}次。" for k in range(4))
    return "\n".join(lines)


@dataclass(frozen=True)
class Case:
    """One hostile input: its bytes/text, and either the error it must record or facts of its parse."""

    id: str
    content: Callable[[], bytes | str]
    error: str | None = None                          # exact error prefix ("not_text: PNG image")
    facts: dict[str, Any] = field(default_factory=dict)  # documents[0] attributes and counts
    warning: str | None = None                        # a warning prefix the page must carry
    source: str | None = None                         # defaults to "<id>.html"
    xfail: str | None = None                          # known defect, strict: fixing it flips the test


REPORT_FACTS = {"doc_type": "annual_report", "report_year": 2022, "title": TITLE, "agency": "宁波市教育局",
                "signed_date": "2023-01-09", "n_sections": 6, "n_quantities": 7}
SEED_FACTS = {"doc_type": "summary_and_plan", "report_year": 2022, "title": SEED_TITLE, "n_sections": 28}

CASES = [
    Case("empty", _file("empty.html"), error="empty: "),
    Case("whitespace-only", _file("whitespace_only.html"), error="no_report: "),
    Case("binary-random", lambda: bytes(range(256)) * 40, error="not_text: binary data"),
    Case("nul-bytes-in-text", _file("nul_bytes.txt"), error="not_text: binary data"),
    Case("png-named-html", _file("png_named.html"), error="not_text: PNG image"),
    Case("jpeg", lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(200), error="not_text: JPEG image"),
    Case("pdf-named-html", _file("pdf_named.html"), error="not_text: PDF document"),
    Case("zip-named-html", _file("zip_named.html"), error="not_text: ZIP archive"),
    Case("gzip-not-decompressed", lambda: gzip.compress(SEED.encode()), error="not_text: gzip data"),
    Case("gbk-truncated-mid-char", _file("gbk_truncated.txt"), facts=REPORT_FACTS,
         warning="damaged_bytes: 1 invalid gb18030"),
    Case("gbk-truncated-with-meta", _file("gbk_truncated_meta.html"), warning="damaged_bytes: 1 invalid gb18030",
         facts={**REPORT_FACTS, "signed_date": None, "n_quantities": 7}),
    Case("mixed-utf8-and-gbk", _file("mixed_utf8_gbk.txt"), error="undecodable: "),
    Case("invalid-utf8-one-byte", lambda: (BAD / "报告 2022 (终稿).html").read_bytes().replace(
        "专业能力".encode(), b"\xff" + "专业能力".encode()), facts=REPORT_FACTS, warning="damaged_bytes: 1 invalid"),
    Case("invalid-utf8-with-utf8-meta", _file("invalid_utf8_with_utf8_meta.html"), error="undecodable: "),
    Case("ten-megabytes", _ten_megabytes, error="too_large: "),
    Case("nested-50000-deep", _deep_html, facts=SEED_FACTS, warning="deep_nesting: "),
    Case("billion-laughs-no-expansion", _billion_laughs, facts={"n_sections": 28}),
    Case("billion-laughs-title", _billion_laughs, facts=SEED_FACTS),
    Case("million-amp", lambda: "<html><body><p>" + "&amp;" * 1_000_000 + "</p></body></html>",
         error="too_large: "),  # 5 M characters: over the page cap, refused before any parsing
    Case("many-amp", lambda: "<html><body><p>" + "&amp;" * 200_000 + "</p></body></html>",
         error="no_report: "),
    Case("news-item", _file("news_item.html"), error="no_report: "),
    Case("report-without-headings", _file("no_headings.txt"),
         facts={**REPORT_FACTS, "n_sections": 0, "n_quantities": 4}),
    Case("headings-only", _file("heading_only.txt"), error="no_report: "),
    Case("utf16-with-bom", _file("utf16_bom.html"), facts=REPORT_FACTS),
    Case("utf16-without-bom", _file("utf16_no_bom.html"), error="not_text: binary data"),
    Case("chrome-only", _file("chrome_only.html"), error="no_report: "),
    Case("script-only", _file("script_only.html"), error="no_report: "),
    Case("one-line-2mb", _one_line, facts={"doc_type": "annual_report", "report_year": 2022, "n_sections": 0,
                                           "min_quantities": 4000}),
    Case("control-characters", _file("control_chars.txt"), facts={**REPORT_FACTS, "title": None}),
    Case("traditional-chinese", _file("traditional_chinese.txt"),
         facts={"doc_type": "annual_report", "report_year": 2022, "title": "寧波市教育局2022年法治政府建設年度報告",
                "n_sections": 5, "n_quantities": 5}),
    Case("gov-info-disclosure-report", _file("gk_annual_report.txt"),
         facts={"doc_type": "other", "report_year": 2022, "title": "宁波市教育局2022年政府信息公开工作年度报告"}),
    Case("huge-number", _file("huge_numbers.txt"), facts={**REPORT_FACTS, "n_quantities": 8, "max_value": 1e30}),
    Case("rtl-and-zero-width", _file("rtl_zero_width.txt"), facts=REPORT_FACTS),
    Case("malformed-tags", _file("malformed_tags.html"),
         facts={"doc_type": "annual_report", "report_year": 2022, "title": TITLE, "n_quantities": 7}),
    Case("meta-gb2312-but-utf8", _file("meta_gb2312_but_utf8.html"), facts=REPORT_FACTS,
         warning="charset_mismatch: meta declares 'gb2312'"),
    Case("meta-utf8-but-gbk", _file("meta_utf8_but_gbk.html"), facts=REPORT_FACTS,
         warning="charset_mismatch: meta declares 'utf-8'"),
    Case("crlf-and-cr-line-ends", _file("crlf_and_cr.txt"), facts=REPORT_FACTS),
    Case("headings-510", _headings_510, facts={"doc_type": "annual_report", "report_year": 2022, "n_sections": 510,
                                               "levels": [1, 2, 3]}),
    Case("name-with-dotdot", _file("meta_gb2312_but_utf8.html"), facts=REPORT_FACTS, source="../../etc/passwd.html"),
    Case("name-with-spaces-and-chinese", _file("报告 2022 (终稿).html"), facts=REPORT_FACTS,
         source="报告 2022 (终稿).html"),
    Case("duplicate-page-1", _file("crlf_and_cr.txt"), facts=REPORT_FACTS, source="copy-a.txt"),
    Case("duplicate-page-2", _file("crlf_and_cr.txt"), facts=REPORT_FACTS, source="copy-b.txt"),
    Case("lone-surrogate-text", lambda: SEED[:500] + "\ud800" + SEED[500:], facts=SEED_FACTS,
         warning="damaged_text"),
]
BY_ID = {case.id: case for case in CASES}
assert len(BY_ID) == len(CASES) >= 30


def _parse(case: Case) -> PageResult | BaseException:
    try:
        return parse_page(case.content(), case.source or f"{case.id}.html", keywords=case.id != "one-line-2mb")
    except Exception as exc:  # recorded: the test for this case fails with it
        return exc


@pytest.fixture(scope="module")
def parsed() -> dict[str, PageResult | BaseException]:
    return {case.id: _parse(case) for case in CASES}


def assert_offsets_inside(result: PageResult) -> None:
    """Every offset of every record points into its document's body, and surfaces are slices of it."""
    for doc in result.documents:
        body = doc.body
        for s in doc.sections:
            assert 0 <= s.start <= s.heading_end <= s.end <= len(body), s
        for q in doc.quantities:
            assert body[q.start:q.end] == q.surface, q
        for iv in doc.indicators:
            assert body[iv.start:iv.end] == iv.surface, iv
        for c in doc.citations:
            assert body[c.first_start] == "《", c


def _check_facts(result: PageResult, facts: dict[str, Any]) -> None:
    doc = result.documents[0]
    for key, want in facts.items():
        if key == "n_sections":
            assert len(doc.sections) == want, key
        elif key == "n_quantities":
            assert len(doc.quantities) == want, key
        elif key == "min_quantities":
            assert len(doc.quantities) >= want, key
        elif key == "max_value":
            assert max(q.value or 0 for q in doc.quantities) == want, key
        elif key == "levels":
            assert sorted({s.level for s in doc.sections}) == want, key
        elif want is not None:
            assert getattr(doc, key) == want, key


def _params() -> list[Any]:
    return [pytest.param(c.id, id=c.id, marks=pytest.mark.xfail(strict=True, reason=c.xfail) if c.xfail else ())
            for c in CASES]


@pytest.mark.parametrize("case_id", _params())
def test_bad_input_is_recorded_or_parsed(parsed, case_id):
    case, result = BY_ID[case_id], parsed[case_id]
    assert isinstance(result, PageResult), f"parse_page raised {result!r}"
    if case.error is not None:
        assert result.error is not None and result.error.startswith(case.error), result.error
        assert re.match(r"^[a-z_]+: ", result.error)
        assert result.documents == []
    else:
        assert result.error is None, result.error
        assert len(result.documents) == 1
        _check_facts(result, case.facts)
        assert_offsets_inside(result)
        assert result.documents[0].source == (case.source or f"{case.id}.html")
    if case.warning:
        assert any(w.startswith(case.warning) for w in result.warnings), result.warnings


def test_entities_are_never_expanded(parsed):
    for case_id in ("billion-laughs-no-expansion", "million-amp"):
        result = parsed[case_id]
        text = "".join(d.body for d in result.documents)
        assert "lollol" not in text
        assert len(text) < 2 * len(SEED)


def test_duplicate_pages_give_identical_ids(parsed):
    first, second = parsed["duplicate-page-1"], parsed["duplicate-page-2"]
    assert first.raw_sha256 == second.raw_sha256
    assert [d.doc_id for d in first.documents] == [d.doc_id for d in second.documents]


@pytest.mark.parametrize("case_id", ["control-characters", "rtl-and-zero-width"])
def test_control_and_bidi_characters_never_reach_the_text(parsed, case_id):
    doc = parsed[case_id].documents[0]
    for text in (doc.title or "", doc.body):
        bad = [c for c in text if c not in "\n\t" and unicodedata.category(c) in ("Cc", "Cf")]
        assert bad == [], bad


def test_bad_inputs_through_tables_and_validation(parsed):
    """Pages that parse into nonsense are quarantined; error pages keep their category; the rest pass."""
    from govreports.tables.rows import results_to_tables
    from govreports.tables.validate import validate_tables

    results = [r for r in parsed.values() if isinstance(r, PageResult)]
    tables = results_to_tables(results, code_version="test")
    outcome = validate_tables(tables, today=TODAY)
    by_case = {cid: [d.doc_id for d in r.documents] for cid, r in parsed.items() if isinstance(r, PageResult)}
    held = set(outcome.quarantine.column("doc_id").to_pylist())
    quarantined = {cid for cid, ids in by_case.items() if set(ids) & held}
    yearless = {cid for cid, r in parsed.items() if isinstance(r, PageResult)
                and any(d.report_year is None for d in r.documents)}   # tables.py holds these back
    assert quarantined == {"huge-number", "one-line-2mb"} | yearless
    (huge,) = by_case["huge-number"]
    # the mention (培训1e30人次) and the indicator values read from it fail the same bound
    assert sorted(outcome.failed_docs[huge]) == ["indicator_values.value_between_0_and_1e13",
                                                 "indicators.value_between_0_and_1e13", "quantities.value_within_1e13"]
    (line,) = by_case["one-line-2mb"]
    assert outcome.failed_docs[line] == ["quantities.at_most_2000_per_document"]
    pages = {(p["raw_sha256"], p["source"]): p for p in outcome.tables["pages"].to_pylist()}
    for case_id, result in parsed.items():
        if not isinstance(result, PageResult):
            continue
        page = pages[(result.raw_sha256, result.source)]
        if result.error is not None:
            assert page["status"] == ("no_report" if result.error.startswith("no_report") else "error")
            assert page["error"] == result.error
        elif case_id in quarantined:
            assert page["status"] == "quarantined"
        else:
            assert page["status"] == "ok", case_id
    written = json.loads(json.dumps(outcome.results))  # validation.json holds the results as JSON
    assert written["quarantined"] == outcome.failed_docs
    assert set(outcome.failed_docs) == held
    for case_id in yearless:
        assert all(outcome.failed_docs[d] == ["report_year_not_null"] for d in by_case[case_id])


CJK_REPORTISH = "一二三四五六七八九十是、。,，()（）《》:：;；%人次件项元万亿余近约xX*\n 0123456789年月日第部分"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=400),
                 st.text(alphabet=st.sampled_from(CJK_REPORTISH), max_size=600),
                 st.lists(st.sampled_from([SEED[i:i + 40] for i in range(0, 2000, 40)] + ["\n", "一、", "(一)",
                                                                                       "1.", "xx人", "<p>"]),
                          max_size=60).map("".join)))
def test_any_text_parses_without_raising_and_offsets_stay_inside(text):
    result = parse_page(text, "hypothesis.txt", keywords=False)
    assert result.error is None or re.match(r"^[a-z_]+: ", result.error)
    assert_offsets_inside(result)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_without_raising(data):
    result = parse_page(data, "hypothesis.bin", keywords=False)
    assert result.error is None or re.match(r"^[a-z_]+: ", result.error)
    assert_offsets_inside(result)
