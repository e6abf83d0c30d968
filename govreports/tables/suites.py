"""The suites in expectations/*.json: found, loaded and checked for shape, before GX sees them.

A suite names its table's expectations (GX types, each with meta.why) and the cross-table checks
(checks.py); every entry gets a unique meta.name, the label quarantine rows and validation.json use.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govreports.tables import checks as ck

SUITES_DIR = Path(__file__).resolve().parents[2] / "expectations"


class ValidationError(RuntimeError):
    """Validation could not judge the data: a configuration or code error, never bad data."""


class SuiteError(ValidationError):
    """A suite file is malformed, names an unknown expectation/check, or an expectation raised."""


class SchemaMismatchError(ValidationError):
    """A table does not have its suite's columns, or a table-level expectation failed."""


@dataclass
class Suite:
    table: str
    expectations: list[dict[str, Any]]   # raw JSON, meta.name filled in
    checks: list[dict[str, Any]]
    columns: list[str]


#: rows of one table failing one named expectation or check, with an example per row:
#: (table, "table.name", row indices, examples) — the shape checks.run_checks returns too.
Failure = tuple[str, str, list[int], list[Any]]


def default_suites_dir() -> Path:
    """expectations/ beside the package: the repo's in a checkout or editable install; in a wheel,
    pyproject's namespace find ships it as a top-level `expectations` folder beside `govreports`.
    Else wherever an importable `expectations` (namespace) package lives."""
    if SUITES_DIR.is_dir():
        return SUITES_DIR
    spec = importlib.util.find_spec("expectations")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if any(Path(location).glob("*.json")):
            return Path(location)
    raise SuiteError(f"no expectations/ next to {Path(__file__).parent} and none importable")


def _named(item: dict[str, Any], kind: str, path: Path) -> dict[str, Any]:
    kwargs = item.get("kwargs") or {}
    why = (item.get("meta") or {}).get("why")
    if not why:
        raise SuiteError(f"{path.name}: {item.get(kind)} has no meta.why")
    column = kwargs.get("column") or kwargs.get("column_A") or ",".join(kwargs.get("column_list", []))
    name = item["meta"].get("name") or (f"{item[kind]}({column})" if column else item[kind])
    return {**item, "kwargs": kwargs, "meta": {**item["meta"], "name": name}}


def load_suite(path: Path) -> Suite:
    """One expectations/<table>.json, checked for shape; GX-loadability is checked by build_gx_suite."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SuiteError(f"{path}: {exc}") from exc
    if raw.get("name") != path.stem or set(raw) - {"name", "expectations", "checks", "meta"}:
        raise SuiteError(f"{path.name}: needs name == {path.stem!r} and only name/expectations/checks/meta")
    expectations = [_named(e, "type", path) for e in raw.get("expectations", [])]
    checks = [_named(c, "check", path) for c in raw.get("checks", [])]
    for c in checks:
        try:
            ck.bind_check(c["check"], c["kwargs"])
        except ck.CheckConfigError as exc:
            raise SuiteError(f"{path.name}: {exc}") from exc
    names = [e["meta"]["name"] for e in expectations + checks]
    if len(names) != len(set(names)):
        raise SuiteError(f"{path.name}: duplicate expectation names; give them meta.name")
    columns = [e["kwargs"]["column_set"] for e in expectations if e["type"] == "expect_table_columns_to_match_set"]
    if len(columns) != 1:
        raise SuiteError(f"{path.name}: needs exactly one expect_table_columns_to_match_set")
    return Suite(path.stem, expectations, checks, list(columns[0]))


def load_suites(suites_dir: Path | None = None) -> dict[str, Suite]:
    directory = suites_dir or default_suites_dir()
    suites = {p.stem: load_suite(p) for p in sorted(directory.glob("*.json"))}
    if not suites:
        raise SuiteError(f"no suites in {directory}")
    return suites
