"""The README's first command ends in `ecampus quickstart`: it must prepare a working site."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quickstart_prepares_database_courses_and_demo_accounts(tmp_path):
    ecampus = shutil.which("ecampus", path=str(Path(sys.executable).parent))
    assert ecampus, "the ecampus console script is installed with the package"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ECAMPUS_", "DATABASE_URL", "SECRET_KEY"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    run = [ecampus, "quickstart", "--no-serve"]
    first = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300, check=False)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "admin@example.org" in first.stdout and "learner@example.org" in first.stdout
    assert "added     migration-governance-101" in first.stdout
    again = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300, check=False)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "unchanged migration-governance-101" in again.stdout


def test_quickstart_serves_the_site(tmp_path):
    ecampus = shutil.which("ecampus", path=str(Path(sys.executable).parent))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ECAMPUS_", "DATABASE_URL", "SECRET_KEY"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([ecampus, "quickstart", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        body = None
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/courses/",
                                            timeout=2) as response:
                    body = response.read().decode()
                    break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.2)
        assert body is not None, "the quickstart did not serve the site"
        assert "Introduction to Migration Governance" in body
    finally:
        server.terminate()
        server.wait(timeout=10)
