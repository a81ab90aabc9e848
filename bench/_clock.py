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
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / self.TICK
        return total
