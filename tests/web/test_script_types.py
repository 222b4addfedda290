"""The script's TypeScript types (static/embed.d.ts), checked by the TypeScript compiler pinned
in package.json: what a single-page app writes against them compiles, in strict mode, and
what the script would refuse or ignore does not."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from billflow_core.web.static_files import source

ROOT = Path(__file__).resolve().parents[2]

FINE = """
import type { BillflowHandle, BillflowSettings } from "./embed";

const settings: BillflowSettings = {
  email: "ada@example.com",
  hash: "1798761600.ab12",
  language: "pt-BR",
  theme: "dark",
  handleResponse: ({ event, response }) => console.log(event, response),
};
const element = document.getElementById("billing");
const handle: BillflowHandle | null = element ? window.Billflow.mount(element, settings) : null;
handle?.update({ email: "grace@example.com", hash: "1798761600.cd34" }).update({ language: "de" });
void handle?.reload().then(() => handle.unmount());
window.billflowSettings = { customer_id: "cus_123", hash: "ef56", token: async () => null };
"""

WRONG = {
    "a theme the page has not": "window.Billflow.mount(document.body, { theme: 'blue' });",
    "no element": "window.Billflow.mount('#billing');",
    "a handle without a null check": "window.Billflow.mount(document.body).unmount();",
    "an unknown setting": "window.Billflow.mount(document.body, { emial: 'ada@example.com' });",
}


def _tsc() -> list[str]:
    node = shutil.which("node")
    compiler = ROOT / "node_modules" / "typescript" / "bin" / "tsc"
    reason = "" if node and compiler.is_file() else "typescript is not installed: npm ci"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return [str(node), str(compiler), "--noEmit", "--strict", "--lib", "es2020,dom",
            "--module", "es2020", "--moduleResolution", "bundler"]  # fmt: skip


def _check(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "embed.d.ts").write_bytes(source("embed.d.ts"))
    (tmp_path / "app.ts").write_text(code)
    command = [*_tsc(), "embed.d.ts", "app.ts"]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_what_an_app_writes_against_the_types_compiles(tmp_path: Path) -> None:
    checked = _check(tmp_path, FINE)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_what_the_script_would_refuse_does_not(tmp_path: Path, mistake: str) -> None:
    checked = _check(tmp_path, "export {};\n" + WRONG[mistake])
    assert checked.returncode != 0 and "app.ts" in checked.stdout, mistake
