"""Is a 200 response to a report URL really the report? Empty bodies and error pages are not.

Why: a portal that answers a missing, withdrawn or throttled article with status 200 and an error
page (or with no body at all) must not have that response stored and the URL marked fetched: it
would never be asked for again. The fetcher records such a response as a failure (so the next run
asks again). The phrases and the size limit are rules (rules/fetched.yaml). Pure: bytes in, reason out.
"""

from __future__ import annotations

import functools
import re

from selectolax.lexbor import LexborHTMLParser

from govreports import rules as rulebook
from govreports.clean.decode import DecodeError, decode_bytes

_SPACE = re.compile(r"\s+")


@functools.cache
def _rules() -> tuple[int, tuple[str, ...]]:
    data = rulebook.fetched()
    return int(data["max_error_page_chars"]), tuple(p.lower() for p in data["error_phrases"])


def visible_text(data: bytes, content_type: str | None) -> str | None:
    """The page's text without tags, scripts and whitespace; None when the bytes do not decode."""
    try:
        text, _ = decode_bytes(data, content_type=content_type)
    except DecodeError:
        return None
    if "<" in text:
        tree = LexborHTMLParser(text)
        for node in tree.css("script, style, noscript"):
            node.decompose()
        title = tree.css_first("title")
        text = " ".join(filter(None, [title.text() if title else "", tree.body.text() if tree.body else ""]))
    return _SPACE.sub("", text)


def not_a_report(data: bytes, content_type: str | None) -> str | None:
    """Why a 200 body cannot be a report page (empty, whitespace only, a short error page), or None."""
    if not data.strip():
        return "empty response (HTTP 200 without a body)"
    limit, phrases = _rules()
    text = visible_text(data, content_type)
    if text is None or len(text) > limit:
        return None  # undecodable bytes are the parser's to judge; a long page is content
    if not text:
        return "empty page (HTTP 200, no visible text)"
    lowered = text.lower()
    for phrase in phrases:
        if phrase.replace(" ", "") in lowered:
            return f"error page (HTTP 200 saying {phrase!r})"
    return None
