"""A real SMTP server on loopback (aiosmtpd) that tests can slow, refuse or stop."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from functools import cached_property
from typing import TYPE_CHECKING

from aiosmtpd.controller import Controller

from tests.support.processes import free_port

if TYPE_CHECKING:
    from collections.abc import Callable
    from email.message import EmailMessage


@dataclass
class Received:
    to: list[str]
    data: bytes
    peer: tuple  # the client's address: one per SMTP connection
    at: float  # time.monotonic() when the server accepted it

    @cached_property
    def message(self) -> EmailMessage:
        # Parsed on first use, so the server stays fast enough to benchmark.
        return message_from_bytes(self.data, policy=policy.default)

    @property
    def subject(self) -> str:
        return self.message["Subject"]

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None, "the message has no text part"
        return part.get_content()

    @property
    def html(self) -> str | None:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part else None

    @property
    def raw(self) -> str:
        return self.message.as_string()


class Mailbox:
    """Collects every accepted message; `reply` and `delay` shape the answers."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self.attempts = 0
        self.reply: str | None = None  # e.g. "451 4.3.0 Try again later"
        self.delay = 0.0
        # Called with each accepted message, before the client hears "250".
        self.on_accept: Callable[[Received], None] | None = None
        self._changed = threading.Condition()
        self._controller: Controller | None = None

    # aiosmtpd handler hook
    async def handle_DATA(  # noqa: N802 (aiosmtpd's name for the hook)
        self, server, session, envelope
    ) -> str:
        self.attempts += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply:
            return self.reply
        received = Received(
            list(envelope.rcpt_tos),
            envelope.original_content,
            session.peer,
            time.monotonic(),
        )
        with self._changed:
            self.received.append(received)
            self._changed.notify_all()
        if self.on_accept is not None:
            self.on_accept(received)
        return "250 Message accepted"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def ensure_running(self) -> None:
        if self._controller is None:
            self.start()

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None

    def reset(self) -> None:
        with self._changed:
            self.received.clear()
        self.attempts = 0
        self.reply = None
        self.delay = 0.0
        self.on_accept = None

    def recipients(self) -> list[str]:
        return [address for r in self.received for address in r.to]

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.to]

    def wait_for(self, count: int = 1, *, to: str | None = None, timeout: float = 20):
        """Block until `count` messages (to `address`, if given) have arrived."""

        def matching() -> list[Received]:
            return self.to(to) if to else list(self.received)

        deadline = time.monotonic() + timeout
        with self._changed:
            while len(found := matching()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    msg = (
                        f"expected {count} message(s){f' to {to}' if to else ''}, "
                        f"got {len(found)} after {timeout}s"
                    )
                    raise AssertionError(msg)
                self._changed.wait(left)
        return found
