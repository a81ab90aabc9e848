"""Real browsers against the live server, for tests of concurrent requests.

The Flask test client runs one request at a time; these send real HTTP from real threads, so
the database (row locks, conditional updates, unique keys) is what decides each race.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

from tests.conftest import PASSWORD

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's browser: its cookies, and forms sent with the page's CSRF token.
    Redirects are returned, not followed, so each status is seen."""

    def __init__(self, base: str):
        self.base = base
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())
        self._token: str | None = None
        self.page = ""

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        """(status, Location, body) of a GET, or of a POST when `data` is given."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self._opener.open(self.base + path, data=body, timeout=120) as response:
                self.page = response.read().decode()
                return response.status, "", self.page
        except urllib.error.HTTPError as error:
            self.page = error.read().decode()
            return error.code, error.headers.get("Location", ""), self.page

    def get(self, path: str) -> tuple[int, str, str]:
        return self.request(path)

    def submit(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        """POST a form as the page would, with its CSRF token."""
        if self._token is None:
            self._token = _CSRF.search(self.get("/")[2]).group(1)
        return self.request(path, {"csrf_token": self._token, **(data or {})})

    def sign_in(self, email: str) -> None:
        status, _location, page = self.submit("/account/login",
                                              {"email": email, "password": PASSWORD})
        assert status == 302, page[:2000]
        self._token = None  # the session was rotated


def run_together(*actions) -> list:
    """Run the actions in threads released at the same moment; their results, in order."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, action):
        barrier.wait()
        try:
            results[index] = action()
        except Exception as error:  # noqa: BLE001 - reported by the assertions
            results[index] = error

    threads = [threading.Thread(target=run, args=(n, a)) for n, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results
