"""The sandbox's controls over HTTP, for a sandbox started from the command line:

    POST /_sandbox/latency   {"seconds": 0.05}
    POST /_sandbox/faults    {"pattern": "POST /v1/subscriptions/*", "kind": "500", "times": 2}
    GET  /_sandbox/counts    per-route request counts
    POST /_sandbox/reset     {"state": false}

Each needs the sandbox's secret key, like the API.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from .api import Api, Response, api_key_of


class Controlled(Protocol):
    """What the controls work on: the running `Sandbox`, which imports this module."""

    api: Api
    secret_key: str

    @property
    def url(self) -> str: ...

    @property
    def latency(self) -> float: ...

    @latency.setter
    def latency(self, seconds: float) -> None: ...

    def fault(
        self, pattern: str, kind: str, *, times: int = 1, seconds: float = 0.0, hold: bool = False
    ) -> Any: ...

    def counts(self) -> dict[str, int]: ...

    def reset(self, *, state: bool = False) -> None: ...


def _answer(status: int, body: Any) -> Response:
    return Response(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


def handle_control(
    sandbox: Controlled, method: str, path: str, body: bytes, headers: dict[str, str]
) -> Response:
    if path.startswith("/_sandbox/authenticate/"):
        return sandbox.api.handle(method, path, "", body, headers, sandbox.url)
    lowered = {k.lower(): v for k, v in headers.items()}
    if api_key_of(lowered) != sandbox.secret_key:
        return _answer(
            401,
            {
                "error": {
                    "type": "invalid_request_error",
                    "message": "The sandbox controls need its secret key.",
                }
            },
        )
    try:
        data = json.loads(body or b"{}")
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        if (method, path) == ("POST", "/_sandbox/latency"):
            sandbox.latency = float(data["seconds"])
        elif (method, path) == ("POST", "/_sandbox/faults"):
            sandbox.fault(
                str(data["pattern"]),
                str(data["kind"]),
                times=int(data.get("times", 1)),
                seconds=float(data.get("seconds", 0)),
            )
        elif (method, path) == ("GET", "/_sandbox/counts"):
            return _answer(200, sandbox.counts())
        elif (method, path) == ("POST", "/_sandbox/reset"):
            sandbox.reset(state=bool(data.get("state", False)))
        else:
            return _answer(
                404,
                {
                    "error": {
                        "type": "invalid_request_error",
                        "message": f"Unknown control: {method} {path}",
                    }
                },
            )
    except (KeyError, ValueError, TypeError) as error:
        return _answer(400, {"error": {"type": "invalid_request_error", "message": str(error)}})
    return _answer(200, {"ok": True})
