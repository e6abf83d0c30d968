"""`govreports versions | query | show`: looking at published releases from the terminal.

Everything reads through the release log (govreports.io.reading), never the latest Delta version of
a table, so what the terminal shows is exactly what an analyst's `govreports.read(...)` returns for
the same release. DuckDB scans each table's pyarrow dataset: its own `delta_scan` would download an
extension at runtime (shared/docs/libraries.md §3). `diff` lives in diff_cmd.py and the console helpers
in terminal.py (both re-exported here).
Exit codes: 0 done, 1 nothing to show (no such release or document), 2 the SQL is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from govreports.config import DataPaths
from govreports.io.reading import no_release_message
from govreports.io.releases import Release, read_releases
from govreports.models import REQUIRED_PARTS
from govreports.tables.schemas import TABLES
from govreports_cli.diff_cmd import diff_versions
from govreports_cli.terminal import cell, console, fail, resolve

__all__ = ["cell", "console", "diff_versions", "fail", "resolve", "run_query", "show_document", "show_versions"]

PART_STYLE = {"present": "green", "embedded": "yellow", "missing": "red"}


def _changes(rel: Release) -> str:
    parts = []
    for name in TABLES:
        change = rel.changes.get(name)
        if change and (change.get("added") or change.get("removed")):
            parts.append(f"{name} +{change.get('added', 0)}/-{change.get('removed', 0)}")
    return ", ".join(parts) or "—"


def show_versions(data_dir: Path | None) -> int:
    """Print the release log, newest first: number, time, run, kind, years, row counts, changes."""
    paths = DataPaths.from_dir(data_dir)
    releases = read_releases(paths)
    out = console()
    if not releases:
        return fail(no_release_message(paths))
    table = Table(title=f"Releases in {paths.curated_dir}", title_justify="left")
    for column in ("release", "created (UTC)", "run id", "kind", "years"):
        table.add_column(column, no_wrap=True)
    short = {"documents": "docs", "sections": "sect", "quantities": "qty", "indicators": "ind",
             "quarantine": "quar"}
    for name in ("documents", "sections", "quantities", "indicators", "pages", "quarantine"):
        table.add_column(short.get(name, name), justify="right")
    table.add_column("changes (rows +added/-removed)")
    for rel in reversed(releases):
        counts = [str((rel.tables.get(n) or {}).get("rows", 0))
                  for n in ("documents", "sections", "quantities", "indicators", "pages", "quarantine")]
        table.add_row(str(rel.release), rel.created_at.strftime("%Y-%m-%d %H:%M:%S"), rel.run_id, rel.kind,
                      ",".join(map(str, rel.years)) or "—", *counts, _changes(rel))
    out.print(table)
    return 0


#: DuckDB settings for SQL that may come from someone else (a service, a shared notebook): it sees the
#: release's tables and nothing else: no file or URL read or written (COPY … TO, read_csv('/etc/…'),
#: ATTACH, EXPORT), no extension installed or loaded, no Python variable scanned, and the settings
#: are locked so the SQL cannot turn them back on. `--allow-external` drops all of this.
SANDBOX = {"enable_external_access": False, "autoinstall_known_extensions": False,
           "autoload_known_extensions": False, "allow_community_extensions": False,
           "python_enable_replacements": False, "lock_configuration": True}


def run_query(sql: str, *, version: int | None, data_dir: Path | None, limit: int,
              allow_external: bool = False) -> int:
    """Run `sql` in DuckDB with every curated table of the release registered under its name.

    Sandboxed (SANDBOX) unless `allow_external`: the SQL reads the release's tables only.
    """
    import duckdb

    from govreports.io.reading import dataset

    try:
        paths, release = resolve(data_dir, version)
    except LookupError as exc:
        return fail(str(exc).strip("'\""))
    con = duckdb.connect(config={} if allow_external else dict(SANDBOX))
    for name in TABLES:
        con.register(name, dataset(name, release.release, data_dir=paths))
    try:
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchmany(limit + 1) if limit > 0 else cur.fetchall()
    except duckdb.Error as exc:
        return fail(f"SQL: {exc}\n(tables of release {release.release}: {', '.join(TABLES)})", code=2)
    out = console()
    shown = rows[:limit] if limit > 0 else rows
    more = " (more rows: raise --limit)" if len(shown) < len(rows) else ""
    table = Table()
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in shown:
        table.add_row(*(cell(v) for v in row))
    out.print(table)
    out.print(f"release {release.release}: {len(shown)} row{'' if len(shown) == 1 else 's'}{more}")
    return 0


def _match(doc_ids: list[str], prefix: str) -> list[str]:
    return sorted(d for d in doc_ids if d.startswith(prefix))


def _quarantined(paths: DataPaths, release: Release, prefix: str) -> int | None:
    """Exit code after telling the user a document was held back, or None when it was not."""
    from govreports.io.reading import read_arrow

    rows = read_arrow("quarantine", release.release, data_dir=paths).to_pylist()
    hits = [r for r in rows if (r["doc_id"] or "").startswith(prefix)]
    if not hits:
        return None
    for r in hits:
        failed = ", ".join(str(f.get("expectation", f)) for f in json.loads(r["failed"] or "[]"))
        fail(f"document {r['doc_id']} is quarantined in release {release.release} (source {r['source']}, "
             f"year {r['report_year']}): failed {failed}")
    return 1


def _section_tree(title: str, sections: list[dict[str, Any]]) -> Tree:
    root = Tree(f"[bold]{cell(title)}[/]")
    nodes: dict[str, Tree] = {}
    for s in sorted(sections, key=lambda s: s["seq"]):
        parent = nodes.get(s["parent_id"] or "", root)
        text = cell(f"{s['label_raw']} {s['heading']}".strip(), 70)
        nodes[s["section_id"]] = parent.add(f"{text}  [dim]{s['part']} · {s['start']}–{s['end']}[/]")
    return root


def show_document(doc_id: str, *, version: int | None, data_dir: Path | None) -> int:
    """Print one document: metadata, completeness, section tree with parts, indicators, lineage."""
    from govreports.io import raw_store
    from govreports.io.reading import read_arrow

    try:
        paths, release = resolve(data_dir, version)
    except LookupError as exc:
        return fail(str(exc).strip("'\""))
    prefix = doc_id.strip().lower()
    found = _match(read_arrow("documents", release.release, data_dir=paths, columns=["doc_id"], all_versions=True)
                   .column("doc_id").to_pylist(), prefix) if prefix else []
    if len(found) > 1:
        return fail(f"{doc_id!r} matches {len(found)} documents: {', '.join(found[:10])}"
                    f"{' …' if len(found) > 10 else ''}; give more characters")
    if not found:
        held = _quarantined(paths, release, prefix) if prefix else None
        return held if held is not None else fail(f"no document {doc_id!r} in release {release.release}")
    doc_id = found[0]
    flt = [("doc_id", "=", doc_id)]
    doc = read_arrow("documents", release.release, data_dir=paths, filters=flt, all_versions=True).to_pylist()[0]
    out = console()
    meta = Table.grid(padding=(0, 2))
    meta.add_column(style="bold")
    meta.add_column()
    for key in ("doc_id", "title", "agency", "region", "doc_type", "report_year", "publish_date", "signed_date",
                "source", "url", "doc_index", "truncated", "topics", "warnings", "n_sections", "n_quantities",
                "code_version", "fingerprint", "duplicate_of", "supersedes"):
        meta.add_row(key, cell(doc[key]))
    out.print(f"[bold]Document {doc_id}[/] (release {release.release})")
    out.print(meta)
    out.print("\n[bold]Completeness of the required parts[/]")
    for part in REQUIRED_PARTS:
        state = doc[f"part_{part}"]
        out.print(f"  {part:<18} [{PART_STYLE.get(state or '', 'dim')}]{state or 'not assessed'}[/]")
    sections = read_arrow("sections", release.release, data_dir=paths, filters=flt, all_versions=True).to_pylist()
    out.print(f"\n[bold]Sections[/] ({len(sections)}; part · body offsets)")
    out.print(_section_tree(doc["title"] or doc_id, sections))
    indicators = read_arrow("indicators", release.release, data_dir=paths, filters=flt, all_versions=True).to_pylist()
    labels = {s["section_id"]: s["label"] for s in sections}
    table = Table(title=f"Indicators ({len(indicators)})", title_justify="left")
    for column in ("indicator_id", "value", "unit", "qualifier", "sub", "modality", "surface", "section",
                   "evidence"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for i in sorted(indicators, key=lambda r: (r["start"], r["indicator_id"])):
        table.add_row(i["indicator_id"], cell(i["value"]), cell(i["unit"]), cell(i["qualifier"]), cell(i["sub"]),
                      i["modality"], cell(i["surface"]), cell(labels.get(i["section_id"], "—")),
                      cell(i["evidence"], 30))
    out.print(table)
    raw = paths.object_path(doc["raw_sha256"])
    sightings = raw_store.sidecar(paths, doc["raw_sha256"])["sightings"] if raw.is_file() else []
    urls = sorted({s["url"] for s in sightings if s.get("url")})
    out.print(f"\n[bold]Lineage[/] raw page {escape(str(raw))}{'' if raw.is_file() else ' (not in this raw store)'}"
              + (f"\n  seen at {escape(', '.join(urls))}" if urls else ""))
    return 0
