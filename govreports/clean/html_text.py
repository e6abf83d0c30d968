"""An HTML article page → lines of text in reading order, plus what its markup says about it.

Generic extractors guess the main block by text density; portal pages make that unnecessary and
risky: the CMS names its body container (TRS_Editor, #zoom, ...: rules/chrome.yaml), and the
政府网站发展指引 meta tags and 信息公开 tables carry the metadata we need, which extractors drop.
The tree walk is iterative (a 50,000-deep page must not recurse), and pages nested beyond a
limit are read by a flat tag stripper, because tree building is quadratic in nesting depth.
Text is NOT NFKC-normalised: ①, ⑴, ㈠ carry heading levels (domain.md §2.3).
"""

from __future__ import annotations

import html as htmllib
import re
import unicodedata

from selectolax.lexbor import LexborHTMLParser, LexborNode

from govreports.clean.chrome import chrome_rules, strip_chrome
from govreports.models import PageText
from govreports.text.charclasses import CJK_SCRIPT_AND_PUNCT_CLASS
from govreports.text.dates import iso_date

_BREAK = "\x00"  # block boundary marker inside the joined text (NUL never survives decoding)
_CJK = CJK_SCRIPT_AND_PUNCT_CLASS
_SRC_NL = re.compile(rf"(?<={_CJK})[ \t\r\f\v]*\n[ \t\r\n\f\v]*(?={_CJK})")
_WS = re.compile(r"[ \t\r\n\f\v\xa0]+")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*?(/?)>")
_NESTING = {"div", "span", "font", "section", "article", "table", "ul", "ol", "blockquote", "center",
            "b", "i", "u", "strong", "em", "a", "form", "td", "tr", "tbody"}
_FLAT_BLOCK = re.compile(r"(?i)</?(?:p|div|br|li|tr|h[1-6]|table|section|article|blockquote|dd|dt)\b[^<>]*>")
_HEAD_TAGS = re.compile(r"(?i)<meta\b[^<>]*>|<title\b[^<>]*>[^<]{0,2000}</title\s*>")
_HEAD_SCAN = 262144  # meta tags and <title> sit at the top; a flat scan avoids building a deep tree
_STRONG_KEYS = {"index_no", "publisher", "written_date", "doc_no", "publish_date"}
#: metadata read from the page around the body container (bylines, disclosure lines in divs)
_BYLINE_KEYS = _STRONG_KEYS | {"content_source", "updated_date", "author", "editor"}
_FLAT_DROP = re.compile(r"(?i)<(script|style|noscript|template|head|textarea|select)\b")


#: the parser decodes every entity it knows; a named reference still standing (&lol9;) is a leftover
#: of a custom DTD or a broken page, never content.
_UNRESOLVED_ENTITY = re.compile(r"&[A-Za-z][A-Za-z0-9]{1,31};")
_DOCTYPE_SUBSET = re.compile(r"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)


def html_to_page(html: str, source: str) -> PageText:
    """Parse an HTML page; lines are the body container's text (chrome not yet stripped)."""
    rules = chrome_rules()
    warnings: list[str] = []
    if len(html) > rules["max_html_chars"]:
        warnings.append(f"html_truncated: {len(html)} chars, read the first {rules['max_html_chars']}")
        html = html[: rules["max_html_chars"]]
    # An internal DTD subset (<!DOCTYPE x [<!ENTITY …>]>) is never expanded by an HTML parser, but
    # Lexbor ends the doctype at the first '>' and leaves the rest as text: drop it first.
    html = _DOCTYPE_SUBSET.sub("<!DOCTYPE html>", html[:_HEAD_SCAN * 4], count=1) + html[_HEAD_SCAN * 4:]
    meta = _head_meta(LexborHTMLParser("".join(_HEAD_TAGS.findall(html[:_HEAD_SCAN]))))
    # each level opens with a '<', so a page with few of them cannot be too deep: skip the count
    depth = _depth_estimate(html) if html.count("<") > rules["max_tree_depth"] else 0
    if depth > rules["max_tree_depth"]:
        warnings.append(f"deep_nesting: ~{depth} levels; read with the flat tag stripper")
        return PageText(source=source, lines=_flat_lines(html), meta=meta, warnings=warnings)

    tree = LexborHTMLParser(html)
    heading = _page_heading(tree, meta)
    removed = _disclosure_tables(tree, meta)
    tree.strip_tags(list(rules["drop_tags"]))
    container = _body_container(tree)
    if container is None:
        if tree.body is None:
            return PageText(source=source, lines=[], meta=meta, removed=removed, warnings=warnings)
        tree.body.strip_tags(["nav", "header", "footer", "aside"])
        container = tree.body
        warnings.append("no_body_container: used the whole <body>")
    lines = [_UNRESOLVED_ENTITY.sub("", line) if "&" in line else line for line in _node_lines(container)]
    if container is not tree.body and tree.body is not None and not {"publish_date", "content_source"} <= meta.keys():
        inside = set(lines)  # what the page says about the article outside its body: the byline
        outside = [line for line in _node_lines(tree.body) if line not in inside]
        for key, value in strip_chrome(outside).meta.items():
            if key in _BYLINE_KEYS:
                meta.setdefault(key, value)
    if heading and not _heading_present(heading, lines):
        lines.insert(0, heading)
    return PageText(source=source, lines=lines, meta=meta, removed=removed, warnings=warnings)


def _head_meta(tree: LexborHTMLParser) -> dict[str, str]:
    """政府网站发展指引 meta tags (any case, any attribute order) and <title>."""
    names = chrome_rules()["html_meta"]
    meta: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = {k.lower(): (v or "") for k, v in node.attributes.items()}
        key = names.get((attrs.get("name") or attrs.get("property") or "").strip().lower())
        value = _WS.sub(" ", attrs.get("content", "")).strip()
        if key and value:
            if key == "publish_date":
                value = iso_date(value) or ""
            if value:
                meta.setdefault(key, value)
    title = tree.css_first("title")
    if title is not None and (text := _WS.sub(" ", title.text()).strip()):
        meta["html_title"] = text
    return meta


def _page_heading(tree: LexborHTMLParser, meta: dict[str, str]) -> str | None:
    """The article's own heading: ArticleTitle or an h1/.title, confirmed by <title> or each other
    (templates copy meta tags across pages, so an unconfirmed ArticleTitle is not trusted)."""
    page_title = _squash(meta.get("html_title", ""))
    page_title = page_title if len(page_title) >= 4 else ""
    article = _squash(meta.get("page_title", ""))
    site = _squash(meta.get("site_name", ""))
    if article and page_title and (article in page_title or page_title in article):
        return meta["page_title"]
    for sel in chrome_rules()["title_selectors"]:
        for node in tree.css(sel)[:5]:
            text = _WS.sub(" ", node.text()).strip()
            sq = _squash(text)
            if not 4 <= len(sq) <= 100 or sq == site:
                continue
            if sq == article or (page_title and (sq in page_title or page_title in sq)):
                return text
    return None


def _disclosure_tables(tree: LexborHTMLParser, meta: dict[str, str]) -> list[str]:
    """Harvest 信息公开 tables (索引号/发布机构/成文日期/文号 ...) into meta and remove them.

    A table counts only when label cells pair with non-label value cells for at least two
    fields, one of them a strong one (a document list's header row pairs labels with labels).
    """
    rules = chrome_rules()
    labels = {lab: spec for lab, spec in rules["labels"].items() if spec.get("key")}
    removed: list[str] = []
    for table in tree.css("table"):
        if len(table.css("table")) > 1 or len(table.text()) > 1500:
            continue
        raw = [_WS.sub(" ", c.text()).strip() for c in table.css("td, th")]
        heads = [_squash(c).partition(":")[0] for c in raw]
        found: dict[str, str] = {}
        for i, cell in enumerate(raw):
            spec = labels.get(heads[i])
            if spec is None:
                continue
            value = re.split(r"[:：]", cell, maxsplit=1)[1].strip() if re.search(r"[:：]", cell) else ""
            if not value and i + 1 < len(raw) and heads[i + 1] not in labels:
                value = raw[i + 1]
            if spec.get("date"):
                value = iso_date(value) or ""
            if value and len(value) <= 200:
                found.setdefault(spec["key"], value)
        if len(found) >= 2 and set(found) & _STRONG_KEYS:
            for key, value in found.items():
                meta.setdefault(key, value)
            removed.extend(_node_lines(table))
            table.decompose()
    return removed


def _body_container(tree: LexborHTMLParser) -> LexborNode | None:
    """The first CMS body selector with enough text; the largest match of that selector."""
    rules = chrome_rules()
    for sel in rules["body_selectors"]:
        nodes = [(len(n.text(strip=True)), i, n) for i, n in enumerate(tree.css(sel))]
        nodes = [t for t in nodes if t[0] >= rules["min_body_chars"]]
        if nodes:
            return max(nodes, key=lambda t: (t[0], -t[1]))[2]
    return None


def _node_lines(root: LexborNode) -> list[str]:
    """Text of a subtree, one line per block element; iterative pre/post-order walk."""
    block = set(chrome_rules()["block_tags"])
    parts: list[str] = []
    root_id = root.mem_id
    node = root.child
    while node is not None:
        tag = node.tag
        if tag == "-text":
            parts.append((node.text_content or "").replace(_BREAK, ""))
        elif tag in block:
            parts.append(_BREAK)
        elif tag in ("td", "th"):
            parts.append(" ")
        if node.child is not None and tag != "-text":
            node = node.child
            continue
        while node is not None:  # leave node, then climb until a sibling exists
            if node.tag in block:
                parts.append(_BREAK)
            if node.next is not None:
                node = node.next
                break
            node = node.parent
            if node is None or node.mem_id == root_id:
                node = None
    return _text_to_lines("".join(parts))


def _text_to_lines(text: str) -> list[str]:
    """Collapse source white space like a browser; a source line break inside CJK text vanishes.

    Per segment: a break-joining match never spans _BREAK (not CJK, not white space), a segment
    of white space only yields no line, and one without a newline has nothing to join.
    """
    segs = [_SRC_NL.sub("", seg) if "\n" in seg else seg
            for seg in text.split(_BREAK) if seg and not seg.isspace()]
    if not segs:
        return []
    # white space runs never cross _BREAK, so one pass over the rejoined text does every segment
    return [line.strip() for line in _WS.sub(" ", _BREAK.join(segs)).split(_BREAK)]


def _flat_lines(html: str) -> list[str]:
    """Fallback for pathological markup: drop non-content elements, tags → breaks, unescape."""
    html = html.replace(_BREAK, "")
    lower = html.lower()
    kept: list[str] = []
    pos = 0
    while m := _FLAT_DROP.search(html, pos):  # str.find for the end tag keeps this linear
        kept.append(html[pos:m.start()])
        end = lower.find("</" + m.group(1).lower(), m.end())
        close = html.find(">", end) if end >= 0 else -1
        pos = close + 1 if close >= 0 else len(html)
    kept.append(html[pos:])
    text = _FLAT_BLOCK.sub(_BREAK, "".join(kept))
    text = re.sub(r"<[^<>]*>", "", text)
    return _text_to_lines(htmllib.unescape(text))


def _depth_estimate(html: str) -> int:
    """Max nesting of container tags, counted on the raw markup in linear time."""
    depth = deepest = 0
    for m in _TAG.finditer(html):
        if m.group(2).lower() not in _NESTING or m.group(3):
            continue
        depth = max(0, depth - 1) if m.group(1) else depth + 1
        deepest = max(deepest, depth)
    return deepest


def _heading_present(heading: str, lines: list[str]) -> bool:
    """Is the heading already among the lines before the body text starts?"""
    target = _squash(heading)
    for line in lines[:30]:
        sq = _squash(line)
        if target and (target == sq or (len(sq) <= len(target) + 4 and target in sq)):
            return True
        if "。" in line:
            return False
    return False


def _squash(text: str) -> str:
    """Width-folded copy without white space, for comparing labels and titles."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
