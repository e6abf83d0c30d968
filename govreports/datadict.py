"""The data dictionary (docs/datasets.md), generated from the code that defines the data.

Why generated: a hand-written dictionary drifts the first time someone adds a column. Here every
column's type, meaning and example come from the field metadata in `govreports/schemas.py`, the
indicator catalog from `rules/indicators.yaml`, the qualifier words from `rules/quantities.yaml`
and the part ids from `models.PARTS`; tests/test_datadict.py regenerates the file and fails when
the committed copy differs. Run `python -m govreports.datadict` after changing any of them
(`--check` only compares, exiting 1 on a difference).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, get_args

import pyarrow as pa
import yaml

from govreports import schemas
from govreports.models import PARTS, REQUIRED_PARTS, Qualifier

RULES = Path(__file__).resolve().parent / "rules"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs" / "datasets.md"

#: part id → (code in shared/docs/domain.md §1.2, name in the 2019 规定 or the genre).
PART_NAMES: dict[str, tuple[str, str]] = {
    "preamble": ("P0", "导语 (opening paragraph; not required)"),
    "measures_results": ("P1", "主要举措和成效"),
    "first_responsible": ("P2", "党政主要负责人履行推进法治建设第一责任人职责情况"),
    "shortcomings": ("P3", "存在的不足和原因"),
    "next_year_plan": ("P4", "下一年度主要安排"),
    "other": ("P5", "其他需要报告的情况"),
    "highlights": ("X1", "特色亮点 / 重要成果 (common, not required)"),
    "closing": ("X2", "结束语"),
    "signature": ("X3", "落款 (signing agency and date)"),
}
QUALIFIER_MEANINGS: dict[str, str] = {
    "more_than": "the true value is above the number (超过, 余, 以上 …)",
    "nearly": "approximately the number (近, 约, 左右 …)",
    "at_least": "the number is a lower bound (不少于, 至少 …)",
    "at_most": "the number is an upper bound; 'less than' words are stored here too (不超过, 不到 …)",
    "redacted": "the number is masked in the page (XX, ***); value is null",
}


def _cell(text: Any) -> str:
    """A value safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _type_name(type_: pa.DataType) -> str:
    names = {"int32": "int32", "double": "float64", "string": "string", "bool": "bool", "date32[day]": "date"}
    if pa.types.is_list(type_):
        return f"list<{_type_name(type_.value_type)}>"
    return names.get(str(type_), str(type_))


def _meta(field: pa.Field, key: str) -> str:
    return (field.metadata or {}).get(key.encode(), b"").decode("utf-8")


def _table_section(name: str, schema: pa.Schema) -> list[str]:
    key = ", ".join(f"`{k}`" for k in schemas.KEYS[name])
    partitioned = (f"partitioned by `{schemas.PARTITION_COLUMN}`" if name in schemas.PARTITIONED
                   else "not partitioned")
    lines = [f"## `{name}`", "", f"{schemas.DESCRIPTIONS[name]}", "",
             f"Grain: one row per distinct {key} (the key, also the row order); {partitioned}"
             + (f" (`curated/{name}/{schemas.PARTITION_COLUMN}=2023/…`)." if name in schemas.PARTITIONED else "."),
             "",
             "| column | type | nullable | meaning | example |", "|---|---|---|---|---|"]
    for field in schema:
        lines.append(f"| `{field.name}` | {_type_name(field.type)} | {'yes' if field.nullable else 'no'} "
                     f"| {_cell(_meta(field, 'description'))} | {_cell(_meta(field, 'example'))} |")
    return [*lines, ""]


def _qualifier_words() -> dict[str, list[str]]:
    """qualifier → the words that set it, from the quantity grammar (lookbehinds stripped)."""
    rules = yaml.safe_load((RULES / "quantities.yaml").read_text(encoding="utf-8"))
    words: dict[str, list[str]] = {}
    for group in ("prefixes", "approximators", "suffixes"):
        for pattern, qualifier in (rules.get(group) or {}).items():
            word = pattern.split(")")[-1] if pattern.startswith("(?<") else pattern.split("(?=")[0]
            words.setdefault(qualifier, []).append(word)
    return words


def _vocabularies() -> list[str]:
    lines = ["## Vocabularies", "", "### Parts (`sections.part`, `quantities.part`)", "",
             "| part | code | name | required |", "|---|---|---|---|"]
    for part in PARTS:
        code, name = PART_NAMES[part]
        lines.append(f"| `{part}` | {code} | {name} | {'yes' if part in REQUIRED_PARTS else ''} |")
    lines += ["", "Completeness (`documents.part_<required part>`): `present` (a heading names the part), "
              "`embedded` (only a sub-heading or 一是-item names it), `missing`; null when not assessed.", "",
              "### Qualifiers (`quantities.qualifier`, `indicators.qualifier`; null = exact)", "",
              "| qualifier | meaning | written as |", "|---|---|---|"]
    words = _qualifier_words()
    for qualifier in get_args(Qualifier):
        written = ", ".join(words.get(qualifier, [])) or "XX, ***"
        lines.append(f"| `{qualifier}` | {QUALIFIER_MEANINGS[qualifier]} | {_cell(written)} |")
    return [*lines, ""]


def _catalog() -> list[str]:
    raw = yaml.safe_load((RULES / "indicators.yaml").read_text(encoding="utf-8"))["indicators"]
    lines = ["## Indicator catalog (`indicators.indicator_id`)", "",
             f"{len(raw)} indicators, from `govreports/rules/indicators.yaml` (shared/docs/domain.md §4.5). "
             "A quantity binds to the indicator whose keyword stands nearest to it in the same clause; "
             "`unit_class` says how values compare (count, money in CNY, ratio in %, boolean coverage = 1).",
             "", "| indicator_id | 名称 | unit_class | units | keywords (first) |", "|---|---|---|---|---|"]
    for entry in raw:
        keys = [k if isinstance(k, str) else k["re"] for k in (entry.get("before") or entry.get("after") or [])]
        units = ", ".join(str(u) for u in entry.get("units") or [])
        lines.append(f"| `{entry['id']}` | {entry['name_zh']} | {entry['unit_class']} | {_cell(units)} "
                     f"| {_cell(', '.join(f'`{k}`' for k in keys[:3]))} |")
    return [*lines, ""]


LINEAGE = """\
## Lineage: from a number back to its page

Every number can be traced to the characters it was read from and to the bytes of the page:

1. `indicators` row → `quantity_id` (the mention in `quantities`), `doc_id`, `section_id`, and
   `start`/`end`: offsets into `documents.body` (Python str indices), so
   `body[start:end] == surface`.
2. `section_id` → `sections` (heading, `part`, and its own `start`/`end` span in the same body).
3. `doc_id` → `documents`: `body`, `raw_sha256`, `source`, `url`, `doc_index` (place in the page).
4. `raw_sha256` → the page bytes exactly as received: `raw/objects/<sha[:2]>/<sha>`, and its
   sidecar `raw/objects/<sha[:2]>/<sha>.json` listing every sighting (source, URL, time received,
   HTTP headers). `pages` says what processing that page produced, or why it produced nothing.
5. `code_version` (documents, pages) names the code that produced the rows; the release log
   (`govreports versions`) ties each release to its run (`runs/<run_id>/summary.json`, `report.html`).

```sql
-- govreports query: an indicator value, its sentence, and where its page came from
select i.indicator_id, i.value, i.unit, q.sentence, d.url, d.raw_sha256
from indicators i join quantities q using (quantity_id) join documents d on d.doc_id = i.doc_id
limit 5
```
"""


def render() -> str:
    """The whole of docs/datasets.md."""
    lines = ["# Curated datasets", "",
             "<!-- GENERATED by `python -m govreports.datadict` from govreports/schemas.py and "
             "govreports/rules/: do not edit by hand. -->", "",
             "Delta Lake tables under `curated/`, published together as numbered releases "
             "(`govreports versions`). Read them with a Delta-aware reader (`govreports.read(name)`, "
             "`govreports.dataset(name)`, `govreports query`); globbing the Parquet files returns stale rows.",
             "", "| table | one row per … | key | partitioned by |", "|---|---|---|---|"]
    for name in schemas.TABLES:
        part = f"`{schemas.PARTITION_COLUMN}`" if name in schemas.PARTITIONED else "—"
        lines.append(f"| [`{name}`](#{name}) | {schemas.DESCRIPTIONS[name]} "
                     f"| {', '.join(schemas.KEYS[name])} | {part} |")
    lines.append("")
    for name in schemas.TABLES:
        lines += _table_section(name, schemas.SCHEMAS[name])
    lines += _vocabularies() + _catalog()
    return "\n".join(lines) + "\n" + LINEAGE


def main(argv: list[str] | None = None) -> int:
    """Write docs/datasets.md, or with --check report whether it is up to date."""
    parser = argparse.ArgumentParser(prog="python -m govreports.datadict", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run python -m govreports.datadict", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
