"""The streamed backfill (curated + replace.py) on staged Parquet parts, in several commits per year."""

from __future__ import annotations

from pathlib import Path

import pytest

from govreports.config import DataPaths
from govreports.io import curated, staging
from govreports.io.curated import publish
from govreports.tables.schemas import TABLES
from tests.support.tables import assert_unique_keys, make_tables, page_sha


def _sorted_rows(paths: DataPaths, name: str) -> list[tuple]:
    rows = curated.read_arrow(name, data_dir=paths).to_pylist()
    return sorted(tuple(sorted((k, repr(v)) for k, v in r.items() if k != "run_id")) for r in rows)


def _staged(tmp: Path, parts: list[dict]) -> dict:
    """Tables written as staged Parquet parts (part order = arrival order) and read back as datasets."""
    for n, tables in enumerate(parts):
        staging.write_tables(tmp, tables, f"c{n:05d}")
    return {name: staging.dataset(staging.parts(tmp, name), name) for name in TABLES}


def test_streamed_backfill_matches_a_fresh_publish_and_repeats_as_nothing(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(curated, "COMMIT_BYTES", 1)  # every Arrow batch its own commit
    pages = {"p1": [2019, 2020], "p2": [2019], "p3": [2020], "p4": [2021]}
    paths = DataPaths.from_dir(tmp_path / "data", env={})
    publish(paths, make_tables(pages), run_id="n1", code_version="v1")
    revised = {"p1": [2019, 2020], "p2": [2019], "p3": [2020]}
    # the same page staged twice (a batch retried into a second part): its first rows count, once
    data = _staged(tmp_path / "stage", [make_tables(revised, tag="（修订）", code="v2"),
                                        make_tables({"p2": [2019]}, tag="（重复）", code="v2")])
    hashes = curated.hashes_for_years(paths, [2019, 2020])
    rel = publish(paths, data, run_id="b1", code_version="v2", kind="backfill", replace_years=[2019, 2020],
                  raw_hashes=hashes)
    assert rel is not None and rel.years == [2019, 2020]
    assert rel.changes["documents"]["added"] == rel.changes["documents"]["removed"] == 4

    expected = DataPaths.from_dir(tmp_path / "expected", env={})
    publish(expected, make_tables({**revised, "p4": [2021]}, tag="", code="v1"), run_id="e0", code_version="v1")
    titles = sorted(curated.read("documents", data_dir=paths).title)
    assert titles == sorted(["2019年度报告（修订）"] * 2 + ["2020年度报告（修订）"] * 2 + ["2021年度报告"])
    assert_unique_keys(paths)
    docs = {r["doc_id"]: r for r in curated.read_arrow("documents", data_dir=paths).to_pylist()}
    assert not any("重复" in (d["title"] or "") for d in docs.values())
    for name in ("sections", "quantities", "keywords"):  # same structure as a fresh publish of the pages
        assert len(_sorted_rows(paths, name)) == len(_sorted_rows(expected, name)), name
    again = _staged(tmp_path / "stage2", [make_tables(revised, tag="（修订）", code="v2")])
    assert publish(paths, again, run_id="b2", code_version="v2", kind="backfill", replace_years=[2019, 2020],
                   raw_hashes=hashes) is None
    assert curated.processed_hashes(paths) == {page_sha(p) for p in pages}


@pytest.mark.parametrize("predicate_pages", [1_000, 0], ids=["overwrite-by-predicate", "table-rewritten"])
def test_unpartitioned_pages_table_is_replaced_by_page(tmp_path: Path, monkeypatch, predicate_pages: int):
    """Few changed pages: their rows are overwritten by a `raw_sha256 IN (...)` predicate; many: the
    table is rewritten (a long IN list cost delta-rs memory in proportion). Same rows either way."""
    monkeypatch.setattr(curated, "PREDICATE_PAGES", predicate_pages)
    name = "pages"
    paths = DataPaths.from_dir(tmp_path / "data", env={})
    publish(paths, make_tables({"p1": [2019], "p2": [2020], "p3": [2019]}), run_id="n1", code_version="v1")
    before = {r["raw_sha256"]: r for r in curated.read_arrow(name, data_dir=paths).to_pylist()}
    data = _staged(tmp_path / "stage", [make_tables({"p1": [2019], "p3": [2019]}, tag="*", code="v2")])
    release = publish(paths, data, run_id="b", code_version="v2", kind="backfill", replace_years=[2019],
                      raw_hashes=[page_sha("p1"), page_sha("p3")])
    after = {r["raw_sha256"]: r for r in curated.read_arrow(name, data_dir=paths).to_pylist()}
    assert sorted(after) == sorted(before)  # same pages, replaced not duplicated
    assert {h: r["code_version"] for h, r in after.items()} == {
        page_sha("p1"): "v2", page_sha("p3"): "v2", page_sha("p2"): before[page_sha("p2")]["code_version"]}
    assert after[page_sha("p2")] == before[page_sha("p2")], "a page outside the backfill is untouched"
    assert release.changes[name] == {"added": 2, "removed": 2}


def test_a_backfill_of_wide_documents_stays_within_duckdbs_memory(tmp_path: Path, monkeypatch):
    """Bodies far larger than DuckDB's memory limit: the diff only builds narrow tables of row numbers
    from the wide rows (a QUALIFY window over whole rows could not spill and ran out of memory)."""
    import pyarrow as pa

    from govreports.io import replace

    monkeypatch.setattr(replace, "MEMORY_LIMIT", "64MB")  # the bodies below are ≈220 MB
    pages = {f"p{n}": [2019 + n % 3] for n in range(300)}
    paths = DataPaths.from_dir(tmp_path / "data", env={})
    publish(paths, make_tables(pages), run_id="n1", code_version="v1")

    def wide(tag: str) -> dict:
        tables = make_tables(pages, code="v2")
        docs = tables["documents"]
        bodies = [f"{tag}{n:06d}" + "法治政府建设" * 40_000 for n in range(docs.num_rows)]  # ≈720 KB each
        tables["documents"] = docs.set_column(docs.schema.get_field_index("body"), "body", pa.array(bodies))
        return tables

    release = publish(paths, wide("a"), run_id="b1", code_version="v2", kind="backfill",
                      replace_years=[2019, 2020, 2021], raw_hashes=[page_sha(p) for p in pages])
    assert release is not None and release.changes["documents"]["added"] == len(pages)
    bodies = curated.read_arrow("documents", data_dir=paths).column("body").to_pylist()
    assert len(bodies) == len(pages) and all(b.startswith("a") and len(b) == 7 + 240_000 for b in bodies)
