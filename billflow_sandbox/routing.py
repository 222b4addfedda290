"""The route table: which handler answers a method and path, and which stripe-python
parameter definition its request is checked against."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import Context

JSON = dict[str, Any]
Handler = Callable[["Context", JSON], JSON]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    params: type | None
    handler: Handler
    publishable: bool
    pattern: re.Pattern[str]
    reads_only: bool = False
    implemented: frozenset[str] | None = None

    @property
    def name(self) -> str:
        """How request counts name the route: `POST /v1/subscriptions/{id}`."""
        return f"{self.method} {self.template}"


class Routes:
    """A route module's routes, added with the `route` decorator."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self,
        method: str,
        template: str,
        params: type | None,
        *,
        publishable: bool = False,
        reads_only: bool = False,
        implemented: frozenset[str] | None = None,
    ) -> Callable[[Handler], Handler]:
        """Register a handler. `publishable` routes also accept the `pk_` key, as the calls
        Stripe.js makes from a browser do; `reads_only` marks a POST that changes nothing
        (a preview), so the request log does not count it as a write. `implemented` lists
        the parameters the handler acts on; other valid Stripe parameters are refused rather
        than silently ignored."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)

        def register(handler: Handler) -> Handler:
            pattern = re.compile(f"^{regex}$")
            self.routes.append(
                Route(
                    method,
                    template,
                    params,
                    handler,
                    publishable,
                    pattern,
                    reads_only,
                    implemented,
                )
            )
            return handler

        return register


def match(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in routes:
        if route.method == method:
            found = route.pattern.match(path)
            if found:
                return route, found.groupdict()
    return None
