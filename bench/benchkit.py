"""Measuring helpers shared by the benchmark scripts: wall time, CPU time and peak memory.

* :class:`TreeSampler` samples, every 0.2 s, the resident memory of this process plus every
  live descendant (found through ``/proc/<pid>/task/*/children``), so the memory of
  subprocesses (the dbt CLI, forecast worker processes) counts while they run.
* :class:`StageMeter` measures one stage: wall time, CPU time (this process, the children it
  waited for and the live descendants' time so far: :func:`cpu_seconds`) and peak memory. At
  the start of each stage it resets the kernel's high-water mark of this process (writing ``5`` to
  ``/proc/self/clear_refs``), so ``VmHWM`` at the end is the stage's own exact peak rather than
  the process's peak so far; the sampled process-tree peak is reported when it is higher.
* :func:`run_phase` runs one phase in a child process and returns its JSON result with its
  wall time, CPU time and maximum resident set size (``os.wait4``).
* :func:`machine` and :func:`load_average` describe where the figures came from: on a shared
  machine wall times are provisional whenever the load average exceeds the cores.
* :func:`speed_probe` times a fixed workload in CPU seconds. On the shared 2-core VM the CPU
  time of the same work is not constant either: on 2026-11-24 one monthly re-plan of the same
  commit took 75.1 s of CPU at 01:20 and 59.9 s at 01:25, every stage alike, with the load
  average under 1 both times (the host, not this machine, was busy). The probe's ratio to the
  baseline's probe tells whether a slower phase may be the machine's doing. It is a flag, not
  an exact correction. Slow spells come and go within a phase (a `large` month took 74 s of
  CPU and, replayed an hour later, 55 s, with the same probe before and after; single probes
  take either ~0.115 s or ~0.19 s), so :func:`run_phase` also takes one probe every
  ``PROBE_INTERVAL_S`` while the child runs.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# Every sample walks /proc for the whole process tree in a thread of the measured process,
# and takes the GIL from it: at 0.05 s the sampler itself cost ~2.5 s of CPU per default month
# (py-spy). A stage's own peak is its VmHWM anyway; only child processes are sampled, and the
# shortest of those (dbt, the forecast workers) run for seconds.
SAMPLE_INTERVAL_S = 0.2
_PAGE_MB = resource.getpagesize() / 2**20
# The probe's workload: interpreter work (Dagster, dbt's Python and pandas' glue are most of a
# re-plan's CPU time) and a native sort (DuckDB's and numpy's share). About 0.12 s of CPU on the
# 2-core machine; a probe before or after a phase keeps the median of PROBE_REPEATS runs.
PROBE_LOOP = 1_500_000
PROBE_SORT = 1_000_000
PROBE_REPEATS = 5
# While a phase runs, one single probe this often: 0.12 s of CPU every 10 s, about 1% of a core.
PROBE_INTERVAL_S = 10.0
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Measure:
    """Wall time, CPU time and peak resident memory of one stage or phase."""

    wall_s: float
    cpu_s: float
    peak_mb: float

    def to_dict(self) -> dict[str, float]:
        """The measure as a JSON-ready dict, rounded."""
        return {key: round(value, 3) for key, value in asdict(self).items()}

    @staticmethod
    def combine(measures: Sequence[Measure]) -> Measure:
        """Stages run one after the other: times add up, the peak is the highest peak."""
        return Measure(
            wall_s=sum(m.wall_s for m in measures),
            cpu_s=sum(m.cpu_s for m in measures),
            peak_mb=max((m.peak_mb for m in measures), default=0.0),
        )


def _status_kb(pid: int | str, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            text = status.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process now, in MB (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * _PAGE_MB
    except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
        return 0.0


def hwm_mb() -> float:
    """This process's resident high-water mark (``VmHWM``) in MB."""
    return _status_kb("self", "VmHWM") / 1024


def reset_hwm() -> bool:
    """Reset this process's high-water mark to its current RSS; False where Linux refuses."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (children of all its threads, recursively)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            threads = os.listdir(f"/proc/{parent}/task")
        except (FileNotFoundError, PermissionError):
            continue
        for thread in threads:
            try:
                with open(f"/proc/{parent}/task/{thread}/children", encoding="ascii") as file:
                    children = [int(child) for child in file.read().split()]
            except (FileNotFoundError, PermissionError, ProcessLookupError):
                continue
            found += children
            pending += children
    return found


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of all its descendants so far.

    The children it has waited for, plus every live descendant's own time and that of the
    children it waited for: a process that outlives a stage (the forecast workers a backfill
    keeps from month to month) is counted in the stages it works in, not in the one in which
    it happens to exit.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    live = sum(_process_cpu_seconds(pid) for pid in descendants(os.getpid()))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + live


def _process_cpu_seconds(pid: int) -> float:
    """The CPU seconds of ``pid`` and its waited-for children (0 once gone), from /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as file:
            stat = file.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state is fields[0]
    return sum(int(ticks) for ticks in fields[11:15]) / _CLOCK_TICKS


class TreeSampler:
    """Samples the resident memory of this process and its descendants in a daemon thread.

    ``peak_mb`` is the highest sum seen since the sampler started; named windows
    (:meth:`reset_window`, :meth:`window_peak`) give the highest sum since their last reset,
    so nested measurements (a month and its steps) each have their own peak.
    """

    def __init__(self, interval_s: float = SAMPLE_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self.peak_mb = 0.0
        self._windows: dict[str, float] = {}
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)

    def sample(self) -> float:
        """Take one sample now; return the tree's resident memory in MB."""
        total = rss_mb(self._pid) + sum(rss_mb(child) for child in descendants(self._pid))
        with self._lock:
            self.peak_mb = max(self.peak_mb, total)
            for name, peak in self._windows.items():
                self._windows[name] = max(peak, total)
        return total

    def reset_window(self, name: str) -> None:
        """Start window ``name`` afresh (a new stage)."""
        with self._lock:
            self._windows[name] = 0.0
        self.sample()

    def window_peak(self, name: str) -> float:
        """The highest sample since window ``name`` was last reset."""
        with self._lock:
            return self._windows.get(name, 0.0)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def __enter__(self) -> TreeSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


class StageMeter:
    """Measures consecutive stages of this process (see the module docstring).

    Meters may nest (a month and its steps): each has its own sampler window, and the inner
    one resets the high-water mark, so an outer meter should take the highest of its inner
    stages' peaks and its own.
    """

    def __init__(self, sampler: TreeSampler, name: str = "stage") -> None:
        self.sampler = sampler
        self.name = name
        self._wall = 0.0
        self._cpu = 0.0

    def start(self) -> None:
        """Begin a stage: reset the high-water mark and the sampler's window."""
        reset_hwm()
        self.sampler.reset_window(self.name)
        self._wall = time.perf_counter()
        self._cpu = cpu_seconds()

    def stop(self) -> Measure:
        """End the stage and return its measure."""
        wall = time.perf_counter() - self._wall
        cpu = cpu_seconds() - self._cpu
        now = self.sampler.sample()
        peak = max(hwm_mb(), self.sampler.window_peak(self.name), now)
        return Measure(wall, cpu, peak)


@dataclass(frozen=True)
class PhaseResult:
    """What a child-process phase returned and cost."""

    result: dict[str, Any]
    measure: Measure
    probes: tuple[float, ...] = ()


def python_env(pycache: Path | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child Python process, with a bytecode cache when ``pycache`` is set.

    This machine sets ``PYTHONDONTWRITEBYTECODE=1``, so without a cache every process compiles
    every module it imports from source again (dagster, pandas, GX, dbt, ...: about 4 s of CPU
    per process start on the 2-core machine). A normal install (pip, or ``uv sync
    --compile-bytecode``) has the bytecode; ``PYTHONPYCACHEPREFIX`` gives the benchmark the
    same without writing into the virtual environment. Children (dbt, forecast workers)
    inherit it.
    """
    env = {**os.environ, **(extra or {})}
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def run_phase(
    script: Path,
    arguments: Sequence[str],
    out: Path,
    env: Mapping[str, str] | None = None,
    probe: bool = False,
) -> PhaseResult:
    """Run ``script --out OUT ARGUMENTS`` in a child process; read the JSON it wrote to ``out``.

    With ``probe``, a :class:`ProbeSampler` times the machine's speed while the child runs.

    Raises:
        SystemExit: when the child fails (its output has already been shown).
    """
    command = [sys.executable, str(script), *arguments, "--out", str(out)]
    sampler = ProbeSampler() if probe else None
    started = time.perf_counter()
    child = subprocess.Popen(command, env=dict(env) if env is not None else None)
    if sampler is not None:
        sampler.start()
    try:
        _, status, usage = os.wait4(child.pid, 0)
    finally:
        if sampler is not None:
            sampler.stop()
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"phase failed (exit {os.waitstatus_to_exitcode(status)}): {command}")
    result = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    # Linux reports ru_maxrss in KiB; for wait4 it is the child's own peak or that of the
    # largest process it waited for, whichever is higher (not their sum: see TreeSampler).
    cpu = usage.ru_utime + usage.ru_stime
    probes = tuple(sampler.samples) if sampler is not None else ()
    return PhaseResult(result, Measure(wall, cpu, usage.ru_maxrss / 1024), probes)


def speed_probe(repeats: int = PROBE_REPEATS) -> float:
    """CPU seconds of a fixed workload now (median of ``repeats`` runs): lower is faster."""
    import numpy as np

    values = np.random.default_rng(0).random(PROBE_SORT)
    times = []
    for _ in range(repeats):
        started = time.process_time()
        total = 0
        for i in range(PROBE_LOOP):
            total += i * i % 7
        np.sort(values, kind="quicksort")
        times.append(time.process_time() - started)
    return sorted(times)[len(times) // 2]


class ProbeSampler:
    """One :func:`speed_probe` run every ``interval_s`` in a thread, from ``start`` to ``stop``.

    Meant for a process that only waits for a child meanwhile, so that the process's CPU time
    is the probe's. How fast that CPU time passes still depends on what else runs on the
    cores, the child included: on a quiet host the probes taken during a `default` month were
    up to 6% slower than those before and after it.
    """

    def __init__(self, interval_s: float = PROBE_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self.samples: list[float] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="speed-probe", daemon=True)

    def start(self) -> None:
        """Start sampling (the first sample after one interval)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling; a probe under way is finished first."""
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self.interval_s):
            self.samples.append(speed_probe(repeats=1))


def load_average() -> float:
    """The one-minute load average."""
    return os.getloadavg()[0]


def machine() -> dict[str, Any]:
    """CPU model, cores, memory, Python and OS of this machine."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory_gb = _status_meminfo_kb("MemTotal") / 2**20
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_gb, 1),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def _status_meminfo_kb(field: str) -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            match = re.search(rf"^{field}:\s+(\d+) kB", meminfo.read(), re.MULTILINE)
    except OSError:
        return 0
    return int(match.group(1)) if match else 0


def describe_machine(info: Mapping[str, Any]) -> str:
    """One line for the machine of :func:`machine`."""
    return (
        f"{info['cores']} cores ({info['cpu']}), {info['memory_gb']:.0f} GB RAM, "
        f"Python {info['python']}, {info['os']}"
    )
