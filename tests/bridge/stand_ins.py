"""Loopback stand-ins for what a no-code site's login provider serves: a JWKS document, and
Memberstack's admin REST API (`POST /members/verify-token`, `GET /members/{id}`, with the
secret key in `X-API-KEY`, answers under `data`, as its documentation shows them)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[[dict[str, str], Any], tuple[int, Any]]


class JsonServer:
    """Answers `routes[(method, path)](headers, body)` as JSON; 404 for any other path.
    `asked` counts requests per path."""

    def __init__(self, routes: dict[tuple[str, str], Handler]) -> None:
        self.routes = routes
        self.asked: dict[str, int] = {}
        server = self

        class Answer(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                server.asked[self.path] = server.asked.get(self.path, 0) + 1
                handler = server.routes.get((method, self.path))
                status, payload = (
                    handler({k.lower(): v for k, v in self.headers.items()}, body)
                    if handler
                    else (404, {"error": "not found"})
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> JsonServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def memberstack_admin(secret_key: str, members: dict[str, dict[str, Any]],
                      tokens: dict[str, tuple[str, int, str]]) -> JsonServer:  # fmt: skip
    """Memberstack's admin API for `members` (by id, in its member shape) and `tokens`
    (token → (member id, exp, app id))."""

    def authorised(headers: dict[str, str]) -> bool:
        return headers.get("x-api-key") == secret_key

    def verify(headers: dict[str, str], body: Any) -> tuple[int, Any]:
        if not authorised(headers):
            return 401, {"error": "unauthorized"}
        found = tokens.get((body or {}).get("token", ""))
        if found is None:
            return 400, {"error": "Invalid token"}
        member_id, exp, app = found
        return 200, {"data": {"id": member_id, "type": "member", "iat": exp - 3600, "exp": exp,
                              "aud": app, "iss": "https://api.memberstack.com"}}  # fmt: skip

    routes: dict[tuple[str, str], Handler] = {("POST", "/members/verify-token"): verify}
    for member_id, member in members.items():

        def get(headers: dict[str, str], body: Any, member: dict[str, Any] = member) -> Any:
            return (200, {"data": member}) if authorised(headers) else (401, {"error": "no"})

        routes[("GET", f"/members/{member_id}")] = get
    return JsonServer(routes)
