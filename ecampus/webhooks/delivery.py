"""Sending one signed event to an endpoint: addresses checked, no redirects, short timeouts.

Plain functions over plain values, with no database: `check_url` says whether an address may
be registered, `resolve` whether it may be reached now (the name is resolved once and the
connection made to the address that was checked, so a name cannot turn private between the
check and the request), and `post` sends the body signed in the manner of Standard Webhooks.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

#: How much of a receiver's answer is kept for the manager to read.
RESPONSE_KEPT = 1000
USER_AGENT = "E-Campus-Webhooks/1"


class AddressRefused(Exception):
    """An endpoint's address may not be used; the message says why (for the manager)."""


@dataclass(frozen=True)
class Answer:
    """What the receiver said: its status and the start of its body."""

    status: int
    body: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def check_url(url: str, *, allow_private: bool) -> str:
    """The address as it will be used, or AddressRefused: https only (http too when private
    addresses are allowed), a host, no user name or password, no fragment, and no literal
    private, loopback or link-local address."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise AddressRefused("it is not a valid address") from None
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in schemes:
        raise AddressRefused("it must start with https://")
    if not parts.hostname:
        raise AddressRefused("it has no host name")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("it must not contain a user name or password")
    if parts.fragment or any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise AddressRefused("it must not contain spaces, control characters or a fragment")
    if not allow_private:
        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            literal = None
        if parts.hostname.rstrip(".").lower() == "localhost" or (
                literal is not None and not _public(literal)):
            raise AddressRefused("it points to a private or local address")
    return url


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to for `host`, or AddressRefused when the name does not
    resolve or any of its addresses is private, loopback, link-local or reserved."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise AddressRefused("its host name does not resolve") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise AddressRefused("its host name does not resolve")
    if not allow_private and not all(_public(ipaddress.ip_address(a.split("%")[0]))
                                     for a in addresses):
        raise AddressRefused("it resolves to a private or local address")
    return addresses[0]


def signed_headers(secret: str, event_id: str, timestamp: datetime, body: bytes) -> dict:
    """The Standard Webhooks headers for one attempt: id, timestamp (Unix seconds) and
    `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`."""
    signature = Webhook(secret).sign(event_id, timestamp, body)
    return {"webhook-id": event_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": signature}


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the name resolves to by then."""

    def __init__(self, host, port, *, address, connect_timeout, read_timeout):
        super().__init__(host, port, timeout=connect_timeout)
        self._address, self._read_timeout = address, read_timeout

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.settimeout(self._read_timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address, connect_timeout, read_timeout):
        super().__init__(host, port, timeout=connect_timeout,
                         context=ssl.create_default_context())
        self._address, self._read_timeout = address, read_timeout

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
        self.sock.settimeout(self._read_timeout)


def post(url: str, body: bytes, headers: dict, *, allow_private: bool,
         connect_timeout: float = 5, read_timeout: float = 5) -> Answer:
    """POST `body` once; redirects are answers like any other (never followed). Raises
    AddressRefused for an address that may not be reached, OSError when the connection
    fails or times out."""
    url = check_url(url, allow_private=allow_private)
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    address = resolve(parts.hostname, port, allow_private=allow_private)
    kind = _PinnedHTTPSConnection if secure else _PinnedHTTPConnection
    connection = kind(parts.hostname, port, address=address, connect_timeout=connect_timeout,
                      read_timeout=read_timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers={
            **headers, "Content-Type": "application/json", "User-Agent": USER_AGENT})
        response = connection.getresponse()
        text = response.read(RESPONSE_KEPT).decode("utf-8", "replace")
        return Answer(response.status, text)
    except http.client.HTTPException as error:
        raise OSError(f"the receiver's answer is not HTTP ({type(error).__name__})") from None
    finally:
        connection.close()
