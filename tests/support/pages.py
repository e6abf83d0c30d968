"""The bundled sample pages (samples/inbox) and what tests derive from them: the seeds' document
bodies matched to their gold files, and one extra report page no sample contains."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = ROOT / "samples" / "inbox"
SAMPLES = sorted(SAMPLES_DIR.glob("*"))  # every bundled page (the .txt seeds and the saved .html pages)
GOLD = ROOT / "tests" / "golden" / "gold"


def norm(text: str) -> str:
    """The text without width variants, blanks and punctuation (how seeds and gold are compared)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch).startswith("P")))


@cache
def seed_bodies() -> tuple[tuple[str, int, dict, str], ...]:
    """(file, doc index, gold document, body) per gold document: seed text minus the gold's
    chrome strings, info-table lines and title lines, split at 第一篇/第二篇."""
    out = []
    for gold_file in sorted(GOLD.glob("*.json")):
        gold = json.loads(gold_file.read_text(encoding="utf-8"))
        drop = {norm(b) for d in gold["documents"] for b in d["boilerplate"]}
        drop |= {norm(d["title"]) for d in gold["documents"] if d["title"]}
        docs: list[list[str]] = [[]]
        for line in (SAMPLES_DIR / gold["file"]).read_text(encoding="utf-8").split("\n"):
            if re.match(r"\s*第[一二三四五六七八九十]+篇", line):
                docs.append([])
            elif norm(line) not in drop and not line.strip().startswith("•"):
                docs[-1].append(line)
        bodies = ["\n".join(d).strip("\n") for d in docs if any(x.strip() for x in d)]
        assert len(bodies) == len(gold["documents"])
        out += [(gold["file"], k, g, b) for k, (g, b) in enumerate(zip(gold["documents"], bodies, strict=True))]
    return tuple(out)


def extra_page() -> bytes:
    """A report page no sample contains (a fake-portal report rendered as a saved HTML page)."""
    from tests.fakeportal import ANSHAN_2023, report_html

    return report_html("鞍山市教育局2023年法治政府建设年度报告(修订)", [*ANSHAN_2023, "特此报告。"]).encode()
