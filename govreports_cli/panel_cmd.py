"""`govreports panel INDICATOR`: one indicator, region (or agency) × report year, in the terminal.

The same table as `govreports.panel(...)`, read through the release log; `--csv` writes it for a
spreadsheet. Exit codes: 0 done, 1 nothing published / no such release, 2 an unknown indicator or `--by`.
"""

from __future__ import annotations

import math
from pathlib import Path

from rich.table import Table

from govreports_cli.data_cmd import console, fail, resolve


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def show_panel(indicator_id: str, *, by: str, sub: str | None, version: int | None, data_dir: Path | None,
               csv: Path | None) -> int:
    from govreports.io.reading import panel

    try:
        paths, release = resolve(data_dir, version)
        table = panel(indicator_id, by=by, sub=sub, version=release.release, data_dir=paths)
    except (KeyError, ValueError) as exc:  # an unknown indicator or --by (KeyError before LookupError)
        return fail(str(exc.args[0] if exc.args else exc), 2)
    except LookupError as exc:
        return fail(str(exc))
    a = table.attrs
    title = f"{a['indicator_id']} {a['name_zh']} ({a['unit']}, {a['measure']}{', ' + sub if sub else ''}) · release {release.release}"
    if csv:
        table.to_csv(csv, encoding="utf-8")
        console().print(f"wrote {csv} ({len(table)} {by}s × {len(table.columns)} years)")
        return 0
    console().print(title)
    out = Table()
    out.add_column(by)
    years = list(table.columns)
    for year in years:
        out.add_column(str(year), justify="right")
    for name, row in table.iterrows():
        out.add_row(str(name), *(_fmt(row[y]) for y in years))
    console().print(out)
    if table.empty:
        others = f"; sub-values reported: {', '.join(a['subs'])} (--sub)" if a["subs"] and not sub else ""
        console().print(f"no comparable value of {indicator_id}{' ' + sub if sub else ''} in release "
                        f"{release.release}{others}")
    return 0
