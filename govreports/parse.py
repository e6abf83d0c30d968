"""One page in, its documents out: the core's single entry point.

It only composes the stages (read → split → metadata → sections → parts → quantities →
indicators → keywords/topics/citations); each stage lives in its own module and is tested there.
A page that cannot be read yields a `PageResult` with a specific `error` instead of raising, so a
batch goes on with the other pages.
"""

from __future__ import annotations

import hashlib
import re

from govreports.clean.decode import DecodeError
from govreports.clean.pagetext import read_page
from govreports.documents.metadata import extract_metadata
from govreports.documents.split import split_documents
from govreports.indicators.binding import map_indicators
from govreports.indicators.values import choose_values
from govreports.models import DocDraft, Document, PageResult
from govreports.quantities.mentions import extract_quantities
from govreports.sections.parts import tag_parts
from govreports.sections.tree import parse_sections
from govreports.text.citations import extract_citations
from govreports.text.keywords import extract_keywords, tag_topics

#: pages larger than these are refused before any decoding: the largest real report pages are a
#: few hundred KB (HTML with inline scripts a few MB), and the caps bound time and memory per page.
MAX_PAGE_BYTES = 8_000_000
MAX_PAGE_CHARS = 2_000_000
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def content_sha256(content: bytes | str) -> str:
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()


def doc_id_for(raw_sha256: str, doc_index: int) -> str:
    """Stable document id: derived from the page's bytes and the document's place in it."""
    return hashlib.sha256(f"{raw_sha256}:{doc_index}".encode()).hexdigest()[:16]


def parse_page(
    content: bytes | str,
    source: str,
    *,
    raw_sha256: str | None = None,
    content_type: str | None = None,
    keywords: bool = True,
) -> PageResult:
    """Parse one page (bytes as received, or text) into its documents.

    Args:
        content: the page as stored in raw/ (bytes) or already-decoded text.
        source: where it came from (file name or URL), carried into every record.
        raw_sha256: the raw store's hash of the bytes; computed when not given.
        content_type: the HTTP Content-Type, a charset hint the decoder verifies.
        keywords: False skips jieba keyword extraction (the slowest stage) when not wanted.
    Returns:
        PageResult with documents, or with `error` naming why the page yielded none.
    """
    sha = raw_sha256 or content_sha256(content)
    result = PageResult(source=source, raw_sha256=sha)
    if isinstance(content, bytes) and len(content) > MAX_PAGE_BYTES:
        result.error = f"too_large: {len(content)} bytes exceeds the page cap of {MAX_PAGE_BYTES} bytes"
        return result
    if isinstance(content, str) and len(content) > MAX_PAGE_CHARS:
        result.error = f"too_large: {len(content)} characters exceeds the page cap of {MAX_PAGE_CHARS}"
        return result
    if isinstance(content, str) and _LONE_SURROGATE.search(content):
        content = _LONE_SURROGATE.sub("\ufffd", content)  # text that no encoder (or tokenizer) accepts
        result.warnings.append("damaged_text: lone surrogates replaced by U+FFFD")
    try:
        page = read_page(content, source, content_type=content_type)
    except DecodeError as exc:
        result.error = str(exc)
        return result
    result.warnings.extend(page.warnings)
    if sum(len(line) for line in page.lines) > MAX_PAGE_CHARS:
        result.error = "too_large: page text exceeds the size cap"
        return result
    drafts = split_documents(page)
    if not drafts:
        result.error = "no_report: the page carries no report text"
        return result
    for index, draft in enumerate(drafts):
        result.documents.append(build_document(draft, source=source, raw_sha256=sha, doc_index=index,
                                               keywords=keywords))
    return result


def build_document(draft: DocDraft, *, source: str, raw_sha256: str, doc_index: int,
                   keywords: bool = True) -> Document:
    """Run the per-document stages over one split-off draft."""
    meta = extract_metadata(draft)
    doc_id = doc_id_for(raw_sha256, doc_index)
    body = draft.body
    sections = parse_sections(body, doc_id)
    parts, completeness = tag_parts(body, sections, meta["doc_type"])
    quantities = extract_quantities(body, sections, doc_type=meta["doc_type"],
                                    report_year=meta["report_year"])
    doc = Document(
        doc_id=doc_id,
        source=source,
        raw_sha256=raw_sha256,
        doc_index=doc_index,
        title=meta["title"],
        agency=meta["agency"],
        region=meta["region"],
        doc_type=meta["doc_type"],
        report_year=meta["report_year"],
        publish_date=meta["publish_date"],
        signed_date=meta["signed_date"],
        body=body,
        sections=sections,
        parts=parts,
        completeness=completeness,
        truncated=draft.truncated,
        meta=dict(draft.meta),
        quantities=quantities,
        indicators=map_indicators(body, quantities, sections=sections, doc_type=meta["doc_type"]),
        citations=extract_citations(body),
    )
    doc.indicator_values = choose_values(body, doc.indicators)
    if keywords:
        doc.keywords = extract_keywords(body, sections)
        doc.topics = tag_topics(body, sections)
    return doc
