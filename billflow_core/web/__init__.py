"""The portal on the web: its HTTP API (framework-free, and as a WSGI app), the page it
serves, and the snippet that embeds it."""

from __future__ import annotations

from .api import DEFAULT_PREFIX, PortalAPI
from .embed import embed_snippet
from .http import Request, Response
from .wsgi import make_wsgi_app

__all__ = ["DEFAULT_PREFIX", "PortalAPI", "Request", "Response", "embed_snippet", "make_wsgi_app"]
