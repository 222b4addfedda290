"""Real app servers for the tests: gunicorn processes (`-k gthread`, one worker, four
threads) on free loopback ports, started at once, ready once they answer, and stopped at the
end with nothing left running. (A module, not a fixture file: tests import it by name.)

A port of 0 lets the kernel choose, so two servers never race for one: gunicorn logs the
address it listens at, and that is read from its log."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests

__all__ = ["AppServer", "running_gunicorn"]

_LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")


class AppServer:
    """One gunicorn process: its `url` once it listens, its log for when it fails."""

    def __init__(self, app: str, env: Mapping[str, str], log: Path) -> None:
        self.log = log
        self.url = ""
        command = [sys.executable, "-m", "gunicorn", "-k", "gthread", "--workers", "1",
                   "--threads", "4", "--bind", "127.0.0.1:0", "--graceful-timeout", "5",
                   "--log-level", "info", app]  # fmt: skip
        # Its log and the app's own output (a traceback) in one file; a session of its
        # own, so that its worker can be stopped with it.
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                command, env=dict(env), stdin=subprocess.DEVNULL, stdout=output,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def said(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_until_ready(self, path: str, timeout: float = 60.0) -> None:
        """Return once GET `path` answers 200; a process that stops or a server that does
        not answer within `timeout` seconds fails with its log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped ({self.process.returncode}):\n{self.said()}")
            if not self.url:
                found = _LISTENING.search(self.said())
                self.url = found[1] if found else ""
            if self.url:
                try:
                    if requests.get(f"{self.url}{path}", timeout=5).status_code == 200:
                        return
                except requests.ConnectionError:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not answer {path} within {timeout} s:\n{self.said()}")

    def stop(self) -> None:
        """SIGTERM, as a deploy stops it (the master stops its worker first); SIGKILL to
        its whole session when that takes more than ten seconds. (A worker whose master
        died on its own notices and exits: gunicorn's workers watch their parent.)"""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the master lives: the group is ours
            self.process.wait(timeout=10)


@contextmanager
def running_gunicorn(
    app: str, env: Mapping[str, str], logs: Path, *, count: int = 2, ready: str = "/"
) -> Iterator[Sequence[AppServer]]:
    """`count` gunicorn processes serving `app` (`module:callable` or `module:factory()`)
    with environment `env`, each logging to a file in `logs`: started together, yielded
    once each answers GET `ready`, stopped after."""
    with ExitStack() as stack:
        servers: list[AppServer] = []
        for n in range(count):
            server = AppServer(app, env, logs / f"gunicorn-{n}.log")
            stack.callback(server.stop)
            servers.append(server)
        for server in servers:
            server.wait_until_ready(ready)
        yield servers
