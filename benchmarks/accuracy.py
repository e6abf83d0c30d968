"""Correctness measured while measuring speed: parsed output against the generator's truth.

A fast pipeline that finds nothing would pass every speed target, so every benchmark run also
scores what it produced against what `benchmarks.corpus` inserted: documents found per page,
heading recall (label + text), quantity recall and precision on the inserted quantities
(value + unit; the generated prose is number-free, so any other quantity is a false positive),
and metadata accuracy (agency, region, report_year). Works on in-process `PageResult`s and on
rows read back from the curated tables, so the same score covers both paths.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SPACE = re.compile(r"\s+")


def load_truth(path: Path) -> dict[str, dict[str, Any]]:
    """truth.jsonl (one TruthPage per line) → {page file name: page truth}."""
    with path.open(encoding="utf-8") as fh:
        return {row["name"]: row for row in map(json.loads, fh)}


def _norm(text: str | None) -> str:
    return _SPACE.sub("", text or "").replace("（", "(").replace("）", ")").rstrip("。.")


def _qty_key(value: float | None, unit: str) -> tuple[float | None, str]:
    return (None if value is None else round(float(value), 3), unit)


@dataclass
class Score:
    """Running tallies; `summary()` turns them into the rates a person reads."""

    pages: int = 0
    pages_exact_docs: int = 0
    docs_truth: int = 0
    docs_found: int = 0
    headings_truth: int = 0
    headings_found: int = 0
    qty_truth: int = 0
    qty_matched: int = 0
    qty_found: int = 0
    meta: Counter = field(default_factory=Counter)
    meta_total: int = 0

    def add_page(self, truth: dict[str, Any], docs: list[dict[str, Any]]) -> None:
        """Score one page: `docs` are parsed documents in page order, each a dict with title,
        agency, region, report_year, headings [(label, text)], quantities [(value, unit)]."""
        self.pages += 1
        tdocs = truth["documents"]
        self.docs_truth += len(tdocs)
        self.docs_found += len(docs)
        self.pages_exact_docs += len(docs) == len(tdocs)
        for tdoc, doc in zip(tdocs, _align(tdocs, docs), strict=True):
            self.headings_truth += len(tdoc["headings"])
            self.qty_truth += len(tdoc["quantities"])
            self.meta_total += 1
            if doc is None:
                continue
            found = Counter((_norm(lbl), _norm(txt)) for lbl, txt in doc["headings"])
            want = Counter((_norm(h["label"]), _norm(h["text"])) for h in tdoc["headings"])
            self.headings_found += sum((want & found).values())
            got = Counter(_qty_key(v, u) for v, u in doc["quantities"])
            exp = Counter(_qty_key(q["value"], q["unit"]) for q in tdoc["quantities"])
            self.qty_matched += sum((exp & got).values())
            self.qty_found += sum(got.values())
            for key in ("agency", "region", "report_year"):
                self.meta[key] += doc.get(key) == tdoc[key]

    def summary(self) -> dict[str, float | int]:
        def rate(a: int, b: int) -> float:
            return round(a / b, 4) if b else 0.0

        return {
            "pages": self.pages,
            "documents_truth": self.docs_truth,
            "documents_found": self.docs_found,
            "pages_with_exact_document_count": rate(self.pages_exact_docs, self.pages),
            "heading_recall": rate(self.headings_found, self.headings_truth),
            "quantity_recall": rate(self.qty_matched, self.qty_truth),
            "quantity_precision": rate(self.qty_matched, self.qty_found),
            **{f"{k}_accuracy": rate(self.meta[k], self.meta_total) for k in ("agency", "region", "report_year")},
        }


def _align(tdocs: list[dict[str, Any]], docs: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Pair each truth document with a parsed one: same title first, else the same position."""
    by_title = {_norm(d.get("title")): d for d in docs if d.get("title")}
    out: list[dict[str, Any] | None] = []
    for i, tdoc in enumerate(tdocs):
        doc = by_title.get(_norm(tdoc["title"]))
        if doc is None and i < len(docs) and _norm(docs[i].get("title")) not in {_norm(t["title"]) for t in tdocs}:
            doc = docs[i]
        out.append(doc)
    return out


def doc_from_result(doc: Any) -> dict[str, Any]:
    """A core `Document` as the dict `Score.add_page` scores."""
    return {"title": doc.title, "agency": doc.agency, "region": doc.region, "report_year": doc.report_year,
            "headings": [(s.label_raw, s.heading) for s in doc.sections],
            "quantities": [(q.value, q.unit) for q in doc.quantities]}


def score_results(truth: dict[str, dict[str, Any]], results: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Score in-process results: (page file name, PageResult) pairs."""
    score = Score()
    for name, result in results:
        if name in truth:
            score.add_page(truth[name], [doc_from_result(d) for d in sorted(result.documents,
                                                                           key=lambda d: d.doc_index)])
    return score.summary()


def score_curated(truth: dict[str, dict[str, Any]], data_dir: Path) -> dict[str, Any]:
    """Score the latest published release of `data_dir` (read back with govreports.read).

    Pages are matched to truth through the raw store's sightings (inbox file name → sha256).
    """
    import govreports
    from govreports.config import DataPaths
    from govreports.io.parse_pool import origin

    paths = DataPaths.from_dir(data_dir)
    docs = govreports.read("documents", data_dir=data_dir)
    sections = govreports.read("sections", data_dir=data_dir)
    quantities = govreports.read("quantities", data_dir=data_dir)
    by_sha: dict[str, list[dict[str, Any]]] = {}
    heads = _group(sections, "doc_id", lambda r: (r.get("label_raw") or r.get("label"), r.get("heading")))
    qtys = _group(quantities, "doc_id", lambda r: (r.get("value"), r.get("unit")))
    for row in docs.sort_values(["raw_sha256", "doc_index"]).to_dict("records"):
        by_sha.setdefault(row["raw_sha256"], []).append({
            "title": row.get("title"), "agency": row.get("agency"), "region": row.get("region"),
            "report_year": None if row.get("report_year") is None else int(row["report_year"]),
            "headings": heads.get(row["doc_id"], []), "quantities": qtys.get(row["doc_id"], [])})
    score = Score()
    names = {}
    for sha in _all_hashes(paths):
        names[origin(paths, sha)["name"]] = sha
    for name, page in truth.items():
        sha = names.get(name)
        score.add_page(page, by_sha.get(sha, []) if sha else [])
    return score.summary()


def _group(df: Any, key: str, row_fn: Any) -> dict[str, list]:
    out: dict[str, list] = {}
    for row in df.to_dict("records"):
        out.setdefault(row[key], []).append(row_fn(row))
    return out


def _all_hashes(paths: Any) -> list[str]:
    from govreports.io import raw_store

    return list(raw_store.iter_hashes(paths))
