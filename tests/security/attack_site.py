"""The site an attacker meets, as a test sees it: its address, its portal, and what a page
of it hands a visitor (its snippet's settings)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import requests

from billflow_core.portal import Portal
from billflow_core.web import embed_snippet
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

SECRET = "attacked-site-secret-0123456789"


@dataclass
class Target:
    url: str
    portal: Portal
    sandbox: Sandbox
    ids: dict[str, Any]

    def page(self, identity: str | None = DEMO_EMAIL, **page: Any) -> dict[str, Any]:
        """The settings a page of this site gives its visitor, as the browser gets them."""
        snippet = str(embed_snippet(self.portal, identity, **page))
        found = re.search(r"data-billflow-settings>(.*?)</script>", snippet)
        assert found, snippet
        settings: dict[str, Any] = json.loads(found[1])
        return settings

    def act(self, action: str, payload: dict[str, Any], headers: dict[str, str],
            key: str = "attack-intent-0001") -> requests.Response:  # fmt: skip
        return requests.post(
            f"{self.url}/billflow/api/actions/{action}",
            json=payload,
            headers={"Idempotency-Key": key, **headers},
            timeout=10,
        )

    def writes(self) -> int:
        return len(self.sandbox.writes())
