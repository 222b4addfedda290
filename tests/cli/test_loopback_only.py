"""`billflow sandbox` and `billflow demo` listen on loopback only, unless told with a flag
that says it exposes their test data (the sandbox's objects, `?as=`, `/mail`)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

BILLFLOW = Path(sys.executable).parent / "billflow"
BEYOND_LOOPBACK = ("0.0.0.0", "192.0.2.10", "::", "example.com")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BILLFLOW), *args], capture_output=True, text=True, timeout=30, check=False
    )


@pytest.mark.parametrize("command", ["sandbox", "demo"])
@pytest.mark.parametrize("host", BEYOND_LOOPBACK)
def test_a_host_beyond_loopback_is_refused_with_exit_2_saying_why(command: str, host: str) -> None:
    done = _run(command, "--host", host, "--port", "0")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"--host {host} is not a loopback address" in done.stderr
    assert "--expose-test-data" in done.stderr
    assert "listening" not in done.stdout and "open http" not in done.stdout


def test_the_demo_says_what_it_would_expose() -> None:
    done = _run("demo", "--host", "0.0.0.0", "--port", "0")
    assert "?as=" in done.stderr and "/mail" in done.stderr and "sandbox" in done.stderr


def _started(*args: str) -> list[str]:
    """What `billflow sandbox ARGS` printed until it was ready; then it is stopped."""
    process = subprocess.Popen(
        [str(BILLFLOW), "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    printed: list[str] = []
    try:
        for line in process.stdout:
            printed.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl+C"):
                break
    finally:
        process.send_signal(signal.SIGTERM)  # it may not have its handler yet: any exit will do
        process.wait(timeout=10)
    return printed


@pytest.mark.parametrize("host", ["127.0.0.2", "localhost"])
def test_loopback_hosts_need_no_flag(host: str) -> None:
    printed = "\n".join(_started("--host", host))
    assert re.search(r"listening on http://127\.0\.0\.\d+:\d+", printed), printed


def test_the_flag_lets_the_sandbox_listen_beyond_loopback() -> None:
    printed = "\n".join(_started("--host", "0.0.0.0", "--expose-test-data"))
    assert re.search(r"listening on http://0\.0\.0\.0:\d+", printed), printed
    assert "listening on 0.0.0.0: anyone who can reach it" in printed
