"""Quality gate: the parse of the seed pages must not score below the recorded floors.

Runs the real CLI (`govreports parse --json`) on the bundled sample pages and scores its output
with the gold scorer, as trafilatura's eval gate does: a regression in any figure fails CI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.golden.gate import parse_pages, score

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
SAMPLES = sorted((ROOT / "samples" / "inbox").glob("*.txt"))


@pytest.fixture(scope="module")
def parse_jsonl(tmp_path_factory) -> Path:
    return parse_pages(SAMPLES, tmp_path_factory.mktemp("gate") / "parse.jsonl")


@pytest.fixture(scope="module")
def totals(parse_jsonl: Path) -> dict:
    return score(GOLDEN / "gold", parse_jsonl)


def test_samples_are_the_gold_pages():
    gold_files = sorted(p.stem for p in (GOLDEN / "gold").glob("*.json"))
    assert [p.stem for p in SAMPLES] == gold_files


@pytest.mark.parametrize(
    "figure",
    ["metadata_accuracy", "heading_precision", "heading_recall", "heading_level_accuracy",
     "quantity_precision", "quantity_recall", "boilerplate_removed", "body_kept"],
)
def test_figure_holds_its_floor(totals: dict, figure: str):
    floor = json.loads((GOLDEN / "baseline.json").read_text(encoding="utf-8"))[figure]
    assert totals[figure] is not None and totals[figure] >= floor, f"{figure} {totals[figure]} < {floor}"


def test_every_document_found(totals: dict):
    assert totals["documents_found"] == "6/6"
