"""The script and stylesheet as the portal serves them: read from the package once and
minified (comments and spacing dropped, names kept), so the source stays readable and the
customer downloads only what runs.

rjsmin and rcssmin only remove what the languages ignore; they never rename or reorder, so
a stack trace in a browser still names the source's functions.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources

import rcssmin  # type: ignore[import-untyped]
import rjsmin  # type: ignore[import-untyped]

from .http import STATIC_FILES

__all__ = ["served", "source"]


def source(name: str) -> bytes:
    """The file as it is in the package (`STATIC_FILES` names the ones there are)."""
    if name not in STATIC_FILES:
        raise KeyError(name)
    return resources.files("billflow_core.web").joinpath("static", name).read_bytes()


@functools.cache
def served(name: str) -> tuple[bytes, str]:
    """The file as the portal sends it, and its ETag (the first 16 hex digits of its
    SHA-256): the same on every app server of one release."""
    text = source(name).decode()
    if name.endswith(".js"):
        text = rjsmin.jsmin(text, keep_bang_comments=False)
    elif name.endswith(".css"):
        text = rcssmin.cssmin(text, keep_bang_comments=False)
    body = str(text).encode()
    return body, hashlib.sha256(body).hexdigest()[:16]
