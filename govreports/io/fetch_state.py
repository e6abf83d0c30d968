"""What earlier runs learnt about one source: list-page validators and links, and reports seen.

Why: nightly runs must ask portals only for what may be new. List pages are re-checked every
run with conditional GETs (ETag / Last-Modified); a 304 reuses the links found last time, so
reports that failed last night are retried and pagination still proceeds. Reports are fetched
once; their content sha256 ties them to the raw store. One JSON file per source, kept under the
raw state directory by the caller. Save it only after the fetched pages are stored, so a crash
in between makes the next run fetch them again rather than lose them.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govreports.portals.retry_policy import unpark

STATE_VERSION = 1


@dataclass(slots=True)
class FetchState:
    """Per-source crawl memory; JSON-serialisable, keys are normalised absolute URLs."""

    #: list URL -> {"etag", "last_modified", "links": [[url, title], ...], "next_pages": [...], "rule"}
    list_pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: report URL -> {"sha256", "final_url", "title", "etag", "last_modified"}
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: report URL that failed -> {"attempts", "reason", "last_attempt", "next_after", "parked"}
    #: (govreports.portals.retry_policy): later runs retry it with backoff, then park it.
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)

    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for `url` from what its last 200 said."""
        entry = self.list_pages.get(url) or self.reports.get(url) or {}
        headers = {}
        if entry.get("etag"):
            headers["If-None-Match"] = entry["etag"]
        if entry.get("last_modified"):
            headers["If-Modified-Since"] = entry["last_modified"]
        return headers

    def remember_list_page(
        self, url: str, headers: dict[str, str], links: list[tuple[str, str]], next_pages: list[str],
        rule: str = "",
    ) -> None:
        """Store a freshly fetched list page's validators and what was found on it.

        `rule` fingerprints the link rule that found the links: when sources.yaml changes the
        rule, the stored links are stale, and the caller skips the conditional GET.
        """
        self.list_pages[url] = {
            "etag": headers.get("etag"),
            "last_modified": headers.get("last-modified"),
            "links": [[u, t] for u, t in links],
            "next_pages": list(next_pages),
            "rule": rule,
        }

    def list_rule(self, url: str) -> str | None:
        """The rule fingerprint stored with a list page (None if never fetched)."""
        return (self.list_pages.get(url) or {}).get("rule")

    def known_list_page(self, url: str) -> tuple[list[tuple[str, str]], list[str]] | None:
        """(links, next_pages) found on `url` last time, or None if never fetched."""
        entry = self.list_pages.get(url)
        if entry is None:
            return None
        return [(u, t) for u, t in entry.get("links", [])], list(entry.get("next_pages", []))

    def is_seen(self, url: str) -> bool:
        return url in self.reports

    def mark_seen(self, url: str, sha256: str, final_url: str, title: str, headers: dict[str, str]) -> None:
        """Record a report fetched with status 2xx (a failure recorded before is cleared)."""
        self.failures.pop(url, None)
        self.reports[url] = {
            "sha256": sha256,
            "final_url": final_url,
            "title": title,
            "etag": headers.get("etag"),
            "last_modified": headers.get("last-modified"),
        }

    def to_json(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, "list_pages": self.list_pages, "reports": self.reports,
                "failures": self.failures}

    @classmethod
    def load(cls, path: str | Path) -> FetchState:
        """Read a state file; a missing file is an empty state (first run).

        Raises:
            ValueError: the file exists but is not a state file of this version.
        """
        path = Path(path)
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: unreadable fetch state: {exc}") from exc
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ValueError(f"{path}: not a fetch state file of version {STATE_VERSION}")
        return cls(dict(data.get("list_pages") or {}), dict(data.get("reports") or {}),
                   dict(data.get("failures") or {}))

    def save(self, path: str | Path) -> None:
        """Write atomically (temp file + rename), so a crash never leaves half a state file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_json(), ensure_ascii=False, indent=1, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def unpark_failures(state_files: list[str], selected: list[str] | None) -> list[str]:
    """Make failed report URLs due again in each source's state: all, or those in `selected`."""
    urls: list[str] = []
    for state_file in state_files:
        state = FetchState.load(state_file)
        chosen = [u for u in state.failures if selected is None or u in selected]
        for url in chosen:
            state.failures[url] = unpark(state.failures[url])
        if chosen:
            state.save(Path(state_file))
        urls += chosen
    return sorted(urls)
