"""`govreports sources check`: does each source still yield report links, and what went wrong?

Why: a portal redesign does not fail a nightly run — the column simply yields no links and the
fetch counts drop to zero, silently. Operators run this when they add a source or when counts
drop: per source it reads robots.txt, the first list page, counts the report links the link
rule finds there and the newest link's date, and says what failed. Same polite transport as
the nightly fetch (govreports.io.http_get), so what it reports is what a run would see.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from govreports.io import http_policy as policy
from govreports.io.fetch import make_client
from govreports.io.http_get import Disallowed, FetchError, HttpGetter
from govreports.portals.links import decode_list_page, discover_links
from govreports.portals.sources import Source


@dataclass(slots=True)
class SourceCheck:
    """What one source's first list page gave; `ok` when it yielded at least one report link."""

    name: str
    list_page: str
    robots: str = "not read"        # allowed | disallowed | unavailable (…) | no robots.txt
    status: str = "not fetched"     # HTTP status of the list page, or why it was not fetched
    links: int = 0
    next_pages: int = 0
    newest: str | None = None       # YYYY-MM-DD of the newest dated report link
    newest_title: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.links > 0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def check_source(
    source: Source, *, client: httpx.Client | None = None, sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.monotonic, resolve: policy.Resolver = policy.resolve_host,
) -> SourceCheck:
    """Read robots.txt and the first list page of `source`; never raises for network trouble."""
    url = source.list_pages[0]
    check = SourceCheck(source.name, url)
    own = client is None
    client = client or make_client(source)
    getter = HttpGetter(source, client, sleep=sleep, now=now, rng=random.Random(0), resolve=resolve)
    try:
        check.robots = _robots(getter, url, check)
        if check.robots != "disallowed" and not check.robots.startswith("unavailable"):
            _first_page(getter, source, check)
    finally:
        if own:
            client.close()
    if check.status == "200" and not check.links:
        check.problems.append("no report link on the first list page: has the layout or the link rule changed?")
    return check


def _robots(getter: HttpGetter, url: str, check: SourceCheck) -> str:
    try:
        getter.check_robots(url)
    except Disallowed:
        check.problems.append("robots.txt disallows the list page")
        return "disallowed"
    except FetchError as exc:
        check.problems.append(exc.reason)
        return "unavailable"
    # the getter's per-run cache (one origin here): a parser when robots.txt exists, None when not
    rules = next(iter(getter._robots.values()), None)
    return "allowed" if rules is not None else "no robots.txt (allowed)"


def _first_page(getter: HttpGetter, source: Source, check: SourceCheck) -> None:
    """Read the first list page; a Hanweb column that embeds no record is judged by its first group,
    a gkmlpt HTML page by the first page of the API behind it."""
    url, links, next_pages = check.list_page, [], []
    for attempt in range(2):
        try:
            result = getter.get(url)
        except (Disallowed, FetchError) as exc:
            check.status = "failed"
            check.problems.append(exc.reason)
            return
        if attempt == 0:
            check.status = str(result.status)
        if not 200 <= result.status < 300:
            check.problems.append(f"{'list page' if attempt == 0 else url} answered HTTP {result.status}")
            return
        text = decode_list_page(result.data, result.headers.get("content-type"), source.encoding)
        try:
            links, next_pages = discover_links(text, result.final_url, source)
        except ValueError as exc:
            check.problems.append(f"unreadable list page: {exc}")
            return
        if links or source.link_rule.family not in ("hanweb", "gkmlpt") or not next_pages:
            break
        url = next_pages[0]
    check.links, check.next_pages = len(links), len(next_pages)
    dated = sorted((link for link in links if link.date), key=lambda link: link.date or "", reverse=True)
    if dated:
        check.newest, check.newest_title = dated[0].date, dated[0].title


def check_sources(sources: list[Source], **kwargs: Any) -> list[SourceCheck]:
    """`check_source` for each source, in order."""
    return [check_source(source, **kwargs) for source in sources]
