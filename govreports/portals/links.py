"""Find report links and further list pages in a portal's column (list) page.

Why not a generic link extractor (courlan, trafilatura): what counts as a report is per-portal
config (title regex and/or CSS selector, sources.yaml), list titles are often truncated in the
anchor text with the full title in `title=`, and the result must obey the source's allowed hosts.
Pure: HTML text in, URLs out; no network.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from govreports.portals import list_families as fam
from govreports.portals.sources import Source

_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "#")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
#: WHATWG maps these labels to GBK, whose decoder is gb18030 (shared/docs/domain.md §3.5).
_GB_LABELS = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "chinese", "csgb2312", "iso-ir-58"}


@dataclass(frozen=True, slots=True)
class Link:
    """A report link: absolute URL without fragment, and the best title the list page gives."""

    url: str
    title: str
    date: str | None = None   # YYYY-MM-DD from the list entry or the URL, when either gives one


def normalize_url(href: str, base_url: str) -> str | None:
    """Resolve `href` against `base_url`; drop the fragment; None for non-http(s) targets."""
    # as browsers do (WHATWG URL): trim, drop tabs/newlines that templates leave inside href
    href = re.sub(r"[\t\r\n]", "", href.strip()).replace(" ", "%20")
    if not href or href.lower().startswith(_SKIP_SCHEMES):
        return None
    parts = urlsplit(urljoin(base_url, href))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    netloc = parts.netloc.lower()
    default_port = ":80" if parts.scheme == "http" else ":443"
    if netloc.endswith(default_port):
        netloc = netloc[: -len(default_port)]
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def _text(node: LexborNode) -> str:
    return " ".join(node.text(deep=True, separator=" ").split())


def _title(anchor: LexborNode) -> str:
    """Prefer the `title` attribute when it is longer: list anchors truncate long titles with '...'."""
    text = _text(anchor)
    attr = " ".join((anchor.attributes.get("title") or "").split())
    return attr if len(attr) > len(text) else text


def _anchors(tree: LexborHTMLParser, selector: str | None) -> list[LexborNode]:
    """Anchors with href, in document order; a selector may pick anchors or their containers."""
    if not selector:
        return tree.css("a[href]")
    found: list[LexborNode] = []
    for node in tree.css(selector):
        if node.tag == "a":
            found.append(node)
        else:
            found.extend(node.css("a[href]"))
    return [a for a in found if a.attributes.get("href")]


def _base(tree: LexborHTMLParser, base_url: str) -> str:
    base = tree.css_first("base[href]")
    href = base.attributes.get("href") if base else None
    return urljoin(base_url, href.strip()) if href else base_url


def discover_links(html: str, base_url: str, source: Source) -> tuple[list[Link], list[str]]:
    """Report links and further list pages on one list page, read the way its CMS family writes it.

    Args:
        html: the decoded list page (for gkmlpt, the JSON answer of its API; for a Hanweb
            dataproxy.jsp group, its XML).
        base_url: the URL the page was served from (after redirects); `<base href>` overrides it.
        source: supplies the link rule (and family), the `next` rule and the allowed hosts.

    Returns:
        (links, next_pages): absolute URLs without fragments, duplicates removed in first-seen
        order, only on allowed hosts; a link must match the title pattern (on its text or its
        `title` attribute) and sit under the selector, when those are configured.

    Raises:
        ValueError: a gkmlpt column answered something that is not the platform's JSON.
    """
    family = source.link_rule.family
    if family == "gkmlpt":
        return _gkmlpt_links(html, base_url, source)
    records = fam.hanweb_records(html) if family == "hanweb" else None
    tree = LexborHTMLParser(records if records is not None else html)
    base = _base(LexborHTMLParser(html) if records is not None else tree, base_url)
    self_url = normalize_url(base_url, base_url)
    links = _anchor_links(tree, base, self_url, source)
    if family == "hanweb":
        n_records = len(tree.css("a[href]")) if records is not None else 0
        nexts = [u for p in fam.hanweb_next(html, base, n_records) if (u := normalize_url(p, base))]
        return links, [u for u in nexts if source.host_allowed(urlsplit(u).hostname)]
    next_pages = _next_pages(tree, base, self_url, source)
    if family == "trs":
        pages = [u for p in fam.trs_pages(html, base) if (u := normalize_url(p, base))]
        next_pages += [u for u in pages if u not in next_pages and u != self_url
                       and source.host_allowed(urlsplit(u).hostname)]
    return links, next_pages


def _anchor_links(tree: LexborHTMLParser, base: str, self_url: str | None, source: Source) -> list[Link]:
    rule = source.link_rule
    pattern = re.compile(rule.title_pattern) if rule.title_pattern else None
    links: dict[str, Link] = {}
    for anchor in _anchors(tree, rule.selector):
        url = normalize_url(anchor.attributes.get("href") or "", base)
        if url is None or url == self_url or not source.host_allowed(urlsplit(url).hostname):
            continue
        title = _title(anchor)
        texts = (title, _text(anchor))
        if pattern and not any(pattern.search(t) for t in texts):
            continue
        if url not in links or (title and not links[url].title):
            links[url] = Link(url, title, _entry_date(anchor, url))
    return list(links.values())


def _entry_date(anchor: LexborNode, url: str) -> str | None:
    """The date beside the anchor in its list entry (<li>, <tr>, or a small <div> holding just this
    entry), else the date in its URL."""
    node = anchor.parent
    for _ in range(3):
        if node is None or node.tag in ("ul", "ol", "table", "tbody", "body"):
            break
        text = _text(node)
        if node.tag in ("li", "tr", "dd", "p") or (node.tag == "div" and len(node.css("a[href]")) == 1):
            found = fam.text_date(text)
            if found:
                return found
            break
        node = node.parent
    return fam.url_date(url)


def _gkmlpt_links(text: str, base_url: str, source: Source) -> tuple[list[Link], list[str]]:
    try:
        items, pages = fam.gkmlpt_items(text, base_url)
    except ValueError:
        # the platform's HTML page instead of its API: go to the API it calls (category = #fragment)
        here = normalize_url(base_url, base_url)
        fragment = next((urlsplit(p).fragment for p in source.list_pages if normalize_url(p, p) == here), None)
        api = fam.gkmlpt_api(text, base_url, fragment)
        if api is None or not source.host_allowed(urlsplit(api).hostname):
            raise
        return [], [api]
    pattern = re.compile(source.link_rule.title_pattern) if source.link_rule.title_pattern else None
    links: dict[str, Link] = {}
    for raw, title, date in items:
        url = normalize_url(raw, base_url)
        if url is None or not source.host_allowed(urlsplit(url).hostname):
            continue
        if pattern and not pattern.search(title):
            continue
        links.setdefault(url, Link(url, title, date or fam.url_date(url)))
    nexts = [u for p in pages if (u := normalize_url(p, base_url)) and source.host_allowed(urlsplit(u).hostname)]
    return list(links.values()), nexts


def _next_pages(tree: LexborHTMLParser, base: str, self_url: str | None, source: Source) -> list[str]:
    pagination = source.pagination
    if pagination.url_template:
        return []  # template pagination is expanded by the fetcher, not read from the page
    if pagination.next_selector:
        anchors = _anchors(tree, pagination.next_selector)
    else:
        anchors = [a for a in tree.css("a[href]") if any(t in _text(a) for t in pagination.next_text)]
    pages: list[str] = []
    for anchor in anchors:
        url = normalize_url(anchor.attributes.get("href") or "", base)
        if url and url != self_url and url not in pages and source.host_allowed(urlsplit(url).hostname):
            pages.append(url)
    return pages


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, lower-cased; None when absent."""
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1).lower() if match else None


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.lower()
    label = "gb18030" if label in _GB_LABELS else label
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_list_page(data: bytes, content_type: str | None = None, hint: str | None = None) -> str:
    """Decode a list page well enough to read its links (the core's decoder handles report pages).

    UTF-8 is tried first because strict UTF-8 almost never accepts GBK bytes, while gb18030
    accepts most UTF-8 byte pairs as mojibake; this also survives a wrong `charset=gb2312`
    header on a UTF-8 page. Then the header charset, the `<meta>` charset, the source's hint,
    and finally gb18030 with replacement characters.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    meta = _META_CHARSET.search(data[:4096])
    labels = ["utf-8", charset_from_content_type(content_type), meta and meta.group(1).decode("ascii"), hint]
    for label in labels:
        codec = _codec(label)
        if codec:
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                continue
    return data.decode("gb18030", errors="replace")
