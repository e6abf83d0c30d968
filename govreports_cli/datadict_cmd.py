"""`govreports datadict`: write docs/datasets.md from the code that defines the data, or check it.

The text comes from govreports/tables/datadict.render() (pure); this command only writes or compares
it, so the core holds no script and no file write.
"""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs" / "datasets.md"


def run_datadict(out: Path = DEFAULT_OUT, *, check: bool = False) -> int:
    """Write the data dictionary to `out`; with `check`, 1 when `out` differs from what would be written."""
    from govreports.tables.datadict import render

    text = render()
    if check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(f"{out} is out of date: run govreports datadict", file=sys.stderr)
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0
