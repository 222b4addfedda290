"""`billflow sandbox` and `billflow demo` come from the `billflow.commands` entry points:
building the command line loads neither the sandbox's server nor the demo site, and a
command whose code cannot be imported says in one sentence which extra to install."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from billflow_core import cli


def test_the_command_line_is_built_without_loading_the_sandbox_or_the_demo_site() -> None:
    probe = (
        "import sys\n"
        "from billflow_core.cli import build_parser\n"
        "build_parser()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('billflow_sandbox.', "
        "'billflow_demo.'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "['billflow_demo.command', 'billflow_sandbox.command']"


def test_the_plugged_commands_keep_their_place_before_the_cores_own() -> None:
    assert [ep.name for ep in cli._plugged_commands()][:2] == ["sandbox", "demo"]


def test_a_command_whose_extra_is_missing_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "billflow_probe_without_extra.py").write_text(
        "raise ImportError(\"No module named 'aiosmtpd'\", name='aiosmtpd')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    broken = metadata.EntryPoint(
        "demo", "billflow_probe_without_extra:add_command", cli.COMMANDS_GROUP
    )
    monkeypatch.setattr(cli, "_plugged_commands", lambda: [broken])

    assert cli.main(["demo", "--port", "0"]) == 1
    assert capsys.readouterr().err == (
        "billflow demo: needs the 'demo' extra: pip install 'billflow[demo]'\n"
    )
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "demo      needs the 'demo' extra" in capsys.readouterr().out
