"""Fetching against the fake portal on 127.0.0.1: links, politeness, safety, state, per-URL failures."""

from __future__ import annotations

import datetime
import gzip
import itertools
import random
import zlib

import httpx
import pytest

from govreports.io import http_policy
from govreports.io.fetch import FetchedPage, FetchState, decode_hint, fetch_source
from govreports.io.http_get import FetchError, _Inflater
from govreports.portals.links import decode_list_page, discover_links
from govreports.portals.sources import Politeness, source_from_dict
from tests.fakeportal import (
    BROKEN_REPORTS,
    LIST_1,
    LIST_2,
    LIST_3,
    NINGBO_2022,
    NOTICE,
    PRIVATE,
    REPORT_BUSY,
    REPORT_FLAKY,
    REPORT_GBK,
    REPORT_GZIP,
    REPORT_MISLABELLED,
    REPORT_UTF8,
    TEMPLATE_PAGES,
    FakePortal,
    report_html,
)

NINGBO_PAGE = report_html("宁波市教育局2022年法治政府建设工作总结", NINGBO_2022).encode()
REPORTS = [REPORT_UTF8, REPORT_GBK, REPORT_MISLABELLED, REPORT_FLAKY, REPORT_GZIP, REPORT_BUSY]


class Clock:
    """A fake monotonic clock that only moves when the code sleeps."""

    def __init__(self) -> None:
        self.t, self.sleeps = 1000.0, []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


@pytest.fixture
def portal():
    with FakePortal(slow_seconds=1.5) as p:
        yield p


class FixedRandom(random.Random):
    """Jitter factor exactly 1.0 (0.5 + 0.5), so backoff delays are predictable."""

    def random(self) -> float:
        return 0.5


def run(portal, state=None, column="reports", client=None, clock=None, rng=None, wall=None, **overrides):
    config = portal.source_config(column)
    config.update(overrides.pop("entry", {}))
    config["politeness"].update(overrides)
    clock = clock or Clock()
    extra = {"wall": wall} if wall else {}
    return fetch_source(source_from_dict(config), state if state is not None else FetchState(),
                        client=client, sleep=clock.sleep, now=clock.now, rng=rng or random.Random(7), **extra)


# --- links (pure) -------------------------------------------------------------------------------

def _source(**entry):
    config = {"name": "t", "list_pages": ["http://www.a.gov.cn/col/col1/index.html"],
              "link_rule": {"title_pattern": "法治政府建设.*(报告|要点)"}, **entry}
    return source_from_dict(config)


LIST_HTML = """<html><head><base href="/col/col1/"></head><body>
<a href="/">首页</a><a href="javascript:void(0)">2023年法治政府建设年度报告</a>
<ul class="list"><li><a href=" ../../art/2024/art_1_1.html#top " title="XX市2023年法治政府建设年度报告">XX市2023年法治...</a></li>
<li><a href="http://www.a.gov.cn/art/2024/art_1_2.html">2024年法治政府建设工作要点</a></li>
<li><a href="../../art/2024/art_1_1.html">2023年法治政府建设年度报告</a></li>
<li><a href="https://mirror.example.com/copy.html">2023年法治政府建设年度报告</a></li>
<li><a href="mailto:x@a.gov.cn">法治政府建设年度报告</a></li>
<li><a href="/art/2024/art_1_3.html">关于开学工作的通知</a></li></ul>
<div class="pg"><a href="index_1.html">下一页</a><a href="index.html#">首页</a><a href="index_9.html" class="last">尾页</a></div>
<a href="/art/2024/art_1_4.html">2022年法治政府建设年度报告(导航)</a>
</body></html>"""


def test_discover_links_resolves_dedupes_and_filters():
    links, next_pages = discover_links(LIST_HTML, "http://www.a.gov.cn/col/col1/index.html", _source())
    assert [(link.url, link.title) for link in links] == [
        ("http://www.a.gov.cn/art/2024/art_1_1.html", "XX市2023年法治政府建设年度报告"),
        ("http://www.a.gov.cn/art/2024/art_1_2.html", "2024年法治政府建设工作要点"),
        ("http://www.a.gov.cn/art/2024/art_1_4.html", "2022年法治政府建设年度报告(导航)"),
    ]
    assert next_pages == ["http://www.a.gov.cn/col/col1/index_1.html"]


def test_discover_links_selector_and_next_selector():
    source = _source(link_rule={"selector": "ul.list li", "title_pattern": "报告"},
                     pagination={"next_selector": "div.pg a.last"})
    links, next_pages = discover_links(LIST_HTML, "http://www.a.gov.cn/col/col1/index.html", source)
    assert [link.url for link in links] == ["http://www.a.gov.cn/art/2024/art_1_1.html"]
    assert next_pages == ["http://www.a.gov.cn/col/col1/index_9.html"]


def test_discover_links_selector_alone_takes_all_anchors_under_it():
    source = _source(link_rule={"selector": "ul.list li"}, allowed_hosts=["www.a.gov.cn", "mirror.example.com"])
    links, _ = discover_links(LIST_HTML, "http://www.a.gov.cn/col/col1/index.html", source)
    assert len(links) == 4  # 1 (deduped), 2, mirror, notice; never mailto:
    assert "https://mirror.example.com/copy.html" in [link.url for link in links]


def test_decode_list_page_gbk_meta_and_wrong_header():
    html = '<meta charset="gb2312"><a href="/a.html">2023年法治政府建设年度报告</a>'
    assert "法治政府" in decode_list_page(html.encode("gbk"), "text/html")
    assert "法治政府" in decode_list_page(html.encode("utf-8"), "text/html; charset=gb2312")
    assert "法治政府" in decode_list_page(html.replace("gb2312", "x").encode("gbk"), None, hint="gbk")


def test_decode_hint_reads_header_charset_only():
    page = FetchedPage("u", "u", 200, b"", 'text/html; charset="GB2312"', {})
    assert decode_hint(page) == "gb2312"
    page.content_type = "text/html"
    assert decode_hint(page) is None
    assert decode_hint(page, default="gb18030") == "gb18030"


# --- a first and a second nightly run -----------------------------------------------------------

def test_first_run_fetches_every_report_exactly_as_served(portal):
    report = run(portal)
    assert report.failures == []
    got = {p.url: p for p in report.reports}
    assert sorted(got) == sorted(portal.url(p) for p in REPORTS)
    for path in REPORTS:  # bytes as served; only the gzip Content-Encoding undone
        assert got[portal.url(path)].data == portal.body(path)
    assert [p.url for p in report.pages if p.list_page] == [portal.url(p) for p in (LIST_1, LIST_2, LIST_3)]
    assert got[portal.url(REPORT_GBK)].title == "杭州市教育局2024年度法治政府建设(依法行政)工作要点"
    assert decode_hint(got[portal.url(REPORT_MISLABELLED)]) == "gb2312"  # a hint the core must verify
    assert decode_hint(got[portal.url(REPORT_GBK)]) is None
    assert "etag" in got[portal.url(REPORT_UTF8)].headers
    assert report.skipped == [(portal.url(PRIVATE), "robots.txt disallows")]
    assert not portal.requests_to(PRIVATE)
    assert not portal.requests_to(NOTICE)  # not a report title
    assert len(portal.requests_to("/robots.txt")) == 1
    assert len(portal.requests_to(LIST_1)) == 1  # page 3 links back to page 1: no loop
    assert [r.status for r in portal.requests_to(REPORT_FLAKY)] == [500, 200]
    assert [r.status for r in portal.requests_to(REPORT_BUSY)] == [429, 200]
    assert portal.requests_to(REPORT_GZIP)[0].headers["accept-encoding"] == "gzip, deflate"
    for record in portal.requests:
        assert record.headers["user-agent"] == http_policy.DEFAULT_USER_AGENT
    assert "govreports" in http_policy.DEFAULT_USER_AGENT and "contact:" in http_policy.DEFAULT_USER_AGENT


def test_second_run_with_saved_state_fetches_nothing_new(portal, tmp_path):
    state = FetchState()
    run(portal, state)
    state.save(tmp_path / "state" / "fetch-fakeportal.json")
    portal.clear_log()

    report = run(portal, FetchState.load(tmp_path / "state" / "fetch-fakeportal.json"))
    assert report.pages == [] and report.failures == []
    assert report.not_modified == [portal.url(p) for p in (LIST_1, LIST_2, LIST_3)]
    assert sorted(report.already_seen) == sorted(portal.url(p) for p in REPORTS)
    assert sorted((r.path, r.status) for r in portal.requests) == sorted(
        [("/robots.txt", 200), (LIST_1, 304), (LIST_2, 304), (LIST_3, 304)])
    assert "if-none-match" in portal.requests_to(LIST_1)[0].headers
    assert "if-modified-since" in portal.requests_to(LIST_2)[0].headers  # page 2 sends Last-Modified only


def test_new_report_is_picked_up_by_the_next_run(portal):
    state = FetchState()
    run(portal, state)
    path = portal.add_report("2024年法治政府建设年度报告", NINGBO_2022)
    report = run(portal, state)
    assert [p.url for p in report.reports] == [portal.url(path)]
    assert [p.url for p in report.pages if p.list_page] == [portal.url(LIST_1)]
    assert report.not_modified == [portal.url(LIST_2), portal.url(LIST_3)]


def test_failed_report_is_retried_next_run_even_when_list_is_not_modified(portal):
    state = FetchState()
    first = run(portal, state, max_attempts=1)  # the single 500 and 429 are now final
    assert sorted(first.failures) == sorted([(portal.url(REPORT_FLAKY), "HTTP 500 after 1 attempt"),
                                             (portal.url(REPORT_BUSY), "HTTP 429 after 1 attempt")])
    assert state.failures[portal.url(REPORT_FLAKY)]["attempts"] == 1
    tomorrow = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)  # past the first backoff
    report = run(portal, state, max_attempts=1, wall=lambda: tomorrow)
    assert portal.url(LIST_2) in report.not_modified and portal.url(LIST_3) in report.not_modified
    assert sorted(p.url for p in report.reports) == sorted(portal.url(p) for p in (REPORT_FLAKY, REPORT_BUSY))


def test_max_pages_per_run_leaves_the_rest_for_later(portal):
    state = FetchState()
    first = run(portal, state, max_pages_per_run=2)
    assert len(first.reports) == 2
    left = [u for u, reason in first.skipped if reason.startswith("max_pages_per_run (2) reached")]
    assert len(left) == 4
    second = run(portal, state, max_pages_per_run=10)
    assert sorted(p.url for p in second.reports) == sorted(left)


# --- hazards: every failure recorded for its URL, the rest goes on --------------------------------

def test_hazards_fail_per_url_with_specific_reasons(portal):
    contacted: list[str] = []
    client = httpx.Client(event_hooks={"request": [lambda r: contacted.append(str(r.url.host))]})
    report = run(portal, column="hazards", client=client)
    failures = {url.rsplit("/", 1)[-1]: reason for url, reason in report.failures}
    assert failures == {
        "slow.html": "timeout after 3 attempts",
        "redirect-evil.html": "redirect to disallowed host evil.example",
        "redirect-loopback.html": "redirect to private address 127.0.0.2",
        "oversized.html": "over size cap 300000 bytes",
        "bomb.html": "over size cap 300000 bytes",
        "missing.html": "HTTP 404",
        "always-500.html": "HTTP 500 after 3 attempts",
        "loop-a.html": f"redirect loop at {portal.url('/hz/loop-a.html')}",
    }
    (moved,) = report.reports
    assert moved.url == portal.url("/hz/moved.html")
    assert moved.final_url == portal.url("/hz/moved-here.html")
    assert set(contacted) == {"127.0.0.1"}  # never evil.example, never 127.0.0.2
    assert len(portal.requests_to("/hz/missing.html")) == 1  # 4xx: no retry
    assert len(portal.requests_to("/hz/always-500.html")) == 3
    assert len(portal.requests_to("/hz/slow.html")) == 3


def test_list_page_failure_does_not_stop_other_list_pages(portal):
    entry = {"list_pages": [portal.url("/col/gone/index.html"), portal.url(LIST_3)]}
    report = run(portal, entry=entry)
    assert report.failures == [(portal.url("/col/gone/index.html"), "HTTP 404")]
    assert {p.url for p in report.reports} >= {portal.url(REPORT_GZIP), portal.url(REPORT_BUSY)}


def test_private_address_needs_opt_in(portal):
    report = run(portal, entry={"allow_private_addresses": False})
    assert report.failures == [(portal.url(LIST_1), "private address 127.0.0.1")]
    assert portal.requests == []  # refused before connecting, robots.txt included


def test_host_name_is_resolved_before_connecting(portal):
    entry = {"list_pages": [f"http://localhost:{portal.port}{LIST_1}"], "allowed_hosts": ["localhost"],
             "allow_private_addresses": False}
    report = run(portal, entry=entry)
    ((_url, reason),) = report.failures
    assert reason.startswith("private address ") and reason.endswith("(host localhost)")
    assert portal.requests == []


def test_connected_address_is_checked_again_dns_rebinding(portal):
    """The name passes the pre-check (resolver says public), but the socket lands on 127.0.0.1."""
    entry = {"list_pages": [f"http://localhost:{portal.port}{LIST_1}"], "allowed_hosts": ["localhost"],
             "allow_private_addresses": False}
    config = {**portal.source_config(), **entry}
    report = fetch_source(source_from_dict(config), FetchState(), sleep=Clock().sleep,
                          resolve=lambda host: ["93.184.216.34"])
    ((_url, reason),) = report.failures
    assert reason in ("connected to private address 127.0.0.1", "connected to private address ::1")


def test_user_agent_override(portal):
    run(portal, entry={"user_agent": "govreports-test/1 (contact: nobody@example.invalid)"})
    assert {r.headers["user-agent"] for r in portal.requests} == {"govreports-test/1 (contact: nobody@example.invalid)"}


def test_robots_disallow_for_our_token_skips_everything(portal):
    portal.route("/robots.txt").body = b"User-agent: govreports\nDisallow: /\n"
    report = run(portal)
    assert report.skipped == [(portal.url(LIST_1), "robots.txt disallows")]
    assert [r.path for r in portal.requests] == ["/robots.txt"]


def test_unreachable_robots_txt_fails_every_url_without_fetching_it(portal):
    robots = portal.route("/robots.txt")
    robots.status, robots.etag = 503, False
    report = run(portal)
    assert report.failures == [(portal.url(LIST_1), "robots.txt unavailable (HTTP 503 after 3 attempts)")]
    assert {r.path for r in portal.requests} == {"/robots.txt"}


def test_missing_robots_txt_allows_everything(portal):
    portal.route("/robots.txt").status = 404
    report = run(portal)
    assert portal.url(PRIVATE) in {p.url for p in report.reports}


def test_changed_link_rule_rereads_list_pages_instead_of_trusting_304(portal):
    state = FetchState()
    run(portal, state)
    narrower = {"link_rule": {"title_pattern": "工作要点", "selector": "div.list-box li"}}
    report = run(portal, state, entry=narrower)
    assert report.not_modified == []
    assert len([p for p in report.pages if p.list_page]) == 3


def test_template_pagination_stops_at_404(portal):
    report = run(portal, column="template")
    lists = [p.url for p in report.pages if p.list_page]
    assert lists == [portal.url(p) for p in TEMPLATE_PAGES]
    assert len(report.reports) == 3
    assert report.skipped == [(portal.url("/tpl/index_3.html"), "HTTP 404: past the last list page")]
    assert not portal.requests_to("/tpl/index_4.html")


# --- pacing and backoff (fake clock: no real waiting) -----------------------------------------

def test_requests_to_one_host_are_spaced_by_min_interval(portal):
    clock, starts = Clock(), []
    client = httpx.Client(event_hooks={"request": [lambda r: starts.append(clock.t)]})
    run(portal, client=client, clock=clock, min_interval_seconds=2.0, max_attempts=1)
    assert len(starts) > 5
    assert all(b - a >= 2.0 for a, b in itertools.pairwise(starts))


def test_robots_crawl_delay_slows_us_down(portal):
    portal.route("/robots.txt").body = b"User-agent: *\nCrawl-delay: 7\nDisallow: /private/\n"
    clock, starts = Clock(), []
    client = httpx.Client(event_hooks={"request": [lambda r: starts.append(clock.t)]})
    run(portal, client=client, clock=clock, min_interval_seconds=1.0, max_attempts=1)
    assert all(b - a >= 7.0 for a, b in itertools.pairwise(starts[1:]))


def test_backoff_is_exponential_jittered_and_capped():
    politeness = Politeness(backoff_seconds=1.0, max_backoff_seconds=10.0)
    rng = random.Random(1)
    for attempt, (low, high) in enumerate([(0.5, 1.5), (1.0, 3.0), (2.0, 6.0), (4.0, 10.0)], start=1):
        delays = {http_policy.backoff_delay(attempt, politeness, rng) for _ in range(50)}
        assert all(low <= d <= high for d in delays) and len(delays) > 1
    assert http_policy.backoff_delay(1, politeness, rng, retry_after=8.0) == 8.0
    assert http_policy.backoff_delay(1, politeness, rng, retry_after=600.0) == 10.0


def test_retries_back_off_exponentially(portal):
    clock = Clock()
    run(portal, column="hazards", clock=clock, rng=FixedRandom(), backoff_seconds=1.0,
        max_backoff_seconds=60.0)
    # two URLs are retried (slow: timeouts, always-500): each waits 1 s, then 2 s
    assert sorted(s for s in clock.sleeps if s > 0) == [1.0, 1.0, 2.0, 2.0]


def test_parse_retry_after():
    assert http_policy.parse_retry_after("120") == 120.0
    assert http_policy.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert http_policy.parse_retry_after("soon") is None


# --- state file and decompression ---------------------------------------------------------------

def test_state_roundtrip_missing_and_corrupt(tmp_path):
    assert FetchState.load(tmp_path / "none.json").reports == {}
    state = FetchState()
    state.mark_seen("http://a/1", "ab" * 32, "http://a/1", "报告", {"etag": '"x"'})
    state.remember_list_page("http://a/l", {"last-modified": "Mon"}, [("http://a/1", "报告")], ["http://a/l2"])
    state.save(tmp_path / "s.json")
    again = FetchState.load(tmp_path / "s.json")
    assert again == state
    assert again.conditional_headers("http://a/l") == {"If-Modified-Since": "Mon"}
    assert again.known_list_page("http://a/l") == ([("http://a/1", "报告")], ["http://a/l2"])
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.json"):
        FetchState.load(tmp_path / "bad.json")


def test_inflater_handles_gzip_members_raw_deflate_and_caps():
    text = "法治政府建设年度报告".encode() * 100
    two_members = gzip.compress(text) + gzip.compress(text)
    inflater = _Inflater("gzip", 10_000)
    assert b"".join(inflater.feed(two_members[i:i + 7]) for i in range(0, len(two_members), 7)) == text * 2
    inflater.finish()
    raw = zlib.compressobj(wbits=-15)
    assert _Inflater("deflate", 10_000).feed(raw.compress(text) + raw.flush()) == text
    assert _Inflater("deflate", 10_000).feed(zlib.compress(text)) == text
    bomb = gzip.compress(b"\0" * 5_000_000)
    with pytest.raises(FetchError, match="over size cap 1000 bytes"):
        _Inflater("gzip", 1000).feed(bomb)
    with pytest.raises(FetchError, match="unsupported Content-Encoding br"):
        _Inflater("br", 1000)
    truncated = _Inflater("gzip", 10_000)
    truncated.feed(gzip.compress(text)[:-20])
    with pytest.raises(FetchError, match="truncated gzip body"):
        truncated.finish()


# --- responses that are not reports, and servers that trickle (issue 19) ------------------------

def _broken_run(portal, state, night=0, **politeness):
    """A fetch of the "broken" column with the real clock (the deadline is wall-clock time) and a
    deadline-aware client from make_client, on the given night (failures are retried the next
    night); a thread with a generous join is only a safety net."""
    import datetime as dt
    import threading

    config = portal.source_config("broken", **politeness)
    when = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC) + dt.timedelta(days=night)
    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("report", fetch_source(
        source_from_dict(config), state, rng=random.Random(7), wall=lambda: when)), daemon=True)
    worker.start()
    worker.join(120)
    assert not worker.is_alive(), "the fetch did not end"
    return out["report"]


def test_a_trickling_server_ends_at_the_deadline_headers_included():
    with FakePortal() as portal:
        report = _broken_run(portal, FetchState(), deadline_seconds=1, timeout_seconds=5, max_attempts=3)
        failures = {url.rsplit("/", 1)[-1]: reason for url, reason in report.failures}
        assert failures["trickle-headers.html"] == "deadline (1 s) exceeded"
        assert failures["trickle-body.html"] == "deadline (1 s) exceeded"
        assert len(portal.requests_to("/bk/trickle-headers.html")) == 1  # a trickle is not retried


def test_empty_truncated_and_error_200s_are_not_fetched_and_are_asked_again():
    state = FetchState()
    with FakePortal() as portal:
        first = _broken_run(portal, state, deadline_seconds=1, timeout_seconds=5, max_attempts=1)
        failures = {url.rsplit("/", 1)[-1]: reason for url, reason in first.failures}
        assert failures["empty.html"] == "empty response (HTTP 200 without a body)"
        assert failures["truncated.html"] == "truncated body (fewer bytes than Content-Length) after 1 attempt"
        assert failures["error.html"] == "error page (HTTP 200 saying '页面不存在')"
        assert first.reports == [] and state.reports == {}
        assert sorted(state.failures) == sorted(portal.url(p) for p in BROKEN_REPORTS)  # asked again next night
        for path in BROKEN_REPORTS:  # the portal mends its pages
            route = portal.route(path)
            route.body = route.body or NINGBO_PAGE
            route.truncate_to, route.trickle = None, ""
        portal.route("/bk/error.html").body = NINGBO_PAGE
        second = _broken_run(portal, state, night=1, deadline_seconds=1, timeout_seconds=5, max_attempts=1)
        assert sorted(p.url for p in second.reports) == sorted(portal.url(p) for p in BROKEN_REPORTS)
        assert second.failures == [] and len(state.reports) == len(BROKEN_REPORTS)
