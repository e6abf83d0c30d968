"""The three CMS families against loopback portals in their real shapes, and `sources check`."""

from __future__ import annotations

import json
import random

import pytest
import yaml
from typer.testing import CliRunner

from govreports.io.fetch import FetchState, fetch_source
from govreports.io.source_check import check_source
from govreports.portals.list_families import (
    gkmlpt_items,
    hanweb_next,
    hanweb_records,
    text_date,
    trs_pages,
    url_date,
)
from govreports.portals.sources import SourcesError, source_from_dict
from govreports_cli.main import app
from tests.familyportal import GKMLPT_START, HANWEB_START, PROXY, TRS_START, FamilyPortal


@pytest.fixture(scope="module")
def portal():
    with FamilyPortal() as p:
        yield p


def _fetch(portal, column, state=None, **entry):
    config = portal.source_config(column)
    config.update(entry)
    return fetch_source(source_from_dict(config), state if state is not None else FetchState(),
                        sleep=lambda s: None, rng=random.Random(1))


def _paths(portal, pages):
    return sorted(p.url.removeprefix(portal.url("")) for p in pages)


# --- pure readers -------------------------------------------------------------------------------

def test_trs_page_count_from_create_page_html():
    html = '<div><script>createPageHTML(4, 0, "index", "shtml");</script></div>'
    assert trs_pages(html, "http://a.gov.cn/col/x/index.shtml") == [
        f"http://a.gov.cn/col/x/index_{n}.shtml" for n in (1, 2, 3)]
    assert trs_pages("<script>createPageHTML('page_div', 2, 1, 'index', 'html', 20);</script>",
                     "http://a.gov.cn/c/index_1.html") == ["http://a.gov.cn/c/index_1.html"]
    assert trs_pages("<p>no pager</p>", "http://a.gov.cn/c/") == []


def test_hanweb_records_and_next_group():
    xml = ('<datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&columnid=7"></a>]]>'
           "</nextgroup><recordset><record><![CDATA[<li><a href='/art/1.html'>甲</a></li>]]></record>"
           "</recordset></datastore>")
    assert "<a href='/art/1.html'>甲</a>" in hanweb_records(xml)
    assert hanweb_records("<p>plain</p>") is None
    assert hanweb_next(xml, "http://a.gov.cn/col/col7/index.html", 1) == [
        "http://a.gov.cn/module/web/jpage/dataproxy.jsp?columnid=7&page=2&startrecord=2&endrecord=2&perpage=15"]
    group4 = "http://a.gov.cn/module/web/jpage/dataproxy.jsp?page=4&columnid=7&startrecord=31&endrecord=40&perpage=5"
    assert hanweb_next(xml, group4, 10) == [
        "http://a.gov.cn/module/web/jpage/dataproxy.jsp?columnid=7&page=5&startrecord=41&endrecord=50&perpage=5"]
    assert hanweb_next(xml, "http://a.gov.cn/col/col7/index.html", 0) == []  # an empty group ends it
    assert hanweb_next(xml + "<script>$('#1').jpage({totalRecord: 1})</script>",
                       "http://a.gov.cn/col/col7/index.html", 1) == []  # all records already embedded
    bare = "<script>var p={columnid:7,unitid:'9',webid:3}; $('#9').jpage({perPage: 10, groupSize: 2});</script>"
    (first,) = hanweb_next(bare, "http://a.gov.cn/col/col7/index.html", 0)
    assert first.startswith("http://a.gov.cn/module/web/jpage/dataproxy.jsp?columnid=7&unitid=9&webid=3&")
    assert first.endswith("page=1&startrecord=1&endrecord=20&perpage=10")
    assert hanweb_next("<p>no jpage</p>", "http://a.gov.cn/col/col7/index.html", 0) == []


def test_gkmlpt_items_pages_and_bad_json():
    body = json.dumps({"total": 5, "articles": [{"title": " 甲 报告 ", "url": "/gkmlpt/content/1/1/post_1.html",
                                                  "create_time": 1_711_500_000}, {"title": "乙"}]})
    items, pages = gkmlpt_items(body, "http://a.gov.cn/gkmlpt/api/all/3?page=1&sid=9")
    assert items == [("http://a.gov.cn/gkmlpt/content/1/1/post_1.html", "甲 报告", "2024-03-27")]
    assert pages == ["http://a.gov.cn/gkmlpt/api/all/3?sid=9&page=2", "http://a.gov.cn/gkmlpt/api/all/3?sid=9&page=3"]
    with pytest.raises(ValueError):
        gkmlpt_items('{"error": "moved"}', "http://a.gov.cn/gkmlpt/api/all/3?page=1&sid=9")


def test_dates_from_list_text_and_urls():
    assert text_date("青山区报告 2024-03-07") == "2024-03-07"
    assert text_date("2024年3月7日") == "2024-03-07"
    assert text_date("2024-13-40") is None
    assert url_date("http://a.gov.cn/zwgk/202403/t20240327_3602388.html") == "2024-03-27"
    assert url_date("http://a.gov.cn/art/2024/3/8/art_1_2.html") == "2024-03-08"
    assert url_date("http://a.gov.cn/x.html") is None


def test_sources_family_evidence_enabled_are_validated():
    base = {"name": "x", "list_pages": ["http://a.gov.cn/c/index.html"], "link_rule": {"title_pattern": "报告"}}
    source = source_from_dict({**base, "link_rule": {"title_pattern": "报告", "family": "trs"},
                               "evidence": "https://a.gov.cn/c/202403/t20240327_1.html", "enabled": False})
    assert (source.link_rule.family, source.evidence, source.enabled) == (
        "trs", ("https://a.gov.cn/c/202403/t20240327_1.html",), False)
    assert source_from_dict(base).enabled and source_from_dict(base).link_rule.family == "html"
    with pytest.raises(SourcesError) as err:
        source_from_dict({**base, "link_rule": {"title_pattern": "报告", "family": "wordpress"},
                          "enabled": "yes", "evidence": [3]})
    text = str(err.value)
    assert "family: must be one of" in text and "enabled: must be true or false" in text and "evidence" in text


# --- fetching each family ------------------------------------------------------------------------

@pytest.mark.parametrize("column", ["trs", "hanweb", "hanweb-proxy", "gkmlpt", "gkmlpt-page"])
def test_each_family_yields_every_report_across_its_pages(portal, column):
    report = _fetch(portal, column)
    assert _paths(portal, report.reports) == sorted(portal.reports[column.removesuffix("-page")])
    assert not report.failures
    lists = [p for p in report.pages if p.list_page]
    # pages (or groups) read: the empty end of a Hanweb column, the HTML page of a gkmlpt one included
    assert len(lists) == (4 if column in ("hanweb-proxy", "gkmlpt-page") else 3)


def test_trs_pages_come_from_the_script_not_from_links(portal):
    report = _fetch(portal, "trs")
    lists = [p.url for p in report.pages if p.list_page]
    assert lists == [portal.url(TRS_START)] + [portal.url(f"/trs/fzzfjsndbg/index_{n}.html") for n in (1, 2)]
    assert len(_fetch(portal, "trs", pagination={"max_pages": 2}).reports) == 4


def test_hanweb_reads_the_datastore_and_stops_on_an_empty_group(portal):
    report = _fetch(portal, "hanweb")
    lists = [p.url for p in report.pages if p.list_page]
    assert lists[0] == portal.url(HANWEB_START)
    assert all(PROXY in u for u in lists[1:]) and "startrecord=4&endrecord=6" in lists[1]
    assert "startrecord=7&endrecord=9" in lists[2]  # answered with no record: the end
    # plain-HTML reading of the same column finds nothing: the records are XML in a script
    assert _fetch(portal, "hanweb", link_rule={"title_pattern": "法治政府", "family": "html"}).reports == []


def test_gkmlpt_layout_change_is_a_failure_not_silence(portal):
    route = portal.lookup(GKMLPT_START)
    saved, route.body = route.body, b"<html>moved</html>"
    try:
        report = _fetch(portal, "gkmlpt")
    finally:
        route.body = saved
    assert report.failures and report.failures[0][1].startswith("unreadable list page")


def test_failed_report_backs_off_then_parks(portal):
    path = portal.reports["trs"][0]
    route = portal.lookup(path)
    route.status, state = 500, FetchState()
    try:
        first = _fetch(portal, "trs", state)
        assert portal.url(path) in [u for u, _ in first.failures]
        entry = state.failures[portal.url(path)]
        assert entry["attempts"] == 1 and "HTTP 500" in entry["reason"] and not entry["parked"]
        second = _fetch(portal, "trs", state)  # same night: backing off, not requested again
        assert any(u == portal.url(path) and "next attempt after" in r for u, r in second.skipped)
        state.failures[portal.url(path)].update(attempts=4, next_after=None)
        _fetch(portal, "trs", state)
        assert state.failures[portal.url(path)]["parked"] and state.failures[portal.url(path)]["attempts"] == 5
        parked = _fetch(portal, "trs", state)
        assert any(u == portal.url(path) and r.startswith("parked after 5") for u, r in parked.skipped)
    finally:
        route.status = 200
    state.failures[portal.url(path)].update(parked=False, next_after=None)
    _fetch(portal, "trs", state)
    assert state.is_seen(portal.url(path)) and portal.url(path) not in state.failures


# --- sources check -------------------------------------------------------------------------------

def test_check_source_reports_links_and_newest_date(portal):
    trs = check_source(source_from_dict(portal.source_config("trs")))
    assert (trs.robots, trs.status, trs.links, trs.newest, trs.ok) == ("allowed", "200", 2, "2024-03-21", True)
    gk = check_source(source_from_dict(portal.source_config("gkmlpt")))
    assert gk.links == 1 and gk.newest == "2024-03-27" and gk.next_pages == 2
    bare = check_source(source_from_dict(portal.source_config("hanweb-proxy")))  # judged by its first group
    assert bare.ok and bare.links == 2 and bare.newest == "2024-03-15"
    page = check_source(source_from_dict(portal.source_config("gkmlpt-page")))  # judged by its API
    assert page.ok and page.links == 1 and page.newest == "2024-03-27"
    changed = check_source(source_from_dict(portal.source_config("changed")))
    assert not changed.ok and changed.links == 0 and "no report link" in changed.problems[0]


def test_check_source_names_robots_and_http_failures(portal):
    blocked = check_source(source_from_dict({**portal.source_config("trs"),
                                             "list_pages": [portal.url("/private/index.html")]}))
    assert blocked.robots == "disallowed" and blocked.status == "not fetched" and not blocked.ok
    missing = check_source(source_from_dict({**portal.source_config("trs"),
                                             "list_pages": [portal.url("/gone/index.html")]}))
    assert missing.status == "404" and "HTTP 404" in missing.problems[0]


def test_sources_check_command_table_json_and_exit_code(portal, tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": [portal.source_config(c) for c in ("trs", "hanweb", "gkmlpt", "changed")]},
                                   allow_unicode=True), encoding="utf-8")
    runner = CliRunner()
    every = runner.invoke(app, ["sources", "check", "--sources", str(path)])
    assert every.exit_code == 1 and "family-changed" in every.output and "3 of 4" in every.output
    good = runner.invoke(app, ["sources", "check", "--sources", str(path), "--json", "family-trs", "family-hanweb"])
    assert good.exit_code == 0, good.output
    data = json.loads(good.output)
    assert [s["name"] for s in data["sources"]] == ["family-trs", "family-hanweb"]
    assert all(s["ok"] and s["links"] == 2 for s in data["sources"])
    unknown = runner.invoke(app, ["sources", "check", "--sources", str(path), "--json", "nope"])
    assert unknown.exit_code == 1 and "no source named 'nope'" in unknown.output


def test_link_dates_from_list_entries_and_urls():
    from govreports.portals.links import discover_links

    source = source_from_dict({"name": "d", "list_pages": ["http://a.gov.cn/c/index.html"],
                               "link_rule": {"title_pattern": "报告"}})
    html = ("<ul><li><a href='/a/1.html'>甲报告</a><span>2024-03-05</span></li></ul>"
            "<table><tr><td><a href='/a/2.html'>乙报告</a></td><td>2023年4月6日</td></tr></table>"
            "<div class=item><a href='/a/3.html'>丙报告</a><em>2022.05.07</em></div>"
            "<div><a href='/c/202101/t20210108_9.html'>丁报告</a><a href='/x.html'>其他</a></div>"
            "<p><a href='/a/5.html'>戊报告</a></p>")
    links, _ = discover_links(html, "http://a.gov.cn/c/index.html", source)
    assert [link.date for link in links] == ["2024-03-05", "2023-04-06", "2022-05-07", "2021-01-08", None]
