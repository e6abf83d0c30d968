"""What a list page of each CMS family holds beyond plain anchors: records, further pages, dates.

Why hand-written: these are the page shapes of three Chinese government CMS families, which no
crawling library knows, and reading them must not run JavaScript:

* TRS/WCM columns (`index.html`, `index_1.html` …) write the page count into a
  `createPageHTML(count, current, "index", "html")` script call; the pager links are JavaScript.
* 大汉 Hanweb columns (`/col/col<id>/index.html`) carry their first records as XML inside a
  `<script type="text/xml"><datastore>`; further groups come from the `dataproxy.jsp` URL in
  `<nextgroup>` with `page=2, 3, …`, answering the same `<datastore>` XML.
* Guangdong's gkmlpt platform lists a category through `/gkmlpt/api/all/<cat>?page=<n>&sid=<site>`,
  a JSON object with `total` and `articles` (title, url, create_time).

The patterns are rules (govreports/rules/list_families.yaml). Pure: text in, URLs out.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from govreports import rules as rulebook


@functools.cache
def _rules() -> dict[str, Any]:
    return dict(rulebook.list_families())


@functools.cache
def _rx(family: str, key: str) -> re.Pattern[str]:
    return re.compile(_rules()[family][key], re.S | re.I)


def trs_pages(html: str, base_url: str) -> list[str]:
    """Every further page of a TRS column (from its createPageHTML call), in order; [] if none."""
    match = _rx("trs", "page_call").search(html)
    if match:
        count, prefix, ext = int(match.group(1)), match.group(3), match.group(4)
    else:
        var = _rx("trs", "count_var").search(html)
        if not var or "createPageHTML" not in html:
            return []
        count, prefix, ext = int(var.group(1)), "index", "html"
    count = min(count, int(_rules()["trs"]["max_pages"]))
    return [urljoin(base_url, f"{prefix}_{n}.{ext}") for n in range(1, count)]


def hanweb_records(text: str) -> str | None:
    """The records of a Hanweb <datastore> joined into one HTML fragment; None if there is none."""
    if "<datastore" not in text:
        return None
    return "<div>" + "".join(_rx("hanweb", "record").findall(text)) + "</div>"


def _with_param(url: str, name: str, value: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    return urlunsplit(parts._replace(query=urlencode([*query, (name, str(value))], safe="/'%")))


def _page_of(url: str, name: str) -> int:
    value = dict(parse_qsl(urlsplit(url).query)).get(name, "")
    return int(value) if value.isdigit() else 1


def hanweb_next(text: str, base_url: str, n_records: int) -> list[str]:
    """The next dataproxy.jsp group after this page (column page or group), while groups have records.

    The request carries `page=N` and `startrecord/endrecord/perpage` (what jpage's script sends), so
    a server reading either answers the N-th group. A column page that embeds no records yields
    the first group's request, built from its jpage parameters.
    """
    conf = _rules()["hanweb"]
    on_proxy = "dataproxy" in urlsplit(base_url).path
    if on_proxy:
        if n_records == 0:
            return []
        query = dict(parse_qsl(urlsplit(base_url).query))
        start, end = _int(query.get("startrecord"), 1), _int(query.get("endrecord"), 0)
        size = end - start + 1 if end >= start else n_records
        per = _int(query.get("perpage"), size)
        return [_group(base_url, _page_of(base_url, conf["page_param"]) + 1, start + size, size, per)]
    per = _int(_found(_rx("hanweb", "per_page"), text), int(conf["default_per_page"]))
    total = _int(_found(_rx("hanweb", "total"), text), 0)
    match = _rx("hanweb", "nextgroup").search(text)
    if match:  # the records of group 1 are embedded; ask for group 2 if there may be one
        size = n_records or per * _int(_found(_rx("hanweb", "group_size"), text), int(conf["default_group_size"]))
        if n_records == 0 or (total and total <= size):
            return []
        proxy = urljoin(base_url, match.group(1).replace("&amp;", "&").replace("'", ""))
        return [_group(proxy, 2, size + 1, size, per)]
    proxy = _proxy_from_params(text, base_url)
    if proxy is None:
        return []
    size = per * _int(_found(_rx("hanweb", "group_size"), text), int(conf["default_group_size"]))
    return [_group(proxy, 1, 1, size, per)]


def _group(url: str, page: int, start: int, size: int, per: int) -> str:
    names = _rules()["hanweb"]["record_params"]
    url = _with_param(url, _rules()["hanweb"]["page_param"], page)
    for name, value in zip(names, (start, start + size - 1, per), strict=True):
        url = _with_param(url, name, value)
    return url


def _proxy_from_params(text: str, base_url: str) -> str | None:
    """dataproxy.jsp?<column parameters> from a column page's jpage settings; None without a columnid."""
    conf = _rules()["hanweb"]
    values = {}
    for name, default in conf["column_params"].items():
        found = _found(re.compile(rf"\b{name}\s*[:=]\s*['\"]?([^,'\"}}\s&]*)", re.I), text)
        if found is None and default is None:
            return None
        values[name] = found if found is not None else default
    if "jpage" not in text and "dataproxy" not in text:
        return None
    proxy = _found(_rx("hanweb", "proxy_url"), text) or conf["default_proxy"]
    return urljoin(base_url, proxy) + "?" + urlencode(values, safe="/'%")


def _found(rx: re.Pattern[str], text: str) -> str | None:
    match = rx.search(text)
    return match.group(1) if match else None


def _int(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() else default


def gkmlpt_items(text: str, base_url: str) -> tuple[list[tuple[str, str, str | None]], list[str]]:
    """(url, title, date) of every article in a gkmlpt API answer, and the further API pages.

    Raises ValueError when the body is not the platform's JSON (the layout changed).
    """
    conf = _rules()["gkmlpt"]
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get(conf["articles_key"]), list):
        raise ValueError(f"not a gkmlpt answer (no {conf['articles_key']!r} list)")
    items = []
    for article in data[conf["articles_key"]]:
        if not isinstance(article, dict):
            continue
        url = next((article[k] for k in conf["url_keys"] if isinstance(article.get(k), str) and article[k]), None)
        title = next((article[k] for k in conf["title_keys"] if isinstance(article.get(k), str)), "")
        stamp = next((article[k] for k in conf["time_keys"] if isinstance(article.get(k), int | float)), None)
        date = dt.datetime.fromtimestamp(stamp, dt.UTC).date().isoformat() if stamp else None
        if url:
            items.append((urljoin(base_url, url), " ".join(title.split()), date))
    total, per_page = data.get(conf["total_key"]), len(data[conf["articles_key"]])
    pages: list[str] = []
    param = conf["page_param"]
    if _page_of(base_url, param) == 1 and isinstance(total, int) and per_page:
        last = min(math.ceil(total / per_page), int(conf["max_pages"]))
        pages = [_with_param(base_url, param, n) for n in range(2, last + 1)]
    return items, pages


def gkmlpt_api(text: str, base_url: str, category: str | None) -> str | None:
    """The API URL behind a gkmlpt HTML page (…/gkmlpt/index#<category>): its SID and the category
    (0, the whole catalogue, when the configured address names none); None when it is no such page."""
    conf = _rules()["gkmlpt"]
    sid = _found(_rx("gkmlpt", "sid"), text)
    path = urlsplit(base_url).path
    if sid is None or "/gkmlpt/" not in path + "/":
        return None
    prefix = path[: path.index("/gkmlpt") + 1]
    api = conf["api"].format(category=category if category and category.isdigit() else "0", sid=sid)
    return urljoin(base_url, prefix + api)


def text_date(text: str) -> str | None:
    """The first plausible date (YYYY-MM-DD) written in `text`, e.g. the <span> beside a list link."""
    return _date(_rx("dates", "text").search(text))


@functools.cache
def _url_dates() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in _rules()["dates"]["url"])


def url_date(url: str) -> str | None:
    """The date a CMS writes into report URLs (TRS t20240327_, Hanweb /art/2024/3/27/)."""
    for rx in _url_dates():
        if found := _date(rx.search(url)):
            return found
    return None


def _date(match: re.Match[str] | None) -> str | None:
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()[:3])).isoformat()
    except ValueError:
        return None
