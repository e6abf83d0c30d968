"""Time per stage of the core, measured in-process through the real composition.

Rather than re-composing the stages here (which would drift from govreports/parse.py as it
changes), every stage function that parse.py and pagetext.py call is wrapped, for the duration
of the measurement, by a timer under the same name in the calling module; then `parse_page` runs
as it does in production. Stage time is exclusive (decode is subtracted from nothing: read_page
is timed as its parts, decode / html / chrome, plus "clean other" for the line tidying). The
table stages (build tables, validate, publish into an empty curated dir) run after, on the
tables of the same pages, exactly as the flow's tasks call them.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

#: CPU time of this process: on a shared 2-core machine wall time measures the neighbours too, CPU
#: time (nearly) only our work. Every figure here is CPU seconds.
CLOCK = time.process_time
#: (module, function name, stage label): every stage call parse_page makes, where it makes it.
WRAPPED = [
    ("govreports.clean.pagetext", "decode_bytes_ex", "decode"),
    ("govreports.clean.pagetext", "html_to_page", "clean: html"),
    ("govreports.clean.pagetext", "strip_chrome", "clean: chrome"),
    ("govreports.parse", "read_page", "_read_page"),
    ("govreports.parse", "split_documents", "split+metadata"),
    ("govreports.parse", "extract_metadata", "split+metadata"),
    ("govreports.parse", "parse_sections", "sections+parts"),
    ("govreports.parse", "tag_parts", "sections+parts"),
    ("govreports.parse", "extract_quantities", "quantities"),
    ("govreports.parse", "map_indicators", "indicators"),
    ("govreports.parse", "extract_citations", "citations"),
    ("govreports.parse", "extract_keywords", "keywords"),
    ("govreports.parse", "tag_topics", "keywords"),
]
#: the order stages print in.
ORDER = ["decode", "clean: html", "clean: chrome", "clean: other", "split+metadata", "sections+parts",
         "quantities", "indicators", "citations", "keywords", "parse: other", "build tables", "validate",
         "publish"]


@contextlib.contextmanager
def timed_stages(totals: dict[str, float]) -> Iterator[None]:
    """Patch the stage functions with timers that add their wall time to `totals[label]`."""
    import importlib

    saved: list[tuple[Any, str, Callable[..., Any]]] = []
    for module_name, attr, label in WRAPPED:
        module = importlib.import_module(module_name)
        original = getattr(module, attr)
        saved.append((module, attr, original))
        setattr(module, attr, _timer(original, label, totals))
    try:
        yield
    finally:
        for module, attr, original in reversed(saved):
            setattr(module, attr, original)


def _timer(fn: Callable[..., Any], label: str, totals: dict[str, float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = CLOCK()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[label] += CLOCK() - start
    return wrapper


def measure_stages(paths: list[Path]) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """Per-stage seconds over `paths` (warmed first), and the (name, PageResult) pairs for scoring."""
    from govreports.parse import parse_page

    parse_page(paths[0].read_bytes(), "warm")  # rules, dictionaries and regexes load outside the timing
    totals: dict[str, float] = defaultdict(float)
    results: list[tuple[str, Any]] = []
    size = 0
    with timed_stages(totals):
        start = CLOCK()
        for path in paths:
            data = path.read_bytes()
            size += len(data)
            results.append((path.name, parse_page(data, path.name)))
        parse_total = CLOCK() - start
    read_total = totals.pop("_read_page")
    totals["clean: other"] = read_total - totals["decode"] - totals["clean: html"] - totals["clean: chrome"]
    totals["parse: other"] = parse_total - read_total - sum(
        v for k, v in totals.items() if k not in ("decode", "clean: html", "clean: chrome", "clean: other"))
    table_times, rows = _table_stages([r for _, r in results])
    gx_import = table_times.pop("_gx_import")
    validate_fixed = table_times.pop("_validate_fixed")
    totals.update(table_times)
    pages = len(paths)
    stages = {k: {"cpu_s": round(totals[k], 3), "ms_per_page": round(totals[k] * 1000 / pages, 3)}
              for k in ORDER if k in totals}
    total = sum(totals[k] for k in ORDER if k in totals)
    for v in stages.values():
        v["share"] = round(v["cpu_s"] / total, 4) if total else 0.0
    return {"pages": pages, "mb": round(size / 1e6, 2), "parse_cpu_s": round(parse_total, 3),
            "total_cpu_s": round(total, 3), "ms_per_page": round(total * 1000 / pages, 3),
            "pages_per_s_1core": round(pages / total, 1) if total else 0.0, "rows": rows,
            "gx_import_cpu_s": round(gx_import, 3), "validate_one_page_cpu_s": round(validate_fixed, 3),
            "stages": stages}, results


def _table_stages(results: list[Any]) -> tuple[dict[str, float], dict[str, int]]:
    """build tables → validate_tables → first publish into an empty curated dir, timed apart.

    GX's import (≈3 s, once per run) is excluded from `validate` and reported on its own line, and so
    is a one-page validation (its fixed cost per call: context and suites are built every time).
    """
    from govreports.config import DataPaths, code_version
    from govreports.io import curated
    from govreports.tables.rows import results_to_tables

    out: dict[str, float] = {}
    version = code_version()
    results_to_tables(results[:1], code_version=version, run_id="warm")  # pyarrow/schema set-up, once
    start = CLOCK()
    tables = results_to_tables(results, code_version=version, run_id="bench")
    out["build tables"] = CLOCK() - start
    start = CLOCK()
    import great_expectations  # noqa: F401  (the import cost is reported apart)

    from govreports.tables.validate import validate_tables
    out["_gx_import"] = CLOCK() - start
    with tempfile.TemporaryDirectory(prefix="govreports-bench-") as tmp:
        start = CLOCK()  # GX context and suites are built per call: a fixed cost per run
        validate_tables(results_to_tables(results[:1], code_version=version, run_id="warm"))
        out["_validate_fixed"] = CLOCK() - start
        start = CLOCK()
        outcome = validate_tables(tables)
        out["validate"] = CLOCK() - start
        start = CLOCK()
        curated.publish(DataPaths.from_dir(Path(tmp)), outcome.tables, run_id="bench", code_version=version)
        out["publish"] = CLOCK() - start
    rows = {name: t.num_rows for name, t in outcome.tables.items()}
    return out, rows
