"""The README's first command ends in `ecampus quickstart`: it must prepare a working site."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
