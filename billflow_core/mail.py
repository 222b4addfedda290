"""Sending email: a `Mailer` is anything with `send(message)`. The SMTP one here is built from
`BILLFLOW_SMTP_*` config; a plugin passes its framework's mail instead (Django's, Flask-Mail).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any, Protocol

from .errors import SettingsError

__all__ = ["Mailer", "SMTPMailer"]


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Send `message` (its To and From are set); raise on failure."""
        ...


class SMTPMailer:
    """Sends each message over a new SMTP connection (sign-in emails are rare)."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        """`tls_context`: how STARTTLS checks the server (by default the system's trusted
        certificates, with its host name); a relay with a private certificate authority
        gives one that trusts it (`BILLFLOW_SMTP_CA_FILE`)."""
        self.host = host
        self.port = port
        self._username = username
        self._password = password
        self.starttls = starttls
        self.timeout = timeout
        self._tls_context = tls_context

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SMTPMailer | None:
        """The mailer `BILLFLOW_SMTP_HOST`, `_PORT`, `_USERNAME`, `_PASSWORD`, `_STARTTLS`
        and `_CA_FILE` describe, or None without a host. Raises `SettingsError`."""
        host = config.get("BILLFLOW_SMTP_HOST")
        if not host:
            return None
        try:
            port = int(config.get("BILLFLOW_SMTP_PORT") or 25)
        except (TypeError, ValueError):
            raise SettingsError(
                "BILLFLOW_SMTP_PORT must be a port number", param="BILLFLOW_SMTP_PORT"
            ) from None
        starttls = str(config.get("BILLFLOW_SMTP_STARTTLS") or "").lower() in {
            "1", "true", "yes", "on"
        }  # fmt: skip
        ca_file = config.get("BILLFLOW_SMTP_CA_FILE") or None
        if ca_file and not starttls:
            raise SettingsError(
                "BILLFLOW_SMTP_CA_FILE is for the STARTTLS check: set BILLFLOW_SMTP_STARTTLS "
                "to true too, or the password goes unencrypted",
                param="BILLFLOW_SMTP_CA_FILE",
            )
        try:
            context = ssl.create_default_context(cafile=ca_file) if ca_file else None
        except (OSError, ssl.SSLError) as error:
            raise SettingsError(
                f"BILLFLOW_SMTP_CA_FILE: {ca_file} is not a readable PEM file ({error})",
                param="BILLFLOW_SMTP_CA_FILE",
            ) from None
        return cls(
            str(host),
            port,
            username=config.get("BILLFLOW_SMTP_USERNAME") or None,
            password=config.get("BILLFLOW_SMTP_PASSWORD") or None,
            starttls=starttls,
            tls_context=context,
        )

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=self._tls_context or ssl.create_default_context())
            if self._username:
                smtp.login(self._username, self._password or "")
            smtp.send_message(message)
