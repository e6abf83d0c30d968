"""A fake government portal on 127.0.0.1 for fetch and end-to-end tests (no other host is contacted).

Usage::

    from govreports.io.fetch import FetchState, fetch_source
    from govreports.portals.sources import source_from_dict
    from tests.fakeportal import FakePortal

    with FakePortal() as portal:
        source = source_from_dict(portal.source_config())          # the "reports" column
        report = fetch_source(source, FetchState())
        assert portal.requests_to("/robots.txt")

Columns (list pages), each with a matching sources.yaml entry from `source_config(column)`:

- "reports" (`/col/col1001/index.html`, 3 pages linked by 下一页, page 3 loops back to page 1):
  every report here is eventually fetched. Page 1 (UTF-8, ETag + Last-Modified) has a relative
  and an absolute report link, a duplicate with a #fragment, a non-report notice, nav and
  javascript links, a report-titled link to evil.example (not allowed) and one under /private/
  (robots.txt Disallow). Page 2 is GBK bytes with `<meta charset="gb2312">` (Last-Modified only).
  Reports: UTF-8 (`REPORT_UTF8`), GBK (`REPORT_GBK`), wrong header (`REPORT_MISLABELLED`: header
  says gb2312, body is UTF-8), 500-once-then-200 (`REPORT_FLAKY`), gzip-encoded (`REPORT_GZIP`),
  429-once with Retry-After (`REPORT_BUSY`). All answer 304 to matching conditional requests.
- "hazards" (`/col/col2002/index.html`, one page): each link fails or is refused in its own way:
  slow (sleeps `slow_seconds`), redirect to evil.example, redirect to 127.0.0.2 (SSRF),
  oversized, gzip bomb, 404, always 500, a redirect loop; plus one good same-host redirect.
- "broken" (`/col/col3003/index.html`, one page): reports answered 200 but not with a report:
  an empty body, a body cut short of its Content-Length, a soft-404 error page, and two that
  trickle (headers or body one byte every 50 ms). `route(path)` can mend them for a next run.
- "template" (`/tpl/index.html`, `/tpl/index_1.html`, `/tpl/index_2.html`, then 404): TRS-style
  pagination for `url_template` sources.

`add_report(title, paragraphs)` publishes a new report at the top of the reports column (its ETag
changes), for "the next nightly run picks it up" tests. `requests` logs every request
(method, path, headers, status) for assertions; `body(path)` is the exact body served.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Report text taken from real reports (shared/seeds 000, 001, 003).
ANSHAN_2023 = [
    "2023 年是全面贯彻落实党的二十大精神的开局之年,是实施“十四五”规划承上启下的关键之年。市教育局以习近平新时代"
    "中国特色社会主义思想为指导,深入学习贯彻习近平法治思想,全面推进法治政府建设,有关工作情况报告如下。",
    "第一部分:主要举措和成效",
    "一、健全政府机构职能体系,推动更好发挥政府作用",
    "(一)推进政府机构职能优化协同高效",
    "1.优化政府机构职能。动态调整市县两级教育系统行政部门权责清单,推动教育行政部门高效履职尽责。编制并公布市县"
    "两级教育行政许可事项清单6项,严格落实“清单之外无审批”要求。",
]
HANGZHOU_2024 = [
    "2024年杭州市教育局法治工作的总体思路是:以习近平新时代中国特色社会主义思想为指导,深入学习贯彻习近平法治思想,"
    "按照国家和省市有关法治政府建设的决策部署,坚持稳中求进、以进促稳,纵深推进法治建设工作。",
    "一、认真落实法治政府建设责任",
    "1.深入学习贯彻习近平法治思想。坚持会前学法制度,局党组理论学习中心组年度学法不少于4次,组织集体宪法宣誓,"
    "加强局机关干部法治宣传教育。〔责任机构:宣传处〕",
]
NINGBO_2022 = [
    "2022年,市教育局坚持以习近平法治思想为指引,紧紧围绕《法治政府建设实施纲要(2021—2025)》工作要求,"
    "持续推进教育系统法治建设,取得良好成效。现将工作情况总结如下:",
    "一、加强依法行政领导,营造良好法治环境",
    "一是落实第一责任人职责。落实领导班子会前集体学法制度,集中学习《习近平法治思想学习纲要》等法律法规。",
    "二是持续推进科学立法。《宁波市教育督导条例》于2022年3月1日起施行,报送《中小学校幼儿园规划建设条例》"
    "等2项市人大五年立法需求计划。",
]

LIST_1, LIST_2, LIST_3 = ("/col/col1001/index.html", "/col/col1001/index.html?uid=4321&pageNum=2",
                          "/col/col1001/index.html?uid=4321&pageNum=3")
REPORT_UTF8 = "/art/2024/3/28/art_1001_101.html"
REPORT_GBK = "/art/2024/2/5/art_1001_102.html"
REPORT_MISLABELLED = "/art/2023/3/30/art_1001_103.html"
REPORT_FLAKY = "/art/2023/2/1/art_1001_104.html"
REPORT_GZIP = "/art/2022/3/1/art_1001_105.html"
REPORT_BUSY = "/art/2022/1/5/art_1001_106.html"
NOTICE = "/art/2024/1/8/art_1001_90.html"
PRIVATE = "/private/art_1001_99.html"
HAZARDS = "/col/col2002/index.html"
BROKEN = "/col/col3003/index.html"
BROKEN_REPORTS = ("/bk/empty.html", "/bk/truncated.html", "/bk/error.html", "/bk/trickle-headers.html",
                  "/bk/trickle-body.html")
TEMPLATE_PAGES = ("/tpl/index.html", "/tpl/index_1.html", "/tpl/index_2.html")
TITLE_PATTERN = "法治政府.*(报告|要点|计划|总结)"


@dataclass
class Route:
    """How one path answers; `fail_first` answers `fail_status` that many times first."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    etag: bool = True
    last_modified: str | None = None
    gzip: bool = False
    fail_first: int = 0
    fail_status: int = 500
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    raw_body: bytes | None = None  # sent as is (e.g. a gzip bomb with its own Content-Encoding)
    stream_bytes: int = 0          # send this many bytes without Content-Length
    truncate_to: int | None = None  # declare the whole body's Content-Length, send this many bytes, close
    trickle: str = ""              # "headers" or "body": sent one byte every 50 ms (for a minute)
    hits: int = 0


@dataclass
class RequestRecord:
    """One request as received; `status` is 0 while it is being answered, -1 if the client left."""

    method: str
    path: str
    headers: dict[str, str]
    status: int = 0


def report_html(title: str, paragraphs: list[str], charset: str | None = "utf-8") -> str:
    """A report page in the shape of a Hanweb/TRS CMS article page (chrome + TRS_Editor body)."""
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head>{meta}<title>{title}</title>"
            f'<meta name="ArticleTitle" content="{title}"><meta name="SiteName" content="测试市教育局">'
            f"</head><body><div class=crumb>首页 &gt; 政务公开 &gt; 法治政府建设</div><h1>{title}</h1>"
            f'<div class="TRS_Editor">{body}</div><div class=tail>【打印本页】【关闭窗口】</div></body></html>')


def list_html(items: list[tuple[str, str, str]], nav: str = "", charset: str = "utf-8") -> str:
    """A column page: `items` are (href, anchor text, title attribute) inside `div.list-box`."""
    lis = "".join(f'<li><a href="{h}" title="{t}" target="_blank">{x}</a><span>2024-03-28</span></li>'
                  for h, x, t in items)
    return (f'<html><head><meta charset="{charset}"><title>法治政府建设</title></head><body>'
            f'<div class=nav><a href="/">首页</a> <a href="javascript:void(0)">打印</a> '
            f'<a href="mailto:ban@example.invalid">联系我们</a></div>'
            f'<div class="list-box"><ul>{lis}</ul></div><div class=page>{nav}</div></body></html>')


@functools.lru_cache(maxsize=4)
def _bomb(size: int) -> bytes:
    """`size` zero bytes gzipped: about a thousandth of the size on the wire."""
    return gzip.compress(b"\0" * size, compresslevel=6)


class FakePortal:
    """The fake portal server; see the module docstring for what it serves."""

    host = "127.0.0.1"

    def __init__(self, *, slow_seconds: float = 2.0, oversize_bytes: int = 1_000_000,
                 bomb_bytes: int = 20_000_000) -> None:
        self.slow_seconds, self.oversize_bytes, self.bomb_bytes = slow_seconds, oversize_bytes, bomb_bytes
        self.robots = "User-agent: *\nDisallow: /private/\n"
        self.requests: list[RequestRecord] = []
        self._routes: dict[str, Route] = {}
        self._new_reports: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> FakePortal:
        self._server = ThreadingHTTPServer((self.host, 0), _handler(self))
        self._server.daemon_threads = True
        self._server.handle_error = lambda *a: None  # a client that timed out is not an error here
        self.port = self._server.server_address[1]
        self._build()
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakePortal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers for tests ---------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def lookup(self, path: str) -> Route | None:
        """The route answering a request path (query string included)."""
        return self._routes.get(path)

    def body(self, path: str) -> bytes:
        """The exact (uncompressed) body served at `path`."""
        return self._routes[path].body

    def route(self, path: str) -> Route:
        """The route serving `path`, to change its behaviour in a test (e.g. `.status = 503`)."""
        return self._routes[path]

    def requests_to(self, path: str) -> list[RequestRecord]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def add_report(self, title: str, paragraphs: list[str]) -> str:
        """Publish a new UTF-8 report at the top of the reports column; returns its path."""
        with self._lock:
            path = f"/art/2025/3/1/art_1001_{200 + len(self._new_reports)}.html"
            self._new_reports.insert(0, (path, title))
            self._routes[path] = Route(report_html(title, paragraphs).encode())
            self._routes[LIST_1] = self._list_1()
        return path

    def source_config(self, column: str = "reports", **politeness: Any) -> dict[str, Any]:
        """A sources.yaml entry (as a dict) for one column, with tiny test timeouts and delays.

        Keyword arguments override politeness fields (e.g. `min_interval_seconds=0.05`).
        """
        starts = {"reports": LIST_1, "hazards": HAZARDS, "template": TEMPLATE_PAGES[0], "broken": BROKEN}
        entry: dict[str, Any] = {
            "name": f"fakeportal-{column}", "region": "测试省测试市", "agency": "测试市教育局",
            "list_pages": [self.url(starts[column])],
            "link_rule": {"title_pattern": TITLE_PATTERN},
            "allowed_hosts": [self.host],
            "politeness": {"min_interval_seconds": 0, "timeout_seconds": 0.3, "deadline_seconds": 5,
                           "max_bytes": 300_000, "max_attempts": 3, "backoff_seconds": 0.01,
                           "max_backoff_seconds": 0.05, "max_pages_per_run": 50, **politeness},
            "allow_private_addresses": [f"{self.host}/32"],
        }
        if column == "reports":
            entry["link_rule"]["selector"] = "div.list-box li"
        if column == "hazards":
            entry["allowed_hosts"] = [self.host, "127.0.0.2"]  # so the address check, not the host check, fires
        if column == "template":
            entry["pagination"] = {"url_template": self.url("/tpl/index_{page}.html"), "start": 1, "max_pages": 5}
        return entry

    # -- content -------------------------------------------------------------------------------
    def _list_1(self) -> Route:
        items = [(p, t, t) for p, t in self._new_reports] + [
            ("../../art/2024/3/28/art_1001_101.html", "鞍山市教育局2023年法治政府建设年度报告", ""),
            (self.url(REPORT_GBK), "杭州市教育局2024年度法治政府建设(依法...",
             "杭州市教育局2024年度法治政府建设(依法行政)工作要点"),
            (REPORT_UTF8 + "#content", "2023年法治政府建设年度报告", ""),
            (NOTICE, "关于公布2024年普通高中招生计划的通知", ""),
            ("http://evil.example/art/copy.html", "2023年法治政府建设年度报告(转载)", ""),
            (PRIVATE, "2023年法治政府建设年度报告(内部稿)", ""),
        ]
        nav = '<a href="index.html?uid=4321&amp;pageNum=2">下一页</a>'
        html = list_html(items, nav).encode()
        return Route(html, last_modified=formatdate(1_700_000_000 + len(self._new_reports), usegmt=True))

    def _build(self) -> None:
        r = self._routes
        r["/robots.txt"] = Route(self.robots.encode(), content_type="text/plain", etag=False)
        r[LIST_1] = self._list_1()
        page2 = list_html([
            (REPORT_MISLABELLED, "宁波市教育局2022年法治政府工作总结和2023年工作计划", ""),
            (REPORT_FLAKY, "2022年法治政府建设年度报告", ""),
        ], '<a href="index.html">上一页</a> <a href="index.html?uid=4321&amp;pageNum=3">下一页</a>',
            charset="gb2312")
        r[LIST_2] = Route(page2.encode("gbk"), content_type="text/html", etag=False,
                          last_modified=formatdate(1_690_000_000, usegmt=True))
        page3 = list_html([(REPORT_GZIP, "2021年法治政府建设年度报告", ""),
                           (REPORT_BUSY, "2022年法治政府建设工作要点", "")],
                          '<a href="index.html?uid=4321&amp;pageNum=2">上一页</a> <a href="./index.html">下一页</a>')
        r[LIST_3] = Route(page3.encode())
        r[REPORT_UTF8] = Route(report_html("鞍山市教育局2023年法治政府建设年度报告", ANSHAN_2023).encode(),
                               last_modified=formatdate(1_711_600_000, usegmt=True))
        r[REPORT_GBK] = Route(report_html("杭州市教育局2024年度法治政府建设(依法行政)工作要点", HANGZHOU_2024,
                                          "gb2312").encode("gbk"), content_type="text/html")
        r[REPORT_MISLABELLED] = Route(report_html("2022年法治政府工作总结和2023年工作计划", NINGBO_2022,
                                                  None).encode(), content_type="text/html; charset=gb2312")
        r[REPORT_FLAKY] = Route(report_html("2022年法治政府建设年度报告", NINGBO_2022[:2]).encode(), fail_first=1)
        r[REPORT_GZIP] = Route(report_html("2021年法治政府建设年度报告", ANSHAN_2023[:3]).encode(), gzip=True)
        r[REPORT_BUSY] = Route(report_html("2022年法治政府建设工作要点", HANGZHOU_2024[:2]).encode(),
                               fail_first=1, fail_status=429, headers={"Retry-After": "0"})
        r[NOTICE] = Route(report_html("关于公布2024年普通高中招生计划的通知", ["略。"]).encode())
        r[PRIVATE] = Route(report_html("内部稿", ["不应被抓取。"]).encode())
        self._build_hazards()
        self._build_broken()
        for i, path in enumerate(TEMPLATE_PAGES):
            r[path] = Route(list_html([(f"/tpl/t2024010{i}_{i}.html", f"{2020 + i}年法治政府建设年度报告", "")],
                                      '<a href="javascript:goPage(2)">下一页</a>').encode())
            r[f"/tpl/t2024010{i}_{i}.html"] = Route(report_html(f"{2020 + i}年法治政府建设年度报告",
                                                                ANSHAN_2023[:2]).encode())

    def _build_hazards(self) -> None:
        r, title = self._routes, "法治政府建设年度报告"
        hazards = {
            "/hz/slow.html": Route(report_html(title, ["慢"]).encode(), delay=self.slow_seconds),
            "/hz/redirect-evil.html": Route(status=302, headers={"Location": "http://evil.example/stolen.html"}),
            "/hz/redirect-loopback.html": Route(
                status=302, headers={"Location": f"http://127.0.0.2:{self.port}/hz/internal.html"}),
            "/hz/oversized.html": Route(b"", stream_bytes=self.oversize_bytes),
            "/hz/bomb.html": Route(raw_body=_bomb(self.bomb_bytes), headers={"Content-Encoding": "gzip"}),
            "/hz/missing.html": Route(b"<h1>404</h1>", status=404, etag=False),
            "/hz/always-500.html": Route(b"error", status=500, etag=False),
            "/hz/loop-a.html": Route(status=302, headers={"Location": "/hz/loop-b.html"}),
            "/hz/loop-b.html": Route(status=302, headers={"Location": "/hz/loop-a.html"}),
            "/hz/moved.html": Route(status=301, headers={"Location": "/hz/moved-here.html"}),
        }
        r.update(hazards)
        r["/hz/moved-here.html"] = Route(report_html(title, ANSHAN_2023[:2]).encode())
        items = [(p, f"{title}({p.split('/')[-1]})", "") for p in hazards if p != "/hz/loop-b.html"]
        r[HAZARDS] = Route(list_html(items).encode())


    def _build_broken(self) -> None:
        r, page = self._routes, report_html("2023年法治政府建设年度报告", ANSHAN_2023).encode()
        error = report_html("提示信息", ["对不起，您访问的页面不存在或已删除！", "返回首页"]).encode()
        r["/bk/empty.html"] = Route(b"")
        r["/bk/truncated.html"] = Route(page, truncate_to=len(page) // 2)
        r["/bk/error.html"] = Route(error)
        r["/bk/trickle-headers.html"] = Route(page, trickle="headers")
        r["/bk/trickle-body.html"] = Route(page, trickle="body")
        items = [(p, f"2023年法治政府建设年度报告({p.split('/')[-1]})", "") for p in BROKEN_REPORTS]
        r[BROKEN] = Route(list_html(items).encode())


def _handler(portal: FakePortal) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            record = self.record = RequestRecord("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
            with portal._lock:
                portal.requests.append(record)  # logged on arrival, so slow requests show up at once
                route = portal.lookup(self.path)
                if route is not None:
                    route.hits += 1
            try:
                self._answer(route)
            except (BrokenPipeError, ConnectionResetError):
                record.status = -1  # the client gave up (timeout, size cap)

        def _answer(self, route: Route | None) -> int:
            if route is None:
                return self._send(404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>")
            if route.delay:
                time.sleep(route.delay)
            if route.hits <= route.fail_first:
                return self._send(route.fail_status, route.headers, b"busy")
            headers = {"Content-Type": route.content_type, **route.headers}
            etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"' if route.etag and route.body else None
            if etag:
                headers["ETag"] = etag
            if route.last_modified:
                headers["Last-Modified"] = route.last_modified
            inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            if (etag and inm == etag) or (not inm and route.last_modified and ims == route.last_modified):
                return self._send(304, {k: v for k, v in headers.items() if k != "Content-Type"}, b"")
            if route.stream_bytes:
                self.record.status = route.status
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.end_headers()
                for _ in range(route.stream_bytes // 65536 + 1):
                    self.wfile.write(b"x" * 65536)
                return route.status
            if route.trickle:
                return self._trickle(route)
            if route.truncate_to is not None:
                self.record.status = route.status
                self.send_response(route.status)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body[:route.truncate_to])
                self.wfile.flush()
                self.close_connection = True
                return route.status
            body = route.raw_body if route.raw_body is not None else route.body
            if route.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
                body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
            return self._send(route.status, headers, body)

        def _trickle(self, route: Route) -> int:
            """Headers (or, after quick headers, the body) one byte at a time until the client leaves."""
            self.record.status = route.status
            head = (f"HTTP/1.1 {route.status} OK\r\nContent-Type: {route.content_type}\r\n"
                    f"Content-Length: {len(route.body)}\r\n\r\n").encode()
            slow = head + route.body if route.trickle == "headers" else route.body
            if route.trickle == "body":
                self.wfile.write(head)
            for i in range(min(len(slow), 1200)):  # a minute at most
                self.wfile.write(slow[i:i + 1])
                self.wfile.flush()
                time.sleep(0.05)
            self.close_connection = True
            return route.status

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> int:
            self.record.status = status  # before the client can see the answer
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return status

    return Handler
