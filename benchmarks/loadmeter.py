"""Timing on a shared machine, for the side-by-side benchmark scripts: wall time, this process's
CPU time and the cores other processes used meanwhile (from /proc/stat), so that a row timed
while the machine was busy can be flagged instead of trusted."""

from __future__ import annotations

import gc
import os
import statistics
import time


def _all_cpu_seconds():
    """CPU seconds every process has used so far (non-idle fields of /proc/stat's cpu line)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    ticks = [int(x) for x in fields[1:9]]  # user nice system idle iowait irq softirq steal
    ticks += [0] * (8 - len(ticks))
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


class LoadMeter:
    """Wall time, this process's CPU time and the other processes' average core use over a span
    (``others`` is None off Linux)."""

    def __enter__(self):
        self.all0, self.own0, self.t0 = _all_cpu_seconds(), time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        self.own = time.process_time() - self.own0
        all1 = _all_cpu_seconds()
        if self.all0 is None or all1 is None or self.wall <= 0:
            self.others = None
        else:
            self.others = max(0.0, (all1 - self.all0 - self.own) / self.wall)
        return False


def timed(fn, repeat, warmup=False):
    """(median seconds, last result, max other-process cores over the runs, median CPU/wall)."""
    if warmup:
        fn()
    times, others, util, out = [], [], [], None
    for _ in range(repeat):
        out = None
        gc.collect()
        with LoadMeter() as m:
            out = fn()
        times.append(m.wall)
        util.append(m.own / m.wall if m.wall > 0 else 0.0)
        if m.others is not None:
            others.append(m.others)
    return (statistics.median(times), out, max(others) if others else None,
            statistics.median(util))
