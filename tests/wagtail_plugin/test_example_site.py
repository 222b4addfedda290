"""`examples/wagtail_site`: the README's second command starts it, and a customer who signs
in there sees their portal."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "wagtail_site"


def test_the_example_site_runs_with_the_sandbox_and_shows_ada_her_portal(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BILLFLOW_", "STRIPE_", "DJANGO_"))
    }
    env.update(EXAMPLE_DATABASE=str(tmp_path / "db.sqlite3"), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "demo", "--port", str(port)],
        cwd=EXAMPLE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        banner = process.stdout.readline()
        while banner and "Billflow on Wagtail" not in banner:  # after the system checks
            banner = process.stdout.readline()
        assert f"open http://127.0.0.1:{port}/billing/" in banner, banner
        for _ in range(200):  # until the development server answers
            try:
                requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        site = f"http://127.0.0.1:{port}"
        session = requests.Session()
        login = session.get(f"{site}/accounts/login/?next=/billing/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
        assert token, login.text
        page = session.post(
            f"{site}/accounts/login/",
            data={"username": "ada", "password": "ada-demo-password", "next": "/billing/",
                  "csrfmiddlewaretoken": token[1]},
            headers={"Referer": f"{site}/accounts/login/"},
            timeout=10,
        )  # fmt: skip
        assert page.url == f"{site}/billing/" and '"email":"ada@example.com"' in page.text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
