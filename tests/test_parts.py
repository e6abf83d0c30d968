"""tag_parts: part keywords at any level, un-headed blocks, spans over the body, completeness."""

from __future__ import annotations

from itertools import pairwise

import pytest

from govreports.models import PARTS, REQUIRED_PARTS
from govreports.sections.cues import classify
from govreports.sections.parts import tag_parts
from govreports.sections.tree import parse_sections
from tests.support.pages import seed_bodies


def tagged(body: str, doc_type: str = "annual_report"):
    sections = parse_sections(body, "d")
    spans, completeness = tag_parts(body, sections, doc_type)
    return sections, spans, completeness


def span_parts(body: str, spans) -> list[tuple[str, str, str]]:
    return [(s.part, s.how, body[s.start:s.end].strip()[:6]) for s in spans]


@pytest.mark.parametrize(("heading", "part"), [
    ("2021年度推进法治政府建设的主要举措和成效", "measures_results"),
    ("主要工作成效", "measures_results"),
    ("存在问题", "shortcomings"),
    ("工作中存在的不足和原因", "shortcomings"),
    ("问题和困难", "shortcomings"),
    ("党政主要负责人履行推进法治建设第一责任人职责,加强法治政府建设的有关情况", "first_responsible"),
    ("切实履行第一责任人职责", "first_responsible"),
    ("下一年度推进法治政府建设的主要安排", "next_year_plan"),
    ("明年工作安排", "next_year_plan"),
    ("2024年工作打算", "next_year_plan"),
    ("今后工作打算", "next_year_plan"),
    ("其他需要报告的情况", "other"),
    ("重要成果及特色工作", "highlights"),
    ("“最多跑一次”改革亮点工作", "highlights"),
    ("存在问题和明年工作安排", "shortcomings"),  # P3 > P4
])
def test_keywords_name_parts_in_priority_order(heading, part):
    assert classify(heading)[0] == part


def test_thematic_headings_name_no_part():
    assert classify("健全行政决策制度体系,不断提升行政决策公信力和执行力") == ()


def test_spans_cover_the_body_with_preamble_parts_closing_and_signature():
    body = ("2023年,我局全面推进法治政府建设,现将情况报告如下:\n一、主要举措和成效\n(一)加强领导\n落实责任。\n"
            "二、存在的不足和原因\n执法力量不足。\n三、2024年工作打算\n(一)深化改革\n推进改革。\n"
            "下一步,我局将再接再厉。\n宁波市司法局\n2024年1月9日\n")
    sections, spans, completeness = tagged(body)
    assert [s.part for s in sections] == ["measures_results", "measures_results", "shortcomings",
                                          "next_year_plan", "next_year_plan"]
    assert [(p, h) for p, h, _ in span_parts(body, spans)] == [
        ("preamble", "position"), ("measures_results", "heading"), ("shortcomings", "heading"),
        ("next_year_plan", "heading"), ("closing", "cue"), ("signature", "position")]
    assert spans[0].start == 0 and spans[-1].end == len(body)
    assert all(a.end == b.start for a, b in pairwise(spans))
    assert completeness == {"measures_results": "present", "shortcomings": "present",
                            "first_responsible": "missing", "next_year_plan": "present", "other": None}


def test_children_inherit_unless_their_own_keywords_place_them():
    body = ("一、加强组织领导\n(一)切实履行第一责任人职责\n1.带头学法\n(二)完善制度\n"
            "二、存在问题和明年工作安排\n(一)存在问题\n一是成效不够明显。队伍不强。\n二是普法有待加强。\n(二)明年工作安排\n"
            "一是巩固工作成效。\n二是深化改革。")
    sections, _, completeness = tagged(body)
    assert [(s.label, s.part) for s in sections] == [
        ("一、", "measures_results"), ("(一)", "first_responsible"), ("1.", "first_responsible"),
        ("(二)", "measures_results"), ("二、", "shortcomings"), ("(一)", "shortcomings"),
        ("一是", "shortcomings"), ("二是", "shortcomings"), ("(二)", "next_year_plan"),
        ("一是", "next_year_plan"), ("二是", "next_year_plan")]
    assert completeness["first_responsible"] == "embedded"
    assert completeness["next_year_plan"] == "present"


def test_un_headed_plan_block_tags_the_list_after_it():
    body = ("2022年,我局坚持依法行政。\n一、加强领导\n一是落实第一责任人职责。\n二是推进立法。\n"
            "2023年,我局将继续推进法治政府建设。\n(一)完善法规\n修订法规。\n(二)深化改革\n推进改革。\n"
            "宁波市教育局\n2023年1月9日")
    sections, spans, completeness = tagged(body, "summary_and_plan")
    assert [s.part for s in sections] == ["measures_results", "first_responsible", "measures_results",
                                          "next_year_plan", "next_year_plan"]
    assert ("next_year_plan", "cue", "2023年,") in span_parts(body, spans)
    assert completeness == {"measures_results": "present", "shortcomings": "missing",
                            "first_responsible": "embedded", "next_year_plan": "embedded", "other": None}


def test_flattened_list_items_open_implicit_parts():
    body = ("一、主要举措和成效\n(一)加强领导\n1.工作中存在的不足和原因\n2.意识有待提高。\n"
            "3.党政主要负责人履行推进法治建设第一责任人职责情况\n4.带头学法。\n5.下一年度主要安排\n6.深化改革。")
    sections, _, completeness = tagged(body)
    assert [s.part for s in sections][2:] == ["shortcomings", "shortcomings", "first_responsible",
                                              "first_responsible", "next_year_plan", "next_year_plan"]
    assert all(completeness[p] == "present" for p in REQUIRED_PARTS[:4])


def test_work_plan_items_are_all_next_year_plan():
    body = "2024年工作的总体思路是:依法行政。\n一、落实第一责任人职责\n1.加强学法〔责任机构:法规处〕\n二、存在问题整改\n2.整改"
    sections, spans, completeness = tagged(body, "work_plan")
    assert {s.part for s in sections} == {"next_year_plan"}
    assert [p for p, _, _ in span_parts(body, spans)] == ["preamble", "next_year_plan"]
    assert completeness == {"measures_results": None, "shortcomings": None,  # not graded for a plan
                            "first_responsible": None, "next_year_plan": "present", "other": None}


def test_body_without_headings():
    body = "2023年,我局全面推进法治政府建设。\n全年开展检查。\n2024年,我局将继续努力。"
    sections, spans, completeness = tagged(body)
    assert sections == []
    assert [(p, h) for p, h, _ in span_parts(body, spans)] == [
        ("preamble", "position"), ("measures_results", "position"), ("next_year_plan", "cue")]
    assert completeness["next_year_plan"] == "embedded"
    assert tag_parts("", [], "annual_report") == ([], {**dict.fromkeys(REQUIRED_PARTS, "missing"), "other": None})
    assert tag_parts("", [], "other") == ([], dict.fromkeys(REQUIRED_PARTS))  # a look-alike is not graded


SEED_COMPLETENESS = {  # domain.md §1.2 "Observed"; S4's (一)切实履行第一责任人职责 names P2 as a sub-heading
    ("000_3c8b6c302f097d1e.txt", 0): {"measures_results": "present", "shortcomings": "missing",
                                      "first_responsible": "embedded", "next_year_plan": "embedded"},
    ("001_331dc99bfb8332c5.txt", 0): {"measures_results": "present", "shortcomings": "present",
                                      "first_responsible": "embedded", "next_year_plan": "present"},
    ("002_5d1b6665698e6aa0.txt", 0): {"measures_results": "present", "shortcomings": "present",
                                      "first_responsible": "present", "next_year_plan": "present"},
    ("003_7366b775b5272e40.txt", 0): {"measures_results": None, "shortcomings": None,  # a work plan
                                      "first_responsible": None, "next_year_plan": "present"},
    ("004_5f9a755a12d1a54c.txt", 0): {"measures_results": "present", "shortcomings": "missing",
                                      "first_responsible": "embedded", "next_year_plan": "missing"},
    ("004_5f9a755a12d1a54c.txt", 1): {"measures_results": "present", "shortcomings": "missing",
                                      "first_responsible": "embedded", "next_year_plan": "missing"},
}


@pytest.mark.parametrize("case", range(6))
def test_seed_completeness_and_parts(case):
    name, k, gold, body = seed_bodies()[case]
    sections = parse_sections(body, "d")
    spans, completeness = tag_parts(body, sections, gold["doc_type"])
    assert completeness == {**SEED_COMPLETENESS[(name, k)], "other": None}  # optional: graded only where present
    assert all(s.part in PARTS for s in sections) and all(p.part in PARTS for p in spans)
    assert spans[0].part == "preamble" and spans[-1].end == len(body)
    if gold["signed_date"]:
        assert spans[-1].part == "signature"


def test_un_numbered_part_titles_open_their_part():
    body = ("一、加强领导\n(一)落实责任\n开展学习。\n存在问题\n一是队伍不强。人员不足。\n二是普法单一。\n"
            "下一步工作打算：\n(一)深化改革\n推进改革。\nXX市司法局\n2024年1月9日")
    sections, spans, completeness = tagged(body)
    assert [(s.label, s.level, s.part) for s in sections] == [
        ("一、", 1, "measures_results"), ("(一)", 2, "measures_results"), ("一是", 2, "shortcomings"),
        ("二是", 2, "shortcomings"), ("(一)", 2, "next_year_plan")]
    assert body[sections[0].start:sections[0].end].endswith("开展学习。")
    assert [p for p, _, _ in span_parts(body, spans)] == [
        "measures_results", "shortcomings", "next_year_plan", "signature"]
    assert completeness["shortcomings"] == completeness["next_year_plan"] == "present"


def test_leads_outside_any_heading_take_the_part_around_them():
    body = ("2023年,我局全面推进法治政府建设:\n一是坚持依法行政。\n二是强化监督。\n一、加强领导\n开展学习。\n"
            "2024年,我局将继续努力。\n一是落实第一责任人职责。\n二是深化改革。")
    sections, _, completeness = tagged(body)
    assert [(s.label, s.level, s.part) for s in sections] == [
        ("一是", 1, "preamble"), ("二是", 1, "preamble"), ("一、", 1, "measures_results"),
        ("一是", 2, "next_year_plan"), ("二是", 2, "next_year_plan")]
    assert completeness["first_responsible"] == "missing"  # a plan item about the duty is no report of it


def test_the_rule_wording_with_its_year_filled_in_is_the_next_year_plan():
    body = ("一、2021年推进法治政府建设的主要举措和成效\n开展学习。\n二、存在的不足和原因\n力量不足。\n"
            "三、2022年推进法治政府建设的主要安排\n深化改革。")
    sections, _, completeness = tagged(body)
    assert [s.part for s in sections] == ["measures_results", "shortcomings", "next_year_plan"]
    assert completeness["next_year_plan"] == "present"
