"""The data dictionary (docs/datasets.md), generated from the code that defines the data.

Why generated: a hand-written dictionary drifts the first time someone adds a column. Here every
column's type, meaning and example come from the field metadata in `govreports/tables/schemas.py`, the
indicator catalog from `rules/indicators.yaml`, the qualifier words from `rules/quantities.yaml`
and the part ids from `models.PARTS`; tests/test_datadict.py regenerates the file and fails when
the committed copy differs. Run `govreports datadict` after changing any of them (`--check` only
compares, exiting 1 on a difference). Pure: `render()` returns the text; the command writes it.
"""

from __future__ import annotations

from typing import Any, get_args

import pyarrow as pa

from govreports import rules as rulebook
from govreports.models import PARTS, REQUIRED_PARTS, Qualifier
from govreports.tables import schemas

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
    rules = rulebook.quantities()
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
    from govreports.indicators.catalog import catalog, topic_names

    entries, topics = catalog(), topic_names()
    lines = ["## Indicator catalog (`indicators.indicator_id`, `indicator_values.indicator_id`)", "",
             f"{len(entries)} indicators, from `govreports/rules/indicators.yaml`. Each is ONE measure: a count "
             "in one unit family, money in 元, or a rate in %; its values are always published in its `unit` "
             "(written units of the same family convert: 件/起/宗 → 件, ‰ → %). A mention in another measure "
             "maps to a sibling (`PETITIONS` 件 vs `PETITIONS_RESOLUTION_RATE` %) or to none; a change "
             "(增长12%) maps to none. `part` is the part of the report the 2019 规定 puts it in, `topic` the "
             "纲要 chapter.", "",
             "| indicator_id | 名称 | measure | unit (accepts) | part | topic | definition |",
             "|---|---|---|---|---|---|---|"]
    for e in entries:
        accepts = ", ".join(u for u in sorted(e.units) if u != e.unit)
        unit = f"{e.unit} ({accepts})" if accepts else e.unit
        lines.append(f"| `{e.id}` | {e.name_zh} | {e.measure} | {_cell(unit)} | {e.part} | {topics[e.topic]} "
                     f"| {_cell(e.definition)} |")
    return [*lines, ""]


COMPARABLE = """\
## Comparable values: `indicator_values`, and the panel

`indicators` keeps every mapped mention, targets and repeats included: right for lineage, wrong
to sum. `indicator_values` holds the one value per (doc_id, indicator_id, sub) a comparison should
use, chosen by `govreports/rules/indicator_values.yaml`:

- only actual mentions count: a target (不少于4次, a work plan) or a past-year figure never stands
  in for what the year achieved (the `chosen_from_an_actual_mention` check enforces it);
- among several mentions, the first rule that applies names the row's `rule`: `only`, `repeated`
  (all equal), `marked_total` (共/合计/全年 … before the number), `sum_of_breakdown` (one mention
  equals the sum of the others), `largest` (counts and money: parts are smaller than their total),
  `first` (rates: the headline comes first);
- a number-less statement (`statement`) counts only where no number states the indicator:
  法律顾问全覆盖 = 100 %, 无行政败诉 = 0 件.

`n_mentions` says how many actual mentions backed the choice, `indicator_row_id` / `quantity_id`
which one it is. A panel of one indicator across regions and years:

```python
import govreports
govreports.panel("ENF_CERT_HOLDERS")                 # region × report_year, values in 人
govreports.panel("ENF_CERT_HOLDERS", by="agency")    # agency × report_year
govreports.panel("ENF_CERT_HOLDERS", long=True)      # the rows behind it, with doc_id and lineage
```

`govreports panel ENF_CERT_HOLDERS [--by region|agency] [--version N]` prints the same table. Where a
region has several documents in a year (departments and the government), the cell holds the
government's own report when there is one, else the document whose value is backed by the most
mentions (then the smallest doc_id): one document per cell, never a sum across documents.

"""


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


WITHOUT_THE_PACKAGE = """
## Reading a release without govreports

A release is one row of the Delta table `curated/_releases`; its `tables` column (JSON) maps each table
to the Delta version that belongs to the release (`govreports versions --tables` prints the same map).
Open each table at that version with any Delta reader, e.g. plain `deltalake` and `polars` (both in
`requirements.lock`), from the data dir:

<!-- snippet: read-release -->
```python
import json

import polars as pl
from deltalake import DeltaTable

curated = "curated"  # <data dir>/curated
log = DeltaTable(f"{curated}/_releases").to_pyarrow_table().to_pylist()
release = next(r for r in log if r["release"] == 2)  # or max(log, key=lambda r: r["release"]): the latest
versions = {name: t["version"] for name, t in json.loads(release["tables"]).items()}

indicators = pl.read_delta(f"{curated}/indicators", version=versions["indicators"])
documents = DeltaTable(f"{curated}/documents", version=versions["documents"]).to_pandas()
```
<!-- /snippet -->

A table missing from the map did not exist yet in that release (read it as empty). Never open a table
at its *latest* Delta version to get "the latest release": a publish commits its tables one after the
other and appends the release row last, so the latest versions may belong to a publish still under
way (or one that failed half way). DuckDB's own `delta_scan` downloads an extension at first use; scan
`DeltaTable(..., version=v).to_pyarrow_dataset()` instead (`duckdb.sql("select … from ds")`).

One known trap of the libraries themselves (duckdb 2.0, deltalake 1.6, measured 2026-12-06): a script
that reads a table with deltalake's `to_pyarrow_table()`/`to_pandas()` *and* queries with
`duckdb.sql(...)` (DuckDB's default connection) usually aborts at exit, after its work is done
(`terminate called without an active exception`, exit status 134; 4–5 runs in 6). Close the default
connection before the script ends, `duckdb.default_connection().close()` (or use your own
`duckdb.connect()` and close it): then none did. Scanning `govreports.dataset(...)` with DuckDB, as in
the README, did not abort.
"""


def render() -> str:
    """The whole of docs/datasets.md."""
    lines = ["# Curated datasets", "",
             "<!-- GENERATED by `govreports datadict` from govreports/tables/schemas.py and "
             "govreports/rules/: do not edit by hand. -->", "",
             "Delta Lake tables under `curated/`, published together as numbered releases "
             "(`govreports versions`). Read them with a Delta-aware reader (`govreports.read(name)`, "
             "`govreports.dataset(name)`, `govreports query`); globbing the Parquet files returns stale rows.",
             "", "**Each report counts once.** The same report in another wrapper (saved html, txt, the page with "
             "portal menus) has the same `documents.fingerprint` and is published with `duplicate_of` = the first "
             "document; a corrected re-upload (same agency and region, report year, type and title, nearly the same body) is "
             "published with `supersedes` = the version it replaces. `read`, `read_arrow`, `dataset` and "
             "`govreports query` leave repeated and superseded documents out of documents, sections, quantities, "
             "indicators, indicator_values, keywords and citations; `all_versions=True` returns every row "
             "(rules: govreports/rules/duplicates.yaml).",
             "", "| table | one row per … | key | partitioned by |", "|---|---|---|---|"]
    for name in schemas.TABLES:
        part = f"`{schemas.PARTITION_COLUMN}`" if name in schemas.PARTITIONED else "—"
        lines.append(f"| [`{name}`](#{name}) | {schemas.DESCRIPTIONS[name]} "
                     f"| {', '.join(schemas.KEYS[name])} | {part} |")
    lines.append("")
    for name in schemas.TABLES:
        lines += _table_section(name, schemas.SCHEMAS[name])
    lines += _vocabularies() + _catalog()
    return "\n".join(lines) + "\n" + COMPARABLE + LINEAGE + WITHOUT_THE_PACKAGE
