"""`manage.py check` on the test site, in a process of its own as a developer runs it: each
of Billflow's checks for a project's configuration (the app Wagtail's site settings need,
Stripe's webhook secret, the middleware that keeps portal pages out of shared caches, a cache
that keeps answers) names its problem by id, and a project with none of them hears nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKED = {"billflow_wagtail.E004", "billflow_wagtail.W001", "billflow_wagtail.W002",
           "billflow_wagtail.W003"}  # fmt: skip

BROKEN = """
from testsite.settings import *  # noqa: F403
INSTALLED_APPS = [a for a in INSTALLED_APPS if a != "wagtail.contrib.settings"]
MIDDLEWARE = [m for m in MIDDLEWARE if m != "billflow_wagtail.middleware.PrivatePortalPages"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
"""
SOUND = """
from testsite.settings import *  # noqa: F403
BILLFLOW_STRIPE_WEBHOOK_SECRET = "whsec_" + "s" * 32
"""


def _check(tmp_path: Path, settings: str) -> str:
    (tmp_path / "project_settings.py").write_text(settings)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project_settings",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(HERE)])}  # fmt: skip
    ran = subprocess.run([sys.executable, "-m", "django", "check"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    return ran.stdout + ran.stderr


def test_each_problem_is_named_by_its_id(tmp_path: Path) -> None:
    said = _check(tmp_path, BROKEN)
    assert {found for found in CHECKED if f"({found})" in said} == CHECKED, said
    assert 'Add "wagtail.contrib.settings" to INSTALLED_APPS' in said


def test_a_sound_project_hears_none_of_them(tmp_path: Path) -> None:
    said = _check(tmp_path, SOUND)
    assert "System check identified no issues" in said, said
