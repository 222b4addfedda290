"""Who may frame a page that carries a visitor's hash: the page's own origin, and the
origins a site adds with `BILLFLOW_FRAME_ANCESTORS`. Only such pages get the policy; the
host site's other pages keep whatever headers the site gives them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from ..errors import SettingsError

__all__ = ["SETTING", "checked_frame_ancestors", "with_frame_ancestors"]

SETTING = "BILLFLOW_FRAME_ANCESTORS"


def checked_frame_ancestors(value: Any) -> tuple[str, ...]:
    """The origins of `BILLFLOW_FRAME_ANCESTORS` (a list of `https://host[:port]`), or
    `SettingsError` naming the setting: a path, a wildcard or a stray `;` would widen or break
    the policy without anyone noticing."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise SettingsError(
            f"{SETTING} must be a list of origins, such as ['https://example.com']",
            param=SETTING,
        )
    origins = []
    for origin in value:
        parts = urlsplit(origin) if isinstance(origin, str) else None
        if (
            parts is None
            or parts.scheme not in ("https", "http")
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or parts.username
            or any(c in origin for c in " ;,'\"*")
        ):
            raise SettingsError(
                f"{SETTING}: {origin!r} is not an origin like https://example.com", param=SETTING
            )
        origins.append(origin)
    return tuple(origins)


def with_frame_ancestors(policy: str | None, origins: Iterable[str] = ()) -> str:
    """`policy` (the page's Content-Security-Policy, if any) with `frame-ancestors 'self'`
    and `origins` appended; a `frame-ancestors` the site set itself is left as it is."""
    directive = " ".join(("frame-ancestors", "'self'", *origins))
    existing = [part.strip() for part in (policy or "").split(";") if part.strip()]
    if any(part.split()[0].lower() == "frame-ancestors" for part in existing):
        return "; ".join(existing)
    return "; ".join((*existing, directive))
