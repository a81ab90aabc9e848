"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for mail tests."""

from __future__ import annotations

import asyncio
import socket
import threading
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nobody listens on at this moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def closed_port() -> int:
    """A loopback port that refuses connections: a mail server that is down."""
    return free_port()


class Collector:
    """The server's handler: every accepted message, and the connections they came on.

    `delay` slows each message down (a slow server, to kill a worker mid-batch); addresses
    in `refuse` get a permanent 550 refusal.
    """

    def __init__(self, delay: float = 0.0, refuse: tuple[str, ...] = ()):
        self.delay = delay
        self.refuse = set(refuse)
        self.messages: list[Message] = []
        self.greetings = 0
        self._lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # smtplib greets once per connection: counting greetings counts connections.
        with self._lock:
            self.greetings += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    @property
    def connections(self) -> int:
        """How many SMTP connections were opened (each greets the server once)."""
        with self._lock:
            return self.greetings

    def recipients(self) -> list[str]:
        with self._lock:
            return [message["To"] for message in self.messages]

    def message_ids(self) -> list[str]:
        with self._lock:
            return [message["Message-ID"] for message in self.messages]


class SMTPServer:
    """An aiosmtpd server in a thread of this process, listening on 127.0.0.1."""

    def __init__(self, handler: Collector):
        self.handler = handler
        self.port = free_port()
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
