"""The configuration beside the options: every secret and address refused by name (in
`SettingsError.param`, so a host says where to fix it without reading the message), and one
list that holds every `BILLFLOW_*` name the project reads."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from billflow_core import Portal, PortalSecrets, SettingsError
from billflow_core.config import (
    BRIDGE_NAMES,
    HOST_NAMES,
    NOT_OPTIONS,
    SECRET_NAMES,
    TOOL_NAMES,
    WAGTAIL_NAMES,
)
from billflow_core.settings import PortalSettings
from billflow_sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
SECRET = "config-test-secret-0123456789"


def good_config(sandbox: Sandbox) -> dict[str, Any]:
    return {
        "BILLFLOW_SECRET_KEY": SECRET,
        "BILLFLOW_STRIPE_API_KEY": sandbox.secret_key,
        "BILLFLOW_STRIPE_API_BASE": sandbox.url,
    }


@pytest.mark.parametrize(
    ("key", "value"),
    [("BILLFLOW_STRIPE_API_KEY", ""),
     ("BILLFLOW_STRIPE_API_KEY", "pk_test_not_a_secret_key"),
     ("BILLFLOW_SECRET_KEY", "short"),
     ("BILLFLOW_SECRET_KEY_PREVIOUS", SECRET),
     ("BILLFLOW_SECRET_KEY_PREVIOUS", "short"),
     ("BILLFLOW_STRIPE_WEBHOOK_SECRET", "not-whsec"),
     ("BILLFLOW_STRIPE_PUBLISHABLE_KEY", "sk_test_pasted_in_the_wrong_place"),
     ("BILLFLOW_STRIPE_PUBLISHABLE_KEY", "pk_live_while_the_secret_is_a_test_key"),
     ("BILLFLOW_STRIPE_JS_URL", "javascript:alert(1)"),
     ("BILLFLOW_SMTP_PORT", "twenty-five"),
     ("BILLFLOW_STRIPE_TIMEOUT", "soon"),
     ("BILLFLOW_STRIPE_TIMEOUT", "0"),
     ("BILLFLOW_STRIPE_DEADLINE", "-3"),
     ("BILLFLOW_STRIPE_DEADLINE", "3600")],
)  # fmt: skip
def test_each_bad_secret_or_address_is_refused_naming_its_key(
    stripe_sandbox: Sandbox, key: str, value: str
) -> None:
    config = {**good_config(stripe_sandbox), "BILLFLOW_SMTP_HOST": "127.0.0.1", key: value}
    with pytest.raises(SettingsError, match=key) as refused:
        Portal.from_config(config)
    assert refused.value.param == key
    assert key in SECRET_NAMES or key in HOST_NAMES


def test_a_bad_option_is_refused_naming_the_option_as_portal_settings_spells_it(
    stripe_sandbox: Sandbox,
) -> None:
    with pytest.raises(SettingsError, match="BILLFLOW_PAUSE_MAX_DAYS") as refused:
        Portal.from_config({**good_config(stripe_sandbox), "BILLFLOW_PAUSE_MAX_DAYS": "many"})
    assert refused.value.param == "pause_max_days"
    with pytest.raises(SettingsError, match="BILLFLOW_CANCELL") as typo:
        Portal.from_config({**good_config(stripe_sandbox), "BILLFLOW_CANCELL": "false"})
    assert typo.value.param == "cancell"


def test_the_secrets_read_from_a_mapping_are_the_portals_arguments(
    stripe_sandbox: Sandbox,
) -> None:
    config = {
        **good_config(stripe_sandbox),
        "BILLFLOW_SECRET_KEY_PREVIOUS": "",  # empty counts as unset
        "BILLFLOW_STRIPE_JS_URL": f"{stripe_sandbox.url}/v3/",
    }
    secrets = PortalSecrets.from_mapping(config)
    assert (secrets.stripe_timeout, secrets.stripe_deadline) == (8.0, 12.0)  # the defaults
    timed = PortalSecrets.from_mapping({**config, "BILLFLOW_STRIPE_TIMEOUT": "2.5",
                                        "BILLFLOW_STRIPE_DEADLINE": 6})  # fmt: skip
    assert (timed.stripe_timeout, timed.stripe_deadline) == (2.5, 6.0)
    assert secrets.secret_key_previous is None
    assert secrets.stripe_js_url == f"{stripe_sandbox.url}/v3/"
    portal = Portal(PortalSettings(), **secrets.portal_arguments())
    assert portal.stripe_js_url == secrets.stripe_js_url
    assert portal.gateway.livemode is False
    # Every field names a `Portal` argument, so a new secret cannot be read and dropped.
    assert {f.name for f in dataclasses.fields(PortalSecrets)} <= set(
        Portal.__init__.__code__.co_varnames
    )


def _names_read_in(folders: list[str]) -> set[str]:
    """Every full `BILLFLOW_*` name in the project's code, leaving out patterns such as
    `BILLFLOW_SMTP_*`, `BILLFLOW_<OPTION>` and f-strings that build a name."""
    found: set[str] = set()
    pattern = re.compile(r"BILLFLOW_[A-Z0-9_]*[A-Z0-9](?![A-Za-z0-9_*<{])")
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            if ".venv" in path.parts or "node_modules" in path.parts:
                continue
            found.update(pattern.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_billflow_name_the_project_reads_is_an_option_or_in_the_one_list() -> None:
    options = {f"BILLFLOW_{f.name.upper()}" for f in dataclasses.fields(PortalSettings)}
    not_options = set(SECRET_NAMES) | set(HOST_NAMES) | set(BRIDGE_NAMES) | set(TOOL_NAMES)
    listed = not_options | set(WAGTAIL_NAMES)
    read = _names_read_in(
        ["billflow_core", "billflow_sandbox", "billflow_demo", "plugins", "examples", "scripts"]
    )
    assert read - options - listed == set(), "name these in billflow_core/config.py"
    tests_read = _names_read_in(["tests"])
    unused = {n for n in listed if n.startswith("BILLFLOW_")} - read - tests_read
    assert unused == set(), "listed in billflow_core/config.py but read nowhere"
    assert not options & listed
    assert {name.removeprefix("BILLFLOW_") for name in not_options if "BILLFLOW_" in name} == set(
        NOT_OPTIONS
    )


def test_a_name_only_django_settings_hold_is_refused_in_a_flask_config_or_the_environment() -> None:
    for name in WAGTAIL_NAMES:
        with pytest.raises(SettingsError, match=f"{name} is not a Billflow option"):
            PortalSettings.from_mapping({name: "x"})
    assert PortalSettings.from_mapping({"BILLFLOW_SMTP_HOST": "mail", "BILLFLOW_URL_PREFIX": "/b"})


def test_every_settings_error_the_core_raises_names_its_setting() -> None:
    """A host places a refusal beside its field (or says where to fix it) by `param`, never
    by reading the message: each `SettingsError(...)` in the core passes one."""
    unnamed = []
    for path in (ROOT / "billflow_core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "SettingsError"
                and not any(keyword.arg == "param" for keyword in node.keywords)
            ):
                unnamed.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert unnamed == []
