"""The tokenizer is rjieba's own instance plus the user dictionary, loaded only when first used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from govreports.text import tokenize

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
SAMPLES = ROOT / "samples" / "inbox"


def _texts() -> list[str]:
    pages = sorted(SEEDS.glob("*.txt")) or sorted(p for p in SAMPLES.iterdir() if p.is_file())
    return [p.read_text(encoding="utf-8", errors="replace") for p in pages]


def test_tokens_are_those_of_a_fresh_instance_with_the_user_dictionary() -> None:
    import rjieba

    fresh = rjieba.Jieba()
    for word, freq, tag in tokenize.user_words():
        fresh.add_word(word, freq, tag or "n")
    texts = _texts()
    assert texts
    for text in texts:
        assert tokenize.cut(text) == fresh.cut(text, True)
        assert tokenize.tag(text[:2000]) == [tuple(p) for p in fresh.tag(text[:2000], True)]


def test_the_user_dictionary_is_applied() -> None:
    word = next(w for w, _, _ in tokenize.user_words() if len(w) >= 4)
    assert word in tokenize.cut(f"今年{word}工作")


def test_the_pipeline_imports_without_loading_the_dictionary() -> None:
    """The flow process imports the parser (small batches, warm-up) but only parse workers cut text:
    rjieba's ≈33 MB dictionary must not come with the import."""
    code = ("import sys, tasks.parse, govreports.parse, govreports.tables.validate, flows.nightly, flows.backfill;"
            "print('rjieba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
