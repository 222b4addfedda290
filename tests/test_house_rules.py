"""The project's house rules (README, "How the core fits together"), checked by the tools
that own them.

They run in the test suite so that the one test command the README gives checks them too:
the architecture contracts (import-linter), lint and formatting (ruff), strict typing of
the core (mypy) and a sandbox without import cycles (grimp).
"""

from __future__ import annotations

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


def test_the_sandbox_has_no_import_cycles() -> None:
    """No module of the sandbox imports, however indirectly, a module that imports it: each
    builds only on the ones below it. Imports inside functions and for type checking count."""
    import grimp  # import-linter's graph, installed with it by `.[dev]`

    graph = grimp.build_graph("billflow_sandbox", cache_dir=None)
    cycles = set()
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if graph.chain_exists(imported, module):
                chain = graph.find_shortest_chain(imported, module)
                cycles.add(" -> ".join((module, *chain)))
    assert not cycles, "import cycles in the sandbox:\n" + "\n".join(sorted(cycles))
