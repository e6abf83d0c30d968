"""One polite, bounded GET: pacing, robots.txt, retries, manual redirects, streamed size cap.

Why not httpx's own redirect following and decoding: redirects must be re-checked against the
source's hosts and addresses at every hop (SSRF), and httpx inflates a whole network chunk at
once, so a gzip bomb could balloon before any size check; here zlib output is bounded by the
bytes still allowed under `max_bytes`. The body returned is exactly what was sent, only
Content-Encoding undone; charset decoding is the core's job.
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from govreports.io import http_policy as policy
from govreports.io.http_deadline import deadline
from govreports.portals.links import normalize_url
from govreports.portals.sources import Source

REDIRECTS = {301, 302, 303, 307, 308}
ROBOTS_MAX_BYTES = 512_000  # RFC 9309 asks crawlers to parse at least 500 KiB
CHUNK = 65_536


class FetchError(Exception):
    """A request that failed; `reason` is recorded for that URL, `transient` if retrying may help."""

    def __init__(self, reason: str, transient: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.transient = reason, transient


class Disallowed(Exception):
    """robots.txt forbids the URL; recorded as skipped, not failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class HttpResult:
    """A final (non-redirect) response: status, validators and the decoded-from-transfer body."""

    url: str
    final_url: str
    status: int
    data: bytes
    headers: dict[str, str]


class _Inflater:
    """Content-Encoding decoder whose output never exceeds `limit` + 1 bytes in total."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.encoding, self.limit, self.total, self.fed = encoding, limit, 0, False
        if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise FetchError(f"unsupported Content-Encoding {encoding}")
        self._z, self._raw = self._new(first=True), False

    def _new(self, first: bool = False) -> Any:
        if self.encoding in ("", "identity"):
            return None
        return zlib.decompressobj(15 if self.encoding == "deflate" and first else 47)

    def feed(self, data: bytes) -> bytes:
        self.fed = self.fed or bool(data)
        out = data if self._z is None else self._inflate(data)
        self.total += len(out)
        if self.total > self.limit:
            raise FetchError(f"over size cap {self.limit} bytes")
        return out

    def _inflate(self, data: bytes) -> bytes:
        out = bytearray()
        while data:
            room = self.limit - self.total - len(out) + 1
            try:
                piece = self._z.decompress(data, room)
            except zlib.error as exc:
                if self.encoding == "deflate" and not self._raw and self.total == 0 and not out:
                    self._z, self._raw = zlib.decompressobj(-15), True  # raw deflate, as IIS sends it
                    continue
                raise FetchError(f"bad {self.encoding} data: {exc}") from exc
            out += piece
            if self.total + len(out) > self.limit:
                break
            data = self._z.unconsumed_tail
            if self._z.eof:
                data = self._z.unused_data
                if not data.startswith(b"\x1f\x8b"):
                    break  # trailing padding or junk after the stream: ignored, as browsers do
                self._z = self._new()  # the next member of a multi-member gzip body
        return bytes(out)

    def finish(self) -> None:
        if self._z is not None and self.fed and not self._z.eof:
            raise FetchError(f"truncated {self.encoding} body", transient=True)


class HttpGetter:
    """GETs for one source during one run; holds the per-run robots.txt cache and host pacer."""

    def __init__(
        self,
        source: Source,
        client: httpx.Client,
        *,
        sleep: Callable[[float], None],
        now: Callable[[], float],
        rng: random.Random,
        resolve: policy.Resolver = policy.resolve_host,
    ) -> None:
        self.source, self.client, self.sleep, self.now, self.rng = source, client, sleep, now, rng
        self.resolve = resolve
        self.pacer = policy.HostPacer(source.politeness.min_interval_seconds, sleep, now)
        # set per request, so a caller's client still says who we are and gets only codings we cap
        self.headers = {
            "User-Agent": policy.user_agent(source),
            "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
            "Accept-Language": "zh-CN,zh;q=0.9",
            "Accept-Encoding": "gzip, deflate",
        }
        self.timeout = httpx.Timeout(source.politeness.timeout_seconds)
        self._robots: dict[str, RobotFileParser | str | None] = {}  # origin -> rules, see _load_robots

    def get(self, url: str, conditional: dict[str, str] | None = None) -> HttpResult:
        """GET `url` following redirects under the source's policy.

        Returns the final response (any non-redirect status; the caller judges 4xx).
        Raises Disallowed (robots.txt) or FetchError with a specific reason.
        """
        return self._get(url, conditional, self.source.politeness.max_bytes, robots=True)

    def _get(self, url: str, conditional: dict[str, str] | None, max_bytes: int, robots: bool) -> HttpResult:
        current, chain = url, [url]
        for hop in range(policy.MAX_REDIRECTS + 1):
            prefix = "redirect to " if hop else ""
            try:
                policy.check_target(current, self.source, self.resolve)
            except policy.Blocked as exc:
                raise FetchError(prefix + exc.reason) from exc
            except OSError as exc:
                raise FetchError(f"cannot resolve {urlsplit(current).hostname}: {exc}", True) from exc
            if robots:
                try:
                    self.check_robots(current)
                except Disallowed as exc:
                    raise Disallowed(exc.reason + (f" (redirect to {current})" if hop else "")) from None
            result = self._with_retries(current, conditional, max_bytes)
            if result.status not in REDIRECTS:
                result.url, result.final_url = url, current
                return result
            location = result.headers.get("location")
            target = normalize_url(location, current) if location else None
            if target is None:
                raise FetchError(f"redirect without usable Location (HTTP {result.status})")
            if target in chain:
                raise FetchError(f"redirect loop at {target}")
            chain.append(target)
            current = target
        raise FetchError(f"too many redirects (more than {policy.MAX_REDIRECTS})")

    def _with_retries(self, url: str, conditional: dict[str, str] | None, max_bytes: int) -> HttpResult:
        politeness = self.source.politeness
        last = ""
        for attempt in range(1, politeness.max_attempts + 1):
            retry_after = None
            try:
                result = self._attempt(url, conditional, max_bytes)
            except FetchError as exc:
                if not exc.transient:
                    raise
                last = exc.reason
            else:
                if result.status != 429 and result.status < 500:
                    return result
                last = f"HTTP {result.status}"
                retry_after = policy.parse_retry_after(result.headers.get("retry-after"))
            if attempt < politeness.max_attempts:
                self.sleep(policy.backoff_delay(attempt, politeness, self.rng, retry_after))
        n = politeness.max_attempts
        raise FetchError(f"{last} after {n} attempt{'s' if n > 1 else ''}", transient=True)

    def _attempt(self, url: str, conditional: dict[str, str] | None, max_bytes: int) -> HttpResult:
        """One request; transport problems become transient FetchErrors.

        The whole exchange (connect, headers, body) must end within deadline_seconds of real time:
        past it the request fails for good ("deadline"), since a server that trickled once will
        again. Clients from fetch.make_client enforce it on every socket read; for any other client
        it is checked between body chunks only.
        """
        self.pacer.wait(urlsplit(url).hostname or "")
        limit = self.source.politeness.deadline_seconds
        try:
            with deadline(limit) as end, self.client.stream(
                    "GET", url, headers=self.headers | (conditional or {}), timeout=self.timeout,
                    follow_redirects=False) as response:
                stream = response.extensions.get("network_stream")
                peer = stream.get_extra_info("server_addr") if stream is not None else None
                try:
                    policy.check_peer(peer[0] if peer else None, self.source)
                except policy.Blocked as exc:
                    raise FetchError(exc.reason) from exc
                data = b""
                if 200 <= response.status_code < 300:
                    data = self._read_body(response, max_bytes, end)
                return HttpResult(url, url, response.status_code, data, _headers(response))
        except httpx.TimeoutException as exc:
            if time.monotonic() >= end:
                raise FetchError(f"deadline ({limit:g} s) exceeded") from exc
            raise FetchError("timeout", transient=True) from exc
        except httpx.RemoteProtocolError as exc:
            if "complete message body" in str(exc):  # h11: the connection closed before Content-Length
                raise FetchError("truncated body (fewer bytes than Content-Length)", transient=True) from exc
            raise FetchError(f"connection error ({type(exc).__name__})", transient=True) from exc
        except httpx.TransportError as exc:
            raise FetchError(f"connection error ({type(exc).__name__})", transient=True) from exc

    def _read_body(self, response: httpx.Response, max_bytes: int, end: float) -> bytes:
        encoding = response.headers.get("content-encoding", "").strip().lower()
        length = response.headers.get("content-length", "")
        if encoding in ("", "identity") and length.isdigit() and int(length) > max_bytes:
            raise FetchError(f"over size cap {max_bytes} bytes")
        inflater = _Inflater(encoding, max_bytes)
        body = bytearray()
        for chunk in response.iter_raw(CHUNK):
            body += inflater.feed(chunk)
            if time.monotonic() >= end:
                raise FetchError(f"deadline ({self.source.politeness.deadline_seconds:g} s) exceeded")
        inflater.finish()
        return bytes(body)

    def check_robots(self, url: str) -> None:
        """Raise Disallowed if robots.txt forbids `url`, FetchError if robots.txt is unavailable.

        robots.txt is fetched once per origin per run. An unreachable robots.txt (server error or
        network failure after retries) means "assume complete disallow" (RFC 9309); it is reported
        as a failure naming the cause, not as a skip, so a dead portal shows up as failing.
        """
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin)
        rules = self._robots[origin]
        if isinstance(rules, str):
            raise FetchError(rules)
        if rules is not None and not rules.can_fetch(policy.ROBOTS_TOKEN, url):
            raise Disallowed("robots.txt disallows")

    def _load_robots(self, origin: str) -> RobotFileParser | str | None:
        """Parsed robots.txt; None means allow all; a string is why it is unavailable.

        Like urllib.robotparser, 401/403 disallow everything; other 4xx, or a redirect off the
        allowed hosts, mean there is no robots.txt.
        """
        parser = RobotFileParser(origin + "/robots.txt")
        try:
            result = self._get(origin + "/robots.txt", None, ROBOTS_MAX_BYTES, robots=False)
        except FetchError as exc:
            return f"robots.txt unavailable ({exc.reason})" if exc.transient else None
        if result.status in (401, 403):
            parser.parse(["User-agent: *", "Disallow: /"])
        elif 400 <= result.status < 500:
            return None
        else:
            parser.parse(result.data.decode("utf-8", errors="replace").splitlines())
            delay = parser.crawl_delay(policy.ROBOTS_TOKEN)
            if delay:
                self.pacer.slow_down(urlsplit(origin).hostname or "", float(delay))
        return parser


def _headers(response: httpx.Response) -> dict[str, str]:
    keep = ("etag", "last-modified", "content-type", "location", "retry-after")
    return {k: response.headers[k] for k in keep if k in response.headers}
