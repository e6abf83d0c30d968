"""read_page → split_documents → extract_metadata: seeds against gold, HTML fixtures built from
seed text in portal templates, and the genre rules (篇 pages, cover notices, traditional text)."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from govreports.clean.pagetext import read_page
from govreports.documents.metadata import extract_metadata, region_of
from govreports.documents.split import split_documents
from govreports.models import DocDraft

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "samples" / "inbox"
GOLD = ROOT / "tests" / "golden" / "gold"
FIXTURES = Path(__file__).parent / "fixtures" / "html"
FIELDS = ("title", "agency", "region", "doc_type", "report_year", "publish_date", "signed_date")


def norm(text: str) -> str:
    """score.py's comparison: fold width, drop white space and punctuation."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch).startswith("P")))


def boilerplate_left(strings: list[str], body: str) -> list[str]:
    lines = {norm(line) for line in body.splitlines()}
    flat = norm(body)
    return [s for s in strings if (ns := norm(s)) and ((len(ns) < 6 and ns in lines) or (len(ns) >= 6 and ns in flat))]


def parse(content: bytes | str, source: str = "x", **kw) -> list[tuple[DocDraft, dict]]:
    return [(d, extract_metadata(d)) for d in split_documents(read_page(content, source, **kw))]


GOLD_CASES = sorted(GOLD.glob("*.json"))


@pytest.mark.parametrize("gold_file", GOLD_CASES, ids=lambda p: p.stem[:3])
def test_seed_documents_metadata_and_cleaning_match_gold(gold_file):
    gold = json.loads(gold_file.read_text(encoding="utf-8"))
    docs = parse((SEEDS / gold["file"]).read_bytes(), gold["file"])
    assert len(docs) == len(gold["documents"])
    for (draft, meta), want in zip(docs, gold["documents"], strict=True):
        assert {f: meta[f] for f in FIELDS} == {f: want[f] for f in FIELDS}
        assert boilerplate_left(want["boilerplate"], draft.body) == []
        assert [s for s in want["body_samples"] if norm(s) not in norm(draft.body)] == []
        if draft.title:
            assert draft.title_line is not None and draft.title not in draft.body.splitlines()


def test_seed_004_documents_are_both_truncated_and_split_at_the_pian_lines():
    (first, _), (second, _) = parse((SEEDS / "004_5f9a755a12d1a54c.txt").read_bytes())
    assert first.title_line == "第一篇:XX市教育局2024年度法治政府建设情况报告"
    assert second.body.startswith("2023 年,在市委、市政府的正确领导下")
    assert first.truncated and second.truncated
    assert "点赞 0" not in second.body and "..." not in second.body.splitlines()


def test_seed_001_has_no_title_and_its_wrapped_line_is_joined():
    [(draft, _)] = parse((SEEDS / "001_331dc99bfb8332c5.txt").read_bytes())
    assert draft.title is None and draft.title_line is None
    assert "用习近平法治思想贯穿法治教育全过程" in draft.body
    assert draft.body.endswith("鞍山市教育局\n2023年12月20日")
    assert not draft.truncated


# ---- HTML fixtures: seed text inside portal templates ------------------------------------------

def test_trs_article_fixture():
    [(draft, meta)] = parse((FIXTURES / "trs_article.html").read_bytes(), "trs_article.html",
                            content_type="text/html")
    assert meta == {"title": "2022年法治政府工作总结和2023年工作计划", "agency": "宁波市教育局",
                    "region": "宁波市", "doc_type": "summary_and_plan", "report_year": 2022,
                    "publish_date": "2023-01-10", "signed_date": "2023-01-09"}
    assert draft.meta["site_id_code"] == "3302000031" and draft.meta["column_name"].startswith("法治政府")
    body = draft.body
    assert body.startswith("2022年，市教育局坚持以习近平法治思想为指引")
    assert "有效持证率94.4%" in body and body.endswith("宁波市教育局\n2023年1月9日")
    for chrome in ("打印本页", "字号", "分享到", "版权所有", "当前位置", "浏览次数", "share(", "ICP备"):
        assert chrome not in body


def test_gkmlpt_disclosure_table_fixture():
    [(draft, meta)] = parse((FIXTURES / "gkmlpt_table.html").read_bytes(), "gkmlpt_table.html")
    assert meta == {"title": "2021年法治政府建设年度报告", "agency": "金华市婺城区教育局",
                    "region": "金华市婺城区", "doc_type": "annual_report", "report_year": 2021,
                    "publish_date": "2022-01-13", "signed_date": "2022-01-10"}
    assert draft.meta["index_no"] == "11330702732038549W/2022-00444"
    assert draft.meta["doc_no"] == "婺教〔2022〕3号" and draft.meta["written_date"] == "2022-01-13"
    body = draft.body
    for chrome in ("索 引 号", "11330702732038549W", "朗读", "分享", "浏览量", "打印", "扫一扫", "网站标识码"):
        assert chrome not in body
    assert "1 行政检查 1019次" in body.splitlines()  # a data table inside the body stays
    assert "目前，我局持有“行政执法证”的在职人员9人。" in body


def test_gbk_fixture_keeps_circled_and_full_width_markers():
    data = (FIXTURES / "gbk_zoom.html").read_bytes()
    page = read_page(data, "gbk_zoom.html", content_type="text/html")
    assert page.encoding == "gb18030"
    [(draft, meta)] = parse(data, "gbk_zoom.html", content_type="text/html; charset=utf-8")
    assert meta == {"title": "XX区教育局2023年法治政府建设工作要点", "agency": "XX区教育局", "region": "XX区",
                    "doc_type": "work_plan", "report_year": 2023, "publish_date": "2023-02-20",
                    "signed_date": "2023-02-18"}
    lines = draft.body.splitlines()
    assert "（一）落实第一责任人职责" in lines
    assert "①局党组理论学习中心组年度学法不少于4次。②主要负责人年终述法。" in lines
    assert any(line.startswith("⑴严格执行") and "㈠完善" in line for line in lines)
    assert "王洪镕" in draft.body
    assert not any("打印" in line or "版权所有" in line or "位置" in line for line in lines)


# ---- genre rules ------------------------------------------------------------------------------

FILLER = "全面落实行政执法三项制度,加强行政规范性文件合法性审核,深化“放管服”改革,持续优化营商环境。" * 2


def test_cover_notice_belongs_to_the_report_it_issues():
    text = "\n".join([
        "关于印发《XX区2023年法治政府建设工作要点》的通知", "各街道、各部门:",
        "现将《XX区2023年法治政府建设工作要点》印发给你们,请认真贯彻落实。", "XX区人民政府办公室", "2023年3月1日",
        "XX区2023年法治政府建设工作要点", "2023年全区法治政府建设工作的总体要求是:坚持以习近平法治思想为指导。",
        "一、加强党的领导", "(一)落实第一责任人职责。" + FILLER])
    [(draft, meta)] = parse(text)
    assert draft.title == "XX区2023年法治政府建设工作要点"
    assert draft.body.startswith("关于印发《XX区2023年法治政府建设工作要点》的通知")
    assert meta["doc_type"] == "work_plan" and meta["report_year"] == 2023
    assert meta["signed_date"] == "2023-03-01"  # a plan signed by the notice that issues it


def test_a_report_signed_at_its_end_keeps_that_date_over_its_cover_notice():
    text = "\n".join([
        "关于印发《XX区2023年法治政府建设年度报告》的通知", "各街道、各部门:",
        "现将《XX区2023年法治政府建设年度报告》印发给你们。", "XX区人民政府办公室", "2024年3月1日",
        "XX区2023年法治政府建设年度报告", "2023年,区政府深入推进依法行政,现将有关情况报告如下。",
        "一、主要举措", "(一)落实第一责任人职责。" + FILLER, "XX区人民政府", "2024年2月20日"])
    [(draft, meta)] = parse(text)
    assert (draft.title, meta["signed_date"]) == ("XX区2023年法治政府建设年度报告", "2024-02-20")


def test_a_notice_issuing_a_plan_without_a_title_line_above_gives_the_plan_title_and_date():
    text = "\n".join([
        "各县(区)人民政府,市政府各部门:",
        "《XX市2023年度法治政府建设工作安排》已经市政府研究同意,现印发给你们,请认真贯彻执行。",
        "2023年6月19日", "XX市2023年度法治政府建设工作安排",
        "2023年是全面贯彻落实党的二十大精神的开局之年。" + FILLER, "一、深入学习贯彻习近平法治思想", FILLER])
    [(draft, meta)] = parse(text)
    assert draft.title == "XX市2023年度法治政府建设工作安排"
    assert (meta["doc_type"], meta["report_year"], meta["signed_date"], meta["region"]) == (
        "work_plan", 2023, "2023-06-19", "XX市")


def test_traditional_characters_are_recognised():
    text = ("XX市教育局2023年度法治政府建設年度報告\n2023年,市教育局深入學習貫徹習近平法治思想,有關工作情況報告如下。\n"
            "一、主要舉措和成效。" + FILLER + "\nXX市教育局\n2024年2月1日")
    [(_, meta)] = parse(text)
    assert (meta["doc_type"], meta["report_year"], meta["agency"]) == ("annual_report", 2023, "XX市教育局")
    plan = "XX區教育局2024年法治政府建設工作要點\n2024年全區教育系統法治工作的總體思路是:堅持依法行政。" + FILLER
    [(_, meta)] = parse(plan)
    assert (meta["doc_type"], meta["region"]) == ("work_plan", "XX區")


def test_pages_without_report_text_yield_no_documents():
    assert parse("首页 > 政务公开\n【打印本页】【关闭窗口】\n版权所有:XX市人民政府") == []
    assert parse("XX市2023年法治政府建设年度报告\n详见附件。") == []


def test_other_doc_types_and_year_fallbacks():
    info = "XX区人民政府2022年政府信息公开工作年度报告\n本报告依据条例编制。" + FILLER * 2
    assert parse(info)[0][1]["doc_type"] == "other"
    untitled = "一年来,我局以习近平法治思想为指导,推进法治政府建设,有关工作情况报告如下。\n" + FILLER
    [(draft, meta)] = parse("发布时间:2024-03-01\n" + untitled)
    assert draft.title is None
    assert (meta["doc_type"], meta["report_year"], meta["publish_date"]) == ("annual_report", 2023, "2024-03-01")
    # not a rule-of-law text at all: other
    news = "XX市教育局关于召开2023年招生工作会议的通知\n各学校:定于3月1日召开全市招生工作会议。" + "请准时参会。" * 20
    assert parse(news)[0][1]["doc_type"] == "other"


def test_signature_forms():
    text = ("关于2023年度法治政府建设情况的报告\n2023年,我委全面推进法治政府建设,现将有关情况报告如下。" + FILLER
            + "\n中共XX县委全面依法治县委员会办公室\n二〇二四年一月十五日\n(此件公开发布)")
    [(_, meta)] = parse(text)
    assert meta["agency"] == "中共XX县委全面依法治县委员会办公室" and meta["region"] == "XX县"
    assert meta["signed_date"] == "2024-01-15" and meta["title"] == "关于2023年度法治政府建设情况的报告"


def test_first_pian_without_inline_title_takes_the_next_line():
    text = "第一篇\nXX县教育局2022年度法治政府建设情况报告\n2022年,县教育局坚持依法行政。" + FILLER
    [(draft, meta)] = parse(text)
    assert draft.title == "XX县教育局2022年度法治政府建设情况报告"
    assert re.match(r"2022年", draft.body) and meta["report_year"] == 2022


@pytest.mark.parametrize(("agency", "region"), [
    ("宁波市教育局", "宁波市"), ("金华市婺城区教育局", "金华市婺城区"), ("XX市教育局", "XX市"),
    ("杭州市教育局", "杭州市"), ("浙江省教育厅", "浙江省"), ("上海市浦东新区人民政府", "上海市浦东新区"),
    ("XX县人民政府", "XX县"), ("延边朝鲜族自治州教育局", "延边朝鲜族自治州"), ("中共宁波市委", "宁波市"),
    ("市教育局", None), (None, None),
])
def test_region_is_the_administrative_prefix(agency, region):
    assert region_of(agency) == region


def test_old_table_layout_page_without_a_body_container():
    """Layout tables, menus, a byline with 更新时间 and a logo line equal to the signature."""
    data = (FIXTURES / "table_layout_gbk.html").read_bytes()
    page = read_page(data, "table_layout_gbk.html")
    assert page.encoding == "gb18030"
    assert any(line.startswith("上一篇") for line in page.removed)
    [(draft, meta)] = parse(data, "table_layout_gbk.html")
    assert meta == {"title": "XX县教育局2023年法治政府建设年度报告", "agency": "XX县教育局", "region": "XX县",
                    "doc_type": "annual_report", "report_year": 2023, "publish_date": "2024-02-26",
                    "signed_date": "2024-02-20"}
    assert draft.body.startswith("2023年，县教育局坚持以习近平法治思想为指导")
    assert draft.body.endswith("XX县教育局\n2024年2月20日")
    assert "栏目导航" in draft.meta["above_title"] and "栏目导航" not in draft.body


def test_signature_may_be_followed_by_notes_and_attachments():
    text = ("XX区司法局2023年法治政府建设年度报告\n2023年,区司法局全面推进法治政府建设,现将有关情况报告如下。" + FILLER
            + "\nXX区司法局 2024年1月31日\n(此件公开发布)\n附件:2023年度法治政府建设考核指标完成情况表")
    [(_, meta)] = parse(text)
    assert (meta["agency"], meta["signed_date"]) == ("XX区司法局", "2024-01-31")


BODY_TAIL = "一、主要举措\n(一)加强领导。" + "全年开展执法检查,落实行政执法三项制度,推进依法行政。" * 4


@pytest.mark.parametrize(("page", "want"), [
    # the title names no place: the 发布机构 line names the same body with its place
    ("[ 发布机构 ] 东坡区卫生健康委 [ 发布日期 ] 2024-01-13\n区卫生健康委关于2023年法治政府建设情况的报告\n"
     "2023年,我委坚持依法行政,现将有关情况报告如下:\n" + BODY_TAIL,
     {"agency": "东坡区卫生健康委", "region": "东坡区", "report_year": 2023, "publish_date": "2024-01-13"}),
    # an issuer line above a title that starts with 关于: one title
    ("宁夏回族自治区应急管理厅\n关于2021年度法治政府建设情况的报告\n2021年,我厅认真贯彻落实纲要,现将有关情况报告如下。\n" + BODY_TAIL,
     {"title": "宁夏回族自治区应急管理厅关于2021年度法治政府建设情况的报告", "agency": "宁夏回族自治区应急管理厅",
      "region": "宁夏回族自治区"}),
    # no title, no portal lines: the opening sentence's subject, below a speaker line
    ("2019年度法治政府建设工作情况总结如下:\n2019年度,北辰区教育局深入学习贯彻习近平法治思想,推进依法治校。\n" + BODY_TAIL,
     {"agency": "北辰区教育局", "region": "北辰区", "report_year": 2019, "title": None}),
    # a place-less agency: the region from cited local documents at its level
    ("2022年,市司法局坚持以习近平法治思想为指导。推动出台《遂宁市城区农贸市场管理条例》《遂宁市城市生活垃圾分类管理条例》。\n"
     + BODY_TAIL, {"agency": "市司法局", "region": "遂宁市"}),
    # only 我委, and a cited document of the body's own issuer
    ("(三)完善制度。\n我委制发了《天津市武清区卫生健康委员会行政规范性文件管理办法》,开展合法性审核。\n" + BODY_TAIL,
     {"agency": "天津市武清区卫生健康委员会", "region": "天津市武清区"}),
    # a town names itself: no county-level place is given
    ("有庆镇2020年度法治政府建设工作情况报告\n2020年,我镇坚持依法行政。\n" + BODY_TAIL, {"region": "有庆镇"}),
    # look-alikes are other: a news lede, a 述法 report, a guideline on writing the report
    ("省林业厅被评为2016年度法治政府建设优秀单位\n近日,省委办公厅通报了年度法治政府建设考核情况。\n" + BODY_TAIL,
     {"doc_type": "other", "title": "省林业厅被评为2016年度法治政府建设优秀单位"}),
    ("西洞庭管理区关于履行推进法治建设第一责任人职责情况的报告\n管委会主任 张三\n2025年2月\n2024年,我坚持依法行政。\n" + BODY_TAIL,
     {"doc_type": "other", "agency": "西洞庭管理区", "report_year": 2024}),
    ("为全面规范法治政府建设年度报告工作,制定本工作指引。\n" + BODY_TAIL, {"doc_type": "other"}),
    # an untitled plan opening on the year ahead
    ("发布时间:2022-07-14\n2022年是实施八五普法规划关键之年。全市普法依法治理工作要以习近平法治思想为主线。\n" + BODY_TAIL,
     {"doc_type": "work_plan", "report_year": 2022}),
    # a Traditional mirror with pinyin glosses: names without glosses, in the page's script
    ("發(fā)布日期:2025-03-12 09:18\n內(nèi)蒙古自治區(qū)人民政府關(guān)于2024年法治政府建設(shè)情況的報(bào)告\n"
     "2024年,內蒙古自治區堅持以習近平法治思想為指導,推進依法行政。\n" + BODY_TAIL,
     {"title": "內蒙古自治區人民政府關于2024年法治政府建設情況的報告", "agency": "內蒙古自治區人民政府",
      "region": "內蒙古自治區", "publish_date": "2025-03-12"}),
    # a notice title broken over two lines and a site name appended to it
    ("关于印发2023年全市普法依法治理工作要点的通知-某某网\n各县区:\n《2023年全市普法依法治理工作要点》已经领导小组审议通过,现印发给你们。\n"
     "某市法治宣传教育工作领导小组\n2023年3月31日\n2023年全市普法依法治理工作要点\n" + BODY_TAIL,
     {"title": "2023年全市普法依法治理工作要点", "signed_date": "2023-03-31", "doc_type": "work_plan",
      "agency": "某市法治宣传教育工作领导小组"}),
])
def test_metadata_from_every_place_a_page_gives_it(page, want):
    [(_, meta)] = parse(page)
    assert {k: meta[k] for k in want} == want


@pytest.mark.parametrize(("page", "want"), [
    ("某卫〔2024〕12号《某市卫生健康委员会关于2023年度法治政府建设情况的报告》\n市委依法治市办:\n现将我委2023年度法治政府建设情况报告如下。\n"
     + BODY_TAIL, {"title": "某市卫生健康委员会关于2023年度法治政府建设情况的报告", "agency": "某市卫生健康委员会",
                   "report_year": 2023}),
    ("某市2024年普法工作指引\n2024年是八五普法规划实施的关键之年。\n" + BODY_TAIL,
     {"title": "某市2024年普法工作指引", "doc_type": "work_plan", "report_year": 2024}),
    ("关于2023年度法治政府建设情况的报告\n某县人民政府\n" + BODY_TAIL, {"agency": "某县人民政府", "region": "某县"}),
])
def test_cover_letters_plan_guides_and_issuers_below_the_title(page, want):
    [(_, meta)] = parse(page)
    assert {k: meta[k] for k in want} == want


def test_a_place_less_agency_takes_its_region_from_the_portal_it_stands_on():
    page = "重庆市江津区人民政府网 | 首页\n区卫生健康委2023年法治政府建设情况报告\n2023年,我委坚持依法行政。\n" + BODY_TAIL
    [(_, meta)] = parse(page)
    assert (meta["agency"], meta["region"]) == ("区卫生健康委", "重庆市江津区")
    city_site = "重庆市人民政府网\n区卫生健康委2023年法治政府建设情况报告\n2023年,我委坚持依法行政。\n" + BODY_TAIL
    [(_, meta)] = parse(city_site)
    assert meta["region"] is None  # a city's portal does not say which district


def test_two_reports_on_one_page_without_markers_are_two_documents():
    first = ("某市司法局2022年度法治政府建设年度报告\n2022年,市司法局坚持依法行政。\n" + BODY_TAIL
             + "\n某市司法局\n2023年1月10日\n")
    second = "某县司法局\n2023年度法治政府建设年度报告\n2023年,县司法局坚持依法行政。\n" + BODY_TAIL + "\n某县司法局\n2024年1月12日"
    docs = [meta for _, meta in parse(first + second)]
    assert [(m["title"], m["report_year"], m["signed_date"]) for m in docs] == [
        ("某市司法局2022年度法治政府建设年度报告", 2022, "2023-01-10"),
        ("某县司法局2023年度法治政府建设年度报告", 2023, "2024-01-12")]
    # a plan issued by the notice in front of it stays one document with that notice
    notice = ("关于印发《某区2023年法治政府建设工作要点》的通知\n各街道:\n现将《某区2023年法治政府建设工作要点》印发给你们。\n"
              "某区人民政府办公室\n2023年3月1日\n某区2023年法治政府建设工作要点\n2023年全区工作的总体要求是:坚持依法行政。\n" + BODY_TAIL)
    assert len(parse(notice)) == 1


@pytest.mark.parametrize(("page", "want"), [
    ("西藏自治区藏语委办(编译局)2025年度法治政府建设工作报告\n作者: 来源:区藏语委办(编译局) 发布时间:2026-01-09\n"
     "2025年,我办坚持依法行政。\n" + BODY_TAIL, {"agency": "西藏自治区藏语委办(编译局)", "region": "西藏自治区"}),
    ("2022年全南县自然资源局在县委、县政府的正确领导下,全面推进依法行政。\n" + BODY_TAIL,
     {"agency": "全南县自然资源局", "region": "全南县"}),
])
def test_agency_names_with_a_bracketed_part_and_openings_without_a_comma(page, want):
    [(_, meta)] = parse(page)
    assert {k: meta[k] for k in want} == want


def test_a_report_titled_by_its_place_alone_is_issued_by_that_place_but_a_plan_is_not():
    [(_, meta)] = parse("桂林市2018年法治政府建设情况报告\n2018年,我市坚持依法行政。\n" + BODY_TAIL)
    assert (meta["agency"], meta["region"]) == ("桂林市", "桂林市")
    [(_, meta)] = parse("某市2023年度法治政府建设工作安排\n2023年是关键之年。\n" + BODY_TAIL)
    assert (meta["agency"], meta["region"]) == (None, "某市")


@pytest.mark.parametrize(("page", "want"), [
    ("某某瑶族乡人民政府关于2023年度法治政府建设\n工作的报告\n2023年,在县委、县政府的正确领导下,我乡坚持依法行政。\n" + BODY_TAIL,
     {"title": "某某瑶族乡人民政府关于2023年度法治政府建设工作的报告", "agency": "某某瑶族乡人民政府"}),
    ("关于2022年度法治政府部门建设工作情况的报告\n发布日期:2023-03-01 08:11\n某某省交通运输厅\n关于2022年度法治政府部门建设\n"
     "工作情况的报告\n2022年,厅党组坚持依法行政。\n" + BODY_TAIL,
     {"title": "某某省交通运输厅关于2022年度法治政府部门建设工作情况的报告", "agency": "某某省交通运输厅", "region": "某某省"}),
    ("- 标 题:市中区人力资源和社会保障局2021年度法治政府建设情况报告\n2021年,我局坚持依法行政。\n" + BODY_TAIL,
     {"agency": "市中区人力资源和社会保障局", "region": "市中区"}),
    ("2022年是党的二十大召开之年,某市体育局坚持以习近平法治思想为指导,推进体育系统法治建设。\n" + BODY_TAIL,
     {"doc_type": "annual_report"}),
])
def test_titles_broken_mid_phrase_places_named_like_levels_and_reports_opening_on_the_year(page, want):
    [(_, meta)] = parse(page)
    assert {k: meta[k] for k in want} == want


@pytest.mark.parametrize(("agency", "region"), [
    ("中山市司法局", "中山市"), ("市中区人力资源和社会保障局", "市中区"), ("中牟县人民政府", "中牟县"),
    ("某市政务服务中心", "某市"), ("市市场监管局", None), ("伊犁州水利局", "伊犁州"), ("广州市公安局", "广州市"),
    ("有庆镇人民政府", "有庆镇"), ("鲤城区人民政府金龙街道办事处", "鲤城区"), ("洛阳市·偃师区市场监督管理局", "洛阳市·偃师区"),
])
def test_region_of_places_with_level_characters_in_their_names(agency, region):
    assert region_of(agency) == region
