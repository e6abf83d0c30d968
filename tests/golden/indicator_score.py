"""Scoring the indicator mapping against indicator gold (tests/golden/realshape/indgold, the annotators' spec in
tests/golden/realshape/indgold/README.md): which quantity mention measures which catalog indicator,
and which one value per (document, indicator) a comparison uses.

Mentions are aligned to the gold by surface, in order (the gold lists quantities, not offsets). A
mapping counts as right when the indicator id matches; the sub-value is reported on its own. Values are
matched as (indicator_id, value) pairs per document, sub-values aside (annotators name subs loosely).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

_SPACE = re.compile(r"\s+")


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    sub_right: int = 0
    v_tp: int = 0
    v_fp: int = 0
    v_fn: int = 0
    misses: list[str] = field(default_factory=list)

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    @property
    def precision(self) -> float:
        return self._ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return self._ratio(self.tp, self.tp + self.fn)

    @property
    def value_precision(self) -> float:
        return self._ratio(self.v_tp, self.v_tp + self.v_fp)

    @property
    def value_recall(self) -> float:
        return self._ratio(self.v_tp, self.v_tp + self.v_fn)

    def summary(self) -> dict[str, float | int]:
        return {"mapping_precision": round(self.precision, 4), "mapping_recall": round(self.recall, 4),
                "sub_agreement": round(self._ratio(self.sub_right, self.tp), 4),
                "values_precision": round(self.value_precision, 4), "values_recall": round(self.value_recall, 4),
                "gold_mapped": self.tp + self.fn, "gold_values": self.v_tp + self.v_fn}


def _norm(surface: str) -> str:
    return _SPACE.sub("", surface)


def _align(gold: list[dict], parsed: list[dict]) -> dict[int, int]:
    """gold quantity index → parsed quantity index, by equal surface, in order."""
    out: dict[int, int] = {}
    used: set[int] = set()
    pointer = 0
    for g, gq in enumerate(gold):
        want = _norm(gq["surface"])
        hit = next((p for p in range(pointer, len(parsed)) if p not in used and _norm(parsed[p]["surface"]) == want),
                   None)
        if hit is None:
            hit = next((p for p in range(len(parsed)) if p not in used and _norm(parsed[p]["surface"]) == want), None)
        if hit is not None:
            out[g] = hit
            used.add(hit)
            pointer = hit + 1
    return out


def score_document(gold: dict, parsed: dict, score: Score, where: str) -> None:
    """Add one document's mapping and value agreement to `score`."""
    pred = {iv["quantity_index"]: (iv["indicator_id"], iv.get("sub"))
            for iv in parsed.get("indicators", []) if iv["quantity_index"] >= 0}
    alignment = _align(gold["quantities"], parsed.get("quantities", []))
    for g, gq in enumerate(gold["quantities"]):
        want = gq.get("indicator")
        got = pred.get(alignment[g]) if g in alignment else None
        if want and got and got[0] == want:
            score.tp += 1
            score.sub_right += (got[1] or None) == (gq.get("sub") or None)
            continue
        if want:
            score.fn += 1
            score.misses.append(f"{where}: {gq['surface']} gold {want} got {got[0] if got else None}")
        if got:
            score.fp += 1
            if not want:
                score.misses.append(f"{where}: {gq['surface']} gold None got {got[0]}")
    matched = set(alignment.values())
    for p, got in pred.items():
        if p not in matched:  # a mapped mention the gold does not list as a quantity
            score.fp += 1
            score.misses.append(f"{where}: {parsed['quantities'][p]['surface']} (not a gold quantity) got {got[0]}")
    want_values = Counter((v["indicator"], round(float(v["value"]), 4)) for v in gold.get("indicator_values", []))
    got_values = Counter((v["indicator_id"], round(float(v["value"]), 4)) for v in parsed.get("indicator_values", [])
                         if v.get("value") is not None)
    common = want_values & got_values
    score.v_tp += sum(common.values())
    score.v_fp += sum((got_values - common).values())
    score.v_fn += sum((want_values - common).values())
    for k in (want_values - common):
        score.misses.append(f"{where}: value gold {k} missing")
    for k in (got_values - common):
        score.misses.append(f"{where}: value {k} not in gold")


def score_files(gold_dir: Path, parsed_lines: Iterable[str]) -> Score:
    """Score `govreports parse --json` output lines against every gold file of `gold_dir`."""
    by_file: dict[str, list[dict]] = {}
    for line in parsed_lines:
        if line.strip():
            doc = json.loads(line)
            by_file.setdefault(Path(doc["source"]).name, []).append(doc)
    score = Score()
    for path in sorted(gold_dir.glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        docs = sorted(by_file.get(gold["file"], []), key=lambda d: d["doc_index"])
        for n, gdoc in enumerate(gold["documents"]):
            parsed = docs[n] if n < len(docs) else {"quantities": [], "indicators": [], "indicator_values": []}
            score_document(gdoc, parsed, score, f"{path.stem}#{n}")
    return score
