"""Keywords (TF-IDF, deterministic), 纲要 topics and 《》 citations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from govreports.indicators.catalog import topic_names
from govreports.models import Section
from govreports.text import keywords
from govreports.text.citations import citation_kind, extract_citations
from govreports.text.keywords import candidate_terms, extract_keywords, rank_terms, tag_topics
from govreports.text.tokenize import stop_words

ROOT = Path(__file__).resolve().parents[1]
SEED_001 = (ROOT / "samples" / "inbox" / "001_331dc99bfb8332c5.txt").read_text(encoding="utf-8")


def section(sid: str, heading: str, start: int, end: int, parent: str | None = None) -> Section:
    return Section(id=sid, parent_id=parent, label="一、", label_raw="一、", marker="cn", heading=heading,
                   level=1 if parent is None else 2, part="measures_results", start=start,
                   heading_end=start + len(heading), end=end)


def test_keywords_are_ranked_content_words():
    kws = extract_keywords(SEED_001, top_k=10)
    assert [k.rank for k in kws] == list(range(1, 11))
    assert all(k.section_id is None for k in kws)
    assert [k.weight for k in kws] == sorted((k.weight for k in kws), reverse=True)
    stops = stop_words()
    for k in kws:
        assert len(k.term) >= 2 and k.term not in stops and not any(ch.isdigit() for ch in k.term)
    assert "行政执法" in [k.term for k in kws]


def test_user_dictionary_keeps_domain_terms_whole():
    terms = candidate_terms("全局现有行政执法证持证人员70人,双随机抽查308次,落实第一责任人职责,深化放管服改革")
    for term in ("行政执法证", "持证人员", "双随机抽查", "第一责任人职责", "放管服"):
        assert term in terms


def test_stop_words_and_places_are_not_keywords():
    terms = candidate_terms("宁波市教育局推进工作,加强落实,开展活动")
    assert "宁波市" not in terms and "推进" not in terms and "加强" not in terms


def test_ties_break_on_the_term(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(keywords, "idf_table", lambda: (keywords.IdfTable([], [], median=1.0), 1.0))
    got = [k.term for k in rank_terms("信访 复议 诉讼 复议 信访 诉讼", 3)]
    assert got == sorted(got)


def test_per_top_level_section_keywords():
    body = "一、行政执法\n行政执法检查持证人员持证率。\n(一)信访\n信访来信来访信访件。\n二、普法\n普法宪法宣传周普法。"
    second = body.index("二、")
    sections = [section("s1", "行政执法", 0, second), section("s1a", "信访", body.index("(一)"), second, "s1"),
                section("s2", "普法", second, len(body))]
    kws = extract_keywords(body, sections, top_k=3)
    assert {k.section_id for k in kws} == {None, "s1", "s2"}
    assert next(k.term for k in kws if k.section_id == "s2") == "普法"


def test_keywords_are_deterministic_across_processes():
    """Another process with another hash seed ranks the same terms with the same weights."""
    code = ("import json,sys; from govreports.text.keywords import extract_keywords; "
            "print(json.dumps([(k.term, k.weight, k.rank) for k in extract_keywords(sys.stdin.read())]))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], input=SEED_001, capture_output=True, text=True,
                         env=env, check=True, cwd=ROOT).stdout
    here = [[k.term, k.weight, k.rank] for k in extract_keywords(SEED_001)]
    assert json.loads(out) == here == [[k.term, k.weight, k.rank] for k in extract_keywords(SEED_001)]


def test_topics_follow_the_outline_chapters():
    assert tag_topics(SEED_001) == [topic_names()[f"T{i}"] for i in range(1, 11)]
    body = "二、健全突发事件应对体系\n组织应急疏散。"
    assert tag_topics(body, [section("s1", "健全突发事件应对体系", 0, len(body))]) == ["突发事件应对"]
    assert tag_topics("受理信访一件。") == []  # one stray word is not a chapter


# ---- citations ----------------------------------------------------------------------------

@pytest.mark.parametrize(("title", "kind"), [
    ("中华人民共和国职业教育法", "law"), ("中华人民共和国民法典", "law"), ("宁波市教育督导条例", "regulation"),
    ("宁波市教育局重大行政决策程序规定(试行)", "regulation"), ("鞍山市行政规范性文件合法性审核办法", "regulation"),
    ("中小学教育惩戒规则(试行)", "regulation"), ("党员领导干部学法用法实施细则", "regulation"),
    ("法治政府建设实施纲要(2021—2025年)", "plan"), ("宁波市教育系统法治宣传教育第八个五年规划(2021-2025年)", "plan"),
    ("鞍山市新时代法治人才培养实施方案", "plan"), ("XX市2024年法治政府建设工作计划", "plan"),
    ("关于做好局发行政规范性文件工作的通知", "notice"), ("关于进一步加强法治建设的意见", "notice"),
    ("法治之光", "other"), ("办事不找关系指南", "other"), ("XX工作方法", "other"),
])
def test_citation_kind(title: str, kind: str):
    assert citation_kind(title) == kind


def test_citations_count_nest_and_locate():
    body = ("学习《宁波市教育督导条例》。印发《关于印发<婺城区法律顾问管理办法>的通知》和"
            "《〈鞍山市实施方案〉重点任务分工清单》,再学《宁波市教育督导条例》,又见《关于《某办法》的通知》。"
            "未闭合《没有结尾\n《职业教育法》")
    cites = extract_citations(body)
    assert [(c.title, c.kind, c.count) for c in cites] == [
        ("宁波市教育督导条例", "regulation", 2),
        ("关于印发<婺城区法律顾问管理办法>的通知", "notice", 1),
        ("〈鞍山市实施方案〉重点任务分工清单", "other", 1),
        ("关于《某办法》的通知", "notice", 1),
        ("职业教育法", "law", 1),
    ]
    assert cites[0].first_start == body.index("《宁波市")
    assert all(body[c.first_start] == "《" for c in cites)


def test_the_idf_table_answers_as_a_dict_of_its_lines_would():
    words = ["法治", "政府", "法治", "a", "行政执法", "𠀀字", "b", "政府"]  # repeats: the last line wins
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    table = keywords.IdfTable(words, values)
    lines = dict(zip(words, values, strict=True))
    assert {w: table[w] for w in lines} == lines
    assert table.median == sorted(lines.values())[len(lines) // 2]
    assert table["不在表里"] == table.median


def test_the_shipped_idf_table_is_jiebas_file():
    path = Path(keywords.importlib.util.find_spec("jieba").origin).parent / "analyse" / "idf.txt"
    lines = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, value = line.strip().partition(" ")
        lines[word] = float(value)
    table, median = keywords.idf_table()
    sample = list(lines)[::997] + max(lines, key=len).split()
    assert {w: table[w] for w in sample} == {w: lines[w] for w in sample}
    assert median == sorted(lines.values())[len(lines) // 2]
