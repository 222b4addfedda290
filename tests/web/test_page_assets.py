"""The script and stylesheet the page loads: small, served with the right types, and free of
anything that would pull in more (a framework, Stripe.js before the card form opens)."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from importlib import resources
from typing import Any

import requests

BUDGET = 15 * 1024  # the target: script and stylesheet together, gzipped


def asset(name: str) -> bytes:
    return resources.files("billflow_core.web").joinpath("static", name).read_bytes()


def test_script_and_stylesheet_stay_under_15_kb_gzipped() -> None:
    sizes = {name: len(gzip.compress(asset(name), 9)) for name in ("embed.js", "portal.css")}
    assert sum(sizes.values()) < BUDGET, sizes


def test_the_script_imports_nothing_and_names_no_stripe_address() -> None:
    script = asset("embed.js").decode()
    assert not re.search(r"^\s*import\b|\brequire\(|\bimport\(", script, re.M)
    # Stripe.js comes from the address the API gives, and only when a card form opens.
    assert "js.stripe.com" not in script


def test_the_api_serves_both_with_their_types(serve: Callable[..., Any]) -> None:
    live = serve()
    for name, kind in (("embed.js", "application/javascript"), ("portal.css", "text/css")):
        answer = requests.get(f"{live.url}/billflow/{name}", timeout=10)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].startswith(kind)
        assert answer.content == asset(name)
