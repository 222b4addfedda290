"""The script and stylesheet the page loads: small, served minified with the right types, and
free of anything that would pull in more (a framework, Stripe.js before the card form
opens)."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from billflow_core import i18n
from billflow_core.web.static_files import served, source

BUDGET = 13.5 * 1024  # the target: script and stylesheet together, as served, gzipped


def asset(name: str) -> bytes:
    return source(name)


def test_script_and_stylesheet_stay_under_13_5_kb_gzipped() -> None:
    sizes = {name: len(gzip.compress(served(name)[0], 9)) for name in ("embed.js", "portal.css")}
    assert sum(sizes.values()) <= BUDGET, sizes


def test_the_served_script_is_smaller_and_still_parses(tmp_path: Path) -> None:
    """Minifying keeps the script valid JavaScript (Node.js parses it without running it),
    with no comment left and the same strict-mode function around it."""
    body = served("embed.js")[0]
    assert len(body) < 0.8 * len(source("embed.js"))
    assert b"/*" not in body and b"'use strict'" in body
    script = tmp_path / "embed.js"
    script.write_bytes(body)
    node = shutil.which("node")
    assert node is not None, "the test command installs Node.js with the front-end tools"
    checked = subprocess.run([node, "--check", str(script)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_the_script_imports_nothing_and_names_no_stripe_address() -> None:
    script = asset("embed.js").decode()
    assert not re.search(r"^\s*import\b|\brequire\(|\bimport\(", script, re.M)
    # Stripe.js comes from the address the API gives, and only when a card form opens.
    assert "js.stripe.com" not in script


def test_the_api_serves_each_with_its_type(serve: Callable[..., Any]) -> None:
    live = serve()
    kinds = (("embed.js", "application/javascript"), ("portal.css", "text/css"),
             ("embed.d.ts", "application/typescript"))  # fmt: skip
    for name, kind in kinds:
        answer = requests.get(f"{live.url}/billflow/{name}", timeout=10)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].startswith(kind)
        assert answer.content == served(name)[0]


def test_the_scripts_words_for_an_unreachable_server_are_the_catalogs() -> None:
    """Before the server sent any words, the script says the network failed from its own
    table: the same texts as the catalogs, in every language they ship."""
    script = source("embed.js").decode()
    table = script[
        script.index("const OFFLINE = {") : script.index("};", script.index("const OFFLINE"))
    ]
    for language in i18n.LANGUAGES:
        texts = i18n.catalog(language)
        key = f'"{language}"' if "-" in language else language
        words = [texts["error.network"], texts["portal.retry"]]
        row = f"{key}: {json.dumps(words, ensure_ascii=False)}"
        assert row in table, language
