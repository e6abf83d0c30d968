"""Indicator catalog and binder: every seed example of shared/docs/domain.md §4.5 maps to its id."""

from __future__ import annotations

import pytest
import yaml

from govreports.indicators.binding import catalog, map_indicators
from govreports.indicators.catalog import family_of, load_catalog, topic_names, unit_families
from govreports.models import Section
from govreports.quantities.mentions import extract_quantities
from govreports.tables.checks import unit_classes


def bound(text: str, **kw) -> list[tuple]:
    """(indicator_id, value, sub) of the quantity-bound indicators of `text`, in order."""
    quantities = extract_quantities(text)
    return [(v.indicator_id, v.value, v.sub) for v in map_indicators(text, quantities, **kw)
            if v.quantity_index >= 0]


def stated(text: str) -> list[tuple]:
    """(indicator_id, value) of the number-less statements of `text`."""
    return [(v.indicator_id, v.value) for v in map_indicators(text, extract_quantities(text))
            if v.quantity_index < 0]


# sentence (from the seeds, domain.md §4.5) → [(indicator id, value, sub)]
EXAMPLES = [
    ("全年安排法治专题讲座2 次。", [("LEAD_STUDY_SESSIONS", 2, None)]),
    ("局党组理论学习中心组年度学法不少于4次", [("LEAD_STUDY_SESSIONS", 4, None)]),
    ("市委教育工作领导小组先后召开1次全体会、6次专题会进行研究部署",
     [("LEAD_RULE_MEETINGS", 1, None), ("LEAD_RULE_MEETINGS", 6, None)]),
    ("编制并公布市县两级教育行政许可事项清单6项", [("PERMIT_ITEMS", 6, None)]),
    ("我市教育系统行政许可事项共有x大项,市级行政许可事项xx个子项",
     [("PERMIT_ITEMS", None, "大项"), ("PERMIT_ITEMS", None, "子项")]),
    ("编制《鞍山市教育局权责事项目录》,制定31项权责事项。", [("POWER_LIST_ITEMS", 31, None)]),
    ("公示教育领域行政许可、行政处罚、行政确认等22项行政权力清单", [("POWER_LIST_ITEMS", 22, None)]),
    ("制定市教育局证明事项清单16项、实行告知承诺制的证明事项清单10项、不能实行告知承诺制的证明事项清单6项",
     [("CERT_ITEMS", 16, None), ("CERT_ITEMS", 10, "告知承诺"), ("CERT_ITEMS", 6, "不实行告知承诺")]),
    ("上传教师资格证书和中等职业学校毕业证书电子证照近6000个", [("E_LICENSES", 6000, None)]),
    ("完成毕业证明等各类办件913件。", [("GOV_SERVICE_CASES", 913, None)]),
    ("完成政务服务网72项事项的材料关联。", [("SERVICE_GUIDES", 72, None)]),
    ("完善“校车使用许可”“中等职业学校学历证明书办理”等7项政务服务指南", [("SERVICE_GUIDES", 7, None)]),
    ("报送《中小学校幼儿园规划建设条例》等2项市人大五年立法需求计划。", [("LOCAL_LEGISLATION", 2, None)]),
    ("2023 年,市教育局制定1件行政规范性文件《关于加强中小学校服管理工作的通知》",
     [("NORM_DOCS_ISSUED", 1, None)]),
    ("并进行了公平竞争审查,备案率100%。", [("NORM_DOCS_FILING_RATE", 100, None)]),
    ("开展集中清理,保留文件65个,清理文件17个", [("NORM_DOCS_CLEANUP", 65, "保留"), ("NORM_DOCS_CLEANUP", 17, "清理")]),
    ("梳理规章、规范性文件等29件,拟修订1件,4件废止。",
     [("NORM_DOCS_CLEANUP", 29, "梳理"), ("NORM_DOCS_CLEANUP", 1, "修订"), ("NORM_DOCS_CLEANUP", 4, "废止")]),
    ("正式废止1件,审慎保留11件", [("NORM_DOCS_CLEANUP", 1, "废止"), ("NORM_DOCS_CLEANUP", 11, "保留")]),
    ("共梳理政策文件139项,优化调整26项。", [("POLICY_REVIEW", 139, None), ("POLICY_REVIEW", 26, None)]),
    ("完成合同审查195件", [("CONTRACT_REVIEWS", 195, None)]),
    ("出台年度局重大行政决策目录3项,完成1件党内规范性文件审查。",
     [("MAJOR_DECISIONS", 3, None), ("LEGALITY_REVIEWS", 1, None)]),
    ("市教育局现有公职律师2位,专职法律顾问2位,专岗法制审核人员1名。",
     [("LEGAL_ADVISORS", 2, "公职律师"), ("LEGAL_ADVISORS", 2, "法律顾问"), ("LEGAL_ADVISORS", 1, "法制审核人员")]),
    ("全局现有行政执法证持证人员70人,有效持证率94.4%",
     [("ENF_CERT_HOLDERS", 70, None), ("ENF_CERT_RATE", 94.4, None)]),
    ("目前,我局已有57人具备行政执法资格。", [("ENF_CERT_HOLDERS", 57, None)]),
    ("目前,我局持有“行政执法证”的在职人员9人。", [("ENF_CERT_HOLDERS", 9, None)]),
    ("2022年全市教育执法检查438次,双随机抽查308次,专项检查62次,即时检查68次",
     [("INSPECTIONS", 438, None), ("DOUBLE_RANDOM_CHECKS", 308, None), ("INSPECTIONS", 62, "专项"),
      ("INSPECTIONS", 68, "即时")]),
    ("2021年先后开展各级各类行政检查行动1019次。", [("INSPECTIONS", 1019, None)]),
    ("全市今年累计检查教育领域执检查场所2553处", [("INSPECTED_ENTITIES", 2553, None)]),
    ("疫情期间日常巡查幼儿园118家,培训机构88家", [("INSPECTED_ENTITIES", 118, None), ("INSPECTED_ENTITIES", 88, None)]),
    ("接受移交案件42起,立案37起,没收违法所得32040元,处罚金额557859元,结案数量25起。",
     [("CASES_FILED", 42, "移交"), ("CASES_FILED", 37, "立案"), ("PENALTY_AMOUNT", 32040, "没收违法所得"),
      ("PENALTY_AMOUNT", 557859, "罚没"), ("CASES_FILED", 25, "结案")]),
    ("掌上执法率100%,应用信用规则率100%,跨部门监管率78.87%。",
     [("DIGITAL_ENF_RATE", 100, "掌上执法"), ("DIGITAL_ENF_RATE", 100, "信用规则"),
      ("DIGITAL_ENF_RATE", 78.87, "跨部门监管")]),
    ("实现“互联网+监管”平台“两库一清单”数据的100%录入。", [("DIGITAL_ENF_RATE", 100, "数据录入")]),
    ("在局信用信息双公示专栏新增行政许可信息2条,变更登记信息4条。",
     [("DOUBLE_PUBLICITY", 2, "许可"), ("DOUBLE_PUBLICITY", 4, None)]),
    ("全年认真办理人大代表建议和政协提案计46件,办结率100%、见面率100%、满意率100%,",
     [("PROPOSALS_HANDLED", 46, "建议提案"), ("PROPOSALS_COMPLETION_RATE", 100, "办结率"),
      ("PROPOSALS_COMPLETION_RATE", 100, "见面率"), ("PROPOSALS_COMPLETION_RATE", 100, "满意率")]),
    ("受理群众来信来访100余件,信访件办结率100%。",
     [("PETITIONS", 100, None), ("PETITIONS_RESOLUTION_RATE", 100, "办结率")]),
    ("全年,妥善处理省教育厅和市政府4起退休教师群体访事件", [("PETITIONS", 4, "群体访")]),
    ("全面梳理2023年教育行业行政执法投诉案件50余件", [("COMPLAINTS", 50, None)]),
    ("2022年已开展各类法治教育讲座70场,受益师生3万余人次。",
     [("PUFA_EVENTS", 70, None), ("PUFA_REACH", 30000, None)]),
    ("老师深入全区各中小学进行宣讲十多场,受教育人数达一万多人。",
     [("PUFA_EVENTS", 10, None), ("PUFA_AUDIENCE", 10000, None)]),
    # patterns the seeds do not exercise (domain.md §4.5 "pattern only") and the extensions
    ("办理政府信息公开申请43件", [("INFO_DISCLOSURE_REQ", 43, None)]),
    ("全年办理行政复议案件12件,纠错率8.3%", [("ADMIN_RECONSIDERATION", 12, None), ("RECONSIDERATION_CORRECTION_RATE", 8.3, None)]),
    ("新收行政应诉案件2件", [("ADMIN_LITIGATION", 2, None)]),
    ("行政机关负责人出庭应诉率100%", [("HEAD_APPEARANCE_RATE", 100, None)]),
    ("全市共评选出50所中小学依法治校示范校", [("LAW_SCHOOL_DEMOS", 50, None)]),
    ("2021年5名区管干部,2名公务员参加了学法用法考试。", [("LEGAL_TRAINING", 5, None), ("LEGAL_TRAINING", 2, None)]),
    ("6项应用已关联省数字社会", [("DIGITAL_APPS", 6, None)]),
    ("全市组建了一支由258名教育系统校外培训志愿者组成的督查员队伍", [("VOLUNTEER_INSPECTORS", 258, None)]),
    ("组织开展应急演练30余次", [("EMERGENCY_DRILLS", 30, None)]),
    ("努力推动学生每年接受法治实践教育不少于2课时", [("LAW_EDU_HOURS", 2, None)]),
    # indicators added with the one-measure catalog
    ("双随机抽查事项覆盖率达100%", [("DOUBLE_RANDOM_COVERAGE", 100, None)]),
    ("办理行政处罚案件35件,罚款12.5万元", [("PENALTY_CASES", 35, None), ("PENALTY_AMOUNT", 125000, "罚款")]),
    ("对15件轻微违法行为不予行政处罚", [("LENIENT_PENALTIES", 15, None)]),
    ("行政诉讼败诉率3.5‰", [("LITIGATION_LOSS_RATE", 0.35, None)]),
    ("调解矛盾纠纷326件,调解成功率98%", [("MEDIATION_CASES", 326, None), ("MEDIATION_SUCCESS_RATE", 98, None)]),
    ("主动公开政府信息1523条", [("INFO_PUBLISHED", 1523, None)]),
    ("培养法律明白人120名", [("LEGAL_LITERATE_PERSONS", 120, None)]),
    ("信访事项按期办结率98.6%", [("PETITIONS_RESOLUTION_RATE", 98.6, "办结率")]),
    # a change is not a level, and a count never lands in a rate (or the reverse)
    ("行政复议案件同比增长12%", []),
    ("负责人出庭应诉12件", []),
    # a streak is not a count of anything
    ("参加全省职业院校技能大赛获“十七连冠”", []),
]


@pytest.mark.parametrize(("text", "expected"), EXAMPLES, ids=[e[0][:16] for e in EXAMPLES])
def test_catalog_examples(text: str, expected: list[tuple]):
    assert bound(text) == [(i, None if v is None else float(v), s) for i, v, s in expected]


@pytest.mark.parametrize(("text", "expected"), [
    ("局领导班子全员完成述法任务。", [("SHUFA_COVERAGE", 100.0)]),
    ("市县教育行政部门实现法律顾问全覆盖,", [("ADVISOR_COVERAGE", 100.0)]),
    ("每所学校都聘请了法律顾问。", [("ADVISOR_COVERAGE", 100.0)]),
    ("完成合同审查195件,无行政败诉。", [("LITIGATION_LOSSES", 0.0)]),
    ("近6年来无行政败诉案件。", [("LITIGATION_LOSSES", 0.0)]),
])
def test_statements_without_a_number(text: str, expected: list[tuple]):
    assert stated(text) == expected


def test_catalog_shape():
    entries = catalog()
    ids = [e.id for e in entries]
    assert len(entries) >= 60 and len(set(ids)) == len(ids)
    topics = set(topic_names())
    for e in entries:
        assert e.name_zh and e.definition and e.part in {"measures_results", "first_responsible"}, e.id
        assert e.topic in topics, e.id
        assert e.before or e.after or e.text, e.id


def test_no_indicator_can_receive_two_measures():
    """Every unit an entry accepts is of the entry's measure and of one family, and converts to the
    entry's unit; so no indicator column can hold counts next to rates, or 人 next to 人次."""
    classes = unit_classes()
    families = unit_families()
    want = {"count": "count", "money": "money", "rate": "ratio"}
    for e in catalog():
        assert {classes[u] for u in e.units} == {want[e.measure]}, e.id
        assert family_of(set(e.units) | {e.unit}, families), e.id
        assert e.factors[e.unit] == 1.0, e.id
    # and the binder honours it: every unit a mention can carry reaches at most one measure per entry
    for unit in classes:
        for e in catalog():
            if unit in e.units:
                assert classes[unit] == want[e.measure]


@pytest.mark.parametrize(("units", "unit", "measure"), [
    (["件", "%"], "件", "count"),      # a count that also takes rates
    (["人", "人次"], "人", "count"),    # two count families: people and visits
    (["%"], "件", "rate"),             # a rate published in 件
    (["元"], "元", "count"),           # money declared a count
])
def test_a_catalog_mixing_measures_is_refused(tmp_path, units, unit, measure):
    entry = {"id": "MIXED", "name_zh": "混合", "definition": "x", "measure": measure, "unit": unit, "units": units,
             "part": "measures_results", "topic": "T4", "before": ["检查"]}
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump({"indicators": [entry]}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="MIXED"):
        load_catalog(path)


def test_values_are_published_in_the_indicator_unit():
    values = map_indicators("败诉率3.5‰,罚款12.5万元", extract_quantities("败诉率3.5‰,罚款12.5万元"))
    assert [(v.indicator_id, v.value, v.unit, v.surface) for v in values] == [
        ("LITIGATION_LOSS_RATE", 0.35, "%", "3.5‰"), ("PENALTY_AMOUNT", 125000.0, "元", "12.5万元")]


def test_lineage_is_copied_from_the_quantity():
    body = "一、执法\n全市教育执法检查438次,双随机抽查308次。"
    sections = [Section(id="s1", parent_id=None, label="一、", label_raw="一、", marker="cn", heading="执法",
                        level=1, part="measures_results", start=0, heading_end=4, end=len(body))]
    quantities = extract_quantities(body, sections, doc_type="work_plan")
    values = map_indicators(body, quantities)
    assert [v.quantity_index for v in values] == [0, 1]
    for v in values:
        q = quantities[v.quantity_index]
        assert (v.section_id, v.start, v.end, v.surface, v.modality, v.unit, v.qualifier) == \
            (q.section_id, q.start, q.end, q.surface, q.modality, q.unit, q.qualifier) == \
            ("s1", q.start, q.end, body[q.start:q.end], "target", "次", None)
    assert [v.evidence for v in values] == ["执法检查", "双随机抽查"]


def test_units_gate_the_binding():
    # 持证率 names a ratio: a head count next to it is not ENF_CERT_RATE
    assert bound("持证率提升,持证人员70人") == [("ENF_CERT_HOLDERS", 70.0, None)]
    assert bound("检查场所2553处,检查438次") == [("INSPECTED_ENTITIES", 2553.0, None), ("INSPECTIONS", 438.0, None)]


def test_unrelated_numbers_stay_unbound():
    assert bound("评选出一等奖3名、二等奖6名,全省仅3例") == []
