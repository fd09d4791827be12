"""A real SMTP server on loopback for tests that count connections: aiosmtpd
keeps every accepted message with the client's address and port, so the
number of distinct ports is the number of connections that carried mail.
`refuse` names recipients answered 550 at RCPT (one bad address); the server
stays up for the others."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    peer: tuple[str, int]
    to: list[str]
    message: email.message.EmailMessage


@dataclass
class SmtpSink:
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.controller = None

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address in sink.refuse:
                    return "550 5.1.1 No such user here"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                with sink.lock:
                    sink.received.append(
                        Received(tuple(session.peer), list(envelope.rcpt_tos), message)
                    )
                return "250 Message accepted"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def recipients(self) -> list[str]:
        with self.lock:
            return [to for item in self.received for to in item.to]

    def connections(self) -> int:
        with self.lock:
            return len({item.peer for item in self.received})
