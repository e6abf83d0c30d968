"""Fetch a source's new reports: walk its list pages, find report links, GET those not seen yet.

Why this shape: a nightly run must pick up new reports without re-downloading old ones and
without one bad URL stopping the rest. List pages are re-checked every run (conditional GET);
report pages are fetched once (a 200 that is empty or an error page is a failure, asked for again
by the next run; a body shorter than its Content-Length fails in transport). Every URL ends in
exactly one place of the FetchReport: a page,
not_modified, already_seen, skipped (by policy) or failures (with a specific reason).
Transport rules (robots.txt, pacing, retries, redirects, size cap, SSRF) live in `http_get`
and `http_policy`. Bytes are returned as received; decoding is the core's job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from govreports.clean.fetched_page import not_a_report
from govreports.io import http_deadline
from govreports.io import http_policy as policy
from govreports.io.fetch_state import FetchState
from govreports.io.http_get import Disallowed, FetchError, HttpGetter, HttpResult
from govreports.portals.links import (
    charset_from_content_type,
    decode_list_page,
    discover_links,
    normalize_url,
)
from govreports.portals.retry_policy import DEFAULT_POLICY, RetryPolicy
from govreports.portals.sources import Source

LOGGER = logging.getLogger(__name__)
_PAGE_HEADERS = ("etag", "last-modified", "content-type")

__all__ = ["FetchReport", "FetchState", "FetchedPage", "decode_hint", "fetch_source", "make_client"]


@dataclass(slots=True)
class FetchedPage:
    """A page as received: body bytes with only Content-Encoding undone."""

    url: str
    final_url: str
    status: int
    data: bytes
    content_type: str | None
    headers: dict[str, str]          # etag, last-modified, content-type (those present)
    list_page: bool = False
    title: str | None = None         # the link title on the list page (report pages only)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(slots=True)
class FetchReport:
    """Outcome of one run over one source; each URL appears in exactly one list."""

    source: str
    pages: list[FetchedPage] = field(default_factory=list)
    not_modified: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    already_seen: list[str] = field(default_factory=list)

    @property
    def reports(self) -> list[FetchedPage]:
        """The report pages (not list pages) fetched in this run."""
        return [p for p in self.pages if not p.list_page]


def decode_hint(page: FetchedPage, default: str | None = None) -> str | None:
    """The charset the Content-Type header declares (else `default`, e.g. the source's hint).

    Only a hint: portals send `charset=gb2312` on UTF-8 bodies, so the core verifies it.
    """
    return charset_from_content_type(page.content_type) or default


def make_client(source: Source) -> httpx.Client:
    """A client that follows no redirects itself, ignores proxy settings from the environment
    (a proxy would hide the connected address from the SSRF check) and ends any exchange at the
    source's deadline_seconds, headers included (http_deadline)."""
    return httpx.Client(
        follow_redirects=False,
        trust_env=False,
        transport=http_deadline.transport(),
        timeout=httpx.Timeout(source.politeness.timeout_seconds),
        headers={"User-Agent": policy.user_agent(source)},
    )


def fetch_source(
    source: Source,
    state: FetchState,
    *,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
    resolve: policy.Resolver = policy.resolve_host,
    wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    retry: RetryPolicy = DEFAULT_POLICY,
) -> FetchReport:
    """Fetch what is new at one source and update `state` in memory.

    Args:
        source: the portal entry from sources.yaml.
        state: this source's FetchState; updated in place. Save it after storing the pages.
        client: an httpx client to reuse (it must connect directly, without a proxy);
            by default one is made and closed here.
        sleep, now, rng, resolve: injectable clock, jitter and DNS, for tests.
        wall, retry: the date and the policy by which a report that failed in an earlier run
            is retried (with backoff) or left parked; see govreports.portals.retry_policy.

    Returns:
        A FetchReport; network and HTTP problems are recorded per URL, never raised.
    """
    own_client = client is None
    client = client or make_client(source)
    getter = HttpGetter(source, client, sleep=sleep, now=now, rng=rng or random.Random(), resolve=resolve)
    report = FetchReport(source.name)
    try:
        found, list_urls = _walk_lists(getter, source, state, report)
        _fetch_reports(getter, source, state, report, found, list_urls, (wall(), retry))
    finally:
        if own_client:
            client.close()
    LOGGER.info(
        "%s: %d pages, %d not modified, %d already seen, %d skipped, %d failures", source.name,
        len(report.pages), len(report.not_modified), len(report.already_seen), len(report.skipped),
        len(report.failures),
    )
    return report


def _page(result: HttpResult, list_page: bool, title: str | None = None) -> FetchedPage:
    headers = {k: result.headers[k] for k in _PAGE_HEADERS if k in result.headers}
    return FetchedPage(result.url, result.final_url, result.status, result.data,
                       headers.get("content-type"), headers, list_page, title)


def _get(
    getter: HttpGetter, url: str, conditional: dict[str, str] | None, report: FetchReport,
    end_on_404: bool = False,
) -> HttpResult | None:
    """GET recording a robots skip, a failure or a non-2xx status against the URL; None then.

    `end_on_404`: a template list page past the last one often answers 404; that ends the
    column and is recorded as skipped, not as a failure.
    """
    try:
        result = getter.get(url, conditional)
    except Disallowed as exc:
        report.skipped.append((url, exc.reason))
        return None
    except FetchError as exc:
        LOGGER.warning("%s: %s", url, exc.reason)
        report.failures.append((url, exc.reason))
        return None
    if result.status == 404 and end_on_404:
        report.skipped.append((url, "HTTP 404: past the last list page"))
        return None
    if result.status != 304 and not 200 <= result.status < 300:
        report.failures.append((url, f"HTTP {result.status}"))
        return None
    return result


def _rule_fingerprint(source: Source) -> str:
    """Changes when what decides the links on a list page changes (so stored links are stale)."""
    key = repr((source.link_rule, source.pagination, source.allowed_hosts))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _column_pages(source: Source, start: str) -> list[str]:
    """The list pages known before fetching: the column's first page, plus template pages."""
    template, pages = source.pagination.url_template, [start]
    if template:
        first = source.pagination.start
        pages += [template.replace("{page}", str(n)) for n in range(first, first + source.pagination.max_pages - 1)]
    return [u for p in pages if (u := normalize_url(p, p))]


def _walk_lists(
    getter: HttpGetter, source: Source, state: FetchState, report: FetchReport
) -> tuple[dict[str, str], set[str]]:
    """Walk every column's pages; return report links (url -> title, first-seen order) and list URLs."""
    found: dict[str, str] = {}
    visited: set[str] = set()
    bodies: set[str] = set()
    by_template = bool(source.pagination.url_template)
    rule = _rule_fingerprint(source)
    for start in source.list_pages:
        queue, done = _column_pages(source, start), 0
        while queue and done < source.pagination.max_pages:
            url = queue.pop(0)
            if url in visited:
                continue  # a pagination loop, or two columns sharing pages
            visited.add(url)
            done += 1
            conditional = state.conditional_headers(url) if state.list_rule(url) == rule else None
            result = _get(getter, url, conditional, report, by_template and done > 1)
            if result is None:
                if by_template:
                    break
                continue
            if result.status == 304:
                report.not_modified.append(url)
                known = state.known_list_page(url)
                links, next_pages = known if known else ([], [])
            else:
                page = _page(result, list_page=True)
                if page.sha256 in bodies:  # the CMS served an earlier page again: past the end
                    report.skipped.append((url, "same content as an earlier list page: end of pagination"))
                    break
                bodies.add(page.sha256)
                report.pages.append(page)
                html = decode_list_page(result.data, page.content_type, source.encoding)
                try:
                    discovered, next_pages = discover_links(html, result.final_url, source)
                except ValueError as exc:  # e.g. a gkmlpt API that no longer answers JSON
                    report.failures.append((url, f"unreadable list page: {exc}"))
                    continue
                links = [(link.url, link.title) for link in discovered]
                state.remember_list_page(url, result.headers, links, next_pages, rule)
            for link_url, title in links:
                found.setdefault(link_url, title)
            queue.extend(p for p in next_pages if p not in visited)
    return found, visited


def _fetch_reports(
    getter: HttpGetter, source: Source, state: FetchState, report: FetchReport,
    found: dict[str, str], list_urls: set[str], retry: tuple[dt.datetime, RetryPolicy],
) -> None:
    """GET each report link not seen in earlier runs, up to max_pages_per_run requests.

    A link that failed in an earlier run is tried again only when its backoff has passed and it
    is not parked; each new failure is counted in the state (attempts, last reason).
    """
    cap, requested = source.politeness.max_pages_per_run, 0
    today, rules = retry
    for url, title in found.items():
        if url in list_urls:
            continue
        if state.is_seen(url):
            report.already_seen.append(url)
            continue
        if waiting := rules.wait_reason(state.failures.get(url), today):
            report.skipped.append((url, waiting))
            continue
        try:
            getter.check_robots(url)  # before the cap, so a forbidden URL is never "left for later"
        except Disallowed as exc:
            report.skipped.append((url, exc.reason))
            continue
        except FetchError as exc:
            report.failures.append((url, exc.reason))
            continue
        if requested >= cap:
            report.skipped.append((url, f"max_pages_per_run ({cap}) reached; left for the next run"))
            continue
        requested += 1
        failed = len(report.failures)
        result = _get(getter, url, None, report)
        if result is None:
            if len(report.failures) > failed:
                state.failures[url] = rules.record(state.failures.get(url), report.failures[-1][1], today)
            continue
        if result.status == 304:
            report.not_modified.append(url)
            continue
        page = _page(result, list_page=False, title=title)
        problem = not_a_report(page.data, page.content_type)
        if problem:  # not marked seen: asked again by the next nightly run (then with backoff)
            report.failures.append((url, problem))
            state.failures[url] = rules.record(state.failures.get(url), problem, today)
            continue
        state.mark_seen(url, page.sha256, page.final_url, title, page.headers)
        report.pages.append(page)
