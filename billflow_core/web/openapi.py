"""The OpenAPI 3 document of the portal's HTTP API, served at `{prefix}/api/openapi.json`
and kept true by a test that runs schemathesis against the live API."""

from __future__ import annotations

from typing import Any

__all__ = ["openapi_document"]


def openapi_document(prefix: str) -> dict[str, Any]:
    error = {"$ref": "#/components/responses/Error"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Billflow portal API", "version": "1"},
        "paths": {
            f"{prefix}/api/portal": {"get": {"responses": {"200": {"description": "The portal"},
                                                           "403": error}}},
        },
        "components": {"responses": {"Error": {"description": "An error"}}},
    }  # fmt: skip
