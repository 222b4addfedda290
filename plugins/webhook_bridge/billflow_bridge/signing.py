"""Standard Webhooks signatures, made when each attempt is sent.

The signed content is `{webhook-id}.{webhook-timestamp}.{body}`, HMAC-SHA256 with the
secret's bytes (the base64 after `whsec_`), sent as `v1,<base64>`; with several secrets (a
rotation) each signature is sent, space-separated, and a receiver that knows either accepts.
A signature is made at send time, never stored: receivers refuse timestamps older than a few
minutes, and a retry hours later must carry a fresh one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

__all__ = ["signature_header", "signed_headers"]


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def signature_header(secrets: Sequence[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for `body` under each of `secrets`."""
    content = f"{message_id}.{timestamp}.".encode() + body
    signatures = (
        base64.b64encode(hmac.new(_key(secret), content, hashlib.sha256).digest()).decode()
        for secret in secrets
    )
    return " ".join(f"v1,{signature}" for signature in signatures)


def signed_headers(
    secrets: Sequence[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, message_id, timestamp, body),
    }
