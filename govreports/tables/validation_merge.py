"""One validation record for a run that was validated batch by batch.

Why batches: validating a whole run at once needs every table of every page in memory (and GX
copies each into pandas). Each batch is judged on its own — the suites are per-row or
per-document, so the verdict on a document does not depend on which batch it is in — and this
module folds the per-batch results (validate.validate_tables' `results`) into the shape one
call would have produced, which is what runs/<run_id>/validation.json, the run summary and the
run report read: an expectation fails if it failed in any batch, row counts add up, the lists
of examples are concatenated and cut, quarantined documents and unattributed rows are united
(unattributed rows are named `batch<k>:<row>`, since a row index means nothing across batches).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

LISTS_KEPT = 200
#: result counters that add up across batches; percentages are recomputed from them.
SUMMED = ("element_count", "unexpected_count", "missing_count", "nonmissing_count")


def _merge_result(results: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = dict(results[0])
    for key in SUMMED:
        values = [r[key] for r in results if isinstance(r.get(key), int | float)]
        if values:
            merged[key] = sum(values)
    for key, value in results[0].items():
        if isinstance(value, list):
            merged[key] = [item for r in results for item in (r.get(key) or [])][:LISTS_KEPT]
    if isinstance(merged.get("element_count"), int | float) and "unexpected_percent" in merged:
        total = merged["element_count"] or 0
        merged["unexpected_percent"] = 100.0 * merged.get("unexpected_count", 0) / total if total else 0.0
    return merged


def _merge_entries(batches: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Entry i of every batch is the same expectation (same suite file): fold them."""
    merged = []
    for entries in zip(*batches, strict=True):
        judged = [e.get("success") for e in entries if e.get("success") is not None]
        entry = dict(entries[0])
        entry["success"] = all(judged) if judged else None
        entry["result"] = _merge_result([e.get("result") or {} for e in entries])
        merged.append(entry)
    return merged


def _statistics(expectations: list[dict[str, Any]]) -> dict[str, Any]:
    evaluated = len(expectations)
    successful = sum(1 for e in expectations if e.get("success"))
    return {"evaluated_expectations": evaluated, "successful_expectations": successful,
            "unsuccessful_expectations": evaluated - successful,
            "success_percent": 100.0 * successful / evaluated if evaluated else None}


def _sum_counts(parts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in parts:
        for name, count in part.items():
            total[name] = total.get(name, 0) + int(count)
    return total


def merge_results(batches: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Fold the `results` of validate_tables over batches into one record of the same shape."""
    if not batches:
        return {"success": True, "parameters": {}, "suites": {}, "quarantined": {}, "unattributed": {},
                "rows_in": {}, "rows_out": {}}
    if len(batches) == 1:
        return dict(batches[0])
    suites: dict[str, Any] = {}
    for name in batches[0].get("suites", {}):
        per_batch = [b["suites"][name] for b in batches]
        expectations = _merge_entries([s["gx"].get("expectations", []) for s in per_batch])
        gx = {**per_batch[0]["gx"], "expectations": expectations, "statistics": _statistics(expectations),
              "success": all(e.get("success") is not False for e in expectations)}
        suites[name] = {"gx": gx, "checks": _merge_entries([s.get("checks", []) for s in per_batch])}
    quarantined: dict[str, Any] = {}
    unattributed: dict[str, list[str]] = {}
    for k, batch in enumerate(batches):
        quarantined.update(batch.get("quarantined") or {})
        for table, rows in (batch.get("unattributed") or {}).items():
            unattributed.setdefault(table, []).extend(f"batch{k}:{row}" for row in rows)
    return {
        "success": all(b.get("success") for b in batches),
        "parameters": batches[0].get("parameters", {}),
        "suites": suites,
        "quarantined": dict(sorted(quarantined.items())),
        "unattributed": unattributed,
        "rows_in": _sum_counts([b.get("rows_in") or {} for b in batches]),
        "rows_out": _sum_counts([b.get("rows_out") or {} for b in batches]),
        "batches": len(batches),
    }
