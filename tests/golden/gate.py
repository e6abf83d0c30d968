"""Shared steps of the quality gates: parse pages with the real CLI, score them with the gold scorer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCORER = ROOT / "tests" / "golden" / "score.py"


def parse_pages(pages: list[Path], out: Path, *extra: str) -> Path:
    """`govreports parse --json [extra] PAGES` into `out`; fails loudly if the command fails."""
    proc = subprocess.run(
        [sys.executable, "-m", "govreports_cli.main", "parse", "--json", *extra, *map(str, pages)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    out.write_text(proc.stdout, encoding="utf-8")
    return out


def score(gold_dir: Path, parse_jsonl: Path) -> dict:
    """score.py's totals for a parse against a gold directory."""
    proc = subprocess.run([sys.executable, str(SCORER), str(gold_dir), str(parse_jsonl), "--json"],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)
