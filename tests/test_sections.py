"""parse_sections: marker families, heading text, levels, sequences, owner tags, seeds vs gold."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govreports.sections.tree import parse_sections
from tests.support.pages import norm, seed_bodies


def one(body: str):
    """The single section of a body, asserting there is exactly one."""
    sections = parse_sections(body, "d")
    assert len(sections) == 1, [(s.label, s.heading) for s in sections]
    return sections[0]


@pytest.mark.parametrize(("line", "label", "marker"), [
    ("第一部分：主要举措和成效", "第一部分", "part"),
    ("第一部分:主要举措和成效", "第一部分", "part"),
    ("第一章 主要举措和成效", "第一章", "part"),
    ("一、加强组织领导", "一、", "cn"),
    ("一.加强组织领导", "一、", "cn"),
    ("一，加强组织领导", "一、", "cn"),
    ("（一）加强组织领导", "(一)", "cn_paren"),
    ("(一)加强组织领导", "(一)", "cn_paren"),
    ("（一)加强组织领导", "(一)", "cn_paren"),
    ("（一）、加强组织领导", "(一)", "cn_paren"),
    ("㈠加强组织领导", "(一)", "cn_paren"),
    ("1.加强组织领导", "1.", "arabic"),
    ("1、加强组织领导", "1.", "arabic"),
    ("1．加强组织领导", "1.", "arabic"),
    ("１．加强组织领导", "1.", "arabic"),
    ("⒈加强组织领导", "1.", "arabic"),
    ("1、2023年重点工作", "1.", "arabic"),
    ("(1)加强组织领导", "(1)", "arabic_paren"),
    ("（1）加强组织领导", "(1)", "arabic_paren"),
    ("⑴加强组织领导", "(1)", "arabic_paren"),
    ("①加强组织领导", "①", "circled"),
    ("　　一、加强组织领导", "一、", "cn"),
])
def test_marker_families_full_width_and_enclosed(line, label, marker):
    body = f"{line}\n落实领导责任,全年学法4次。"
    sec = one(body)
    assert (sec.label, sec.marker, sec.ordinal, sec.level) == (label, marker, 1, 1)
    assert sec.label_raw == line.strip()[: len(sec.label_raw)]
    assert sec.heading in {"主要举措和成效", "加强组织领导", "2023年重点工作"}
    assert body[sec.start:].startswith(sec.label_raw)


@pytest.mark.parametrize(("second", "label"), [("⑵", "(2)"), ("②", "②"), ("㈡", "(二)"), ("⒉", "2."), ("２．", "2.")])
def test_enclosed_ordinals_normalise_to_their_number(second, label):
    first = {"⑵": "⑴", "②": "①", "㈡": "㈠", "⒉": "⒈", "２．": "１．"}[second]
    sections = parse_sections(f"{first}甲项工作\n{second}乙项工作", "d")
    assert [s.label for s in sections][1] == label
    assert sections[1].ordinal == 2


def test_enum_leads_count_inside_paragraphs_but_need_a_run():
    body = ("一、规范执法\n一是强化培训。组织培训3次。\n二是加强考核。考核全覆盖。\n"
            "二、依法决策\n一是健全制度。二是规范程序。\n三是后面的二是不接续序列。\n"
            "三、化解矛盾\n一是单独一条不成序列。")
    sections = parse_sections(body, "d")
    assert [(s.label, s.level) for s in sections] == [
        ("一、", 1), ("一是", 2), ("二是", 2), ("二、", 1), ("一是", 2), ("二是", 2), ("三是", 2), ("三、", 1)]
    lead = sections[1]
    assert (lead.marker, lead.heading, lead.parent_id) == ("enum", "强化培训", sections[0].id)
    assert [s.heading for s in sections[4:7]] == ["健全制度", "规范程序", "后面的二是不接续序列"]


def test_glued_leads_continue_a_run_and_end_the_previous_lead():
    body = ("(一)加强领导。一是成立领导小组明确分工三是定期研究。统一是前提,唯一是目标。\n"
            "(二)强化执法。这是其一是否成立第二是序号,一是规范程序二是加强监督")
    sections = parse_sections(body, "d")
    got = [(s.label, s.heading, s.level) for s in sections]
    assert got == [("(一)", "加强领导", 1), ("(二)", "强化执法", 1),
                   ("一是", "规范程序", 2), ("二是", "加强监督", 2)]
    # 一是 … 三是 skips 二是: a glued lead must be the very next number, so no run forms there


def test_run_in_and_stand_alone_headings():
    body = "一、加强组织领导：\n1.优化政府机构职能。动态调整权责清单!\n2.完善权责清单制度"
    s1, s2, s3 = parse_sections(body, "d")
    assert s1.heading == "加强组织领导"  # trailing colon is not heading text
    assert s2.heading == "优化政府机构职能"
    assert body[s2.heading_end] == "。"
    assert s3.heading == "完善权责清单制度" and s3.heading_end == len(body)


def test_one_long_line_body_finds_run_in_headings_after_sentence_ends():
    filler = "坚持依法行政,完善制度建设,全年办理案件1.2万件。" * 8
    body = ("2023年,市司法局全面推进法治政府建设。一、主要举措和成效。(一)加强组织领导。" + filler
            + "(二)推进依法决策。" + filler + "二、存在的不足和原因。" + filler)
    sections = parse_sections(body, "d")
    assert [(s.label, s.heading, s.level) for s in sections] == [
        ("一、", "主要举措和成效", 1), ("(一)", "加强组织领导", 2), ("(二)", "推进依法决策", 2),
        ("二、", "存在的不足和原因", 1)]
    assert sections[1].end <= sections[2].start and sections[0].end <= sections[3].start


def test_bodies_with_paragraphs_are_not_scanned_inside_lines():
    paragraph = "主要做法:建立台账。1.定期通报。2.专项督查。" + "坚持依法行政,完善制度建设。" * 30
    body = f"一、加强组织领导\n{paragraph}\n二、规范行政执法\n开展检查。"
    assert [s.label for s in parse_sections(body, "d")] == ["一、", "二、"]


def test_levels_are_nesting_depth_among_families_used():
    body = "（一）甲\n（1）子一\n（2）子二\n（二）乙\n①细目"
    assert [s.level for s in parse_sections(body, "d")] == [1, 2, 2, 1, 2]
    body = "第一部分：举措\n一、甲\n（一）子\n1.细\n第二部分：不足\n（一）问题"
    assert [s.level for s in parse_sections(body, "d")] == [1, 2, 3, 4, 1, 2]


def test_numbering_continues_across_parents_in_work_plans():
    body = "一、甲\n1.一项\n2.二项\n二、乙\n3.三项\n4.四项\n三、丙\n5.五项"
    sections = parse_sections(body, "d")
    assert [(s.label, s.level) for s in sections] == [
        ("一、", 1), ("1.", 2), ("2.", 2), ("二、", 1), ("3.", 2), ("4.", 2), ("三、", 1), ("5.", 2)]
    assert sections[4].parent_id == sections[3].id


@pytest.mark.parametrize("line", [
    "2023年全市开展执法检查438次。", "1.2万人参加学法考试。", "3.17亿元资金到位。", "12345热线受理诉求。",
    "11330702732038549W/2022-00444", "5·15政务公开日活动顺利开展。", "十四五规划稳步实施。", "“十四五”规划。",
    "一等奖3名,二等奖6名。", "一网通办事项全覆盖。", "一件事改革取得成效。", "一站式服务平台上线。",
    "一方面加强学习,另一方面强化考核。", "3、4月份开展专项检查。", "2022-01-13",
])
def test_false_positives_stay_body_text(line):
    body = f"一、加强组织领导\n{line}\n二、规范行政执法\n开展检查。"
    assert [s.label for s in parse_sections(body, "d")] == ["一、", "二、"]


def test_a_marker_that_breaks_its_sequence_is_body_text():
    body = "一、甲\n1.一项\n2.二项\n9.不是标题\n二、乙\n五、不是标题\n三、丙"
    assert [s.label for s in parse_sections(body, "d")] == ["一、", "1.", "2.", "二、", "三、"]


def test_a_second_list_under_one_heading_restarts_at_one():
    body = "一、甲\n一方面:\n1.一项\n2.二项\n另一方面:\n1.再一项\n2.再二项\n1.孤立的1不算"
    sections = parse_sections(body, "d")
    assert [(s.label, s.heading) for s in sections] == [
        ("一、", "甲"), ("1.", "一项"), ("2.", "二项"), ("1.", "再一项"), ("2.", "再二项")]


def test_no_restart_at_the_top_and_no_table_rows():
    body = ("一、总体情况\n(一)主动公开\n二、主动公开情况\n三、收到申请情况\n一、本年新收申请数量 5 0 5\n"
            "二、上年结转申请数量 0 0 0\n(二)部分公开 1 0 1\n四、行政复议情况\n(一)复议\n(二)诉讼")
    sections = parse_sections(body, "d")
    assert [s.label for s in sections] == ["一、", "(一)", "二、", "三、", "四、", "(一)", "(二)"]


def test_owner_tags_are_stripped_and_kept_as_units():
    body = ("一、工作要点\n1.加强学法〔责任机构:宣传处、法规处〕\n2.规范执法。开展检查（责任单位：执法处、法规处）\n"
            "3.严格审查（牵头单位：法规处；配合单位：办公室，财务处）\n4.推进改革。开展试点。\n责任单位：司法局、教育局")
    s = parse_sections(body, "d")
    assert [x.heading for x in s] == ["工作要点", "加强学法", "规范执法", "严格审查", "推进改革"]
    assert [x.responsible_units for x in s] == [
        [], ["宣传处", "法规处"], ["执法处", "法规处"], ["法规处", "办公室", "财务处"], ["司法局", "教育局"]]
    assert body[s[1].start:s[1].heading_end] == "1.加强学法"


def test_signature_and_closing_are_not_part_of_the_last_section():
    body = "一、甲\n(一)子项\n开展检查。\n下一步,我局将再接再厉。\n宁波市教育局\n2023年1月9日"
    sections = parse_sections(body, "d")
    assert all(body[s.start:s.end].endswith("开展检查。") for s in sections)


def test_plan_paragraph_opens_an_implicit_part():
    body = ("2022年,我局坚持依法行政。\n一、加强领导\n一是落实责任。\n二是推进立法。\n"
            "2023年,我局将继续推进法治政府建设。\n(一)完善法规\n修订法规。\n(二)深化改革\n推进改革。")
    sections = parse_sections(body, "d")
    assert [(s.label, s.level, s.parent_id) for s in sections][-2:] == [("(一)", 2, None), ("(二)", 2, None)]
    assert body[sections[0].start:sections[0].end].endswith("推进立法。")


def test_a_heading_naming_another_required_part_leaves_its_explicit_top_section():
    body = ("一、主要举措和成效\n(一)加强领导\n落实责任。\n1.工作中存在的不足和原因\n2.意识有待提高。\n"
            "3.下一年度主要安排\n4.深化改革。")
    sections = parse_sections(body, "d")
    assert [(s.label, s.level, s.parent_id) for s in sections][2:] == [
        ("1.", 2, None), ("2.", 2, None), ("3.", 2, None), ("4.", 2, None)]
    assert body[sections[0].start:sections[0].end].endswith("落实责任。")


def test_first_responsible_may_stay_inside_the_measures():
    body = "一、主要举措和成效\n(一)履行第一责任人职责\n(二)规范执法"
    assert [s.level for s in parse_sections(body, "d")] == [1, 2, 2]


def test_a_topic_is_not_a_part_title():
    body = "一、2024年工作安排\n(一)加强领导\n1.压实第一责任人职责。定期听取汇报。\n2.带头学法"
    assert [(s.level, s.parent_id is None) for s in parse_sections(body, "d")] == [
        (1, True), (2, False), (3, False), (3, False)]


def test_ids_in_reading_order_and_empty_body():
    sections = parse_sections("一、甲\n(一)乙", "doc")
    assert [s.id for s in sections] == ["doc-s000", "doc-s001"]
    assert sections[1].parent_id == "doc-s000"
    assert parse_sections("", "doc") == []


@pytest.mark.parametrize("case", range(6))
def test_seeds_match_gold_labels_texts_and_levels(case):
    _, _, gold, body = seed_bodies()[case]
    got = [(norm(s.label), s.level, norm(s.heading)) for s in parse_sections(body, "d")]
    want = [(norm(h["label"]), h["level"], norm(h["text"])) for h in gold["headings"]]
    assert len(got) == len(want)
    for (gl, glev, gt), (wl, wlev, wt) in zip(got, want, strict=True):
        assert (gl, glev) == (wl, wlev) and (gt.startswith(wt) or wt.startswith(gt)), (gl, gt, wt)


MARKERS = ["一、", "二、", "(一)", "（二）", "1.", "2、", "１．", "(1)", "⑵", "①", "㈠", "⒈", "一是", "二是",
           "第一部分:", "2023年,我局将", "下一步,", "存在问题", "明年工作安排", "〔责任机构:法规处〕", "宁波市教育局",
           "2023年1月9日", "十十、", "一一、", "二十一、", "。", "\n", "\n\n", " ", "　", "加强", "第一责任人", "1.2万", "……"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(MARKERS), st.text(max_size=6)), max_size=40).map("".join))
def test_any_text_parses_into_a_well_formed_tree(body):
    sections = parse_sections(body, "d")
    seen: dict[str, int] = {}
    for s in sections:
        assert 0 <= s.start < s.heading_end <= s.end <= len(body)
        assert s.parent_id is None or s.parent_id in seen
        if s.parent_id is not None:
            assert s.level > seen[s.parent_id]
        seen[s.id] = s.level


def test_a_text_that_starts_mid_report_counts_levels_from_what_is_there():
    body = ("(三)健全依法行政制度体系。\n1. 完善规范性文件审查。\n我委印发通知。\n2. 完善政务公开制度。\n公开信息。\n"
            "(四)健全行政执法工作体系。\n1. 执法监督有力度。\n监督检查。\n")
    got = [(s.label, s.level) for s in parse_sections(body, "d")]
    assert got == [("(三)", 1), ("1.", 2), ("2.", 2), ("(四)", 1), ("1.", 2)]


def test_a_lone_mid_numbered_line_is_not_an_opener():
    body = "(三)只是一行正文里的编号。\n接着是正文。\n一、真正的标题\n正文。\n二、第二个标题\n正文。"
    got = [(s.label, s.level) for s in parse_sections(body, "d")]
    assert got == [("一、", 1), ("二、", 1)]


def test_a_body_flattened_onto_one_line_keeps_every_heading():
    filler = "坚持集体讨论决定重大事项,严格执行合法性审查。" * 20
    body = ("现将有关情况报告如下: 一、主要工作及成效 (一)加强组织领导 一是成立领导小组,由局长任组长。"
            "二是纳入年度考核。 (二)推进依法决策 严格落实决策程序。" + filler
            + " 二、存在的问题 一是学法氛围不浓。二是执法水平不高。 三、下一步工作打算 一是深入学习。二是加强监督。")
    got = [(s.label, s.heading, s.level) for s in parse_sections(body, "d")]
    assert got == [("一、", "主要工作及成效", 1), ("(一)", "加强组织领导", 2), ("一是", "成立领导小组,由局长任组长", 3),
                   ("二是", "纳入年度考核", 3), ("(二)", "推进依法决策", 2), ("二、", "存在的问题", 1),
                   ("一是", "学法氛围不浓", 2), ("二是", "执法水平不高", 2), ("三、", "下一步工作打算", 1),
                   ("一是", "深入学习", 2), ("二是", "加强监督", 2)]


def test_run_in_siblings_that_lost_their_line_break_are_headings_but_a_list_in_a_sentence_is_not():
    body = ("一、主要工作\n1.加强党的领导。召开会议2次。2.抓实督察工作。开展督察3次。3.执行报告制度。按时公开。\n"
            "2.不接续。主要做法:1.建立台账。2.定期通报。")
    got = [(s.label, s.heading, s.level) for s in parse_sections(body, "d")]
    assert got == [("一、", "主要工作", 1), ("1.", "加强党的领导", 2), ("2.", "抓实督察工作", 2),
                   ("3.", "执行报告制度", 2)]


def test_a_long_plan_numbers_its_items_past_99_but_a_stray_three_digit_line_is_no_heading():
    body = "一、重点任务\n" + "".join(f"{n}.任务{n}。落实。\n" for n in range(1, 103)) + "110.不接续的编号。\n"
    got = [(s.label, s.level) for s in parse_sections(body, "d")]
    assert got[-3:] == [("100.", 2), ("101.", 2), ("102.", 2)] and len(got) == 103


def test_a_lost_opening_paren_and_a_run_that_opens_at_er_shi():
    body = "一、主要举措\n一)坚持党的领导\n1.加强组织领导。落实。\n2.提升建设水平。推进。\n二)推进依法行政。其一未标号。二是健全制度。三是规范执法。"
    got = [(s.label, s.level) for s in parse_sections(body, "d")]
    assert got == [("一、", 1), ("(一)", 2), ("1.", 3), ("2.", 3), ("(二)", 2), ("二是", 3), ("三是", 3)]
