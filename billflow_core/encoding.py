"""The encodings Billflow's tokens and stored keys share: unpadded base64url for text that
travels in URLs and headers, and one digest of several parts (joined by NUL, so no part
can pass for two)."""

from __future__ import annotations

import base64
import hashlib

__all__ = ["b64url_decode", "b64url_encode", "digest"]


def b64url_encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def b64url_decode(text: str) -> str:
    """The text `b64url_encode` made; raises `ValueError` for anything else."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def digest(*parts: str) -> str:
    """The SHA-256 hex digest of `parts`, joined by NUL."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()
