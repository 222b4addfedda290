"""Fixtures more than one suite uses: the session's throwaway PostgreSQL server, and the
database Django's tests run on.

Django's tests (the Wagtail plugin's, and the Wagtail site in Chromium) run on PostgreSQL,
the database Wagtail sites use in production: `testsite`'s settings say SQLite, and the
session's first Django test points them at the throwaway server before pytest-django makes
its test database. `TESTSITE_DATABASE=sqlite` keeps SQLite instead, for a quick run without
PostgreSQL; `tests/wagtail_plugin/test_databases.py` runs the plugin's suite that way too, so
every run covers both databases.

The choice is made here, above every suite, because pytest-django makes one test database
per session: were it made in one suite's conftest, another suite's Django test running first
would make it on SQLite and the Wagtail suite would find its settings changed under a
database already made."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import NoReturn

import pytest
from throwaway_postgres import PostgresServer, find_bin, running_postgres


def _missing(why: str) -> NoReturn:
    """A binary a test needs is not installed: skip on a developer's machine, fail in CI,
    where `scripts/test` installs everything and a skip would hide a broken setup."""
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session; each user asks it for a database of its own."""
    bin_dir = find_bin()
    if bin_dir is None:
        _missing("PostgreSQL is missing: scripts/test installs Debian's postgresql")
    with running_postgres(bin_dir) as server:
        yield server


def _django_database() -> str:
    """The engine Django's tests run on: "postgresql" unless `TESTSITE_DATABASE` says
    "sqlite"."""
    found = os.environ.get("TESTSITE_DATABASE", "postgresql")
    if found not in {"postgresql", "sqlite"}:
        raise pytest.UsageError(f"TESTSITE_DATABASE must be postgresql or sqlite, not {found!r}")
    return found


def pytest_report_header(config: pytest.Config) -> str:
    """Which database this run's Django tests are on, said where its output starts."""
    names = {"postgresql": "PostgreSQL (a throwaway server)", "sqlite": "SQLite"}
    return f"Django's tests run on {names[_django_database()]}"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request: pytest.FixtureRequest) -> None:
    """pytest-django's hook, run once before it makes the test database: point Django's
    default database at the throwaway PostgreSQL server (a missing PostgreSQL skips every
    Django test here, and fails them in CI). Changed in place: Django's connections read
    the same dictionaries."""
    if _django_database() == "postgresql":
        from django.conf import settings
        from django.db import connections

        server: PostgresServer = request.getfixturevalue("postgres")
        settings.DATABASES["default"].update(
            ENGINE="django.db.backends.postgresql", NAME="billflow", HOST=server.host,
            PORT=str(server.port), USER=server.user, PASSWORD="",
        )  # fmt: skip
        # Django made SQLite's connection object (unconnected) as it loaded the models,
        # to ask the backend how long a name may be; the next one made is PostgreSQL's.
        connections.close_all()
        with contextlib.suppress(AttributeError):
            del connections["default"]
        assert connections["default"].vendor == "postgresql"
    else:
        # A file, as a development site's SQLite is: its connections wait for one another's
        # locks, where an in-memory database shared by threads refuses them at once.
        from django.conf import settings

        folder = request.getfixturevalue("tmp_path_factory").mktemp("sqlite")
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(
            folder / "testsite.sqlite3"
        )
    # pytest-django's own suffixes for parallel runs, on the settings as they now are.
    request.getfixturevalue("django_db_modify_db_settings_parallel_suffix")
