"""`examples/flask_app`: the README's command starts it with the sandbox, and Ada, signed in,
gets her portal; without a Stripe key and without the sandbox it says what to set."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from billflow_sandbox import Sandbox

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flask_app"


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BILLFLOW_", "STRIPE_"))}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def test_the_example_app_runs_with_the_sandbox_and_shows_ada_her_portal() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLE / "app.py")], env=_environment(PORT=str(port)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        first = process.stdout.readline()
        assert f"open http://127.0.0.1:{port}/" in first, first
        for _ in range(100):  # until the server answers
            try:
                requests.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except requests.ConnectionError:
                continue
        session = requests.Session()
        login = {"email": "ada@example.com", "password": "demo"}
        page = session.post(f"http://127.0.0.1:{port}/login", data=login, timeout=10)
        assert page.url.endswith("/account") and '"email":"ada@example.com"' in page.text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_the_flask_command_names_the_missing_stripe_key() -> None:
    flask = Path(sys.executable).parent / "flask"
    answer = subprocess.run(
        [str(flask), "--app", str(EXAMPLE / "app.py"), "billflow", "doctor"],
        env=_environment(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert answer.returncode != 0
    assert "BILLFLOW_STRIPE_API_KEY" in answer.stderr + answer.stdout


def test_the_flask_command_without_a_stripe_key_says_so_in_one_line() -> None:
    flask = Path(sys.executable).parent / "flask"
    answer = subprocess.run(
        [str(flask), "--app", str(EXAMPLE / "app.py"), "billflow", "doctor"],
        env=_environment(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert answer.returncode == 1
    assert answer.stderr.splitlines() == [
        "Error: Billflow: BILLFLOW_STRIPE_API_KEY is not set (the Stripe secret key); "
        "set it in app.config"
    ]


def test_the_doctor_passes_the_example_app_as_it_runs_with_the_sandbox(
    stripe_sandbox: Sandbox,
) -> None:
    spec = importlib.util.spec_from_file_location("flask_example_app", EXAMPLE / "app.py")
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    stripe_sandbox.seed("demo")
    app = example.create_app(
        {
            "BILLFLOW_STRIPE_API_KEY": stripe_sandbox.secret_key,
            "BILLFLOW_STRIPE_API_BASE": stripe_sandbox.url,
        }
    )
    answer = app.test_cli_runner().invoke(args=["billflow", "doctor"])
    assert answer.exit_code == 0, answer.output
    assert "problem" not in answer.output
