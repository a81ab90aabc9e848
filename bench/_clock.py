"""CPU time of a benchmark's requests, which a busy machine does not inflate."""

from __future__ import annotations

import os
import time


class CpuClock:
    """CPU seconds spent by this process and by the database's server processes (for
    PostgreSQL, its backends serving `database`, read from /proc): unlike wall time, it
    does not grow when other programs share the machine's cores."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, database: str):
        self.name = database.rsplit("/", 1)[-1] if database.startswith("postgresql") else None
        self.pids: list[str] = []

    def find_backends(self) -> None:
        """Note the server processes connected to the database (after a warm-up)."""
        if self.name is None:
            return
        self.pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                        words = cmdline.read().replace(b"\0", b" ").split()
                except OSError:
                    continue
                if words[:1] == [b"postgres:"] and self.name.encode() in words[1:4]:
                    self.pids.append(entry)

    def __call__(self) -> float:
        total = time.process_time()
        for pid in self.pids:
            found = process_stat(pid)
            if found is not None:
                total += found[2]
        return total


def process_stat(pid: str) -> tuple[int, str, float] | None:
    """(parent pid, command name, CPU seconds) of a live process, from /proc; None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
    except OSError:
        return None
    name = text[text.index("(") + 1:text.rindex(")")]
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), name, (int(fields[11]) + int(fields[12])) / CpuClock.TICK


class CpuShares:
    """Where the machine's CPU went between `start()` and `stop()`: core-seconds of each
    group of processes (named by the roots of their process trees, or by the name a process
    gives itself), of the children this process ran and reaped meanwhile (under the name
    `children`), of everything else, and idle; read from /proc, to tell a slow run on a busy
    machine from a slow program."""

    def __init__(self, groups: dict[str, object], *, children: str = "reaped children"):
        #: name -> a list of root pids (their descendants count too) or a command name.
        self.groups = groups
        self.children = children
        self.shares: dict[str, float] = {}

    @staticmethod
    def _machine() -> tuple[float, float]:
        """(busy, idle) core-seconds of the whole machine since it started."""
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
        idle = fields[3] + fields[4]  # idle, iowait
        return (sum(fields[:8]) - idle) / CpuClock.TICK, idle / CpuClock.TICK

    def _processes(self) -> dict[int, tuple[int, str, float]]:
        """pid -> (parent pid, command name, CPU seconds) of every live process."""
        found = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (stat := process_stat(entry)) is not None:
                found[int(entry)] = stat
        return found

    def _by_group(self) -> dict[str, float]:
        processes = self._processes()
        totals = dict.fromkeys(self.groups, 0.0)
        for pid, (_parent, name, seconds) in processes.items():
            for group, roots in self.groups.items():
                if isinstance(roots, str):
                    if name == roots:
                        totals[group] += seconds
                        break
                    continue
                ancestor = pid
                while ancestor > 1 and ancestor not in roots:
                    ancestor = processes.get(ancestor, (0,))[0]
                if ancestor in roots:
                    totals[group] += seconds
                    break
        return totals

    def _children(self) -> float:
        usage = os.times()
        return usage.children_user + usage.children_system

    def start(self) -> None:
        self._start = (self._machine(), self._by_group(), self._children(), time.monotonic())

    def stop(self) -> None:
        (busy, idle), groups, children, began = self._start
        busy_now, idle_now = self._machine()
        now = self._by_group()
        self.shares = {name: now[name] - groups[name] for name in self.groups}
        self.shares[self.children] = self._children() - children
        self.shares["everything else"] = max(0.0, busy_now - busy - sum(self.shares.values()))
        self.shares["idle"] = idle_now - idle
        self.seconds = time.monotonic() - began

    def summary(self) -> str:
        cores = os.cpu_count() or 1
        parts = ", ".join(f"{name} {seconds:.0f}" for name, seconds in self.shares.items())
        return (f"CPU over the {self.seconds:.0f} s ({cores} cores, {cores * self.seconds:.0f} "
                f"core-seconds): {parts}")
