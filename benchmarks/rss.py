"""Peak resident memory of a whole process tree, sampled from /proc.

`/usr/bin/time -v` and `resource.getrusage(RUSAGE_CHILDREN)` report the largest *single* process,
but the pipeline spreads its work over a flow process, a spawned process pool and (in ephemeral
mode) Prefect's in-process server: what the machine must hold is their *sum* at one instant. So
a thread reads VmRSS of the root and all its descendants every ~50 ms and keeps the largest sum.
CPU time (user + system) of the whole tree comes from RUSAGE_CHILDREN: on a shared machine wall
time depends on the neighbours, CPU time much less. Linux only (/proc); elsewhere the peak stays 0 and the report says so.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


def _children_map() -> dict[int, list[int]]:
    """ppid → pids, from /proc/<pid>/stat (field 4; the comm field may hold spaces, so split after ')')."""
    tree: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended between listing and reading
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(root: int) -> list[int]:
    """root and every process below it."""
    tree = _children_map()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(tree.get(pid, ()))
    return out


def _kb_field(pid: int, file: str, field: str) -> int:
    """The kB value of `field` in /proc/<pid>/<file> (0 when the process is gone or has none)."""
    try:
        for line in (PROC / str(pid) / file).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb(pid: int) -> int:
    """VmRSS of one process in kB (0 when it is gone or a zombie)."""
    return _kb_field(pid, "status", "VmRSS:")


def pss_kb(pid: int) -> int:
    """Proportional set size in kB: private pages plus a share of pages mapped by several processes.

    Summed over a tree, RSS counts every shared page (the Python binary, libarrow, pages a forked
    child still shares) once per process; PSS counts them once in all, so the PSS sum is what the
    tree really holds. Both are reported; 0 when the process is gone or smaps_rollup is absent.
    """
    return _kb_field(pid, "smaps_rollup", "Pss:")


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_s(pid: int) -> float:
    """utime + stime of one process so far (seconds; 0 when gone)."""
    try:
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _kind(pid: int) -> str:
    """A short name for a process of the tree: the flow, a spawned pool worker, the Prefect server."""
    try:
        cmd = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "gone"
    if "multiprocessing" in cmd or "spawn_main" in cmd:
        return "pool worker"
    if "uvicorn" in cmd or "prefect.server" in cmd:
        return "prefect server"
    return cmd.split(" ")[0].rsplit("/", 1)[-1] + (" " + cmd.split(" ")[1] if " " in cmd else "")


def tree_rss_kb(root: int) -> tuple[int, int, dict[int, int]]:
    """(summed VmRSS in kB, number of processes, pid → kB) of root's tree now."""
    pids = descendants(root)
    each = {p: rss_kb(p) for p in pids}
    return sum(each.values()), len(pids), each


def mem_available_mb() -> float:
    """MemAvailable of the machine (what can still be allocated without swapping or OOM)."""
    for line in (PROC / "meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


#: below this much available memory the measured tree is killed: the machine is shared, and an OOM
#: kill would hit other people's processes too. The run is then reported as killed by the guard.
GUARD_MB = 3000


def _by_kind(each: dict[int, int], names: dict[int, str]) -> dict[str, float]:
    parts: dict[str, float] = {}
    for pid, kb in each.items():
        parts[names[pid]] = round(parts.get(names[pid], 0) + kb / 1024, 1)
    return parts


class TreeSampler:
    """Samples a process tree in a daemon thread until stopped; keeps the peak sum, guards memory."""

    def __init__(self, root: int, interval: float = 0.05, guard_mb: float = GUARD_MB) -> None:
        self.root, self.interval, self.guard_mb = root, interval, guard_mb
        self.guard_tripped = False
        self.peak_kb = 0
        self.peak_procs = 0
        self.peak_parts: dict[str, float] = {}
        self.peak_pss_kb = 0
        self.peak_pss_parts: dict[str, float] = {}
        self.cpu_seen: dict[int, tuple[str, float]] = {}  # pid → (kind, CPU s at its last sample)
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            total, procs, each = tree_rss_kb(self.root)
            self.samples += 1
            names = {pid: self.cpu_seen[pid][0] if pid in self.cpu_seen else
                     ("root" if pid == self.root else _kind(pid)) for pid in each}
            if total > self.peak_kb:
                self.peak_kb, self.peak_procs = total, procs
                self.peak_parts = _by_kind(each, names)
            if self.samples % 4 == 0:  # PSS walks page tables: sample it at a fifth of a second
                pss = {pid: pss_kb(pid) for pid in each}
                if sum(pss.values()) > self.peak_pss_kb:
                    self.peak_pss_kb, self.peak_pss_parts = sum(pss.values()), _by_kind(pss, names)
            for pid in each:
                spent = cpu_s(pid)
                if spent:
                    self.cpu_seen[pid] = (names[pid], spent)
            if self.guard_mb and self.samples % 10 == 0 and mem_available_mb() < self.guard_mb:
                self.guard_tripped = True
                for pid in reversed(descendants(self.root)):  # our own tree only, children first
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        if PROC.is_dir():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def cpu_parts(self) -> dict[str, float]:
        """CPU seconds by kind of process, as last sampled (a process's final ~50 ms may be missed)."""
        parts: dict[str, float] = {}
        for kind, spent in self.cpu_seen.values():
            parts[kind] = round(parts.get(kind, 0) + spent, 1)
        return parts


@dataclass
class Measured:
    """One measured command: exit code, wall seconds, peak tree RSS, and its output."""

    returncode: int
    wall_s: float
    peak_rss_mb: float
    peak_procs: int
    peak_parts: dict[str, float]  # MB by kind of process (root, pool worker, prefect server …) at the peak
    cpu_s: float  # user + system CPU of the whole tree (every waited-for descendant)
    guard_tripped: bool  # killed because the machine ran short of memory
    stdout: str
    stderr: str
    peak_pss_mb: float = 0.0  # the tree's peak summed PSS (shared pages counted once)
    peak_pss_parts: dict[str, float] | None = None
    cpu_parts: dict[str, float] | None = None  # CPU seconds by kind of process


def run_measured(cmd: list[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
                 timeout: float | None = None) -> Measured:
    """Run `cmd` as a subprocess (with exactly `env`, default: ours), sampling its tree's memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    with TreeSampler(proc.pid) as sampler:
        out, err = proc.communicate(timeout=timeout)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(proc.returncode, round(wall, 3), round(sampler.peak_kb / 1024, 1), sampler.peak_procs,
                    sampler.peak_parts, round(cpu, 2), sampler.guard_tripped, out, err,
                    round(sampler.peak_pss_kb / 1024, 1), sampler.peak_pss_parts, sampler.cpu_parts())
