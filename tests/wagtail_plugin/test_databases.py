"""The plugin's suite runs on both databases Wagtail sites use: PostgreSQL (production's, the
default here: `tests/conftest.py` starts a throwaway server) and SQLite (development's, and
the example site's), the second in a pytest of its own, since pytest-django makes one test
database per session.

On SQLite it runs every test that uses the test database; `test_example_site.py` is left
out, as it starts the example site in processes of its own, on SQLite files of their own,
whatever this session's database is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ITSELF = f"{Path(__file__).resolve().relative_to(ROOT)}::test_the_suite_passes_on_sqlite_too"


def _this_run() -> str:
    return os.environ.get("TESTSITE_DATABASE", "postgresql")


def test_the_suite_runs_on_the_database_it_was_asked_for(db: None) -> None:
    assert connection.vendor == _this_run()
    if connection.vendor == "postgresql":
        assert connection.settings_dict["HOST"] == "127.0.0.1"  # the throwaway server's


def test_the_suite_passes_on_sqlite_too() -> None:
    if _this_run() == "sqlite":
        pytest.skip("this session runs on SQLite already")
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", str(HERE), "-p", "no:cacheprovider",
         f"--ignore={HERE / 'test_example_site.py'}", f"--deselect={ITSELF}"],
        cwd=ROOT, env={**os.environ, "TESTSITE_DATABASE": "sqlite"}, capture_output=True,
        text=True, timeout=900,
    )  # fmt: skip
    said = ran.stdout[-12000:] + ran.stderr[-4000:]
    assert ran.returncode == 0, said
    assert "Django's tests run on SQLite" in ran.stdout, said  # tests/conftest.py's header
    assert " passed" in ran.stdout and " skipped" not in ran.stdout, said
