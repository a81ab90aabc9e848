"""Noticing that an author saved a file: a fingerprint of the folder, polled by a thread.

Polling sizes and modification times works the same on every laptop and file system,
offline, with no dependency; a course folder has tens of files, so a poll costs nothing.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

POLL_SECONDS = 0.5


def folder_fingerprint(root: Path) -> str:
    """A digest of every file's path, size and modification time under `root`."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        try:
            stat = path.stat()
        except OSError:  # removed while we looked: the next poll sees the folder settled
            continue
        if path.is_file():
            digest.update(f"{path.relative_to(root).as_posix()}\0{stat.st_size}\0"
                          f"{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def watch(root: Path, on_change: Callable[[], None], stop: threading.Event, *,
          interval: float = POLL_SECONDS) -> None:
    """Call `on_change` each time the folder's fingerprint changes, until `stop` is set."""
    seen = folder_fingerprint(root)
    while not stop.wait(interval):
        current = folder_fingerprint(root)
        if current != seen:
            seen = current
            on_change()


def start_watching(root: Path, on_change: Callable[[], None], *,
                   interval: float = POLL_SECONDS) -> threading.Event:
    """Watch `root` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=watch, args=(root, on_change, stop), kwargs={"interval": interval},
                     name="ecampus-preview-watch", daemon=True).start()
    return stop
