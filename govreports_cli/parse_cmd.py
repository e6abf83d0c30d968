"""`govreports parse`: the core on files, for inspection and for scoring against gold."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

from govreports.parse import parse_page


def run_parse(pages: list[Path], *, json_lines: bool, keywords: bool = True) -> int:
    """Parse each page; JSON Lines to stdout, or a short summary table. Exit 1 if any page failed."""
    failed = 0
    todo: Iterable[Path] = pages
    if len(pages) > 1 and sys.stderr.isatty():  # progress on stderr: stdout stays clean JSON Lines
        from rich.progress import track

        todo = track(pages, description="parsing", console=_stderr_console(), transient=True)
    for path in todo:
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"{path}: cannot read: {exc.strerror}", file=sys.stderr)
            failed += 1
            continue
        result = parse_page(data, str(path), keywords=keywords)
        if result.error:
            failed += 1
            print(f"{path}: {result.error}", file=sys.stderr)
        for doc in result.documents:
            if json_lines:
                sys.stdout.write(json.dumps(doc.to_json(), ensure_ascii=False) + "\n")
            else:
                print(f"{path.name}#{doc.doc_index} {doc.doc_id} {doc.doc_type} {doc.report_year} "
                      f"{doc.agency or '-'} | {doc.title or '(no title)'} | sections {len(doc.sections)} "
                      f"quantities {len(doc.quantities)} indicators {len(doc.indicators)}")
    return 1 if failed else 0


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)
