"""`ecampus quickstart` runs a worker beside the server: mail goes out with no other command."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_quickstart_sends_a_password_reset_mail(tmp_path):
    ecampus = shutil.which("ecampus", path=str(Path(sys.executable).parent))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ECAMPUS_", "DATABASE_URL", "SECRET_KEY"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    env["ECAMPUS_MAIL_OUTBOX"] = str(tmp_path / "outbox")
    port = free_port()
    env["ECAMPUS_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([ecampus, "quickstart", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    base = f"http://127.0.0.1:{port}"
    try:
        page = None
        for _ in range(300):
            try:
                with opener.open(f"{base}/account/reset", timeout=2) as response:
                    page = response.read().decode()
                    break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.2)
        assert page is not None, "the quickstart did not serve the site"
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "email": "learner@example.org"})
        with opener.open(f"{base}/account/reset", data=form.encode(), timeout=10):
            pass
        mails: list[Path] = []
        for _ in range(150):
            mails = list((tmp_path / "outbox").glob("*.eml"))
            if mails:
                break
            time.sleep(0.2)
        assert len(mails) == 1 and "learner@example.org" in mails[0].read_text()
    finally:
        server.terminate()
        server.wait(timeout=10)
