"""The project's house rules (README, "How the core fits together"), checked by the tools
that own them.

They run in the test suite so that the one test command the README gives checks them too:
the architecture contracts (import-linter), lint and formatting (ruff), strict typing of
the core (mypy) and lint of the browser scripts (eslint, pinned in package.json).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    executable = shutil.which(tool, path=str(BIN)) or shutil.which(tool)
    if executable is None:
        pytest.fail(f"{tool} is not installed: pip install -e '.[dev]'")
    return subprocess.run(
        [executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_architecture_contracts_hold() -> None:
    result = _run("lint-imports")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_code_passes_ruff() -> None:
    result = _run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_formatted() -> None:
    result = _run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_is_strictly_typed() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def _eslint() -> list[str]:
    """The command that runs the pinned eslint (scripts/test installs it with `npm ci`).

    Without Node or the installed tools the test skips on a developer's machine but fails in
    CI (`CI=true`), as the browser tests do, so CI cannot go green without having linted.
    """
    node = shutil.which("node")
    script = ROOT / "node_modules" / "eslint" / "bin" / "eslint.js"
    reason = ""
    if node is None:
        reason = "Node is not installed (apt-get install nodejs npm)"
    elif not script.is_file():
        reason = "eslint is not installed: npm ci (scripts/test runs it)"
    else:
        pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["eslint"]
        installed = json.loads((script.parents[1] / "package.json").read_text())["version"]
        if installed != pinned:
            pytest.fail(f"eslint {installed} is installed, package.json pins {pinned}: npm ci")
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return [node, str(script)]


def test_browser_scripts_pass_eslint() -> None:
    result = subprocess.run(
        [*_eslint(), "--max-warnings=0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
