"""One fetched page (bytes or text, HTML or plain) → clean content lines: the entry point of the core.

It chains decode → html_text (for markup) → chrome, then repairs what copying from Word/PDF does
to the text: hard line wraps inside a sentence (domain.md §2.3 item 5, "法治教\\n育全过程").
The repair is deliberately narrow: only a line that already holds a sentence (。) and stops on a
CJK character is joined, so headings and titles (which carry no 。) are never glued together.
"""

from __future__ import annotations

import json
import re

from govreports.clean.chrome import chrome_rules, strip_chrome
from govreports.clean.decode import decode_bytes_ex
from govreports.clean.html_text import html_to_page
from govreports.models import PageText
from govreports.text.charclasses import ENDS_HAN_EXTENDED

_HTML_TAG = re.compile(r"(?i)<(html|head|body|div|p|meta|title|table|br|span|!doctype)\b")
#: zero-width, soft hyphen, bidi controls and C0/C1 control characters (tab kept): never content,
#: and they break chrome matching and titles, so they go before anything else looks at a line.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad\x00-\x08\x0b-\x1f\x7f-\x9f]")


def read_page(content: bytes | str, source: str, *, content_type: str | None = None) -> PageText:
    """Decode, extract, strip chrome and tidy the lines of one page. Raises DecodeError."""
    encoding: str | None = None
    warnings: list[str] = []
    if isinstance(content, bytes):
        text, encoding, warnings = decode_bytes_ex(content, content_type=content_type)
    else:
        text = content
    if _is_html(text, content_type):
        page = html_to_page(text, source)
        lines, meta, removed = page.lines, page.meta, list(page.removed)
        warnings.extend(page.warnings)
    else:
        lines, meta, removed = text.splitlines(), {}, []
    if _INVISIBLE.search("".join(lines)):  # one scan of the page; most pages have none
        lines = [_INVISIBLE.sub("", line) for line in lines]
    stripped = strip_chrome(lines, meta, source)
    clean = [line.strip() for line in stripped.lines]
    clean = [line for line in clean if line]
    cut = set(json.loads(stripped.meta.get("truncated_after", "[]")))
    return PageText(source=source, lines=join_wrapped(clean, cut), meta=stripped.meta,
                    removed=removed + stripped.removed, encoding=encoding, warnings=warnings)


def _is_html(text: str, content_type: str | None) -> bool:
    """By content type when it says so, else by a leading '<' or known tags near the start."""
    if content_type:
        ct = content_type.lower()
        if "html" in ct or "xml" in ct:
            return True
        if "text/plain" in ct:
            return False
    head = text[:4096]
    if head.lstrip("\ufeff \t\r\n").startswith("<"):
        return True
    return len(_HTML_TAG.findall(head)) >= 2


def join_wrapped(lines: list[str], keep_apart: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Join hard-wrapped lines: a line holding 。 that stops on a CJK character continues on the
    next line unless that line starts a block (heading marker, 第X篇, date). Lines named in
    keep_apart (content a truncation marker followed) are never joined to what comes next.
    """
    block_start = chrome_rules()["wrap_re"]
    out: list[str] = []
    for line in lines:
        prev = out[-1] if out else None
        # `$` matches at the end or before a final newline: searching the last two chars is enough
        if (prev is not None and "。" in prev and ENDS_HAN_EXTENDED.search(prev, max(0, len(prev) - 2))
                and prev not in keep_apart and not block_start.match(line)):
            out[-1] = prev + line
        else:
            out.append(line)
    return out
