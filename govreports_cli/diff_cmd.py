"""`govreports diff A B`: what changed between two releases, row by row, by each table's key.

The release log only records how many rows a publish added and removed; an analyst re-running a
comparison needs to know *which* documents came or went and which indicator values moved. So both
releases are read whole (through the release log) and compared by key (schemas.KEYS): a key only in
B is added, only in A removed, in both with different content changed. `code_version` is left out
of the content, so re-parsing with new code that yields the same data is not a change. Indicator
values are compared per (document, indicator, sub-value, modality) rather than per row id, because
the row id embeds the mention's offset: an edit earlier in the text moves it without changing it.
So the indicator section says apart values that changed (in both releases, different), are new (only
in B: a new document, or a new mention) and are gone (only in A); the table above it counts rows by key,
where a moved or re-valued mention is one row removed and one added, not "changed in place".
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.table import Table

from govreports.config import DataPaths
from govreports.io.releases import Release
from govreports.tables.schemas import KEYS, TABLES
from govreports_cli.terminal import cell, console, fail, resolve

LISTED = 30
IGNORED_COLUMNS = ("code_version",)
Key = tuple[Any, ...]


def _rows(name: str, release: Release, paths: DataPaths) -> dict[Key, dict[str, Any]]:
    from govreports.io.reading import read_arrow

    return {tuple(r[k] for k in KEYS[name]): r for r in read_arrow(name, release.release, data_dir=paths).to_pylist()}


def _digest(row: dict[str, Any]) -> str:
    content = {k: v for k, v in row.items() if k not in IGNORED_COLUMNS}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def compare(old: dict[Key, dict[str, Any]], new: dict[Key, dict[str, Any]]) -> dict[str, list[Key]]:
    """Keys added, removed and changed (content differs, code_version aside) from `old` to `new`."""
    both = old.keys() & new.keys()
    return {"added": sorted(new.keys() - old.keys(), key=str), "removed": sorted(old.keys() - new.keys(), key=str),
            "changed": sorted((k for k in both if _digest(old[k]) != _digest(new[k])), key=str)}


def indicator_changes(old: dict[Key, dict[str, Any]], new: dict[Key, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (doc_id, indicator_id, sub, modality) whose sorted values differ: the values in A and in B."""
    def values(rows: dict[Key, dict[str, Any]]) -> dict[Key, list[tuple[float | None, str]]]:
        grouped: dict[Key, list[tuple[float | None, str]]] = defaultdict(list)
        for r in rows.values():
            grouped[(r["doc_id"], r["indicator_id"], r["sub"], r["modality"])].append((r["value"], r["unit"]))
        return {k: sorted(v, key=lambda x: (x[0] is None, x[0] or 0, x[1])) for k, v in grouped.items()}

    a, b = values(old), values(new)
    docs = {r["doc_id"]: r for r in [*old.values(), *new.values()]}
    out = []
    for key in sorted(a.keys() | b.keys(), key=str):
        if a.get(key) != b.get(key):
            doc = docs[key[0]]
            out.append({"doc_id": key[0], "agency": doc["agency"], "report_year": doc["report_year"],
                        "indicator_id": key[1], "sub": key[2], "modality": key[3],
                        "a": a.get(key, []), "b": b.get(key, [])})
    return out


def _values(values: list[tuple[float | None, str]]) -> str:
    return ", ".join(f"{cell(v)}{cell(u)}" for v, u in values) or "—"


def diff_versions(a: int, b: int, *, data_dir: Path | None) -> int:
    """Print per-table added/removed/changed rows, documents added/removed, changed indicator values."""
    try:
        paths, rel_a = resolve(data_dir, a)
        _, rel_b = resolve(data_dir, b)
    except LookupError as exc:
        return fail(str(exc).strip("'\""))
    out = console()
    summary = Table(title=f"Release {a} ({rel_a.run_id}) → release {b} ({rel_b.run_id})", title_justify="left")
    for column in ("table", f"rows in {a}", f"rows in {b}", "added", "removed", "changed in place"):
        summary.add_column(column, justify="left" if column == "table" else "right")
    kept: dict[str, tuple[dict, dict, dict[str, list[Key]]]] = {}
    for name in TABLES:
        old, new = _rows(name, rel_a, paths), _rows(name, rel_b, paths)
        diff = compare(old, new)
        summary.add_row(name, str(len(old)), str(len(new)), *(str(len(diff[k])) for k in ("added", "removed", "changed")))
        if name in ("documents", "indicators"):
            kept[name] = (old, new, diff)
    out.print(summary)

    old_docs, new_docs, doc_diff = kept["documents"]
    for kind, rows in (("added", new_docs), ("removed", old_docs)):
        keys = doc_diff[kind]
        if not keys:
            continue
        table = Table(title=f"Documents {kind} ({len(keys)})", title_justify="left")
        for column in ("doc_id", "year", "agency", "title"):
            table.add_column(column)
        for key in keys[:LISTED]:
            d = rows[key]
            table.add_row(d["doc_id"], str(d["report_year"]), cell(d["agency"]), cell(d["title"], 60))
        out.print(table)
        if len(keys) > LISTED:
            out.print(f"… and {len(keys) - LISTED} more")

    old_ind, new_ind, _ = kept["indicators"]
    changes = indicator_changes(old_ind, new_ind)
    if not changes:
        out.print("Indicator values: none changed, none new, none gone.")
        return 0
    kinds = [change_kind(c) for c in changes]
    counts = ", ".join(f"{kinds.count(k)} {k}" for k in ("changed", "new", "gone"))
    table = Table(title=f"Indicator values: {counts} (per document, indicator, sub-value, modality)",
                  title_justify="left")
    for column in ("", "doc_id", "year", "agency", "indicator_id", "sub", "modality", f"in {a}", f"in {b}"):
        table.add_column(column)
    order = {"changed": 0, "new": 1, "gone": 2}
    listed = sorted(zip(kinds, changes, strict=True), key=lambda kc: order[kc[0]])  # stable: keys stay sorted
    for kind, c in listed[:LISTED]:
        table.add_row(kind, c["doc_id"], str(c["report_year"]), cell(c["agency"]), c["indicator_id"], cell(c["sub"]),
                      c["modality"], _values(c["a"]), _values(c["b"]))
    out.print(table)
    if len(changes) > LISTED:
        out.print(f"… and {len(changes) - LISTED} more")
    return 0


def change_kind(change: dict[str, Any]) -> str:
    """changed (values in both releases differ), new (only in the newer) or gone (only in the older)."""
    return "new" if not change["a"] else "gone" if not change["b"] else "changed"
