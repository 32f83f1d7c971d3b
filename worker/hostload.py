"""How busy the host is while something is timed (docs/design.md, "Benchmark results"): the
1-minute load average at both ends, and the CPU time every other process used meanwhile, read from
/proc/stat (all CPUs' busy time) minus this process's own CPU time (os.times). No psutil: the two
numbers come from the kernel directly, and outside Linux the second is None."""

from __future__ import annotations

import os
import time
from pathlib import Path

from app.jobs.results import HostLoad

PROC_STAT = Path("/proc/stat")
# /proc/stat's first line: cpu user nice system idle iowait irq softirq steal guest guest_nice.
# Busy = all but idle and iowait; guest time is already counted in user and nice.
_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)


def _busy_cpu_s() -> float | None:
    """Seconds of CPU time spent busy by every process on every CPU since boot."""
    try:
        first = PROC_STAT.read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    if not first or first[0] != "cpu":
        return None
    ticks = [int(value) for value in first[1:]]
    return sum(ticks[i] for i in _BUSY_FIELDS if i < len(ticks)) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    times = os.times()
    return times.user + times.system  # every thread of this process (torch's intra-op pool too)


def _load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


class LoadProbe:
    """`start()` before timing, `stop()` after: the load between the two."""

    def __init__(self) -> None:
        self.cpus = os.cpu_count() or 1
        self._start_wall = 0.0
        self._start_own = 0.0
        self._start_busy: float | None = None
        self._start_load: float | None = None

    def start(self) -> LoadProbe:
        self._start_load = _load_average()
        self._start_busy = _busy_cpu_s()
        self._start_own = _own_cpu_s()
        self._start_wall = time.monotonic()
        return self

    def stop(self) -> HostLoad:
        wall = max(time.monotonic() - self._start_wall, 1e-9)
        own = max(_own_cpu_s() - self._start_own, 0.0)
        busy = _busy_cpu_s()
        other = None if busy is None or self._start_busy is None else max(busy - self._start_busy - own, 0.0)
        return HostLoad(
            cpus=self.cpus,
            wall_s=wall,
            load_average_start=self._start_load,
            load_average_end=_load_average(),
            own_cpu_s=own,
            other_cpu_s=other,
            other_cpu_fraction=None if other is None else min(other / (wall * self.cpus), 1.0),
        )
