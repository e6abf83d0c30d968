"""The pipeline's processes allocate Arrow memory with the system allocator (mimalloc kept a run's
freed memory: govreports/settings.prefer_system_allocator), unless the operator chose another."""

import os
import subprocess
import sys

import pytest

PROBE = "import {module}, pyarrow as pa; print(pa.default_memory_pool().backend_name)"


def _backend(module: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    out = subprocess.run([sys.executable, "-c", PROBE.format(module=module)], env={**clean, **env},
                         capture_output=True, text=True, timeout=120, check=True)
    return out.stdout.strip()


@pytest.mark.parametrize("module", ["govreports_cli.main", "flows"])
def test_the_command_and_the_flows_use_the_system_allocator(module):
    assert _backend(module) == "system"


def test_an_operator_choice_wins():
    assert _backend("flows", ARROW_DEFAULT_MEMORY_POOL="mimalloc") == "mimalloc"


def test_without_the_setting_arrow_would_use_another():
    """The test above could not fail if Arrow's own default were already the system allocator."""
    assert _backend("json") != "system"
