"""Same output before and after a speed change: dump every PageResult, then compare two dumps.

A faster core function is only an improvement if every page still parses to the same records.
`dump` writes one canonical JSON line per page (dataclasses.asdict, sorted keys) for the pages
of a directory (a generated corpus) plus the seeds and the held-out gold pages; `compare` names
the first pages and fields that differ, so a regression points at the stage that caused it.

    python -m benchmarks.equivalence dump OUT.jsonl [PAGES_DIR ...] [--limit N]
    python -m benchmarks.equivalence compare A.jsonl B.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from govreports.parse import parse_page

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DIRS = [REPO.parent / "shared" / "seeds", REPO / "tests" / "golden" / "heldout" / "pages"]


def _pages(dirs: list[Path], limit: int | None) -> list[Path]:
    files: list[Path] = []
    for directory in dirs:
        found = sorted(p for p in directory.iterdir() if p.is_file())
        files += found[:limit] if limit else found
    return files


def dump(out: Path, dirs: list[Path], limit: int | None = None) -> None:
    files = _pages(dirs, limit)
    started = time.process_time()
    with out.open("w", encoding="utf-8") as sink:
        for n, path in enumerate(files):
            result = parse_page(path.read_bytes(), "inbox", raw_sha256=f"{n:064x}")
            record = {"page": f"{path.parent.name}/{path.name}", **asdict(result)}
            sink.write(json.dumps(record, ensure_ascii=False, sort_keys=True, default=str) + "\n")
    spent = time.process_time() - started
    print(f"{len(files)} pages → {out} in {spent:.1f} CPU s ({spent / max(1, len(files)) * 1000:.2f} ms/page)")


def _first_difference(a: Any, b: Any, path: str = "") -> str | None:
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: missing on one side"
            if (found := _first_difference(a[key], b[key], f"{path}.{key}")) is not None:
                return found
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            if (found := _first_difference(x, y, f"{path}[{i}]")) is not None:
                return found
        return None if len(a) == len(b) else f"{path}: {len(a)} vs {len(b)} items"
    return None if a == b else f"{path}: {a!r:.120} vs {b!r:.120}"


def compare(a_path: Path, b_path: Path, show: int = 10) -> int:
    a_lines = a_path.read_text(encoding="utf-8").splitlines()
    b_lines = b_path.read_text(encoding="utf-8").splitlines()
    if len(a_lines) != len(b_lines):
        print(f"different page counts: {len(a_lines)} vs {len(b_lines)}")
        return 1
    differing = 0
    for a, b in zip(a_lines, b_lines, strict=True):
        if a == b:
            continue
        differing += 1
        if differing <= show:
            left, right = json.loads(a), json.loads(b)
            print(f"{left['page']}: {_first_difference(left, right)}")
    print(f"{differing} of {len(a_lines)} pages differ")
    return 1 if differing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("dirs", type=Path, nargs="*")
    d.add_argument("--limit", type=int, default=None, help="pages per directory")
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = parser.parse_args(argv)
    if args.command == "dump":
        dump(args.out, [*args.dirs, *DEFAULT_DIRS], args.limit)
        return 0
    return compare(args.a, args.b)


if __name__ == "__main__":
    sys.exit(main())
