"""strip_chrome (each chrome family, content kept, meta harvested) and html_to_page (meta tags,
信息公开 tables, body containers, robustness against deep nesting and huge input)."""

from __future__ import annotations

import json

import pytest

from govreports.clean.chrome import strip_chrome
from govreports.clean.chrome_lines import fold
from govreports.clean.html_text import html_to_page
from govreports.clean.pagetext import join_wrapped, read_page
from govreports.text.dates import iso_date

BODY = "2022年,市教育局坚持以习近平法治思想为指引,持续推进教育系统法治建设。"


def kept(lines: list[str], meta: dict[str, str] | None = None) -> list[str]:
    return [line.strip() for line in strip_chrome(lines, meta).lines if line.strip()]


@pytest.mark.parametrize("line", [
    # breadcrumbs
    "首页", "首页 |", "|", "首页 > 政务公开 > 法治政府建设", "首页 ＞ 政务公开 ＞ 法治政府建设",
    ">政务公开>教育专题>往期专题>行政执法公开>法治政府建设年度报告及工作要点",
    "当前位置:首页>信息公开", "您现在的位置：首页 >> 通知公告",
    # bylines and counters
    "日期:2022-01-13 10:42:02 来源:金华市婺城区教育局 浏览量:",
    "日期：2022-01-13 10:42:02　来源：金华市婺城区教育局　浏览量：",
    "浏览量:61", "发布时间:2025-06-15", "发布时间：2023年01月10日 09:30 作者：张三", "浏览次数：123",
    "点赞 0", "收藏 0",
    # toolbars and widgets
    "【打印本页】【关闭窗口】", "【打印】 【关闭】", "字号 大 中 小", "【字号：大 中 小】", "分享:", "分享到：",
    "分享到：微信 微博 QQ空间", "朗读", "扫一扫在手机打开当前页", "【打印此页】　【关闭窗口】",
    # footers
    "版权所有：宁波市教育局 浙ICP备05000000号-1", "网站标识码：3302000031", "主办单位：宁波市教育局",
    "Copyright © 2023 XX区教育局", "浙公网安备 33020302000001号",
    # navigation, code, disclosure values
    "上一篇：关于印发2023年工作要点的通知", "$('#share-1').share({sites: ['weibo','wechat']});",
    "img#imgConac {vertical-align: middle}", "主动公开", "11330702732038549W/2022-00444",
])
def test_each_chrome_family_is_removed(line):
    page = strip_chrome([line, BODY])
    assert [x.strip() for x in page.lines] == [BODY]
    assert page.removed == [line.strip()]


@pytest.mark.parametrize("line", [
    "一、加强领导,分享了经验。",
    "我局会同各方分享工作经验,打印了普法材料。",
    "(此件公开发布)",
    "相关附件：附件1-2022年法治政府建设年度报告.docx",
    "首页设计采用了无障碍标准,方便群众访问。",
    "主办单位要落实安全责任,确保活动安全有序。",
    "2023年1月9日",
    "宁波市教育局",
    "时间:全年持续推进",
    "来源于群众的意见建议,已全部办结。",
    "全年访问量达x亿人次,点赞数超过10万。",
    "大中小学法治教育一体化",
    "②主要负责人年终述法。",
])
def test_body_lines_with_chrome_words_are_kept(line):
    page = strip_chrome([BODY, line])
    assert [x.strip() for x in page.lines] == [BODY, line]
    assert page.removed == []


def test_disclosure_block_with_values_on_next_lines_is_harvested():
    lines = ["• 信息索引号:", "", "    11330702732038549W/2022-00444", "  • 文件名称:", "",
             "    2021年法治政府建设年度报告", "  • 发布机构:", "", "    金华市婺城区教育局", "  • 成文日期:",
             "    2022-01-13", "  • 公开方式:", "    主动公开", "  • 2021年法治政府建设年度报告",
             "    日期:2022-01-13 10:42:02 来源:金华市婺城区教育局 浏览量:", "    分享:", "    朗读", BODY]
    page = strip_chrome(lines)
    assert kept(lines) == ["2021年法治政府建设年度报告", BODY]
    assert page.meta == {
        "index_no": "11330702732038549W/2022-00444", "title": "2021年法治政府建设年度报告",
        "publisher": "金华市婺城区教育局", "written_date": "2022-01-13", "disclosure": "主动公开",
        "publish_date": "2022-01-13", "content_source": "金华市婺城区教育局",
    }
    assert "• 2021年法治政府建设年度报告" in page.removed  # the repeated title bullet


def test_full_width_labels_with_spaced_characters():
    lines = ["索 引 号：11440115MB2D065126/2020-00071", "文　　号：穗南府办函〔2020〕4号",
             "成文日期：2020年03月02日", BODY]
    page = strip_chrome(lines)
    assert kept(lines) == [BODY]
    assert page.meta["doc_no"] == "穗南府办函〔2020〕4号"
    assert page.meta["written_date"] == "2020-03-02"


def test_existing_meta_wins_over_chrome_values():
    page = strip_chrome(["发布时间:2025-06-15", BODY], {"publish_date": "2025-06-14"})
    assert page.meta["publish_date"] == "2025-06-14"


def test_truncation_marker_is_removed_and_recorded():
    lines = ["第一篇:XX市教育局2024年度法治政府建设情况报告", BODY, "...", "第二篇:XX市教育局2023年度报告",
             BODY + "第二篇正文。", "……", "点赞 0"]
    page = strip_chrome(lines)
    assert "..." not in [x.strip() for x in page.lines] and "……" not in page.lines
    assert page.meta["truncated"] == "1"
    assert json.loads(page.meta["truncated_after"]) == [BODY, BODY + "第二篇正文。"]


def test_related_link_list_after_the_body_is_chrome_but_not_before_it():
    lines = ["相关链接", "XX市教育局2023年度法治政府建设年度报告", BODY, "宁波市教育局", "相关阅读：",
             "宁波市教育局2021年法治政府建设年度报告", "宁波市教育局2020年法治政府建设年度报告"]
    assert kept(lines) == ["XX市教育局2023年度法治政府建设年度报告", BODY, "宁波市教育局"]


def test_a_repeated_title_line_is_dropped_but_the_first_one_kept():
    lines = ["2021年法治政府建设年度报告", "• 2021年法治政府建设年度报告", BODY, "2021年法治政府建设年度报告"]
    assert kept(lines) == ["2021年法治政府建设年度报告", BODY, "2021年法治政府建设年度报告"]
    # below the body only a repeat of the page's known title is chrome
    assert kept(lines, {"page_title": "2021年法治政府建设年度报告"}) == ["2021年法治政府建设年度报告", BODY]
    # a site-logo line in the header does not make the signature a repeat
    signed = ["XX县教育局", "XX县教育局2023年法治政府建设年度报告", BODY, "XX县教育局", "2024年2月20日"]
    assert kept(signed) == signed


def test_original_text_is_kept_and_folding_is_for_matching_only():
    line = "（一）推进①项工作，完成⑴、㈠两类任务。"
    assert kept([line]) == [line]
    assert fold("  • 分享：") == "分享:"


@pytest.mark.parametrize(("value", "iso"), [
    ("2022-01-13 10:42:02", "2022-01-13"), ("2023年1月9日", "2023-01-09"), ("2022/1/13", "2022-01-13"),
    ("２０２３年１月９日", "2023-01-09"), ("2023-13-01", None), ("无", None),
])
def test_iso_date(value, iso):
    assert iso_date(value) == iso


def test_join_wrapped_only_joins_sentences_cut_on_a_cjk_character():
    lines = ["一是持续做好法治教育。用习近平法治思想贯穿法治教", "育全过程,优化中小学法治教育内容。",
             "(二)明年工作安排", "二、加强队伍建设", "2023年法治政府建设年度报告", "一、主要举措"]
    out = join_wrapped(lines)
    assert out[0] == "一是持续做好法治教育。用习近平法治思想贯穿法治教育全过程,优化中小学法治教育内容。"
    assert out[1:] == lines[2:]
    assert join_wrapped(["完成任务。下一步将继续推", "(一)加强领导"]) == ["完成任务。下一步将继续推", "(一)加强领导"]


# ---- html_to_page ---------------------------------------------------------------------------

META_PAGE = """<html><head><title>2023年法治政府建设年度报告_XX区人民政府</title>
<META NAME="ArticleTitle" CONTENT="2023年法治政府建设年度报告">
<meta content="2024-03-01 10:19" name="PubDate"><meta name="contentsource" content="XX区司法局">
<meta name="SiteName" content="XX区人民政府"><meta name="SiteIDCode" content="3302120001">
<meta name="ColumnName" content="法治政府建设"><meta name="Keywords" content="法治,报告">
<meta name="Description" content="摘要"><meta name="SiteDomain" content="www.xx.gov.cn">
<meta name="Url" content="/art/2024/3/1/art_1_2.html"></head>
<body><div class="nav">首页 &gt; 政务公开</div><h1>2023年法治政府建设年度报告</h1>
<div class="TRS_Editor"><p>2023年,区政府坚持依法行政。</p><p>一、主要举措<br>（一）依法决策。①严格程序。</p>
<script>var x = 1;</script><style>p{color:red}</style><ul><li>⑴项一</li><li>㈠项二</li></ul></div>
<footer>版权所有</footer></body></html>"""


def test_meta_tags_any_case_and_attribute_order():
    page = html_to_page(META_PAGE, "x")
    assert page.meta == {
        "html_title": "2023年法治政府建设年度报告_XX区人民政府", "page_title": "2023年法治政府建设年度报告",
        "publish_date": "2024-03-01", "content_source": "XX区司法局", "site_name": "XX区人民政府",
        "site_id_code": "3302120001", "column_name": "法治政府建设", "keywords": "法治,报告",
        "description": "摘要", "site_domain": "www.xx.gov.cn", "url": "/art/2024/3/1/art_1_2.html",
    }


def test_body_container_blocks_become_lines_and_markers_survive():
    page = html_to_page(META_PAGE, "x")
    assert page.lines == ["2023年法治政府建设年度报告", "2023年,区政府坚持依法行政。", "一、主要举措",
                          "（一）依法决策。①严格程序。", "⑴项一", "㈠项二"]


def test_fallback_to_body_without_scripts_nav_and_footer():
    html = META_PAGE.replace('class="TRS_Editor"', 'class="x"').replace('<div class="nav">', "<nav>")
    html = html.replace("政务公开</div>", "政务公开</nav>")
    page = html_to_page(html, "x")
    assert page.lines[0] == "2023年法治政府建设年度报告"
    assert "版权所有" not in page.lines and not any("var x" in line for line in page.lines)
    assert any(w.startswith("no_body_container") for w in page.warnings)


def test_source_line_breaks_inside_chinese_text_vanish():
    page = html_to_page("<div id='zoom'><p>用习近平法治思想贯穿法治教\n    育全过程,推进依法治校工作。</p></div>", "x")
    assert page.lines == ["用习近平法治思想贯穿法治教育全过程,推进依法治校工作。"]


def test_disclosure_table_is_harvested_and_removed_but_data_tables_stay():
    html = """<body><table><tr><td>索 引 号：</td><td>11440115MB2D065126/2020-00071</td>
    <td>发布机构：</td><td>XX区司法局</td></tr><tr><td>成文日期：</td><td>2020-03-02</td>
    <td>文　号：</td><td>穗南府办函〔2020〕4号</td></tr></table>
    <div class="article-content"><p>全年行政检查情况如下,具体见下表。</p>
    <table><tr><th>名称</th><th>分类</th></tr><tr><td>行政检查</td><td>1019次</td></tr></table></div></body>"""
    page = html_to_page(html, "x")
    assert page.meta["index_no"] == "11440115MB2D065126/2020-00071"
    assert page.meta["publisher"] == "XX区司法局" and page.meta["written_date"] == "2020-03-02"
    assert page.meta["doc_no"] == "穗南府办函〔2020〕4号"
    assert page.lines == ["全年行政检查情况如下,具体见下表。", "名称 分类", "行政检查 1019次"]
    assert page.removed[0].startswith("索 引 号")


def test_fifty_thousand_deep_nesting_does_not_recurse_or_crash():
    html = "<html><body>" + "<div>" * 50_000 + "<p>深层正文。</p>" + "</div>" * 50_000 + "</body></html>"
    page = html_to_page(html, "deep")
    assert page.lines == ["深层正文。"]
    assert any(w.startswith("deep_nesting") for w in page.warnings)


def test_moderately_deep_nesting_still_uses_the_tree():
    html = "<body>" + "<div>" * 1500 + "<p>正文。</p>" + "</div>" * 1500 + "</body>"
    page = html_to_page(html, "x")
    assert page.lines == ["正文。"] and page.warnings == ["no_body_container: used the whole <body>"]


def test_entity_floods_and_unclosed_tags_are_linear_and_harmless():
    html = "<div id='zoom'><p>" + "&amp;" * 200_000 + "</p><p>正文内容。</p></div>" + "<title " * 50_000
    page = html_to_page(html, "x")
    assert page.lines[-1] == "正文内容。" and page.lines[0] == "&" * 200_000


def test_read_page_detects_html_and_plain_text():
    assert read_page("<p>第一段。</p><p>第二段。</p>", "x").lines == ["第一段。", "第二段。"]
    plain = read_page("首页\n  第一段。\n\n第二段 <b>粗体</b>。", "x", content_type="text/plain")
    assert plain.lines == ["第一段。", "第二段 <b>粗体</b>。"] and plain.removed == ["首页"]


def test_traditional_chrome_is_recognised_and_meta_keeps_the_page_text():
    lines = ["首頁 > 政務公開", "發佈時間：2023-02-20　來源：XX區教育局（法規處）　瀏覽次數：12",
             "【打印本頁】【關閉窗口】", "版權所有：XX區人民政府", "文件名稱：XX區教育局2023年法治政府建設工作要點",
             "XX區教育局2023年法治政府建設工作要點", BODY]
    page = strip_chrome(lines)
    assert [x.strip() for x in page.lines] == [lines[5], BODY]
    assert page.meta["content_source"] == "XX區教育局（法規處）"  # original characters and width
    assert page.meta["publish_date"] == "2023-02-20"
    assert page.meta["title"] == "XX區教育局2023年法治政府建設工作要點"


@pytest.mark.parametrize(("lines", "want"), [
    # bracketed disclosure block; the empty 有效性 at its end does not swallow the title below
    (["[ 发布机构 ] 某区卫生健康委 [ 发布日期 ] 2026-01-13", "[ 成文日期 ] 2026-01-12 [ 有效性 ]",
      "区卫生健康委关于2025年法治政府建设情况的报告"],
     {"publisher": "某区卫生健康委", "publish_date": "2026-01-13", "written_date": "2026-01-12"}),
    # table rows as a flattened page prints them: a label cell, then its value cell
    (["| [ 发布机构 ] | 市市场监管局 | ||", "| 索取号 | 002420455M/202400063 |", "产生日期 | 2024-04-17 |",
      "| 主题分类: | 发布日期:2026-01-15 |"],
     {"publisher": "市市场监管局", "index_no": "002420455M/202400063", "written_date": "2024-04-17",
      "publish_date": "2026-01-15"}),
    # counters still loading, a bare portal date, a URL before the byline, pinyin glosses in labels
    (["时间:2022-02-22 11:12 来源:本网 访问量:-"], {"publish_date": "2022-02-22", "content_source": "本网"}),
    (["来源:       发布日期:2021-03-30     点击数: 人次"], {"publish_date": "2021-03-30"}),
    (["2022-03-07 点击数: | ||||"], {"publish_date": "2022-03-07"}),
    ([" http://lyj.example.gov.cn/ 时间:2017-05-02 00:00 信息来源:"], {"publish_date": "2017-05-02"}),
    (["發(fā)布日期:2025-03-12 09:18"], {"publish_date": "2025-03-12"}),
])
def test_portal_metadata_in_every_layout_is_chrome_and_harvested(lines, want):
    page = strip_chrome([*lines, BODY])
    assert [line for line in page.lines if line.strip() and "报告" not in line] == [BODY]
    assert {k: page.meta.get(k) for k in want} == want


@pytest.mark.parametrize("line", ["您当前所在的位置是:主页 > 信息公告 > 信息公告", "今天是:", "今天是:2023年5月4日 星期四"])
def test_more_breadcrumb_and_header_widgets(line):
    assert kept([line, BODY]) == [BODY]


def test_a_byline_outside_the_body_container_is_still_harvested():
    html = ("<html><head><title>某局2022年度法治政府建设年度报告_某某网</title></head><body>"
            "<div class='crumb'>当前位置:首页 > 政务公开</div><div>发布时间:2023-03-01 09:30 来源:某市司法局 浏览次数:12</div>"
            f"<div class='TRS_Editor'><p>某局2022年度法治政府建设年度报告</p><p>{BODY}</p></div>"
            "<div class='footer'>版权所有:某某网</div></body></html>")
    page = read_page(html.encode("utf-8"), "x.html")
    assert page.meta["publish_date"] == "2023-03-01" and page.meta["content_source"] == "某市司法局"
    assert BODY in page.lines and not any("发布时间" in line or "版权所有" in line for line in page.lines)


@pytest.mark.parametrize(("lines", "want"), [
    (["更新时间:2025-12 来源:网友投稿"], {}),                       # a month alone: chrome, no date kept
    (["发布于:2023-01-06 09:04:54"], {"publish_date": "2023-01-06"}),
    (["【大】", "【中】", "【小】"], {}),
    (["市司法局 2023年02月17日"], {}),                            # a byline above the text
])
def test_more_header_chrome(lines, want):
    page = strip_chrome([*lines, BODY])
    assert [line for line in page.lines if line.strip()] == [BODY]
    assert {k: v for k, v in page.meta.items() if k.endswith("date")} == want


def test_an_organisation_and_date_below_the_text_is_a_signature_and_stays():
    assert kept([BODY, "市司法局 2023年02月17日"]) == [BODY, "市司法局 2023年02月17日"]
