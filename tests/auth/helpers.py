"""Steps the account tests share: signing up, and reading the links that mail carries."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path

from tests.conftest import PASSWORD


def signup(client, **overrides):
    """Submit the sign-up form with good values, some replaced."""
    data = {"email": "ana@example.org", "full_name": "Ana María Núñez",
            "password": PASSWORD, "confirm": PASSWORD, "language": "es"}
    data.update(overrides)
    return client.submit("/account/signup", data)


def mails(outbox: Path, to: str | None = None) -> list[dict]:
    """Every message in the outbox (oldest first), or those to one address."""
    found = []
    for path in sorted(outbox.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name)):
        message = message_from_bytes(path.read_bytes(), policy=default)
        found.append({"to": message["To"], "subject": message["Subject"],
                      "body": message.get_body().get_content()})
    return [m for m in found if to is None or m["to"] == to]


def link(body: str, prefix: str) -> str:
    """The path of the first link in `body` under `prefix`, as the test client follows it."""
    match = re.search(r"http://localhost(" + re.escape(prefix) + r"\S*)", body)
    assert match, f"no {prefix} link in:\n{body}"
    return match.group(1)


def reset_link(outbox: Path, to: str | None = None) -> str:
    """The newest password-reset link mailed (to `to`, when given)."""
    sent = [m for m in mails(outbox, to) if "/account/reset/" in m["body"]]
    assert sent, "no reset mail was written"
    return link(sent[-1]["body"], "/account/reset/")


def confirmation_link(outbox: Path, to: str = "ana@example.org") -> str:
    """The newest sign-up confirmation link mailed to `to`."""
    sent = [m for m in mails(outbox, to) if "/account/signup/" in m["body"]]
    assert sent, f"no confirmation mail to {to}"
    return link(sent[-1]["body"], "/account/signup/")


def confirm_signup(client, outbox: Path, to: str = "ana@example.org"):
    """Open the confirmation link from the mail and press its button."""
    path = confirmation_link(outbox, to)
    assert client.get(path).status_code == 200
    response = client.submit(path)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    client._csrf = None  # the session was rotated
    return response
