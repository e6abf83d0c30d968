"""`govreports sources check`: per source, does its first list page still yield report links?

The command line is declared in main.py; the work is in govreports.io.source_check.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table


def _load(sources_file: Path | None, names: list[str]) -> tuple[list, list[str]]:
    from flows._runtime import resolve_sources_file
    from govreports.portals.sources import load_sources

    path = resolve_sources_file(str(sources_file) if sources_file else None)
    if path is None:
        return [], ["no sources file (give --sources, set $GOVREPORTS_SOURCES, or add sources.yaml)"]
    sources = load_sources(path)
    if not names:
        return [s for s in sources if s.enabled], []
    known = {s.name: s for s in sources}
    missing = [n for n in names if n not in known]
    return [known[n] for n in names if n in known], [f"no source named {n!r} in {path}" for n in missing]


def check(names: list[str], sources_file: Path | None, as_json: bool) -> int:
    """Print one row per source; 1 when a source yields no report link (or a name is unknown)."""
    from govreports.io.source_check import check_sources
    from govreports.portals.sources import SourcesError

    console = Console(stderr=False)
    try:
        sources, errors = _load(sources_file, names)
    except SourcesError as exc:
        Console(stderr=True).print(str(exc), markup=False)
        return 2
    results = check_sources(sources)
    if as_json:
        print(json.dumps({"sources": [r.to_json() for r in results], "errors": errors}, ensure_ascii=False, indent=1))
    else:
        table = Table("source", "robots.txt", "list page", "links", "newest", "problems")
        for r in results:
            table.add_row(r.name, r.robots, r.status, str(r.links), r.newest or "-",
                          "; ".join(r.problems) or "-", style=None if r.ok else "red")
        console.print(table)
        for error in errors:
            console.print(f"[red]{error}[/red]")
        bad = [r.name for r in results if not r.ok]
        console.print(f"{len(results) - len(bad)} of {len(results)} sources yield report links"
                      + (f"; none from: {', '.join(bad)}" if bad else ""))
    return 1 if errors or any(not r.ok for r in results) else 0
