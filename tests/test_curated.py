"""Curated store: schemas, flattening, publish/read, time travel, idempotence, backfills, concurrency, S3."""

from __future__ import annotations

import json
import multiprocessing
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from govreports.config import DataPaths
from govreports.io import curated
from govreports.io.curated import publish
from govreports.models import (
    PageResult,
    Quantity,
)
from govreports.tables.rows import TABLES, conform, empty_table, results_to_tables
from govreports.tables.schemas import KEYS, PARTITIONED, SCHEMAS
from tests.support.tables import (
    assert_unique_keys,
    delta_versions,
    make_doc,
    make_result,
    make_tables,
    page_sha,
    snapshot,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def paths(tmp_path: Path) -> DataPaths:
    return DataPaths.from_dir(tmp_path / "data", env={})


# ---------------------------------------------------------------- schemas and flattening

def test_every_column_is_documented_with_an_example():
    for name, schema in SCHEMAS.items():
        for field in schema:
            meta = field.metadata or {}
            assert meta.get(b"description") and meta.get(b"example"), f"{name}.{field.name}"
        if name in PARTITIONED:
            assert schema.field("report_year").type == pa.int32() and not schema.field("report_year").nullable
            assert "doc_id" in schema.names


def test_results_to_tables_is_deterministic_and_typed():
    results = [make_result("p1", [2020, 2021]), make_result("p2", [2020]), make_result("p3", [None]),
               PageResult(source="test", raw_sha256=page_sha("p4"), error="no_report: nothing here"),
               PageResult(source="test", raw_sha256=page_sha("p5"), error="boom")]
    a = results_to_tables(results, code_version="v1", run_id="r1")
    b = results_to_tables(list(reversed(results)), code_version="v1", run_id="r1")
    assert set(a) == set(TABLES)
    for name in TABLES:
        assert a[name].schema.equals(SCHEMAS[name]), name
        assert a[name].equals(b[name]), name
        keys = [tuple(r[k] for k in KEYS[name]) for r in a[name].to_pylist()]
        assert keys == sorted(keys, key=lambda t: [(x is not None, x or "") for x in t]) and len(set(keys)) == len(keys)
    docs = {d["doc_id"]: d for d in a["documents"].to_pylist()}
    assert len(docs) == 3
    doc = next(iter(docs.values()))
    assert doc["publish_date"].isoformat().endswith("-03-01") and doc["signed_date"] is None
    assert "bad signed_date: 'not a date'" in doc["warnings"]
    assert doc["part_measures_results"] == "present" and doc["part_other"] is None
    assert json.loads(doc["meta"])["index_no"] == "001" and doc["url"].startswith("http://x/")
    q = a["quantities"].to_pylist()[0]
    assert q["quantity_id"] == f"{q['doc_id']}-q{q['start']:06d}" and q["part"] == "measures_results"
    ind = a["indicators"].to_pylist()[0]
    assert ind["quantity_id"] == q["quantity_id"] and ind["indicator_row_id"] == f"{q['quantity_id']}-cases"
    pages = {p["raw_sha256"]: p for p in a["pages"].to_pylist()}
    assert pages[page_sha("p1")]["status"] == "ok" and pages[page_sha("p1")]["report_years"] == [2020, 2021]
    assert (pages[page_sha("p3")]["status"], pages[page_sha("p3")]["error"][:12]) == ("quarantined", "quarantined:")
    assert pages[page_sha("p4")]["status"] == "no_report"
    assert (pages[page_sha("p5")]["status"], pages[page_sha("p5")]["error"]) == ("error", "error: boom")
    (held,) = a["quarantine"].to_pylist()
    assert held["raw_sha256"] == page_sha("p3") and held["run_id"] == "r1" and held["report_year"] is None
    assert json.loads(held["failed"])[0]["expectation"] == "report_year_not_null"


def test_tables_are_sorted_as_python_sorts_their_keys_none_first_and_stable():
    """Arrow sorts the tables; its order must be Python's on str (code points, astral ones included),
    with None first in each key column and rows of equal keys in the order they came."""
    rng = random.Random(7)
    pool = [None, "", "a", "b", "e", "é", "z", "法治", "法", "\uffee", "𠀀", "ab", "a\x00"]
    rows = [{f.name: None for f in SCHEMAS["indicator_values"]} | {
        "doc_id": rng.choice(pool[1:]), "indicator_id": rng.choice(pool[1:]), "sub": rng.choice(pool),
        "report_year": 2020, "value": float(n), "n_mentions": 1} for n in range(400)]
    from govreports.tables.rows import to_table

    table = to_table("indicator_values", rows)

    def key(row):
        return tuple((row[k] is not None, row[k] or "") for k in ("doc_id", "indicator_id", "sub"))

    expected = [r["value"] for r in sorted(rows, key=key)]  # sorted() is stable
    assert table.column("value").to_pylist() == expected
    with pytest.raises(KeyError):
        to_table("indicator_values", [{"doc_id": "a"}])


def test_duplicate_pages_docs_and_quantities_are_resolved():
    r = make_result("p1", [2020])
    doc = r.documents[0]
    doc.quantities.append(Quantity(surface="120件", value=120.0, unit="件", qualifier=None,
                                   start=doc.quantities[0].start, end=doc.quantities[0].end))
    twin = PageResult(source="zz-other", raw_sha256=r.raw_sha256, documents=[make_doc("p1", 0, 2020, source="zz-other")])
    t = results_to_tables([r, r, twin], code_version="v1")
    assert t["documents"].num_rows == 1 and t["quantities"].num_rows == 2 and t["pages"].num_rows == 2
    assert "duplicate quantity at offset" in " ".join(t["documents"].column("warnings")[0].as_py())
    assert t["documents"].column("n_quantities")[0].as_py() == 2


def test_conform_refuses_leaked_index_and_nulls():
    t = make_tables({"p1": [2020]})["documents"]
    leaked = pa.Table.from_pandas(t.to_pandas().set_index("doc_id", drop=False))
    with pytest.raises(ValueError, match="unexpected"):
        conform("documents", leaked)
    with pytest.raises(ValueError, match="non-nullable"):
        conform("documents", t.set_column(0, "doc_id", pa.array([None], pa.string())))
    shuffled = t.select(list(reversed(t.column_names)))
    assert conform("documents", shuffled).schema.equals(SCHEMAS["documents"])


# ---------------------------------------------------------------- publish and read

def test_reading_before_any_publish_raises_naming_the_path(paths: DataPaths, tmp_path):
    """An analyst's read of a wrong or empty data dir must not look like "no data": it raises."""
    import govreports

    for data_dir, why in ((paths, "does not exist"), (tmp_path, "nothing published there yet")):
        where = DataPaths.from_dir(data_dir) if not isinstance(data_dir, DataPaths) else data_dir
        for read in (lambda d: curated.read("documents", data_dir=d), lambda d: curated.read_arrow("pages", data_dir=d),
                     lambda d: curated.dataset("indicators", data_dir=d), lambda d: curated.versions(d),
                     lambda d: govreports.read("documents", data_dir=d)):
            with pytest.raises(govreports.NoReleaseError, match=why) as caught:
                read(data_dir)
            assert str(where.curated_dir) in str(caught.value)
            assert isinstance(caught.value, LookupError)
    assert not paths.data_dir.exists(), "reading must not create the data dir"
    # the pipeline's own look-ups treat "no release yet" as empty: that is what a first run sees
    assert curated.processed_hashes(paths) == set() and curated.hashes_for_years(paths, [2021]) == set()
    from govreports.io.reading import read_if_published

    assert read_if_published("pages", paths).schema.equals(SCHEMAS["pages"]) and not paths.data_dir.exists()
    with pytest.raises(KeyError):
        curated.read("nope", data_dir=paths)


def test_publish_read_time_travel(paths: DataPaths):
    first = make_tables({"p1": [2020, 2021], "p2": [2021]})
    r1 = publish(paths, first, run_id="run-1", code_version="v1")
    assert (r1.release, r1.kind, r1.years) == (1, "nightly", [2020, 2021])
    assert r1.raw_hashes == sorted([page_sha("p1"), page_sha("p2")])
    assert r1.changes["documents"] == {"added": 3, "removed": 0} and r1.tables["documents"]["rows"] == 3
    snap1 = snapshot(paths)
    for name in TABLES:
        assert snap1[name] == first[name].to_pylist(), name
        got = curated.read_arrow(name, data_dir=paths)
        assert got.schema.equals(SCHEMAS[name]) and "__index_level_0__" not in got.column_names
        delta = DeltaTable(paths.table_uri(name))
        assert pa.schema(delta.schema().to_arrow()).names == SCHEMAS[name].names
        assert delta.metadata().configuration["delta.enableExpiredLogCleanup"] == "false"  # releases stay readable
        assert delta.metadata().partition_columns == (["report_year"] if name in PARTITIONED else [])
    r2 = publish(paths, make_tables({"p3": [2022]}), run_id="run-2", code_version="v1")
    assert (r2.release, r2.years, r2.raw_hashes) == (2, [2022], [page_sha("p3")])
    assert snapshot(paths, 1) == snap1
    assert len(curated.read("documents", data_dir=paths)) == 4
    df = curated.read("documents", 2, data_dir=paths, columns=["doc_id", "report_year"],
                      filters=[("report_year", "=", 2021)])
    assert list(df.columns) == ["doc_id", "report_year"] and len(df) == 2
    v = curated.versions(paths)
    assert list(v["release"]) == [1, 2] and list(v["rows_documents"]) == [3, 4]
    assert list(v["run_id"]) == ["run-1", "run-2"] and json.loads(v["changes"][1])["pages"]["added"] == 1
    with pytest.raises(LookupError):
        curated.read("documents", 3, data_dir=paths)


def test_publishing_the_same_tables_twice_changes_nothing(paths: DataPaths):
    tables = make_tables({"p1": [2020], "p2": [2021, None]})
    assert publish(paths, tables, run_id="a", code_version="v1") is not None
    before = delta_versions(paths)
    assert publish(paths, tables, run_id="b", code_version="v1") is None
    assert publish(paths, make_tables({"p1": [2020]}), run_id="c", code_version="v1") is None
    assert delta_versions(paths) == before and len(curated.versions(paths)) == 1


def _partition_files(paths: DataPaths, name: str, year: int) -> dict[str, bytes]:
    part = Path(paths.table_uri(name)) / f"report_year={year}"
    return {p.name: p.read_bytes() for p in sorted(part.glob("*.parquet"))}


def test_backfill_replaces_only_its_years_and_is_idempotent(paths: DataPaths):
    publish(paths, make_tables({"p1": [2019, 2020], "p2": [2019], "p3": [2021]}), run_id="n1", code_version="v1")
    untouched = {(n, y): _partition_files(paths, n, y) for n in PARTITIONED for y in (2020, 2021)}
    hashes = curated.hashes_for_years(paths, [2019])
    assert hashes == {page_sha("p1"), page_sha("p2")}
    reparsed = make_tables({"p1": [2019, 2020], "p2": [2019]}, tag="（修订）", code="v2")
    rel = publish(paths, reparsed, run_id="b1", code_version="v2", kind="backfill", replace_years=[2019],
                  raw_hashes=hashes)
    assert (rel.release, rel.kind, rel.years) == (2, "backfill", [2019])
    assert rel.changes["documents"] == {"added": 2, "removed": 2, "ignored_outside_years": 1}
    assert rel.changes["pages"] == {"added": 2, "removed": 2}
    for (name, year), files in untouched.items():
        assert _partition_files(paths, name, year) == files, (name, year)
    docs = curated.read("documents", data_dir=paths)
    assert sorted(docs[docs.report_year == 2019].title) == ["2019年度报告（修订）"] * 2
    assert list(docs[docs.report_year == 2020].title) == ["2020年度报告"]
    for name in PARTITIONED:
        history = DeltaTable(paths.table_uri(name)).history(1)[0]
        if name in rel.changes:
            assert history["operationParameters"]["predicate"] == "report_year = 2019"
    before = delta_versions(paths)
    assert publish(paths, reparsed, run_id="b2", code_version="v2", kind="backfill", replace_years=[2019],
                   raw_hashes=hashes) is None
    assert delta_versions(paths) == before
    assert snapshot(paths, 1)["documents"] != snapshot(paths, 2)["documents"]
    assert_unique_keys(paths)


def test_backfill_keeps_rows_from_pages_it_did_not_reparse(paths: DataPaths):
    """A nightly that published a 2019 page while a backfill of 2019 was running must not lose it."""
    publish(paths, make_tables({"old": [2019]}), run_id="n1", code_version="v1")
    hashes = curated.hashes_for_years(paths, [2019])          # the backfill plans: only "old"
    publish(paths, make_tables({"new": [2019]}), run_id="n2", code_version="v1")  # meanwhile
    rel = publish(paths, make_tables({"old": [2019]}, tag="*", code="v2"), run_id="b", code_version="v2",
                  kind="backfill", replace_years=[2019], raw_hashes=hashes)
    assert rel is not None
    titles = sorted(curated.read("documents", data_dir=paths).title)
    assert titles == ["2019年度报告", "2019年度报告*"]
    assert curated.processed_hashes(paths) == {page_sha("old"), page_sha("new")}


def test_backfill_can_empty_a_year(paths: DataPaths):
    publish(paths, make_tables({"p1": [2019], "p2": [2020]}), run_id="n1", code_version="v1")
    rel = publish(paths, make_tables({"p1": [2020]}), run_id="b", code_version="v1", kind="backfill",
                  replace_years=[2019, 2020], raw_hashes=[page_sha("p1")])
    assert rel.years == [2019, 2020]
    docs = curated.read("documents", data_dir=paths)
    assert sorted(docs.report_year) == [2020, 2020]
    assert curated.hashes_for_years(paths, [2019]) == set()


def test_unreleased_commits_are_invisible_and_rolled_back_once(paths: DataPaths):
    """What a crashed publisher leaves (a commit without a release row) is never read, and undone once."""
    from deltalake import write_deltalake

    tables = make_tables({"p1": [2020]})
    publish(paths, tables, run_id="r1", code_version="v1")
    released = snapshot(paths)
    write_deltalake(paths.table_uri("documents"), make_tables({"stray": [2020]})["documents"], mode="append",
                    partition_by=["report_year"])
    assert snapshot(paths) == released
    assert publish(paths, tables, run_id="r2", code_version="v1") is None  # nothing new, but rolled back
    history = DeltaTable(paths.table_uri("documents")).history()
    assert [h["operation"] for h in history[:2]] == ["RESTORE", "WRITE"]
    before = delta_versions(paths)
    assert publish(paths, tables, run_id="r3", code_version="v1") is None
    assert delta_versions(paths) == before  # an already-restored table is not restored again
    rel = publish(paths, make_tables({"p2": [2020]}), run_id="r4", code_version="v1")
    assert rel.release == 2
    assert {d["raw_sha256"] for d in snapshot(paths)["documents"]} == {page_sha("p1"), page_sha("p2")}


def test_bad_publish_arguments(paths: DataPaths):
    tables = make_tables({"p1": [2020]})
    with pytest.raises(ValueError):
        publish(paths, tables, run_id="r", code_version="v", replace_years=[2020])
    with pytest.raises(ValueError):
        publish(paths, tables, run_id="r", code_version="v", kind="weekly")
    with pytest.raises(ValueError):
        publish(paths, {"bogus": empty_table("pages")}, run_id="r", code_version="v")
    with pytest.raises(ValueError):
        publish(paths, {"pages": tables["documents"]}, run_id="r", code_version="v")
    assert not (paths.curated_dir / "_releases").exists() or len(curated.versions(paths)) == 0


def test_duckdb_polars_and_lazy_package_api(paths: DataPaths):
    import duckdb
    import polars as pl

    import govreports

    publish(paths, make_tables({"p1": [2020, 2021]}), run_id="r", code_version="v1")
    ds = govreports.dataset("quantities", data_dir=paths)
    assert duckdb.sql("select count(*) from ds").fetchall() == [(4,)]
    assert pl.scan_pyarrow_dataset(ds).filter(pl.col("unit") == "件").collect().height == 2
    assert len(govreports.read("documents", data_dir=paths)) == 2
    assert list(govreports.versions(paths)["release"]) == [1]
    code = "import sys, govreports; print(sorted(m for m in ('deltalake', 'pandas', 'pyarrow') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- two publishers at once

def _publisher(data_dir: str, jobs: list[tuple[str, dict, list[str]]], start) -> None:
    """Run publishes one after the other: (kind, pages, raw hashes); a backfill replaces its pages' years."""
    paths = DataPaths.from_dir(data_dir, env={})
    start.wait(60)
    for i, (kind, pages, hashes) in enumerate(jobs):
        tables = make_tables(pages, tag="*" if kind == "backfill" else "", code=kind)
        years = sorted({y for ys in pages.values() for y in ys}) if kind == "backfill" else None
        publish(paths, tables, run_id=f"{kind}-{i}", code_version=kind, kind=kind, replace_years=years,
                raw_hashes=hashes)


def test_concurrent_publishers_lose_nothing(paths: DataPaths):
    """A nightly and a backfill+nightly process publish at once: no row lost, releases consistent."""
    publish(paths, make_tables({"base1": [2019], "base2": [2019, 2020]}), run_id="seed", code_version="v1")
    # real processes, forked from a server that imported this module before any Delta I/O: a plain fork
    # of this process would copy delta-rs runtime threads' locks, spawn would re-import everything
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    start = ctx.Event()
    nightly = [{f"n{i}a": [2019], f"n{i}b": [2020, 2021]} for i in range(3)]
    others = [{f"m{i}": [2019]} for i in range(2)]
    reparse = {"base1": [2019], "base2": [2019, 2020]}
    jobs_a = [("nightly", pages, []) for pages in nightly]
    jobs_b = [("backfill", reparse, [page_sha("base1"), page_sha("base2")])] + [("nightly", p, []) for p in others]
    procs = [ctx.Process(target=_publisher, args=(str(paths.data_dir), jobs, start)) for jobs in (jobs_a, jobs_b)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    v = curated.versions(paths)
    assert list(v["release"]) == list(range(1, 8))
    docs = curated.read("documents", data_dir=paths)
    expected = {make_doc(page, i, y).doc_id for batch in nightly + others for page, ys in batch.items()
                for i, y in enumerate(ys)}
    assert expected <= set(docs.doc_id) and len(docs) == len(expected) + 3
    assert set(docs[~docs.doc_id.isin(expected)].title) == {"2019年度报告*", "2020年度报告*"}
    assert_unique_keys(paths)
    prev: set[str] = set()
    for release in v["release"]:  # every release is readable and none lost a page another had added
        pages = {r["raw_sha256"] for r in curated.read_arrow("pages", int(release), data_dir=paths).to_pylist()}
        assert prev <= pages
        prev = pages


# ---------------------------------------------------------------- object storage

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory):
    """moto's ThreadedMotoServer on 127.0.0.1, in a child process.

    Not in this process: deltalake 1.6.6's DeltaTable.restore holds the GIL while it waits on the network,
    which deadlocks a server thread living in the same interpreter (seen here: restore hangs, no request).
    """
    boto3 = pytest.importorskip("boto3")
    pytest.importorskip("moto.server", reason="moto[server] is not installed")
    port = _free_port()
    code = ("import time; from moto.server import ThreadedMotoServer as S; "
            f"S(ip_address='127.0.0.1', port={port}, verbose=False).start(); time.sleep(600)")
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("wb") as sink:  # a file, not a pipe: the server logs every request and a full pipe blocks it
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=sink, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                      region_name="us-east-1")
    deadline = time.monotonic() + 60
    while True:
        try:
            s3.create_bucket(Bucket="govreports-curated")
            break
        except Exception as exc:  # any failure before the deadline means "not up yet"
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.skip(f"moto server could not start: {exc}; {log.read_text(errors='replace')[-500:]!r}")
            time.sleep(0.1)
    yield endpoint
    proc.kill()
    proc.wait(10)


@pytest.mark.slow
def test_publish_and_read_on_s3(moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    env = {"GOVREPORTS_DATA_DIR": str(tmp_path), "GOVREPORTS_CURATED_URI": "s3://govreports-curated/curated",
           "AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    paths = DataPaths.from_dir()
    assert paths.table_uri("documents") == "s3://govreports-curated/curated/documents"
    assert publish(paths, make_tables({"p1": [2019, 2020]}), run_id="s3-1", code_version="v1").release == 1
    assert publish(paths, make_tables({"p2": [2021]}), run_id="s3-2", code_version="v1").release == 2
    assert publish(paths, make_tables({"p2": [2021]}), run_id="s3-3", code_version="v1") is None
    assert len(curated.read("documents")) == 3 and len(curated.read("documents", 1)) == 2
    assert list(curated.versions()["release"]) == [1, 2]
    assert curated.read_arrow("quantities").schema.equals(SCHEMAS["quantities"])
    assert not (tmp_path / "curated").exists()


def test_random_release_reads_match_what_was_published(paths: DataPaths):
    rng = random.Random(7)
    published: list[set[str]] = []
    for i in range(4):
        pages = {f"r{i}-{k}": [rng.choice([2019, 2020, 2021])] for k in range(rng.randint(1, 3))}
        publish(paths, make_tables(pages), run_id=f"r{i}", code_version="v1")
        published.append({page_sha(p) for p in pages} | (published[-1] if published else set()))
    for release, hashes in enumerate(published, start=1):
        assert set(curated.read("pages", release, data_dir=paths).raw_sha256) == hashes


def test_a_nightly_publish_streams_staged_parts_exactly_like_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """What the flow does: parts staged per chunk, published as datasets; same rows as one table."""
    from govreports.io import staging

    batches = [make_tables({"p1": [2020, 2021], "p2": [2021]}), make_tables({"p3": [2022], "p4": [2020]})]
    as_tables = DataPaths.from_dir(tmp_path / "tables", env={})
    as_parts = DataPaths.from_dir(tmp_path / "parts", env={})
    whole = make_tables({"p1": [2020, 2021], "p2": [2021], "p3": [2022], "p4": [2020]})
    publish(as_tables, whole, run_id="r", code_version="v1")
    stage = tmp_path / "stage"
    for n, tables in enumerate(batches):
        staging.write_tables(stage, tables, f"c{n:05d}")
    staging.write_tables(stage, make_tables({"p2": [2021]}), "c00002")  # a page staged twice: kept once

    def datasets() -> dict:
        return {name: staging.dataset(staging.parts(stage, name), name) for name in TABLES}

    monkeypatch.setattr(curated, "COMMIT_BYTES", 1)  # every Arrow batch its own commit: memory stays bounded
    release = publish(as_parts, datasets(), run_id="r", code_version="v1")
    assert snapshot(as_parts) == snapshot(as_tables)
    assert release.tables["documents"]["version"] > 1, "several commits, one release"
    assert release.tables["documents"]["rows"] == curated.get_release(as_tables, 1).tables["documents"]["rows"]
    assert release.changes == curated.get_release(as_tables, 1).changes
    assert release.years == [2020, 2021, 2022] and release.raw_hashes == sorted(page_sha(p) for p in ("p1", "p2", "p3", "p4"))
    assert publish(as_parts, datasets(), run_id="r2", code_version="v1") is None, "already released keys are skipped"
    staging.write_tables(stage, make_tables({"p5": [2023]}), "c00003")
    again = publish(as_parts, datasets(), run_id="r3", code_version="v1")
    assert again.changes["documents"] == {"added": 1, "removed": 0} and again.years == [2023]
    assert_unique_keys(as_parts)


# ---------------------------------------------------------------- tables written at once

def test_a_deferred_table_is_made_while_another_is_written(paths: DataPaths, monkeypatch: pytest.MonkeyPatch):
    """The documents (first in table order) wait for the sections' write to begin: only a publish that
    writes two tables at once gets past that; the release is the one a serial publish makes."""
    import threading

    tables = make_tables({"p1": [2020, 2021], "p2": [2021]})
    sections_begun = threading.Event()
    append_new = curated._Publisher.append_new

    def noting(self, name, data):
        if name == "sections":
            sections_begun.set()
        return append_new(self, name, data)

    monkeypatch.setattr(curated._Publisher, "append_new", noting)
    waited: list[bool] = []

    def documents() -> pa.Table:
        waited.append(sections_begun.wait(timeout=30))
        return tables["documents"]

    release = publish(paths, {**tables, "documents": documents}, run_id="r1", code_version="v1")
    assert waited == [True]
    assert release.changes["documents"] == {"added": 3, "removed": 0}
    assert snapshot(paths) == {name: tables[name].to_pylist() for name in TABLES}


def test_a_table_that_fails_to_be_made_publishes_nothing(paths: DataPaths):
    first = make_tables({"p1": [2020]})
    publish(paths, first, run_id="r1", code_version="v1")
    released = snapshot(paths)

    def broken() -> pa.Table:
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        publish(paths, {**make_tables({"p2": [2021]}), "documents": broken}, run_id="r2", code_version="v1")
    with pytest.raises(ValueError, match="documents: missing columns"):
        publish(paths, {**make_tables({"p2": [2021]}), "documents": lambda: first["pages"]},
                run_id="r3", code_version="v1")
    assert len(curated.versions(paths)) == 1 and snapshot(paths) == released  # the other tables' commits: unreleased
    release = publish(paths, make_tables({"p2": [2021]}), run_id="r4", code_version="v1")
    assert release.release == 2 and release.changes["documents"] == {"added": 1, "removed": 0}
