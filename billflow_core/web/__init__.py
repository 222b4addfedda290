"""The portal on the web: its HTTP API (framework-free, and as a WSGI app), the page it
serves, and the snippet that embeds it."""

from __future__ import annotations

from .api import DEFAULT_PREFIX, PortalAPI
from .embed import SignInNeeded, embed_snippet, portal_or_sign_in
from .http import Request, Response
from .wsgi import make_wsgi_app

__all__ = [
    "DEFAULT_PREFIX",
    "PortalAPI",
    "Request",
    "Response",
    "SignInNeeded",
    "embed_snippet",
    "make_wsgi_app",
    "portal_or_sign_in",
]
