"""What one configured portal column is, once sources.yaml has been checked: frozen dataclasses.

Split from sources.py (which reads and validates the file) so that the fetcher and the list-page
readers depend on the shape of a source, not on its validator.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

#: the link texts of a list page's next-page link, unless a source names others
DEFAULT_NEXT_TEXT = ("下一页", "下页")


class SourcesError(ValueError):
    """The sources file is invalid; `errors` lists every problem, each naming entry and field."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("invalid sources:\n  " + "\n  ".join(errors))


@dataclass(frozen=True, slots=True)
class Politeness:
    """Per-source limits; defaults suit a nightly crawl of a slow government server."""

    min_interval_seconds: float = 5.0   # between two requests to one host
    max_pages_per_run: int = 50         # report pages fetched per run; the rest wait for the next run
    timeout_seconds: float = 20.0       # connect / read timeout of one attempt
    deadline_seconds: float = 120.0     # wall-clock limit for one response, body included
    max_bytes: int = 5_000_000          # size cap on the decompressed body
    max_attempts: int = 3               # tries per request on 5xx, 429, timeouts, connection errors
    backoff_seconds: float = 2.0        # first retry delay; doubles each attempt, with jitter
    max_backoff_seconds: float = 60.0   # cap on one retry delay (also caps Retry-After)


@dataclass(frozen=True, slots=True)
class LinkRule:
    """Which anchors on a list page are reports: title regex and/or CSS selector (both must hold),
    and which CMS family publishes the column (how its list and further pages are read)."""

    title_pattern: str | None = None
    selector: str | None = None
    family: str = "html"


@dataclass(frozen=True, slots=True)
class Pagination:
    """How to reach further list pages: a `next` link, or a URL template with `{page}`."""

    next_selector: str | None = None
    next_text: tuple[str, ...] = DEFAULT_NEXT_TEXT
    url_template: str | None = None
    start: int = 2        # the {page} value of the second list page
    max_pages: int = 5    # list pages per column per run, the first included


@dataclass(frozen=True, slots=True)
class Source:
    """One portal column (or a few) where an agency publishes its reports."""

    name: str
    list_pages: tuple[str, ...]
    link_rule: LinkRule
    allowed_hosts: tuple[str, ...]
    region: str | None = None
    agency: str | None = None
    pagination: Pagination = field(default_factory=Pagination)
    encoding: str | None = None
    politeness: Politeness = field(default_factory=Politeness)
    #: False: public addresses only; True: any; a tuple of CIDRs: public plus these networks only.
    allow_private_addresses: bool | tuple[str, ...] = False
    user_agent: str | None = None
    #: where the column's address was seen (a stored page's URL, or repository + path)
    evidence: tuple[str, ...] = ()
    #: False: kept in the file but not fetched (nightly runs and `sources check` skip it)
    enabled: bool = True

    def host_allowed(self, host: str | None) -> bool:
        """True when `host` is listed, or matches a `*.domain` entry (subdomains only)."""
        host = (host or "").lower().rstrip(".")
        return bool(host) and any(host.endswith(a[1:]) if a.startswith("*.") else host == a
                                  for a in self.allowed_hosts)

    def address_allowed(self, address: str) -> bool:
        """True when connecting to IP `address` is allowed (the SSRF guard)."""
        ip = ipaddress.ip_address(address)
        if (ip.is_global and not ip.is_multicast) or self.allow_private_addresses is True:
            return True
        nets = self.allow_private_addresses if isinstance(self.allow_private_addresses, tuple) else ()
        return any(ip in ipaddress.ip_network(net) for net in nets)
