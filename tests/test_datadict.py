"""docs/datasets.md is generated from the schemas and rules: it must match them exactly."""

from __future__ import annotations

from typing import get_args

from typer.testing import CliRunner

from govreports.indicators.binding import catalog
from govreports.models import PARTS, Qualifier
from govreports.tables import datadict, schemas
from govreports_cli.datadict_cmd import DEFAULT_OUT, run_datadict
from govreports_cli.main import app


def test_committed_datasets_md_is_current():
    committed = DEFAULT_OUT.read_text(encoding="utf-8")
    assert committed == datadict.render(), "docs/datasets.md is stale: run `govreports datadict`"


def test_every_column_is_documented_with_type_meaning_and_example():
    text = datadict.render()
    for name, schema in schemas.SCHEMAS.items():
        assert f"## `{name}`" in text
        section = text.split(f"## `{name}`", 1)[1].split("\n## ", 1)[0]
        for field in schema:
            description = field.metadata[b"description"].decode()
            example = field.metadata[b"example"].decode()
            assert description and example, f"{name}.{field.name} lacks description or example"
            row = next(line for line in section.splitlines() if line.startswith(f"| `{field.name}` |"))
            assert datadict._cell(description) in row and datadict._cell(example) in row


def test_vocabularies_and_catalog_cover_the_code():
    text = datadict.render()
    assert set(datadict.PART_NAMES) == set(PARTS)
    assert set(datadict.QUALIFIER_MEANINGS) == set(get_args(Qualifier))
    for part in PARTS:
        assert f"| `{part}` |" in text
    for entry in catalog():
        assert f"| `{entry.id}` | {entry.name_zh} | {entry.measure} | {entry.unit}" in text
    assert "raw/objects/<sha[:2]>/<sha>" in text and "body[start:end] == surface" in text
    # qualifier words come from the quantity grammar, lookbehinds stripped
    assert "| `at_least` |" in text and "不少于" in text and "(?<" not in text.split("### Qualifiers")[1].split("##")[0]


def test_check_mode_reports_a_stale_file(tmp_path, capsys):
    out = tmp_path / "datasets.md"
    runner = CliRunner()
    assert runner.invoke(app, ["datadict", "--out", str(out), "--check"]).exit_code == 1
    assert runner.invoke(app, ["datadict", "--out", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8") == datadict.render()
    assert run_datadict(out, check=True) == 0
    out.write_text(out.read_text(encoding="utf-8").replace("One row per", "One line per"), encoding="utf-8")
    assert run_datadict(out, check=True) == 1
    assert "out of date" in capsys.readouterr().err
