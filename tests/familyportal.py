"""Loopback portals in the shapes of the three CMS families that publish most report columns.

One server on 127.0.0.1 serves four columns, each with a sources.yaml entry from
`source_config(column)`:

- "trs" (`/trs/fzzfjsndbg/index.html`): a TRS/WCM column of three pages, `index.html`,
  `index_1.html`, `index_2.html`; the pager is JavaScript, the page count only appears in
  `createPageHTML(3, 0, "index", "html")`. Reports at `./202403/t20240327_…html` (TRS URLs).
- "hanweb" (`/col/col1229001/index.html`): a 大汉 column whose list is XML inside
  `<script type="text/xml"><datastore>` (no plain anchors in the HTML), with a `<nextgroup>`
  pointing at `/module/web/jpage/dataproxy.jsp?page=1&…`. dataproxy.jsp answers the records
  `startrecord`..`endrecord` (as jpage asks), or group `page=N` of three; past the end, an empty
  recordset. Three records per group, six in all.
- "hanweb-proxy" (`/col/col1229002/index.html`): a 大汉 column that embeds no record at all: only
  its jpage parameters (`columnid`, `unitid`, …) in a script; every group comes from dataproxy.jsp.
- "gkmlpt" (`/gkmlpt/api/all/2811?page=1&sid=755031`): Guangdong's disclosure platform API,
  JSON `{"total": 5, "articles": [...]}` two per page, so pages 2 and 3 exist; two articles
  are not reports.
- "gkmlpt-page" (`/bm/gkmlpt/index#2811`): the same catalogue reached from the platform's HTML
  page, whose script names the site (`SID: '755031'`); the category is the address's #fragment.
- "changed" (`/changed/index.html`): a column whose layout changed: it now renders its list
  with a JavaScript app, so it holds no report link.

`REPORTS[column]` lists the report paths each column must yield. All text is invented.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakeportal import (
    ANSHAN_2023,
    HANGZHOU_2024,
    NINGBO_2022,
    TITLE_PATTERN,
    FakePortal,
    Route,
    report_html,
)

PLACES = ["青山区", "白水县", "东湖区", "南岭县", "西河区", "北塘县", "石门区", "云溪县"]
TRS_START = "/trs/fzzfjsndbg/index.html"
HANWEB_START = "/col/col1229001/index.html"
HANWEB_PROXY_START = "/col/col1229002/index.html"
PROXY = "/module/web/jpage/dataproxy.jsp"
GKMLPT_START = "/gkmlpt/api/all/2811?page=1&sid=755031"
GKMLPT_PAGE = "/bm/gkmlpt/index#2811"   # the platform's HTML page; its API lives under /bm/gkmlpt/api/
CHANGED_START = "/changed/index.html"
STARTS = {"trs": TRS_START, "hanweb": HANWEB_START, "hanweb-proxy": HANWEB_PROXY_START, "gkmlpt": GKMLPT_START,
          "gkmlpt-page": GKMLPT_PAGE, "changed": CHANGED_START}


def _body(n: int) -> list[str]:
    """A report body: seed paragraphs with a sentence that makes each report's bytes its own."""
    base = [ANSHAN_2023, HANGZHOU_2024, NINGBO_2022][n % 3]
    return [base[0] + f"本报告为第{n + 1}号测试报告。", *base[1:]]


def _title(n: int, year: int = 2023) -> str:
    return f"{PLACES[n % len(PLACES)]}{year}年法治政府建设年度报告"


def _canonical(path: str) -> str:
    parts = urlsplit(path)
    return parts.path + ("?" + "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(parts.query))) if parts.query else "")


class FamilyPortal(FakePortal):
    """The family portal server; see the module docstring for its columns."""

    def __init__(self) -> None:
        super().__init__()
        self.robots = "User-agent: *\nDisallow: /private/\n"
        self.reports: dict[str, list[str]] = {}

    def source_config(self, column: str = "trs", **politeness: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": f"family-{column}", "region": "测试省测试市", "agency": "测试市人民政府",
            "list_pages": [self.url(STARTS[column])],
            "link_rule": {"title_pattern": TITLE_PATTERN,
                          "family": {"changed": "html", "hanweb-proxy": "hanweb",
                                     "gkmlpt-page": "gkmlpt"}.get(column, column)},
            "pagination": {"max_pages": 5},
            "allowed_hosts": [self.host],
            "evidence": ["tests/familyportal.py"],
            "politeness": {"min_interval_seconds": 0, "timeout_seconds": 2, "deadline_seconds": 5,
                           "max_attempts": 2, "backoff_seconds": 0.01, "max_backoff_seconds": 0.05,
                           **politeness},
            "allow_private_addresses": [f"{self.host}/32"],
        }
        return entry

    def _add(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        self._routes[_canonical(path)] = Route(body, content_type=content_type)

    def _report(self, column: str, path: str, n: int) -> None:
        self._add(path, report_html(_title(n), _body(n)).encode())
        self.reports.setdefault(column, []).append(path)

    def _build(self) -> None:
        self._add("/robots.txt", self.robots.encode(), "text/plain")
        self._build_trs()
        self._build_hanweb()
        self._build_gkmlpt()
        self._add(CHANGED_START, ('<html><head><meta charset="utf-8"><title>法治政府建设年度报告</title></head>'
                                  '<body><div id="app"></div><script src="/static/app.js"></script>'
                                  '</body></html>').encode())

    def _build_trs(self) -> None:
        n = 0
        for page in range(3):
            items = []
            for _ in range(2):
                path = f"/trs/fzzfjsndbg/2024{3 - page:02d}/t2024{3 - page:02d}2{n}_{700 + n}.html"
                self._report("trs", path, n)
                items.append(f'<li><a href="./{path.split("/", 3)[3]}" title="{_title(n)}" target="_blank">'
                             f'{_title(n)[:9]}...</a><span>2024-{3 - page:02d}-2{n}</span></li>')
                n += 1
            items.append('<li><a href="./202401/t20240105_690.html">关于春节假期安排的通知</a>'
                         '<span>2024-01-05</span></li>')
            script = f'<script language="JavaScript">createPageHTML(3, {page}, "index", "html");</script>'
            html = (f'<html><head><meta charset="utf-8"><title>法治政府建设年度报告</title></head><body>'
                    f'<div class="nav"><a href="../../">首页</a></div><ul class="list">{"".join(items)}</ul>'
                    f'<div class="page">{script}</div></body></html>')
            self._add(TRS_START if page == 0 else f"/trs/fzzfjsndbg/index_{page}.html", html.encode())

    def _datastore(self, records: list[str], columnid: str = "1229001") -> str:
        nextgroup = (f'<a href="{PROXY}?page=1&appid=1&webid=12&path=/&columnid={columnid}&unitid=4321'
                     '&webname=测试市人民政府&permissiontype=0"></a>')
        recs = "".join(f"<record><![CDATA[\n{r}]]></record>\n" for r in records)
        return f"<datastore><nextgroup><![CDATA[{nextgroup}]]></nextgroup><recordset>{recs}</recordset></datastore>"

    def _hanweb_records(self, column: str, columnid: str, first: int) -> list[str]:
        records, n = [], first
        for _ in range(2):
            for _ in range(2):
                path = f"/art/2024/3/{n}/art_{columnid}_{5000 + n}.html"
                self._report(column, path, n)
                records.append(f"<li><a href='{path}' title='{_title(n)}' target='_blank'>{_title(n)}</a>"
                               f"<span>2024-03-{n}</span></li>")
                n += 1
            records.append(f"<li><a href='/art/2024/1/2/art_{columnid}_{4900 + n}.html'>关于开展安全检查的通知</a>"
                           "<span>2024-01-02</span></li>")
        return records

    def _build_hanweb(self) -> None:
        self.proxy_records = {"1229001": self._hanweb_records("hanweb", "1229001", 10),
                              "1229002": self._hanweb_records("hanweb-proxy", "1229002", 14)}
        jpage = "perPage: 3, totalRecord: 6, groupSize: 1"
        page = (f'<html><head><meta charset="utf-8"><title>法治政府建设年度报告</title></head><body>'
                f'<div id="4321"><script type="text/xml">{self._datastore(self.proxy_records["1229001"][:3])}'
                f"</script></div><script>$('#4321').jpage({{dataStore: null, {jpage}}});</script></body></html>")
        self._add(HANWEB_START, page.encode())
        bare = ('<html><head><meta charset="utf-8"><title>法治政府建设年度报告</title></head><body><div id="4322"></div>'
                "<script>var param_4322={col:1,appid:1,webid:12,path:'/',columnid:1229002,unitid:'4322',"
                "webname:'测试市人民政府',permissiontype:0};"
                f"$('#4322').jpage({{proxyUrl: '{PROXY}', {jpage}}});</script></body></html>")
        self._add(HANWEB_PROXY_START, bare.encode())

    def lookup(self, path: str) -> Route | None:
        """Query parameters in any order; dataproxy.jsp answers the group its parameters ask for."""
        parts = urlsplit(path)
        if parts.path != PROXY:
            return self._routes.get(_canonical(path))
        query = dict(parse_qsl(parts.query))
        records = self.proxy_records.get(query.get("columnid", ""))
        if records is None:
            return None
        if query.get("startrecord", "").isdigit() and query.get("endrecord", "").isdigit():
            group = records[int(query["startrecord"]) - 1:int(query["endrecord"])]
        else:  # as a GET with page=N: groups of three records
            page = int(query.get("page", "1") or 1)
            group = records[(page - 1) * 3:page * 3]
        xml = '<?xml version="1.0" encoding="utf-8"?>' + self._datastore(group, query["columnid"])
        return Route(xml.encode(), content_type="text/xml;charset=UTF-8")

    def _build_gkmlpt(self) -> None:
        articles = []
        for i, n in enumerate(range(20, 25)):
            path = f"/gkmlpt/content/1/{2000 + n}/post_{2000 + n}.html"
            if i in (1, 3):
                self._add(path, report_html("关于印发防汛工作方案的通知", ["略。"]).encode())
                articles.append({"id": 2000 + n, "title": "关于印发防汛工作方案的通知", "url": self.url(path),
                                 "create_time": 1_700_000_000 - i * 86_400})
                continue
            self._report("gkmlpt", path, n)
            articles.append({"id": 2000 + n, "title": _title(n), "url": self.url(path),
                             "create_time": 1_711_500_000 - i * 86_400, "publisher": "测试市人民政府"})
        for page in range(1, 4):
            body = {"total": len(articles), "articles": articles[(page - 1) * 2: page * 2]}
            for prefix in ("", "/bm"):
                self._add(f"{prefix}/gkmlpt/api/all/2811?page={page}&sid=755031",
                          json.dumps(body, ensure_ascii=False).encode(), "application/json;charset=UTF-8")
        self._add("/bm/gkmlpt/index", ('<html><head><meta charset="utf-8"><title>政府信息公开</title></head><body>'
                                       '<div id="app"></div><script>window.formatConfig = {SID: \'755031\', '
                                       "TYPE: 'index'};</script></body></html>").encode())
