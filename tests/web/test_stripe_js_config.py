"""The publishable key and the Stripe.js address the page's card form uses."""

from __future__ import annotations

import pytest

from billflow_core.config import STRIPE_JS_URL
from billflow_core.errors import SettingsError
from billflow_core.portal import Portal
from billflow_sandbox import Sandbox

SECRET = "web-test-secret-0123456789"


def config(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    return {
        "BILLFLOW_SECRET_KEY": SECRET,
        "BILLFLOW_STRIPE_API_KEY": sandbox.secret_key,
        "BILLFLOW_STRIPE_API_BASE": sandbox.url,
        **extra,
    }


def test_from_config_reads_the_publishable_key_and_defaults_to_stripes_script(
    stripe_sandbox: Sandbox,
) -> None:
    portal = Portal.from_config(
        config(stripe_sandbox, BILLFLOW_STRIPE_PUBLISHABLE_KEY=stripe_sandbox.publishable_key)
    )
    assert portal.stripe_publishable_key == stripe_sandbox.publishable_key
    assert portal.stripe_js_url == STRIPE_JS_URL == "https://js.stripe.com/v3/"


def test_the_sandboxs_stand_in_can_replace_stripe_js(stripe_sandbox: Sandbox) -> None:
    portal = Portal.from_config(
        config(stripe_sandbox, BILLFLOW_STRIPE_JS_URL=f"{stripe_sandbox.url}/v3/")
    )
    assert portal.stripe_js_url == f"{stripe_sandbox.url}/v3/"
    assert portal.stripe_publishable_key is None


@pytest.mark.parametrize(
    ("extra", "names"),
    [
        ({"BILLFLOW_STRIPE_PUBLISHABLE_KEY": "sk_test_not_for_pages"}, "PUBLISHABLE_KEY"),
        ({"BILLFLOW_STRIPE_PUBLISHABLE_KEY": "pk_live_other_mode"}, "both be live"),
        ({"BILLFLOW_STRIPE_JS_URL": "javascript:alert(1)"}, "STRIPE_JS_URL"),
    ],
)
def test_keys_the_page_cannot_use_are_refused_naming_the_setting(
    stripe_sandbox: Sandbox, extra: dict[str, str], names: str
) -> None:
    with pytest.raises(SettingsError, match=names) as refused:
        Portal.from_config(config(stripe_sandbox, **extra))
    assert "sk_test_not_for_pages" not in str(refused.value)
