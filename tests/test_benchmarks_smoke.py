"""The benchmark tooling works: a seeded corpus is reproducible, the RSS sampler sums a process
tree, and the runner produces its JSON on a handful of pages. No timing is asserted (speed is
judged by `python -m benchmarks.run`, never by a test)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from benchmarks.corpus import generate
from benchmarks.rss import run_measured


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_corpus_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a" / "pages", tmp_path / "b" / "pages", tmp_path / "c" / "pages"
    generate(a, 12, seed=3)
    generate(b, 12, seed=3)
    generate(c, 12, seed=4)
    assert _snapshot(a) == _snapshot(b)
    assert (a.parent / "pages.truth.jsonl").read_bytes() == (b.parent / "pages.truth.jsonl").read_bytes()
    assert _snapshot(a) != _snapshot(c)


def test_corpus_prefix_is_stable(tmp_path: Path) -> None:
    """N/2 vs N memory runs rely on the first pages of a larger corpus being the smaller corpus."""
    small, big = tmp_path / "s" / "pages", tmp_path / "b" / "pages"
    generate(small, 6, seed=7)
    generate(big, 12, seed=7)
    assert _snapshot(small).items() <= _snapshot(big).items()


def test_corpus_truth_matches_pages(tmp_path: Path) -> None:
    out = tmp_path / "pages"
    truths = generate(out, 30, seed=7)
    for truth in truths:
        data = (out / truth.name).read_bytes()
        text = data.decode(truth.encoding)
        for doc in truth.documents:
            assert doc.title in text
            assert doc.headings and doc.quantities
            for q in doc.quantities:
                assert q["surface"] in text
    assert {t.encoding for t in truths} == {"utf-8", "gb18030"}
    assert any(len(t.documents) > 1 for t in truths)


def test_rss_sampler_sums_the_process_tree() -> None:
    code = ("import subprocess, sys, time; b = b'x' * 60_000_000; "
            "p = subprocess.Popen([sys.executable, '-c', \"import time; c = b'y' * 60_000_000; time.sleep(1.0)\"]); "
            "p.wait()")
    measured = run_measured([sys.executable, "-c", code])
    assert measured.returncode == 0
    assert measured.peak_procs >= 2
    assert measured.peak_rss_mb >= 100  # both processes' 60 MB were counted at once


@pytest.mark.slow
def test_runner_on_twenty_pages(tmp_path: Path) -> None:
    from benchmarks.run import main

    results = main(["--pages", "20", "--skip-e2e", "--stage-pages", "20", "--sample-pages", "6", "--skip-experiments",
                    "--out", str(tmp_path), "--no-latest"])
    written = list(tmp_path.glob("results-*.json"))
    assert len(written) == 1
    saved = json.loads(written[0].read_text(encoding="utf-8"))
    assert saved["corpus"]["pages"] == 20
    assert saved["accuracy_inprocess"]["documents_found"] == saved["corpus"]["documents"]
    assert saved["accuracy_inprocess"]["quantity_recall"] > 0.9
    assert {"decode", "quantities", "keywords", "validate", "publish"} <= set(saved["stages"]["stages"])
    assert saved["targets"]["e2e_10k_wall_s"]["verdict"] == "not measured"
    assert results["trafilatura"]["pages"] > 0
