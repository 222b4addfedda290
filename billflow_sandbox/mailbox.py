"""An SMTP server on loopback that keeps what it receives: the mail side of the sandbox.

Email sign-in sends real mail; tests and `billflow demo` point `BILLFLOW_SMTP_HOST` and
`_PORT` here and read the messages back, so the whole flow runs offline over real SMTP.
It is aiosmtpd underneath (the `demo` and `dev` extras install it).
"""

from __future__ import annotations

import email
import email.policy
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

__all__ = ["Mail", "Mailbox", "MailboxUnavailable"]


class MailboxUnavailable(RuntimeError):
    """aiosmtpd is not installed; the message says how to install it."""


@dataclass(frozen=True)
class Mail:
    """One message as the server took it: who it went to, when, and the parsed message."""

    recipients: tuple[str, ...]
    received_at: float
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    def text(self) -> str:
        """The plain-text body (what a reader without HTML sees)."""
        part = self.message.get_body(("plain",))
        return part.get_content() if part is not None else ""

    def html(self) -> str:
        part = self.message.get_body(("html",))
        return part.get_content() if part is not None else ""


class Mailbox:
    """Start it, send mail to `host`:`port`, read `messages`. Safe across threads."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        on_mail: Callable[[Mail], None] | None = None,
        tls_context: ssl.SSLContext | None = None,
        logins: Mapping[str, str] | None = None,
    ) -> None:
        """`tls_context`: offer STARTTLS with it, and take no mail before it. `logins`: the
        user names and passwords AUTH accepts (over TLS where it is offered); with them,
        no mail is taken before a login. Either way the server behaves as a relay a site's
        mail provider runs, so a mailer that skips a step is refused."""
        try:
            from aiosmtpd.controller import Controller
        except ImportError:
            raise MailboxUnavailable(
                "the sandbox's mail server needs aiosmtpd: pip install 'billflow[demo]'"
            ) from None
        self._controller_class = Controller
        self._wanted = (host, port)
        self._on_mail = on_mail
        self._lock = threading.Condition()
        self._messages: list[Mail] = []
        self._controller: Any = None
        self._tls = tls_context
        self._logins = dict(logins) if logins is not None else None
        self.logins_used: list[str] = []  # each user name that logged in, in order
        self.host = host
        self.port = port

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> Any:
        """aiosmtpd's authenticator: a user name and password of `logins`."""
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if not isinstance(auth_data, LoginPassword) or self._logins is None:
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        if self._logins.get(user) != password:
            return AuthResult(success=False, handled=False)
        with self._lock:
            self.logins_used.append(user)
        return AuthResult(success=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd's hook: keep the message, answer 250."""
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        mail = Mail(tuple(envelope.rcpt_tos), time.time(), parsed)
        with self._lock:
            self._messages.append(mail)
            self._lock.notify_all()
        if self._on_mail is not None:
            self._on_mail(mail)
        return "250 Message accepted"

    def start(self) -> Mailbox:
        host, port = self._wanted
        if port == 0:
            port = _free_port(host)
        options: dict[str, Any] = {}
        if self._tls is not None:
            options.update(tls_context=self._tls, require_starttls=True)
        if self._logins is not None:
            options.update(authenticator=self._authenticate, auth_required=True,
                           auth_require_tls=self._tls is not None)  # fmt: skip
        self._controller = self._controller_class(self, hostname=host, port=port, **options)
        self._controller.start()
        self.host, self.port = host, port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Mailbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def messages(self) -> list[Mail]:
        """Every message so far, oldest first (a copy)."""
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def wait_for(self, recipient: str, *, count: int = 1, timeout: float = 10.0) -> list[Mail]:
        """The messages to `recipient` once there are `count` of them; `TimeoutError` when
        they do not come in `timeout` seconds."""
        wanted = recipient.lower()
        ends = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [m for m in self._messages if wanted in (r.lower() for r in m.recipients)]
                if len(found) >= count:
                    return found
                left = ends - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{count} message(s) to {recipient} did not arrive")
                self._lock.wait(left)


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
