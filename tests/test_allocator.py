"""The pipeline's processes tune their allocators (govreports/settings.tune_allocators): Arrow uses the
system allocator (mimalloc kept a run's freed memory) and the jemalloc that deltalake links keeps one
arena with a short decay (its defaults kept ≈300 MB after a publish), unless the operator chose otherwise."""

import os
import subprocess
import sys

import pytest

from govreports.settings import DELTA_JEMALLOC_CONF, DELTA_JEMALLOC_ENV

PROBE = "import {module}, pyarrow as pa; print(pa.default_memory_pool().backend_name)"
ENV_PROBE = "import os, {module}; print(os.environ.get({name!r}, ''))"
OURS = ("ARROW_DEFAULT_MEMORY_POOL", DELTA_JEMALLOC_ENV)


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in OURS}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env},
                          capture_output=True, text=True, timeout=120, check=True)


def _backend(module: str, **env: str) -> str:
    return _run(PROBE.format(module=module), **env).stdout.strip()


@pytest.mark.parametrize("module", ["govreports_cli.main", "flows"])
def test_the_command_and_the_flows_use_the_system_allocator(module):
    assert _backend(module) == "system"


def test_an_operator_choice_wins():
    assert _backend("flows", ARROW_DEFAULT_MEMORY_POOL="mimalloc") == "mimalloc"


def test_without_the_setting_arrow_would_use_another():
    """The test above could not fail if Arrow's own default were already the system allocator."""
    assert _backend("json") != "system"


@pytest.mark.parametrize("module", ["govreports_cli.main", "flows"])
def test_the_command_and_the_flows_tune_delta_rs_jemalloc(module):
    out = _run(ENV_PROBE.format(module=module, name=DELTA_JEMALLOC_ENV)).stdout.strip()
    assert out == DELTA_JEMALLOC_CONF


def test_an_operator_jemalloc_choice_wins():
    out = _run(ENV_PROBE.format(module="flows", name=DELTA_JEMALLOC_ENV), **{DELTA_JEMALLOC_ENV: "narenas:2"})
    assert out.stdout.strip() == "narenas:2"


def test_deltalake_reads_the_variable(tmp_path):
    """The setting is dead if a deltalake release drops jemalloc or renames its prefix: jemalloc's
    own statistics, printed at exit when the variable asks, show the option took effect."""
    write = (f"import deltalake, pyarrow as pa; "
             f"deltalake.write_deltalake({str(tmp_path / 't')!r}, pa.table({{'a': [1, 2]}}))")
    stats = _run(write, **{DELTA_JEMALLOC_ENV: f"stats_print:true,{DELTA_JEMALLOC_CONF}"}).stderr
    assert "jemalloc statistics" in stats
    assert "opt.narenas: 1" in stats
    assert "opt.dirty_decay_ms: 200" in stats


HEAP_PROBE = """
import os
{setup}
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20
block = b"z" * (16 << 20); del block  # glibc would now raise its mmap threshold to 16 MB
base = rss()
big, small = [], []
for _ in range(20):  # 80 MB of 4 MB buffers, small live ones between them
    big.append(b"x" * (4 << 20)); small.append(b"y" * 100_000)
del big
print(rss() - base)
"""


def _retained_mb(setup: str, **env: str) -> int:
    clean = {k: v for k, v in os.environ.items() if k not in (*OURS, "MALLOC_MMAP_THRESHOLD_")}
    out = subprocess.run([sys.executable, "-c", HEAP_PROBE.format(setup=setup)], env={**clean, **env},
                         capture_output=True, text=True, timeout=120, check=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heap")
def test_freed_big_buffers_go_back_to_the_system():
    """After the tuning, 80 MB of freed 4 MB buffers leave the heap; without it, glibc keeps them
    (the control: the probe could not pass if glibc gave them back on its own)."""
    assert _retained_mb("import flows") < 20
    assert _retained_mb("import json") > 60
    assert _retained_mb("import flows", MALLOC_MMAP_THRESHOLD_="33554432") > 60, "an operator's value wins"


def test_release_memory_frees_arrow_buffers_held_by_garbage_cycles():
    """What GX leaves after a batch: buffers reachable only from objects that refer to each other."""
    import gc

    import pyarrow as pa

    from govreports.io.publish_inputs import release_memory

    class Node:
        pass

    gc.collect()
    was = gc.isenabled()
    gc.disable()  # only release_memory may collect here
    try:
        before = pa.total_allocated_bytes()
        a, b = Node(), Node()
        a.other, b.other = b, a
        a.table = pa.table({"x": pa.array(range(2_000_000), pa.int64())})  # 16 MB
        del a, b
        assert pa.total_allocated_bytes() - before >= 16_000_000, "the cycle still holds the table"
        release_memory()
        assert pa.total_allocated_bytes() - before < 1_000_000
    finally:
        if was:
            gc.enable()


def test_the_glibc_threshold_is_not_exported_to_parse_workers():
    """Set by mallopt in the flow process; a spawned worker keeps glibc's default (tune_allocators)."""
    probe = ("import multiprocessing as mp, os\n"
             "from govreports import settings\n"
             "def child(q): q.put(settings._pool_worker())\n"
             "if __name__ == '__main__':\n"
             "    settings.tune_allocators()\n"
             "    ctx = mp.get_context('spawn'); q = ctx.Queue(); p = ctx.Process(target=child, args=(q,)); p.start()\n"
             "    print(settings._pool_worker(), q.get(timeout=60), os.environ.get('MALLOC_MMAP_THRESHOLD_'))\n"
             "    p.join()\n")
    clean = {k: v for k, v in os.environ.items() if k not in (*OURS, "MALLOC_MMAP_THRESHOLD_")}
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "probe.py")
        with open(script, "w", encoding="utf-8") as f:
            f.write(probe)
        out = subprocess.run([sys.executable, script], env=clean, capture_output=True, text=True, timeout=120,
                             check=True)
    assert out.stdout.split() == ["False", "True", "None"]


TRIM_PROBE = """
import ctypes, psutil
from govreports import settings
me = psutil.Process()
blocks = [bytearray(64 * 1024) for _ in range(2_000)]  # 125 MB of heap blocks (under any mmap threshold)
pin = bytearray(64 * 1024)  # the heap's top stays in use: only a trim of the middle gives pages back
del blocks
before = me.memory_info().rss
{call}
print((before - me.memory_info().rss) // 2**20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heap")
def test_trim_heap_gives_a_freed_phase_back_to_the_system():
    """What curated.publish does between tables (settings.trim_heap); the control shows glibc keeps
    the freed blocks on its own."""
    def given_back(call: str) -> int:
        out = subprocess.run([sys.executable, "-c", TRIM_PROBE.format(call=call)], capture_output=True,
                             text=True, timeout=120, check=True)
        return int(out.stdout.strip())

    assert given_back("settings.trim_heap()") > 100
    assert given_back("pass") < 20
