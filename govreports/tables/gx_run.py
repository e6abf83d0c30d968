"""Running the GX suites over Arrow tables: one ephemeral context per call, the failures by row.

Split from validate.py, which decides what failures mean (quarantine, errors). GX is imported
lazily (≈1.2 s, `import_gx`) and runs in an ephemeral context: a file context would rewrite the
hand-written JSON (shared/docs/libraries.md §2). Two GX costs nobody reads are taken out of every
call: the batch's DataFrame fingerprint and the rebuilding of each expectation's configuration (see
below).
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
import types
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from govreports.tables.suites import Failure, SchemaMismatchError, Suite, SuiteError

_ONE_CALL_AT_A_TIME = threading.Lock()
_LOADING = threading.Lock()

#: modules GX imports with itself but uses only in expectations no suite of ours has: scipy.stats
#: (KL divergence, KS tests) is ≈0.5 CPU s and ≈56 MB of the flow process's import of GX.
DEFERRED_BY_GX = ("scipy.stats",)


class _Deferred(types.ModuleType):
    """Stands in sys.modules for a module until one of its attributes is read, then imports it.

    GX binds `from scipy import stats` at import and reads `stats.entropy` only when such an
    expectation runs: the real module is imported then (and replaces this one in sys.modules), so
    anything that does use it gets the real thing, later.
    """

    def __getattr__(self, name: str) -> Any:
        real = self.__dict__.get("_real")
        if real is None:
            with _LOADING:
                real = self.__dict__.get("_real")
                if real is None:
                    if sys.modules.get(self.__name__) is self:
                        del sys.modules[self.__name__]
                    real = self.__dict__["_real"] = importlib.import_module(self.__name__)
        return getattr(real, name)


def import_gx() -> Any:
    """`import great_expectations`, with DEFERRED_BY_GX imported only if something reads them."""
    if "great_expectations" not in sys.modules:
        for name in DEFERRED_BY_GX:
            sys.modules.setdefault(name, _Deferred(name))  # already imported for real: nothing to save
    import great_expectations

    return great_expectations


def build_gx_suite(suite: Suite) -> Any:
    """The GX suite; raises if GX dropped any expectation (it only logs a misspelled type)."""
    gx = import_gx()

    gx_suite = gx.ExpectationSuite(name=suite.table, expectations=[dict(e) for e in suite.expectations])
    loaded = {e.meta.get("name") for e in gx_suite.expectations}
    dropped = [e["meta"]["name"] for e in suite.expectations if e["meta"]["name"] not in loaded]
    if dropped or len(gx_suite.expectations) != len(suite.expectations):
        raise SuiteError(f"suite {suite.table}: GX did not load {dropped} (misspelled type?)")
    return gx_suite


def _raised(info: Any) -> str | None:
    """GX puts metric exceptions in exception_info, flat or keyed by metric id."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    nested = [_raised(v) for v in info.values() if isinstance(v, dict)]
    return next((m for m in nested if m), None)


@contextlib.contextmanager
def _configurations_built_once() -> Iterator[None]:
    """GX 1.x rebuilds an expectation's whole configuration (a pydantic `dict()` of it) each time it
    reads one of its arguments while it builds the metric graph: 13,742 rebuilds for one call over
    our 111 expectations (a 1,000-page call: 1.44 → 1.29 CPU s, medians of alternating runs). The
    expectation objects GX makes during a call (≈14 per expectation) are not changed once made, so
    each object's is built once: 1,577 builds. The cache holds the objects themselves (so an id is
    never reused meanwhile) and lives for the call; GX's property is put back even if it raises."""
    from great_expectations.expectations.expectation import Expectation

    rebuilt = Expectation.configuration
    built: dict[int, tuple[Any, Any]] = {}

    def once(expectation: Any) -> Any:
        entry = built.get(id(expectation))
        if entry is None:
            entry = built[id(expectation)] = (expectation, rebuilt.fget(expectation))
        return entry[1]

    Expectation.configuration = property(once)  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        Expectation.configuration = rebuilt  # type: ignore[method-assign]


def run_gx(suites: dict[str, Suite], tables: dict[str, pa.Table], params: dict[str, Any]
            ) -> tuple[dict[str, Any], list[Failure]]:
    """Validate every table against its suite: (GX's results per table, failing rows).
    One call at a time per process: the configuration cache swaps a class attribute."""
    import_gx()
    with _ONE_CALL_AT_A_TIME, _configurations_built_once():
        return _validate_with_gx(suites, tables, params)


def _validate_with_gx(suites: dict[str, Suite], tables: dict[str, pa.Table], params: dict[str, Any]
                      ) -> tuple[dict[str, Any], list[Failure]]:
    gx = import_gx()
    from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every batch (md5 over the hashed DataFrame: ≈0.5 CPU s per 1,000 pages, a
    # seventh of validating them) for a batch marker nothing here reads; it skips frames over this.
    pandas_execution_engine.HASH_THRESHOLD = 0
    # in memory, and no temporary Data Docs site per run (GX would create one under /tmp each time)
    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False))
    context = gx.get_context(project_config=config, mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_or_update_pandas("govreports")
    described, failures, broken, table_level = {}, [], [], []
    for name, table in tables.items():
        batch = (source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("whole")
                 .get_batch(batch_parameters={"dataframe": table.to_pandas()}))
        result = batch.validate(build_gx_suite(suites[name]), result_format="COMPLETE",
                                expectation_parameters=params)
        described[name] = result.describe_dict()
        for r in result.results:
            label = f"{name}.{r.expectation_config.meta['name']}"
            if (message := _raised(r.exception_info)) is not None:
                broken.append(f"{label}: {message}")
            elif not r.success and "unexpected_index_list" not in r.result:
                table_level.append(f"{label}: observed {r.result.get('observed_value')!r}")
            elif not r.success:
                failures.append((name, label, list(r.result["unexpected_index_list"]),
                                 list(r.result.get("unexpected_list", []))))
    if broken:
        raise SuiteError("expectations raised (configuration error, not bad data): " + "; ".join(broken))
    if table_level:
        raise SchemaMismatchError("table-level expectations failed: " + "; ".join(table_level))
    return described, failures
