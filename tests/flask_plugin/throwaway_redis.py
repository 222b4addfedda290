"""A Redis server of the tests' own on a loopback port, never one already running: started
from Debian's `redis-server` with nothing written to disk, stopped at the end. (A module,
not a fixture file: other suites import it by name.)"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

__all__ = ["find_redis_server", "running_redis"]


def find_redis_server() -> str | None:
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.access("/usr/bin/redis-server", os.X_OK) else None
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_redis(executable: str) -> Iterator[str]:
    """A fresh Redis server; its URL (`redis://127.0.0.1:<port>/0`) while it runs."""
    folder = tempfile.mkdtemp(prefix="billflow-redis-")
    port = _free_port()
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", folder, "--protected-mode", "yes",
         "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None:
                    said = process.stderr.read() if process.stderr else b""
                    raise RuntimeError(f"redis-server stopped: {said!r}") from None
                time.sleep(0.02)
        else:
            raise RuntimeError("redis-server did not answer within 4 s")
        client.close()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)
