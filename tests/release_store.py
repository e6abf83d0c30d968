"""A real curated store with three releases, for the report and data-command tests.

Built the way the pipeline builds it: the bundled sample pages (samples/inbox) go through
`parse_page`, `tables.results_to_tables` and `curated.publish`; only validation is simulated (one
document moved to quarantine by hand), because the GX suites take half a minute and are tested in
tests/test_validate.py. Releases:

1. nightly-1: the first three pages.
2. nightly-2: all five pages; document QUARANTINED held back (failed QUARANTINE_FAILED).
3. backfill-1: year CHANGED_YEAR re-published with one indicator value changed (OLD_VALUE → NEW_VALUE).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from govreports.config import DataPaths
from govreports.io import curated, raw_store
from govreports.io.files import ensure_dirs
from govreports.models import PageResult
from govreports.parse import parse_page
from govreports.tables.rows import results_to_tables

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples" / "inbox").glob("*.txt"))
CODE = "0.1.0+test"
QUARANTINE_FAILED = "documents.signed_date_not_after_publish"


@dataclass(frozen=True)
class Store:
    paths: DataPaths
    results: tuple[PageResult, ...]
    quarantined: str            # doc_id held back in release 2
    changed_indicator: str      # indicator_row_id whose value release 3 changed
    old_value: float
    new_value: float


@functools.cache
def parsed() -> tuple[PageResult, ...]:
    """The sample pages parsed once per test process (no jieba keywords: slow, and not what is tested)."""
    return tuple(parse_page(p.read_bytes(), "inbox", keywords=False) for p in SAMPLES)


def _without(tables: dict[str, pa.Table], doc_id: str, failed: str, run_id: str) -> dict[str, pa.Table]:
    out = {}
    for name, table in tables.items():
        if name != "quarantine" and "doc_id" in table.column_names:
            table = table.filter(pc.not_equal(table["doc_id"], doc_id))
        out[name] = table
    doc = tables["documents"].filter(pc.equal(tables["documents"]["doc_id"], doc_id)).to_pylist()[0]
    row = {"doc_id": doc_id, "raw_sha256": doc["raw_sha256"], "source": doc["source"],
           "report_year": doc["report_year"], "run_id": run_id,
           "failed": json.dumps([{"expectation": failed, "examples": ["2099-01-01"]}])}
    out["quarantine"] = pa.concat_tables([tables["quarantine"],
                                          pa.Table.from_pylist([row], schema=tables["quarantine"].schema)])
    return out


def build_store(root: Path) -> Store:
    """Publish the three releases under `root` (raw pages stored too, so lineage resolves)."""
    paths = ensure_dirs(DataPaths.from_dir(root, env={}))
    results = parsed()
    for page in SAMPLES:
        raw_store.put(paths, page.read_bytes(), source="inbox", url=f"http://portal.example/{page.name}",
                      original_name=page.name)
    first = list(results[:3])
    curated.publish(paths, results_to_tables(first, code_version=CODE), run_id="nightly-1", code_version=CODE,
                    raw_hashes=[r.raw_sha256 for r in first])

    tables = results_to_tables(list(results), code_version=CODE)
    docs = tables["documents"].to_pylist()
    held = next(d["doc_id"] for d in docs if d["raw_sha256"] not in {r.raw_sha256 for r in first})
    curated.publish(paths, _without(tables, held, QUARANTINE_FAILED, "nightly-2"), run_id="nightly-2",
                    code_version=CODE, raw_hashes=[r.raw_sha256 for r in results])

    ind = curated.read_arrow("indicators", data_dir=paths)
    rows = ind.to_pylist()
    target = next(r for r in rows if r["value"] is not None and r["modality"] == "actual" and r["value"] > 1)
    year = target["report_year"]
    old, new = target["value"], target["value"] + 1
    year_tables = {}
    for name in ("documents", "sections", "quantities", "indicators", "keywords", "citations"):
        t = curated.read_arrow(name, data_dir=paths, filters=[("report_year", "=", year)])
        if name == "indicators":
            values = [new if r == target["indicator_row_id"] else v
                      for r, v in zip(t["indicator_row_id"].to_pylist(), t["value"].to_pylist(), strict=True)]
            t = t.set_column(t.schema.get_field_index("value"), t.schema.field("value"), pa.array(values, pa.float64()))
        year_tables[name] = t
    hashes = sorted(set(year_tables["documents"]["raw_sha256"].to_pylist()))
    curated.publish(paths, year_tables, run_id="backfill-1", code_version=CODE, kind="backfill",
                    replace_years=[year], raw_hashes=hashes)
    return Store(paths, results, held, target["indicator_row_id"], old, new)
