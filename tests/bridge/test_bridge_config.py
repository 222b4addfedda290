"""The bridge's configuration: the environment or a TOML file with the same names in lower
case, each mistake refused naming its setting, secrets never echoed."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from bridge_support import API_KEY, SECRET, SIGNING_SECRET

from billflow_bridge import BridgeConfigError, load_config
from billflow_bridge.config import DEFAULT_RETRY_DELAYS, BridgeConfig

GOOD = {
    "BILLFLOW_SECRET_KEY": SECRET,
    "BILLFLOW_STRIPE_API_KEY": "sk_test_123",
    "BILLFLOW_BRIDGE_API_KEY": API_KEY,
    "BILLFLOW_BRIDGE_SIGNING_SECRET": SIGNING_SECRET,
    "BILLFLOW_BRIDGE_TARGETS": "https://hooks.example.com/a, https://hooks.example.com/b",
}


def test_the_environment_gives_targets_keys_and_defaults(tmp_path: Path) -> None:
    config = BridgeConfig.from_mapping(GOOD, base_dir=tmp_path)

    assert [t.url for t in config.targets] == ["https://hooks.example.com/a",
                                               "https://hooks.example.com/b"]  # fmt: skip
    assert config.targets[0].wants("cancel") and not config.targets[0].events
    assert config.api_key == API_KEY and config.admin_key is None
    assert config.database_url == f"sqlite:///{tmp_path / 'billflow-bridge.sqlite3'}"
    assert config.retry_delays == DEFAULT_RETRY_DELAYS == (5, 300, 1800, 7200, 18000, 36000,
                                                           36000)  # fmt: skip
    assert config.disable_after == 5 * 86400 and config.keep_deliveries == 30 * 86400
    assert config.portal["BILLFLOW_SECRET_KEY"] == SECRET
    assert not any(name.startswith("BILLFLOW_BRIDGE_") for name in config.portal)


def test_a_toml_file_holds_the_same_names_in_lower_case_and_the_environment_wins(
    tmp_path: Path,
) -> None:
    own = "whsec_" + base64.b64encode(b"a-target-of-its-own-32-bytes-!!!").decode()
    path = tmp_path / "bridge.toml"
    path.write_text(
        f"""
billflow_secret_key = "{SECRET}"
billflow_stripe_api_key = "sk_test_from_file"
billflow_change_plan = false
billflow_bridge_signing_secret = "{SIGNING_SECRET}"
billflow_bridge_retry_delays = [1, 2, 3]

[[billflow_bridge_targets]]
name = "Make: cancellations"
url = "https://hook.eu1.make.com/abc"
events = ["cancel", "change_plan"]
signing_secret = "{own}"
headers = {{ Authorization = "Bearer shared-with-make" }}

[[billflow_bridge_targets]]
url = "https://example.bubbleapps.io/api/1.1/wf/billflow"
""",
        encoding="utf-8",
    )

    config = load_config(path, environ={"BILLFLOW_STRIPE_API_KEY": "sk_test_from_env"})

    assert config.portal["BILLFLOW_STRIPE_API_KEY"] == "sk_test_from_env"
    assert config.portal["BILLFLOW_CHANGE_PLAN"] is False
    make, bubble = config.targets
    assert make.events == {"cancel", "change_plan"} and not make.wants("pause")
    assert make.signing_secrets == (own,)
    assert make.headers == {"Authorization": "Bearer shared-with-make"}
    assert make.name == "Make: cancellations" and bubble.name == ""
    assert bubble.wants("pause") and bubble.signing_secrets == ()
    assert config.retry_delays == (1.0, 2.0, 3.0)
    assert config.database_url == f"sqlite:///{tmp_path / 'billflow-bridge.sqlite3'}"


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"BILLFLOW_BRIDGE_API_KEY": "short"}, "BILLFLOW_BRIDGE_API_KEY"),
        ({"BILLFLOW_BRIDGE_ADMIN_KEY": "x" * 10}, "BILLFLOW_BRIDGE_ADMIN_KEY"),
        ({"BILLFLOW_BRIDGE_SIGNING_SECRET": "whsec_short"}, "BILLFLOW_BRIDGE_SIGNING_SECRET"),
        ({"BILLFLOW_BRIDGE_SIGNING_SECRET": "not-a-secret"}, "BILLFLOW_BRIDGE_SIGNING_SECRET"),
        ({"BILLFLOW_BRIDGE_SIGNING_SECRET": ""}, "BILLFLOW_BRIDGE_SIGNING_SECRET"),
        ({"BILLFLOW_BRIDGE_TARGETS": "ftp://files.example.com/"}, "BILLFLOW_BRIDGE_TARGETS"),
        ({"BILLFLOW_BRIDGE_TARGETS": "https://user:pw@hooks.example.com/"},
         "BILLFLOW_BRIDGE_TARGETS"),
        ({"BILLFLOW_BRIDGE_TARGETS": "https://a.example/, https://a.example/"},
         "BILLFLOW_BRIDGE_TARGETS"),
        ({"BILLFLOW_BRIDGE_TARGETS": [{"url": "https://a.example/", "secret": "x"}]},
         "BILLFLOW_BRIDGE_TARGETS"),
        ({"BILLFLOW_BRIDGE_TARGETS": [{"url": "https://a.example/",
                                       "headers": {"webhook-signature": "v1,forged"}}]},
         "BILLFLOW_BRIDGE_TARGETS"),
        ({"BILLFLOW_BRIDGE_TARGETS": [{"url": "https://a.example/", "name": "x" * 81}]},
         "BILLFLOW_BRIDGE_TARGETS"),
        ({"BILLFLOW_BRIDGE_TARGETS": [{"url": "https://a.example/", "name": "two\nlines"}]},
         "BILLFLOW_BRIDGE_TARGETS"),
        ({"BILLFLOW_BRIDGE_ORIGINS": "https://site.example/path"}, "BILLFLOW_BRIDGE_ORIGINS"),
        ({"BILLFLOW_BRIDGE_ORIGINS": "site.example"}, "BILLFLOW_BRIDGE_ORIGINS"),
        ({"BILLFLOW_BRIDGE_ALLOW_TARGETS_IN": "10.0.0.0/33"}, "BILLFLOW_BRIDGE_ALLOW_TARGETS_IN"),
        ({"BILLFLOW_BRIDGE_RETRY_DELAYS": "5,soon"}, "BILLFLOW_BRIDGE_RETRY_DELAYS"),
        ({"BILLFLOW_BRIDGE_RETRY_DELAYS": "5,-1"}, "BILLFLOW_BRIDGE_RETRY_DELAYS"),
        ({"BILLFLOW_BRIDGE_KEEP_DELIVERIES_DAYS": "0"}, "BILLFLOW_BRIDGE_KEEP_DELIVERIES_DAYS"),
        ({"BILLFLOW_BRIDGE_TIMEOUT": "fast"}, "BILLFLOW_BRIDGE_TIMEOUT"),
        ({"BILLFLOW_BRIDGE_PROXY_HOPS": "-1"}, "BILLFLOW_BRIDGE_PROXY_HOPS"),
        ({"BILLFLOW_BRIDGE_PROXY_HOPS": "6"}, "BILLFLOW_BRIDGE_PROXY_HOPS"),
        ({"BILLFLOW_BRIDGE_PROXY_HOPS": "one"}, "BILLFLOW_BRIDGE_PROXY_HOPS"),
        ({"BILLFLOW_BRIDGE_TARGETS": "https://hooks.example.com/\u202egnp.x"},
         "BILLFLOW_BRIDGE_TARGETS"),
    ],
)  # fmt: skip
def test_each_mistake_is_refused_naming_its_setting_and_never_echoing_a_secret(
    change: dict[str, Any], param: str
) -> None:
    with pytest.raises(BridgeConfigError) as refused:
        BridgeConfig.from_mapping({**GOOD, **change})

    assert refused.value.param == param
    assert param in str(refused.value)
    for value in change.values():
        if isinstance(value, str) and ("whsec" in value or "KEY" in param):
            assert value not in str(refused.value)


def test_a_file_with_a_name_that_is_not_billflows_or_bad_toml_is_refused(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('secret_key = "x"\n', encoding="utf-8")
    with pytest.raises(BridgeConfigError, match="'secret_key' is not a Billflow setting"):
        load_config(wrong, environ={})

    upper = tmp_path / "upper.toml"
    upper.write_text(f'BILLFLOW_SECRET_KEY = "{SECRET}"\n', encoding="utf-8")
    with pytest.raises(BridgeConfigError, match="lower case"):
        load_config(upper, environ={})

    broken = tmp_path / "broken.toml"
    broken.write_text("billflow_secret_key = \n", encoding="utf-8")
    with pytest.raises(BridgeConfigError, match="not valid TOML"):
        load_config(broken, environ={})

    with pytest.raises(BridgeConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml", environ={})


def test_a_misspelt_portal_option_is_refused_when_the_app_is_made(tmp_path: Path) -> None:
    from billflow_bridge import create_app

    config = BridgeConfig.from_mapping(
        {**GOOD, "BILLFLOW_CHANGE_PLANS": "false",
         "BILLFLOW_BRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'b.sqlite3'}"}
    )  # fmt: skip
    with pytest.raises(Exception, match="BILLFLOW_CHANGE_PLANS is not a Billflow option"):
        create_app(config)
