"""`examples/wagtail_site`: the README's second command starts it, and a customer who signs
in there sees their portal."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "wagtail_site"


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BILLFLOW_", "STRIPE_", "DJANGO_"))
    }
    return {**env, "EXAMPLE_DATABASE": str(tmp_path / "db.sqlite3"), "PYTHONUNBUFFERED": "1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _running_demo(tmp_path: Path, port: int) -> Iterator[str]:
    """`manage.py demo` serving on `port`: what it printed up to its banner."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "demo", "--port", str(port)],
        cwd=EXAMPLE, env=_environment(tmp_path), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        printed = [process.stdout.readline()]
        while printed[-1] and "Billflow on Wagtail" not in printed[-1]:
            printed.append(process.stdout.readline())
        for _ in range(200):  # until the development server answers
            try:
                requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        yield "".join(printed)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def _signed_in(login_url: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    form = session.get(login_url, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token, form.text
    session.post(
        login_url,
        data={"username": username, "password": password, "csrfmiddlewaretoken": token[1]},
        headers={"Referer": login_url},
        timeout=10,
    )
    return session


def test_the_example_site_runs_with_the_sandbox_and_shows_ada_her_portal(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BILLFLOW_", "STRIPE_", "DJANGO_"))
    }
    env.update(EXAMPLE_DATABASE=str(tmp_path / "db.sqlite3"), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "demo", "--port", str(port)],
        cwd=EXAMPLE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        banner = process.stdout.readline()
        while banner and "Billflow on Wagtail" not in banner:  # after the system checks
            banner = process.stdout.readline()
        assert f"open http://127.0.0.1:{port}/billing/" in banner, banner
        for _ in range(200):  # until the development server answers
            try:
                requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        site = f"http://127.0.0.1:{port}"
        session = requests.Session()
        login = session.get(f"{site}/accounts/login/?next=/billing/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
        assert token, login.text
        page = session.post(
            f"{site}/accounts/login/",
            data={"username": "ada", "password": "ada-demo-password", "next": "/billing/",
                  "csrfmiddlewaretoken": token[1]},
            headers={"Referer": f"{site}/accounts/login/"},
            timeout=10,
        )  # fmt: skip
        assert page.url == f"{site}/billing/" and '"email":"ada@example.com"' in page.text
        # The page's title heads it and the portal titles its own sections: the block adds
        # no third heading between them.
        assert page.text.count("<h1") == 1 and "<h2" not in page.text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_the_demo_starts_with_no_warning_and_its_doctor_finds_no_problem(tmp_path: Path) -> None:
    port = _free_port()
    with _running_demo(tmp_path, port) as printed:
        assert "Billflow on Wagtail" in printed, printed
        assert "W001" not in printed and "WARNINGS" not in printed, printed
        site = f"http://127.0.0.1:{port}"
        admin = _signed_in(f"{site}/admin/login/", "admin", "admin-demo-password")
        doctor = admin.get(f"{site}/admin/billflow/doctor/", timeout=30)
        assert doctor.status_code == 200 and "test mode key" in doctor.text, doctor.text
        assert "No problems found." in doctor.text
        assert "billflow-problem" not in doctor.text and "billflow-warning" not in doctor.text


def test_the_demo_on_a_busy_port_says_so_before_printing_anything(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        answer = subprocess.run(
            [sys.executable, "manage.py", "demo", "--port", str(port)],
            cwd=EXAMPLE, env=_environment(tmp_path), capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
    assert answer.returncode == 1
    assert answer.stdout == ""
    assert answer.stderr.splitlines() == [
        f"CommandError: cannot listen on 127.0.0.1:{port} (Address already in use): pass "
        "--port with a free port, such as --port 8001"
    ]
