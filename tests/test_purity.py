"""The core stays pure: no Prefect anywhere in govreports/, no network outside govreports/io/."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "govreports"
NETWORK_MODULES = {"httpx", "socket", "urllib.request", "http.client", "requests", "aiohttp"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _core_files() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def test_no_core_module_imports_prefect():
    offenders = {str(p.relative_to(ROOT)): sorted(n for n in _imports(p) if n.split(".")[0] == "prefect")
                 for p in _core_files()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_io_modules_touch_the_network():
    offenders = {}
    for path in _core_files():
        if "io" in path.relative_to(CORE).parts[:-1]:
            continue
        bad = sorted(n for n in _imports(path) if n in NETWORK_MODULES or n.split(".")[0] in NETWORK_MODULES)
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


def test_importing_every_core_module_loads_no_prefect():
    modules = [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in _core_files()]
    modules = [m.removesuffix(".__init__") for m in modules]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(sorted(k for k in sys.modules if k == 'prefect' or k.startswith('prefect.')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert proc.stdout.strip() == "[]"
