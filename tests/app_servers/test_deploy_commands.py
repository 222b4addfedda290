"""docs/deploy.md's commands run as written: each line of its `sh` blocks, from the
repository's root, with the project's Python and gunicorn first on PATH; a gunicorn line
keeps serving (its address moved to a free loopback port) until the portal's script
answers from it, then it is stopped."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "docs" / "deploy.md"
_LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")


def _commands() -> list[list[str]]:
    """Each `sh` block's commands, a backslash-continued line joined, comments left out."""
    blocks = re.findall(r"```sh\n(.*?)```", DEPLOY.read_text(encoding="utf-8"), re.DOTALL)
    found = []
    for block in blocks:
        joined = block.replace("\\\n", " ")
        found.append([line.strip() for line in joined.splitlines()
                      if line.strip() and not line.strip().startswith("#")])  # fmt: skip
    return found


def _environment(tmp_path: Path) -> dict[str, str]:
    """The project's tools first; the secrets a deploy takes from its environment."""
    # A deploy's own environment: none of the test run's Django or Billflow settings.
    own = {k: v for k, v in os.environ.items()
           if not k.startswith(("BILLFLOW_", "DJANGO_", "STRIPE_"))}  # fmt: skip
    return {
        **own,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "BILLFLOW_SECRET_KEY": "deploy-doc-secret-0123456789",
        "BILLFLOW_STRIPE_API_KEY": "sk_test_" + "d" * 24,
        "FLASK_SECRET_KEY": "deploy-doc-flask-key",
        "DJANGO_SECRET_KEY": "deploy-doc-django-key",
        "EXAMPLE_DATABASE": str(tmp_path / "wagtail.sqlite3"),  # never the repository's
    }


def _serve_until_the_script_answers(line: str, env: dict[str, str], log: Path) -> None:
    served = re.sub(r"--bind \S+", "--bind 127.0.0.1:0", line)
    with log.open("ab") as output:
        process = subprocess.Popen(["bash", "-c", served], cwd=ROOT, env=env,
                                   stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            said = log.read_text(errors="replace")
            assert process.poll() is None, f"{line}\nstopped:\n{said}"
            found = _LISTENING.search(said)
            if found:
                try:
                    answer = requests.get(f"{found[1]}/billflow/embed.js", timeout=10)
                except requests.ConnectionError:
                    answer = None
                if answer is not None and answer.status_code == 200:
                    assert "javascript" in answer.headers["Content-Type"]
                    return
            time.sleep(0.1)
        pytest.fail(f"{line}\ndid not serve the portal's script:\n{log.read_text()}")
    finally:
        with contextlib.suppress(ProcessLookupError):  # its session: bash and gunicorn
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_every_command_of_the_deploy_guide_runs(tmp_path: Path) -> None:
    blocks = _commands()
    lines = [line for block in blocks for line in block]
    assert sum("gunicorn" in line for line in lines) == 2, lines  # Flask and Wagtail
    env = _environment(tmp_path)
    for number, line in enumerate(lines):
        if "gunicorn" in line:
            _serve_until_the_script_answers(line, env, tmp_path / f"command-{number}.log")
        else:
            done = subprocess.run(["bash", "-c", line], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=300)  # fmt: skip
            assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
