"""The `govreports parse --json` contract: fields, types, and offsets that point into the body."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples" / "inbox").glob("*.txt"))
DOC_FIELDS = {"source": str, "doc_index": int, "body": str, "sections": list, "quantities": list,
              "doc_type": str}
NULLABLE = ("title", "agency", "region", "report_year", "publish_date", "signed_date")


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "govreports_cli.main", "parse", "--json", *map(str, SAMPLES)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def test_one_object_per_document_with_the_contract_fields(docs):
    assert len(docs) >= len(SAMPLES)
    for doc in docs:
        for name, typ in DOC_FIELDS.items():
            assert isinstance(doc[name], typ), name
        for name in NULLABLE:
            assert name in doc
        assert doc["doc_type"] in {"annual_report", "work_plan", "summary_and_plan", "other"}


def test_sections_form_a_tree(docs):
    for doc in docs:
        ids = set()
        for sec in doc["sections"]:
            assert {"id", "parent_id", "label", "heading", "level", "part"} <= sec.keys()
            assert sec["parent_id"] is None or sec["parent_id"] in ids, "parent precedes child"
            ids.add(sec["id"])


def test_quantity_offsets_point_at_their_surface(docs):
    for doc in docs:
        section_ids = {s["id"] for s in doc["sections"]}
        for q in doc["quantities"]:
            assert doc["body"][q["start"]:q["end"]] == q["surface"]
            assert q["section_id"] is None or q["section_id"] in section_ids
            assert (q["value"] is None) == (q["qualifier"] == "redacted")


def test_same_input_same_output():
    cmd = [sys.executable, "-m", "govreports_cli.main", "parse", "--json", str(SAMPLES[0])]
    first = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    second = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert first == second
