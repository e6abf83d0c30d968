"""Politeness and safety rules for requests to government portals: who we say we are, how often
we ask, where we may connect, and how long we wait before asking again.

Why separate from the HTTP code: these are decisions (which hosts and addresses, what pace),
testable without a server, while `http_get.py` only carries them out. No library bundles
per-host pacing, an SSRF address check and backoff for a synchronous httpx client.
"""

from __future__ import annotations

import ipaddress
import random
import socket
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from govreports.portals.sources import Politeness, Source

#: placeholder contact: replace `example.invalid` with the operator's address before the first real run.
DEFAULT_USER_AGENT = (
    "govreports/0.1 (research crawler for published rule-of-law reports; "
    "+https://example.invalid/govreports; contact: govreports-ops@example.invalid)"
)
#: the product token robots.txt groups are matched against.
ROBOTS_TOKEN = "govreports"
#: a robots.txt Crawl-delay larger than this is capped: a nightly run must finish.
MAX_CRAWL_DELAY = 60.0
MAX_REDIRECTS = 5

Resolver = Callable[[str], list[str]]


class Blocked(Exception):
    """A request we refuse to make (policy), never retried; `reason` is recorded per URL."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def user_agent(source: Source) -> str:
    """The source's override, else the project default naming govreports and a contact."""
    return source.user_agent or DEFAULT_USER_AGENT


def resolve_host(host: str) -> list[str]:
    """All addresses `host` resolves to (the connection may use any of them)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))


def check_target(url: str, source: Source, resolve: Resolver = resolve_host) -> None:
    """Raise Blocked unless `url` is http(s), on an allowed host, and resolves to allowed addresses.

    Every resolved address must be allowed, because the client may connect to any of them;
    `http_get` checks the connected peer again, which closes most of the DNS-rebinding gap.
    Raises OSError when the name does not resolve (a transient failure for the caller).
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in ("http", "https"):
        raise Blocked(f"unsupported scheme {parts.scheme or '(none)'}")
    if not source.host_allowed(host):
        raise Blocked(f"disallowed host {host or '(none)'}")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = resolve(host)
    for address in addresses:
        if not source.address_allowed(address):
            raise Blocked(f"private address {address}" + ("" if address == host else f" (host {host})"))


def check_peer(address: str | None, source: Source) -> None:
    """Raise Blocked when the address actually connected to is not allowed."""
    if address and not source.address_allowed(address.split("%")[0]):
        raise Blocked(f"connected to private address {address}")


class HostPacer:
    """Keeps at least `interval` seconds between the starts of two requests to one host."""

    def __init__(self, interval: float, sleep: Callable[[float], None], now: Callable[[], float]) -> None:
        self.interval, self.sleep, self.now = interval, sleep, now
        self._last: dict[str, float] = {}
        self._intervals: dict[str, float] = {}

    def slow_down(self, host: str, seconds: float) -> None:
        """Raise the interval for one host (robots.txt Crawl-delay), never lower it."""
        self._intervals[host] = max(self.interval, min(seconds, MAX_CRAWL_DELAY))

    def wait(self, host: str) -> None:
        """Sleep until a request to `host` may start, then note that it starts now."""
        interval = self._intervals.get(host, self.interval)
        last = self._last.get(host)
        if last is not None:
            remaining = interval - (self.now() - last)
            if remaining > 0:
                self.sleep(remaining)
        self._last[host] = self.now()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def backoff_delay(
    attempt: int, politeness: Politeness, rng: random.Random, retry_after: float | None = None
) -> float:
    """Delay before retry number `attempt` (1-based): exponential, jittered ±50 %, capped.

    Jitter spreads retries of parallel runs; a server's Retry-After is honoured up to the cap.
    """
    delay = politeness.backoff_seconds * 2 ** (attempt - 1) * (0.5 + rng.random())
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, politeness.max_backoff_seconds)
