"""govreports versions / query / show / diff against a real curated store (tests/release_store.py)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from govreports.io import curated
from govreports_cli import data_cmd
from govreports_cli.diff_cmd import compare, indicator_changes
from govreports_cli.main import app
from tests.release_store import QUARANTINE_FAILED, build_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("store"))


def _docs(store, version=None):
    return curated.read("documents", version, data_dir=store.paths)


def test_versions_lists_every_release_newest_first(store, capsys):
    assert data_cmd.show_versions(store.paths.data_dir) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if re.match(r"│ \d ", line)]
    assert [line.split("│")[1].strip() for line in lines] == ["3", "2", "1"]
    row = {n: line for n, line in zip(("3", "2", "1"), lines, strict=True)}
    assert "backfill-1" in row["3"] and "backfill" in row["3"] and "indicators +1/-1" in row["3"]
    assert "nightly-1" in row["1"] and "2021,2022,2023" in row["1"]
    # release 2: 5 documents published, 1 quarantined, 2 documents added
    cells = [c.strip() for c in row["2"].split("│")]
    assert cells[6] == str(len(_docs(store, 2))) == "5" and cells[11] == "1"
    assert "documents +2/-0" in row["2"]


def test_versions_query_show_of_a_store_without_releases_exit_1_naming_it(tmp_path, capsys):
    for data_dir, why in ((tmp_path, "nothing published there yet"), (tmp_path / "typo", "does not exist")):
        assert data_cmd.show_versions(data_dir) == 1
        assert data_cmd.run_query("select 1", version=None, data_dir=data_dir, limit=5) == 1
        assert data_cmd.show_document("ab", version=None, data_dir=data_dir) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 3 and all(f"no release in {data_dir / 'curated'}" in line and why in line for line in err)
    assert not (tmp_path / "typo").exists(), "reading must not create the data dir"


def test_a_wrong_version_is_one_line_and_exit_1(store, capsys):
    data_dir = store.paths.data_dir
    for command in (lambda: data_cmd.run_query("select 1", version=9, data_dir=data_dir, limit=5),
                    lambda: data_cmd.show_document("ab", version=9, data_dir=data_dir),
                    lambda: data_cmd.diff_versions(1, 9, data_dir=data_dir)):
        assert command() == 1
        assert capsys.readouterr().err.strip().splitlines() == ["error: no release 9 (releases: 1..3)"]


def test_query_runs_sql_over_the_latest_or_a_given_release(store, capsys):
    assert data_cmd.run_query("select count(*) as n from documents", version=None,
                              data_dir=store.paths.data_dir, limit=50) == 0
    assert re.search(r"│ 5 +│", capsys.readouterr().out)
    assert data_cmd.run_query("select count(*) as n from documents", version=1,
                              data_dir=store.paths.data_dir, limit=50) == 0
    out = capsys.readouterr().out
    assert "release 1: 1 row" in out and re.search(r"│ 3 +│", out)


def test_query_joins_tables_and_applies_the_limit(store, capsys):
    sql = ("select i.indicator_id, i.surface, q.sentence from indicators i join quantities q using (quantity_id) "
           "order by i.indicator_row_id")
    assert data_cmd.run_query(sql, version=None, data_dir=store.paths.data_dir, limit=4) == 0
    out = capsys.readouterr().out
    assert "release 3: 4 rows (more rows: raise --limit)" in out
    first = curated.read("indicators", data_dir=store.paths).dropna(subset=["quantity_id"]).iloc[0]
    assert first["indicator_id"] in out and first["surface"] in out


def test_query_sql_error_exits_2_with_a_message(store, capsys):
    code = data_cmd.run_query("select nope from documents", version=None, data_dir=store.paths.data_dir, limit=5)
    err = capsys.readouterr().err
    assert code == 2 and "nope" in err and "tables of release 3" in err


def test_query_unknown_release_exits_1(store, capsys):
    assert data_cmd.run_query("select 1", version=9, data_dir=store.paths.data_dir, limit=5) == 1
    assert "no release 9" in capsys.readouterr().err


@pytest.mark.parametrize("sql", [
    "copy documents to '{tmp}/out.csv'",
    "select * from read_csv('{secret}')",
    "select * from '{secret}'",
    "attach '{tmp}/x.duckdb'",
    "export database '{tmp}/dump'",
    "install httpfs",
    "load httpfs",
    "set enable_external_access = true",
])
def test_query_sees_the_release_and_nothing_else(store, capsys, tmp_path, sql):
    secret = tmp_path / "secret.csv"
    secret.write_text("password\nhunter2\n")
    code = data_cmd.run_query(sql.format(tmp=tmp_path, secret=secret), version=None,
                              data_dir=store.paths.data_dir, limit=5)
    captured = capsys.readouterr()
    assert code == 2 and "hunter2" not in captured.out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.csv"]  # nothing written


def test_query_allow_external_is_an_explicit_opt_in(store, capsys, tmp_path):
    out = tmp_path / "out.csv"
    assert data_cmd.run_query(f"copy (select doc_id from documents) to '{out}'", version=None,
                              data_dir=store.paths.data_dir, limit=5, allow_external=True) == 0
    assert len(out.read_text().splitlines()) == 1 + 5


def test_show_document_by_prefix(store, capsys):
    doc = _docs(store).dropna(subset=["title", "agency"]).sort_values("n_sections").iloc[-1]
    assert data_cmd.show_document(doc["doc_id"][:6], version=None, data_dir=store.paths.data_dir) == 0
    out = capsys.readouterr().out
    assert f"Document {doc['doc_id']}" in out and doc["title"] in out and doc["agency"] in out
    sections = curated.read("sections", data_dir=store.paths, filters=[("doc_id", "=", doc["doc_id"])])
    nested = sections[sections["level"] == 2].iloc[0]
    line = next(x for x in out.splitlines() if nested["heading"] in x)
    assert line.index(nested["label_raw"]) >= 8  # a child is indented under its parent (tree guides)
    assert f"{nested['part']} · {nested['start']}–{nested['end']}" in line
    for part in ("measures_results", "shortcomings", "first_responsible", "next_year_plan", "other"):
        assert re.search(rf"{part} +{doc['part_' + part] if isinstance(doc['part_' + part], str) else 'not assessed'}", out)
    indicators = curated.read("indicators", data_dir=store.paths, filters=[("doc_id", "=", doc["doc_id"])])
    assert f"Indicators ({len(indicators)})" in out
    assert set(indicators["indicator_id"]) <= set(re.findall(r"[A-Z][A-Z_]+[A-Z]", out))
    assert str(store.paths.object_path(doc["raw_sha256"])) in out and "http://portal.example/" in out


def test_show_unknown_and_quarantined_documents_exit_1(store, capsys):
    assert data_cmd.show_document("ffffffffffffffff", version=None, data_dir=store.paths.data_dir) == 1
    assert "no document 'ffffffffffffffff' in release 3" in capsys.readouterr().err
    assert data_cmd.show_document(store.quarantined[:8], version=None, data_dir=store.paths.data_dir) == 1
    err = capsys.readouterr().err
    assert "quarantined in release 3" in err and QUARANTINE_FAILED in err


def test_prefix_matching():
    ids = ["abc1", "abc2", "abd3"]
    assert data_cmd._match(ids, "abc") == ["abc1", "abc2"]
    assert data_cmd._match(ids, "abd") == ["abd3"]
    assert data_cmd._match(ids, "x") == []


def test_diff_counts_documents_and_indicator_values(store, capsys):
    assert data_cmd.diff_versions(1, 2, data_dir=store.paths.data_dir) == 0
    out = capsys.readouterr().out
    assert re.search(r"│ documents +│ +3 │ +5 │ +2 │ +0 │ +0 │", out)
    added = sorted(set(_docs(store, 2)["doc_id"]) - set(_docs(store, 1)["doc_id"]))
    assert "Documents added (2)" in out and all(d in out for d in added)
    assert re.search(r"│ quarantine +│ +0 │ +1 │ +1 │", out) and "changed in place" in out
    # the added documents' indicator values are new, not "changed"
    ind = curated.read("indicators", 2, data_dir=store.paths)
    groups = ind[ind["doc_id"].isin(added)][["doc_id", "indicator_id", "sub", "modality"]].astype(str).drop_duplicates()
    assert f"Indicator values: 0 changed, {len(groups)} new, 0 gone" in out
    values_table = out[out.index("Indicator values:"):]
    listed = [line for line in values_table.splitlines() if line.startswith("│") and any(d in line for d in added)]
    assert listed and all(line.split("│")[1].strip() == "new" for line in listed)

    assert data_cmd.diff_versions(2, 3, data_dir=store.paths.data_dir) == 0
    out = capsys.readouterr().out
    assert re.search(r"│ indicators +│ +\d+ │ +\d+ │ +0 │ +0 │ +1 │", out)
    assert re.search(r"│ documents +│ +5 │ +5 │ +0 │ +0 │ +0 │", out)
    assert "Indicator values: 1 changed, 0 new, 0 gone" in out
    line = next(x for x in out.splitlines() if store.changed_indicator.split("-q")[0] in x)
    assert f"{store.old_value:g}" in line and f"{store.new_value:g}" in line


def test_diff_unknown_release_exits_1(store, capsys):
    assert data_cmd.diff_versions(1, 7, data_dir=store.paths.data_dir) == 1
    assert "no release 7" in capsys.readouterr().err


def test_compare_and_indicator_changes_by_key():
    old = {("a",): {"k": "a", "v": 1, "code_version": "x"}, ("b",): {"k": "b", "v": 2, "code_version": "x"}}
    new = {("a",): {"k": "a", "v": 1, "code_version": "y"}, ("c",): {"k": "c", "v": 3, "code_version": "y"}}
    assert compare(old, new) == {"added": [("c",)], "removed": [("b",)], "changed": []}
    new[("a",)]["v"] = 5
    assert compare(old, new)["changed"] == [("a",)]

    def ind(row_id, value, start):
        return {"indicator_row_id": row_id, "doc_id": "d", "agency": "A", "report_year": 2023, "indicator_id": "X",
                "sub": None, "modality": "actual", "value": value, "unit": "人", "start": start}
    # the same value under a new row id (the mention moved) is not a change; a new value is
    assert indicator_changes({("r1",): ind("r1", 7.0, 10)}, {("r2",): ind("r2", 7.0, 12)}) == []
    [change] = indicator_changes({("r1",): ind("r1", 7.0, 10)}, {("r2",): ind("r2", 8.0, 12)})
    assert change["a"] == [(7.0, "人")] and change["b"] == [(8.0, "人")]


def test_cli_wiring(store):
    runner = CliRunner()
    result = runner.invoke(app, ["query", "select count(*) as n from pages", "--version", "2",
                                 "--data-dir", str(store.paths.data_dir)])
    assert result.exit_code == 0 and re.search(r"│ 5 +│", result.output)
    result = runner.invoke(app, ["query", "selec", "--data-dir", str(store.paths.data_dir)])
    assert result.exit_code == 2
    result = runner.invoke(app, ["versions", "--data-dir", str(store.paths.data_dir)])
    assert result.exit_code == 0 and "backfill-1" in result.output


def test_panel_reads_the_release_and_matches_indicator_values(store):
    import govreports

    values = curated.read("indicator_values", 2, data_dir=store.paths)
    table = govreports.panel("ENF_CERT_HOLDERS", version=2, data_dir=store.paths)
    expected = values[(values["indicator_id"] == "ENF_CERT_HOLDERS") & values["sub"].isna()]
    assert not expected.empty and table.attrs["unit"] == "人"
    for row in expected.itertuples():
        assert table.loc[row.region, row.report_year] == row.value
    long = govreports.panel("ENF_CERT_HOLDERS", version=2, data_dir=store.paths, long=True)
    assert set(long["doc_id"]) == set(expected["doc_id"])
    runner = CliRunner()
    result = runner.invoke(app, ["panel", "ENF_CERT_HOLDERS", "--version", "2", "--data-dir", str(store.paths.data_dir)])
    assert result.exit_code == 0 and "行政执法证持证人数" in result.output
    for row in expected.itertuples():
        assert re.search(rf"{row.region}\s*│.*\b{int(row.value)}\b", result.output)
    result = runner.invoke(app, ["panel", "MADE_UP", "--data-dir", str(store.paths.data_dir)])
    assert result.exit_code == 2 and "MADE_UP" in result.output
    empty = runner.invoke(app, ["panel", "ENF_CERT_HOLDERS", "--data-dir", str(store.paths.data_dir / "nothing")])
    assert empty.exit_code == 1


def test_the_documented_way_to_read_a_release_without_the_package(store, monkeypatch):
    """docs/datasets.md's plain deltalake + polars snippet returns exactly what govreports.read does."""
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[1] / "docs" / "datasets.md").read_text(encoding="utf-8")
    snippet = re.search(r"<!-- snippet: read-release -->\n```python\n(.*?)```", docs, re.S).group(1)
    assert 'r["release"] == 2' in snippet
    monkeypatch.chdir(store.paths.data_dir)  # the snippet runs from the data dir
    scope: dict = {}
    exec(compile(snippet, "datasets.md", "exec"), scope)
    for name in ("indicators", "documents"):
        expected = curated.read(name, 2, data_dir=store.paths)
        got = scope[name].to_pandas() if name == "indicators" else scope[name]
        key = "indicator_row_id" if name == "indicators" else "doc_id"
        assert sorted(got[key]) == sorted(expected[key]) and len(got) == len(expected)
    # release 2 is not the latest: the latest Delta version of indicators holds release 3's change
    assert curated.read("indicators", 3, data_dir=store.paths)["value"].tolist() != \
        curated.read("indicators", 2, data_dir=store.paths)["value"].tolist()


def test_versions_tables_prints_each_release_s_delta_versions(store):
    from govreports.io.releases import read_releases

    result = CliRunner().invoke(app, ["versions", "--tables", "--data-dir", str(store.paths.data_dir)])
    assert result.exit_code == 0
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in result.output.splitlines() if re.match(r"│ \d ", line)}
    for rel in read_releases(store.paths):
        assert rows[str(rel.release)] == [str(rel.version_of(n)) if rel.version_of(n) is not None else "—"
                                          for n in curated.TABLES]


def test_readme_analyst_snippets_import_only_what_command_1_installs():
    """README command 1 installs requirements.lock: every module its snippets import must be pinned there."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    imported = set()
    for block in re.findall(r"```python\n(.*?)```", readme, re.S):
        for line in block.splitlines():
            if m := re.match(r"(?:import|from)\s+([\w.]+(?:\s*,\s*[\w.]+)*)", line.strip()):
                imported |= {name.split(" as ")[0].strip().split(".")[0] for name in m.group(1).split(",")}
    assert {"polars", "duckdb", "govreports"} <= imported, imported
    runtime = {re.split(r"[<>=\[; ]", dep, maxsplit=1)[0].lower()
               for dep in tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]}
    lock = (root / "requirements.lock").read_text(encoding="utf-8")
    for module in imported - {"govreports"}:
        assert module in runtime, f"{module} is used in the README but not a runtime dependency"
        assert re.search(rf"^{module}==\S+ \\\n\s+--hash=sha256:", lock, re.M), f"{module} not pinned with hashes"
