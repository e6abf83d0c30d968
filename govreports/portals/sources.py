"""Load and validate `sources.yaml`: which portals the nightly fetch may touch, and how politely.

Why a hand-written validator rather than a schema library: the file is small, and what matters is
that every problem names the entry and the field ("sources[2] (nb-edu): politeness: max_bytes: ...")
and that a typo such as `max_page` is an error instead of a silently ignored key. All problems in
the file are reported at once. The result is frozen dataclasses, so a run cannot mutate its config.
Field meanings are documented in docs/sources.md.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from govreports.portals.source_model import (
    DEFAULT_NEXT_TEXT,
    LinkRule,
    Pagination,
    Politeness,
    Source,
    SourcesError,
)

#: source names become directory names under raw/, so keep them to a safe slug.
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
HOST_RE = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")
#: how a column's list is published: plain HTML anchors, TRS/WCM (createPageHTML page count), 大汉
#: Hanweb (records in a <datastore>, further groups from dataproxy.jsp), Guangdong gkmlpt (JSON API).
FAMILIES = ("html", "trs", "hanweb", "gkmlpt")


class _Entry:
    """Reads one mapping, collecting errors prefixed with where they are."""

    def __init__(self, data: Any, where: str, errors: list[str]) -> None:
        self.where, self.errors = where, errors
        if not isinstance(data, dict):
            self.error("", f"must be a mapping, got {type(data).__name__}")
            data = {}
        self.data: dict[str, Any] = data

    def error(self, key: str, msg: str) -> None:
        self.errors.append(f"{self.where}{': ' + key if key else ''}: {msg}")

    def check_keys(self, allowed: set[str]) -> None:
        for key in sorted(set(self.data) - allowed, key=str):
            self.error(str(key), f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(key, "must be a non-empty string")
            return None
        return value.strip()

    def number(self, key: str, default: float, *, integer: bool = False, minimum: float = 0) -> Any:
        value = self.data.get(key, default)
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok or value < minimum:
            kind = "an integer" if integer else "a number"
            self.error(key, f"must be {kind} >= {minimum}, got {value!r}")
            return default
        return value

    def texts(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(key, "must be a list of non-empty strings")
            return default
        return tuple(v.strip() for v in value)

    def sub(self, key: str) -> _Entry:
        return _Entry(self.data.get(key) or {}, f"{self.where}: {key}", self.errors)


def _url_error(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"not an http(s) URL: {url!r}"
    return None


def _selector_ok(selector: str) -> bool:
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except SelectolaxError:
        return False
    return True


def _link_rule(e: _Entry) -> LinkRule:
    e.check_keys({"title_pattern", "selector", "family"})
    pattern, selector = e.text("title_pattern"), e.text("selector")
    family = e.text("family") or "html"
    if family not in FAMILIES:
        e.error("family", f"must be one of {', '.join(FAMILIES)}, got {family!r}")
        family = "html"
    if pattern:
        try:
            re.compile(pattern)
        except re.error as exc:
            e.error("title_pattern", f"bad regex: {exc}")
    if selector and not _selector_ok(selector):
        e.error("selector", f"bad CSS selector {selector!r}")
    if not pattern and not selector:
        e.error("", "needs title_pattern and/or selector")
    return LinkRule(pattern, selector, family)


def _pagination(e: _Entry, n_list_pages: int) -> Pagination:
    e.check_keys({"next_selector", "next_text", "url_template", "start", "max_pages"})
    template, next_selector = e.text("url_template"), e.text("next_selector")
    if next_selector and not _selector_ok(next_selector):
        e.error("next_selector", f"bad CSS selector {next_selector!r}")
    if template:
        if "{page}" not in template or _url_error(template.replace("{page}", "1")):
            e.error("url_template", "must be an http(s) URL containing {page}")
        if next_selector or "next_text" in e.data:
            e.error("url_template", "use either url_template or next_selector/next_text, not both")
        if n_list_pages > 1:
            e.error("url_template", "paginates one column: give exactly one list page (split the source)")
    return Pagination(
        next_selector=next_selector,
        next_text=e.texts("next_text", DEFAULT_NEXT_TEXT),
        url_template=template,
        start=e.number("start", 2, integer=True),
        max_pages=e.number("max_pages", 5, integer=True, minimum=1),
    )


#: lower bounds where 0 makes no sense; other politeness numbers must be >= 0.
_MINIMUM = {"timeout_seconds": 0.001, "deadline_seconds": 0.001, "max_bytes": 1, "max_attempts": 1}


def _politeness(e: _Entry) -> Politeness:
    e.check_keys({f.name for f in fields(Politeness)})
    return Politeness(**{
        f.name: e.number(f.name, f.default, integer=isinstance(f.default, int), minimum=_MINIMUM.get(f.name, 0))
        for f in fields(Politeness)
    })


def _private(e: _Entry) -> bool | tuple[str, ...]:
    value = e.data.get("allow_private_addresses", False)
    if isinstance(value, bool):
        return value
    nets = []
    for net in e.texts("allow_private_addresses"):
        try:
            nets.append(str(ipaddress.ip_network(net, strict=False)))
        except ValueError:
            e.error("allow_private_addresses", f"not a network (CIDR): {net!r}")
    return tuple(nets)


def _hosts(e: _Entry, urls: list[str]) -> tuple[str, ...]:
    default = tuple(dict.fromkeys(h for u in urls if (h := urlsplit(u).hostname)))
    hosts = tuple(h.lower().rstrip(".") for h in e.texts("allowed_hosts", default))
    for host in hosts:
        if not HOST_RE.match(host):
            e.error("allowed_hosts", f"not a host name (no scheme, port or path): {host!r}")
    probe = Source("x", (), LinkRule(), hosts)
    for url in urls:
        if not _url_error(url) and not probe.host_allowed(urlsplit(url).hostname):
            e.error("allowed_hosts", f"does not cover {urlsplit(url).hostname} of {url}")
    return hosts


def source_from_dict(data: Any, where: str = "source") -> Source:
    """Validate one entry (a dict as in sources.yaml) into a Source; raise SourcesError."""
    errors: list[str] = []
    source = _source(data, where, errors)
    if errors:
        raise SourcesError(errors)
    return source


_FIELDS = {"name", "region", "agency", "list_pages", "link_rule", "pagination", "allowed_hosts",
           "encoding", "politeness", "allow_private_addresses", "user_agent", "evidence", "enabled"}


def _enabled(e: _Entry) -> bool:
    value = e.data.get("enabled", True)
    if not isinstance(value, bool):
        e.error("enabled", f"must be true or false, got {value!r}")
        return True
    return value


def _source(data: Any, where: str, errors: list[str]) -> Source:
    e = _Entry(data, where, errors)
    name = e.text("name", required=True) or ""
    if name:
        e.where = f"{where} ({name})"
        if not NAME_RE.match(name):
            e.error("name", "must be a lowercase slug [a-z0-9_-] (it names directories)")
    e.check_keys(_FIELDS)
    list_pages = list(e.texts("list_pages"))
    if not list_pages:
        e.error("list_pages", "needs at least one URL")
    for url in list_pages:
        if msg := _url_error(url):
            e.error("list_pages", msg)
    pagination = _pagination(e.sub("pagination"), len(list_pages))
    encoding = e.text("encoding")
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            e.error("encoding", f"unknown encoding {encoding!r}")
    urls = list_pages + ([pagination.url_template.replace("{page}", "1")] if pagination.url_template else [])
    return Source(
        name=name,
        list_pages=tuple(list_pages),
        link_rule=_link_rule(e.sub("link_rule")),
        allowed_hosts=_hosts(e, urls),
        region=e.text("region"),
        agency=e.text("agency"),
        pagination=pagination,
        encoding=encoding,
        politeness=_politeness(e.sub("politeness")),
        allow_private_addresses=_private(e),
        user_agent=e.text("user_agent"),
        evidence=e.texts("evidence"),
        enabled=_enabled(e),
    )


def parse_sources(data: Any, origin: str = "sources") -> list[Source]:
    """Validate a parsed sources document (`{"sources": [...]}`); raise SourcesError listing all problems."""
    errors: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise SourcesError([f"{origin}: top level must be a mapping with a 'sources' list"])
    for key in sorted(set(data) - {"sources"}, key=str):
        if str(key).startswith("x-"):
            continue  # an extension key holding YAML anchors shared by entries (as in compose files)
        errors.append(f"{origin}: {key}: unknown top-level field")
    sources = [_source(item, f"{origin}: sources[{i}]", errors) for i, item in enumerate(data["sources"])]
    seen: set[str] = set()
    for i, source in enumerate(sources):
        if source.name and source.name in seen:
            errors.append(f"{origin}: sources[{i}] ({source.name}): name: duplicate name")
        seen.add(source.name)
    if errors:
        raise SourcesError(errors)
    return sources


def load_sources(path: str | Path) -> list[Source]:
    """Read and validate a sources YAML file.

    Args:
        path: the file, normally `sources.yaml` at the repository root.

    Returns:
        The sources in file order.

    Raises:
        SourcesError: listing every invalid field as `<file>: sources[i] (name): field: problem`.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SourcesError([f"{path}: not valid YAML: {exc}"]) from exc
    return parse_sources(data, str(path))
