"""The shape of the code, checked: no import circles, no import back up from the core into io/, no
production function too complex to read, no test module importing another.

Why tests: the layout (CONTRIBUTING.md) only holds while nothing drifts back. grimp builds the import
graph from the sources (function-level and TYPE_CHECKING imports included); radon measures each
function's cyclomatic complexity the way `radon cc` prints it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
from radon.complexity import cc_visit
from radon.visitors import Class

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("govreports", "govreports_cli", "tasks", "flows")
MAX_CC = 25

#: Known exceptions (none today): an entry whose module no longer breaks the rule fails the test
#: below, so an allowance cannot outlive its reason.
IO_IMPORT_ALLOWED: set[str] = set()
CC_ALLOWED: set[str] = set()


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def _cycles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """One shortest import chain per circle: a module imports one that (through others) imports it back."""
    found: set[frozenset[str]] = set()
    out = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain and frozenset(chain) not in found:
                found.add(frozenset(chain))
                out.append((module, *chain))
    return out


def test_the_import_graph_has_no_cycles():
    cycles = _cycles(_graph())
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_circle():
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    assert _cycles(graph) == []
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert _cycles(graph) == [("pkg.a", "pkg.b", "pkg.c", "pkg.a")]


def test_only_io_imports_io_inside_the_core():
    graph = _graph()
    up = {(m, w) for m in graph.modules if m.startswith("govreports.") and not m.startswith("govreports.io")
          for w in graph.find_modules_directly_imported_by(m) if w == "govreports.io" or w.startswith("govreports.io.")}
    offenders = {m for m, _ in up}
    assert offenders <= IO_IMPORT_ALLOWED, "core modules importing govreports.io:\n" + "\n".join(
        f"{m} -> {w}" for m, w in sorted(up) if m not in IO_IMPORT_ALLOWED)
    assert offenders >= IO_IMPORT_ALLOWED, f"now pure, drop from IO_IMPORT_ALLOWED: {IO_IMPORT_ALLOWED - offenders}"


def _complexities() -> dict[str, int]:
    """`path:function` (methods as Class.method) → radon cyclomatic complexity, for every production module."""
    out: dict[str, int] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for block in cc_visit(path.read_text(encoding="utf-8")):
                functions = block.methods if isinstance(block, Class) else [block]
                for f in functions:
                    out[f"{rel}:{f.fullname}"] = f.complexity
    return out


def test_no_production_function_is_over_the_complexity_bar():
    cc = _complexities()
    assert len(cc) > 500 and "govreports/sections/parts.py:_assign" in cc  # the scan saw the code
    over = {name: n for name, n in cc.items() if n > MAX_CC}
    listed = "\n".join(f"{name} CC {n}" for name, n in sorted(over.items(), key=lambda kv: -kv[1])
                       if name not in CC_ALLOWED)
    assert set(over) <= CC_ALLOWED, f"functions over radon CC {MAX_CC} (split them into named steps):\n{listed}"
    assert set(over) >= CC_ALLOWED, f"now at most CC {MAX_CC}, drop from CC_ALLOWED: {CC_ALLOWED - set(over)}"


def test_the_complexity_measure_sees_a_branchy_function():
    branches = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(MAX_CC))
    (block,) = cc_visit(f"def f(x):\n{branches}\n    return -1\n")
    assert block.complexity == MAX_CC + 1  # one path, plus one per branch: over the bar


def _imported_test_modules(source: str) -> set[str]:
    """The tests.test_* modules a test module's source imports (anywhere in it, as `from` or `import`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative (from .test_x import …, from . import test_x): tests is the package
                base = "tests" + (f".{base}" if base else "")
            names |= {base} | {f"{base}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
    return {n for n in names if n.startswith("tests.test_")}


def test_no_test_module_imports_another():
    modules = sorted((ROOT / "tests").glob("test_*.py"))
    assert len(modules) > 40
    offenders = {p.name: sorted(found) for p in modules
                 if (found := _imported_test_modules(p.read_text(encoding="utf-8")))}
    assert offenders == {}, f"shared helpers go to tests/support/, fixtures to tests/conftest.py: {offenders}"


def test_the_test_import_check_sees_every_form():
    assert _imported_test_modules("from tests.test_flows import nightly") == {"tests.test_flows",
                                                                          "tests.test_flows.nightly"}
    assert _imported_test_modules("def f():\n    import tests.test_curated as c\n") == {"tests.test_curated"}
    assert _imported_test_modules("from tests import test_validate") == {"tests.test_validate"}
    assert _imported_test_modules("from .test_sections import seed_bodies") == {"tests.test_sections",
                                                                            "tests.test_sections.seed_bodies"}
    assert _imported_test_modules("from tests.support.tables import make_tables\nimport tests.fakeportal") == set()
