"""The project's house rules (README, "How the core fits together"), checked by the tools
that own them.

They run in the test suite so that the one test command the README gives checks them too:
the architecture contracts (import-linter), lint and formatting (ruff), strict typing of
the core (mypy), no import cycle in any package (grimp) and lint of the browser scripts
(eslint, pinned in package.json).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
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


def test_the_routes_contract_names_every_route_module() -> None:
    """The independence contract lists the route modules by name, so one added later would
    escape it: every module of `billflow_sandbox.routes` must be listed."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [
        c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "independence"
    ]
    routes = ROOT / "billflow_sandbox" / "routes"
    modules = {f"billflow_sandbox.routes.{p.stem}" for p in routes.glob("*.py")}
    assert set(contract["modules"]) == modules - {"billflow_sandbox.routes.__init__"}


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


def test_every_script_in_the_repository_is_linted_with_the_rules() -> None:
    """A script outside every `files` pattern of eslint.config.js would be linted with no
    rules at all, and pass whatever it holds."""
    eslint = _eslint()
    scripts = subprocess.run(
        ["git", "ls-files", "*.js", "*.mjs", "*.cjs"], cwd=ROOT, capture_output=True,
        text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert "billflow_core/web/static/embed.js" in scripts
    for script in scripts:
        shown = subprocess.run(
            [*eslint, "--print-config", script], cwd=ROOT, capture_output=True, text=True,
            timeout=120, check=True,
        ).stdout  # fmt: skip
        rules = json.loads(shown).get("rules", {})
        severity = rules.get("no-undef", [0])  # eslint prints [2, {options}] for "error"
        assert severity[0] == 2, f"{script} is linted without the rules: {rules}"


PACKAGES = [
    "billflow_core",
    "billflow_sandbox",
    "billflow_demo",
    "billflow_wagtail",
    "billflow_flask",
]


def import_cycles(package: str) -> list[str]:
    """Each import in `package` of a module that imports, however indirectly, the module
    it is in, as the chain back. Imports inside functions count (they run, later); those
    under `TYPE_CHECKING` do not (they never run), so a module may name a type of the
    layer above it."""
    graph = grimp.build_graph(package, cache_dir=None, exclude_type_checking_imports=True)
    cycles = set()
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported in graph.modules and graph.chain_exists(imported, module):
                chain = graph.find_shortest_chain(imported, module) or ()
                cycles.add(" -> ".join((module, *chain)))
    return sorted(cycles)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_package_has_an_import_cycle(package: str) -> None:
    assert import_cycles(package) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above could pass by finding nothing at all: here it must find one."""
    made = tmp_path / "cyclic_example"
    made.mkdir()
    (made / "__init__.py").write_text("")
    (made / "a.py").write_text("from . import b\n")
    (made / "b.py").write_text("def late():\n    from . import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyclic_example") == [
        "cyclic_example.a -> cyclic_example.b -> cyclic_example.a",
        "cyclic_example.b -> cyclic_example.a -> cyclic_example.b",
    ]
