"""The framework samples under examples/ (React and Vue with Vite, Next.js), built once and
served for the browser tests, with the webhook bridge as their portal server and hash maker.

Builds are cached: `npm ci` runs again only when a sample's package-lock.json changed, and
the build only when one of its files did (a digest of them is kept beside the output). A
clean clone builds each once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from billflow_sandbox import Sandbox

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SAMPLES = ("react", "vue", "nextjs")
# In each build's environment, under the names a careless sample would read it by (a `VITE_`
# or `NEXT_PUBLIC_` one is built into the bundle); the tests look for it in the output.
KEY_AT_BUILD = "bridge-key-at-build-time-" + "k" * 24
_SKIPPED = {"node_modules", "dist", ".next"}


@dataclass(frozen=True)
class Built:
    name: str
    folder: Path
    output: Path  # what the build wrote: dist/, or .next/


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        reason = "npm is not installed (scripts/test installs Node.js and npm)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return npm


def _digest(folder: Path) -> str:
    """The sample's own files, and the shared backend's, as one digest."""
    digest = hashlib.sha256()
    for root in (folder, EXAMPLES / "sample-backend"):
        for path in sorted(root.rglob("*")):
            if path.is_file() and not _SKIPPED & set(path.relative_to(root).parts):
                digest.update(str(path.relative_to(EXAMPLES)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def build(name: str) -> Built:
    """`npm ci` and the production build of one sample, each only when its inputs changed."""
    npm = _npm()
    folder = EXAMPLES / name
    installed = folder / "node_modules" / ".billflow-lock.json"
    lock = folder / "package-lock.json"
    if not installed.is_file() or installed.read_bytes() != lock.read_bytes():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=folder,
                       check=True, timeout=600)  # fmt: skip
        shutil.copyfile(lock, installed)
    output = folder / (".next" if name == "nextjs" else "dist")
    marker = output / ".billflow-build"
    wanted = _digest(folder)
    if not marker.is_file() or marker.read_text() != wanted:
        names = ("BILLFLOW_BRIDGE_API_KEY", "VITE_BILLFLOW_BRIDGE_API_KEY",
                 "NEXT_PUBLIC_BILLFLOW_BRIDGE_API_KEY")  # fmt: skip
        env = {**os.environ, "NEXT_TELEMETRY_DISABLED": "1", **dict.fromkeys(names, KEY_AT_BUILD)}
        subprocess.run([npm, "run", "build", "--silent"], cwd=folder, env=env, check=True,
                       timeout=600, capture_output=True)  # fmt: skip
        marker.write_text(wanted)
    return Built(name, folder, output)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the sample's server exited ({process.returncode})")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


@dataclass(frozen=True)
class Running:
    url: str
    bridge_url: str
    api_key: str


@contextmanager
def serve(built: Built, sandbox: Sandbox) -> Iterator[Running]:
    """The sample's server on loopback, with a bridge that allows its origin as the portal
    server behind it (on a fresh SQLite file), the sandbox as Stripe."""
    from billflow_bridge import BridgeConfig, connect, create_app, migrate
    from billflow_core.web.serve import start_server

    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    api_key = "bridge-key-" + os.urandom(16).hex()
    with tempfile.TemporaryDirectory(prefix="billflow-sample-") as folder:
        config = BridgeConfig.from_mapping(
            {
                "BILLFLOW_SECRET_KEY": "sample-secret-" + os.urandom(16).hex(),
                "BILLFLOW_STRIPE_API_KEY": sandbox.secret_key,
                "BILLFLOW_STRIPE_API_BASE": sandbox.url,
                "BILLFLOW_STRIPE_PUBLISHABLE_KEY": sandbox.publishable_key,
                "BILLFLOW_STRIPE_JS_URL": f"{sandbox.url}/v3/",
                "BILLFLOW_BRIDGE_DATABASE_URL": f"sqlite:///{Path(folder) / 'bridge.sqlite3'}",
                "BILLFLOW_BRIDGE_API_KEY": api_key,
                "BILLFLOW_BRIDGE_ORIGINS": origin,
            }
        )
        migrate(connect(config.database_url))
        bridge = start_server(create_app(config, deliver=False))
        bridge_url = f"http://127.0.0.1:{bridge.server_address[1]}"
        env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", folder),
               "PORT": str(port), "HOST": "127.0.0.1", "NEXT_TELEMETRY_DISABLED": "1",
               "BILLFLOW_BRIDGE_URL": bridge_url, "BILLFLOW_BRIDGE_API_KEY": api_key,
               "SAMPLE_SESSION_SECRET": os.urandom(24).hex()}  # fmt: skip
        if built.name == "nextjs":
            next_bin = built.folder / "node_modules" / "next" / "dist" / "bin" / "next"
            command = ["node", str(next_bin), "start", "-p", str(port), "-H", "127.0.0.1"]
        else:
            env["STATIC_DIR"] = str(built.output)
            command = ["node", str(EXAMPLES / "sample-backend" / "server.mjs")]
        said = open(Path(folder) / "server.log", "w+b")  # noqa: SIM115 - closed below
        process = subprocess.Popen(command, cwd=built.folder, env=env, stdout=said,
                                   stderr=subprocess.STDOUT)  # fmt: skip
        try:
            try:
                _wait_for(origin + "/", process)
            except RuntimeError as failed:
                said.seek(0)
                raise RuntimeError(f"{failed}: {said.read().decode(errors='replace')}") from None
            yield Running(origin, bridge_url, api_key)
        finally:
            said.close()
            process.terminate()
            process.wait(timeout=10)
            bridge.shutdown()
            bridge.server_close()
