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


#: calls that write or move files: only govreports/io/ may make them
WRITE_METHODS = {"write_text", "write_bytes", "mkdir", "touch", "unlink", "rmdir", "symlink_to", "hardlink_to"}
WRITE_FUNCTIONS = {("os", "replace"), ("os", "rename"), ("os", "renames"), ("os", "makedirs"), ("os", "remove"),
                   ("os", "unlink"), ("os", "rmdir"), ("os", "link"), ("os", "symlink")}
WRITE_MODULES = {"shutil", "tempfile"}
#: known exceptions, each with its reason; a new entry needs one too
ALLOWED_WRITES: set[tuple[str, str]] = set()  # none: every write of the core is in io/
#: the package's public read API (govreports.read, dataset …) re-exports io/reading lazily
ALLOWED_IO_IMPORTS = {"govreports/__init__.py"}


def _outside_io() -> list[Path]:
    return [p for p in _core_files() if p.relative_to(CORE).parts[0] != "io"]


def _write_mode(call: ast.Call) -> bool:
    """open(..., "w"/"a"/"x"/"+"), positionally or as mode=."""
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and any(c in mode.value for c in "wax+")


def _writes(path: Path) -> set[str]:
    """What in `path` writes, moves or deletes files."""
    found = {f"import {n}" for n in _imports(path) if n.split(".")[0] in WRITE_MODULES}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open" and _write_mode(node):
            found.add("open")
        elif isinstance(func, ast.Attribute):
            if func.attr in WRITE_METHODS:
                found.add(func.attr)
            elif func.attr == "open" and _write_mode(node):
                found.add("open")
            elif isinstance(func.value, ast.Name) and (func.value.id, func.attr) in WRITE_FUNCTIONS:
                found.add(f"{func.value.id}.{func.attr}")
    return found


def test_only_io_modules_write_files():
    offenders = {}
    for path in _outside_io():
        rel = str(path.relative_to(ROOT))
        bad = sorted(w for w in _writes(path) if (rel, w) not in ALLOWED_WRITES)
        if bad:
            offenders[rel] = bad
    assert offenders == {}


def test_the_write_check_catches_each_kind_of_write(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os, shutil\nfrom pathlib import Path\n"
                      "def f(p: Path):\n"
                      "    open(p, 'w'); open(p, mode='ab'); p.open('x'); open(p)\n"
                      "    p.write_text(''); p.write_bytes(b''); p.mkdir(); os.replace(p, p); os.rename(p, p)\n"
                      "    frame.rename(columns={})\n", encoding="utf-8")
    assert _writes(sample) == {"import shutil", "open", "write_text", "write_bytes", "mkdir", "os.replace",
                               "os.rename"}


def test_no_core_module_outside_io_imports_io():
    offenders = {}
    for path in _outside_io():
        rel = str(path.relative_to(ROOT))
        bad = sorted(n for n in _imports(path) if n == "govreports.io" or n.startswith("govreports.io."))
        bad += ["from govreports import io"] if _imports_io_package(path) else []
        if bad and rel not in ALLOWED_IO_IMPORTS:
            offenders[rel] = bad
    assert offenders == {}


def _imports_io_package(path: Path) -> bool:
    return any(isinstance(node, ast.ImportFrom) and node.module == "govreports" and
               any(a.name == "io" for a in node.names)
               for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))
