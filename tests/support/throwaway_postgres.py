"""A throwaway PostgreSQL server on loopback for the tests that need one (the bridge's, the
Wagtail plugin's, the app servers'): Debian's `postgresql` binaries
(`/usr/lib/postgresql/<version>/bin`, installed by `scripts/test`), a data folder the fixture
owns, trust authentication on 127.0.0.1 only, stopped when the tests end. Never a server
already running. (A module, not a fixture file: `tests/conftest.py` serves it as the session's
`postgres` fixture, and other modules import its types by name.)

`initdb` and `pg_ctl` refuse to run as root, so as root they run as the `postgres` user the
package creates (`runuser`); as anyone else, as that user."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["PostgresServer", "find_bin", "running_postgres"]


def find_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]))  # fmt: skip
    return Path(found[-1]).parent if found else None


class PostgresServer:
    """A running server; `database()` makes a fresh database and answers its URL."""

    host = "127.0.0.1"
    user = "billflow"  # the superuser `initdb` made; trust authentication, no password

    def __init__(self, port: int) -> None:
        self.port = port
        self.admin_url = f"postgresql://{self.user}@{self.host}:{port}/postgres"

    def database(self) -> str:
        """A new, empty database on this server, for one test: its URL."""
        import psycopg

        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://{self.user}@{self.host}:{self.port}/{name}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_postgres(bin_dir: Path) -> Iterator[PostgresServer]:
    """Start a server in a new data folder and stop it (and remove the folder) after."""
    root = Path(tempfile.mkdtemp(prefix="billflow-pg-"))
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "billflow", "-A", "trust",
            "--no-sync", "-E", "UTF8", "--locale=C")  # fmt: skip
        # Throwaway data: durability off, for speed.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
            "-w", "-t", "60", "start")  # fmt: skip
        try:
            yield PostgresServer(port)
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
