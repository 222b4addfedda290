"""Live keys force the hash, through a `Portal` built with one: a site that turned
`require_hash` off (as a test-mode trial may) still proves every visitor once its Stripe key
is live, in `Portal.visitor` and in the HTTP API, before any Stripe request is made."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from billflow_core import user_hash
from billflow_core.errors import Forbidden
from billflow_core.portal import Portal
from billflow_core.settings import PortalSettings
from billflow_core.web import PortalAPI, make_wsgi_app

SECRET = "live-wiring-secret-0123456789"
ADA = "ada@example.com"
# Nothing answers here: a request that reached Stripe would fail, not pass.
NOWHERE = "http://127.0.0.1:9"


def _portal(key: str) -> Portal:
    return Portal(
        PortalSettings(require_hash=False),
        secret_key=SECRET,
        stripe_api_key=key,
        stripe_api_base=NOWHERE,
    )


def test_a_test_key_lets_a_relaxed_site_name_its_visitor_without_a_hash() -> None:
    assert _portal("sk_test_" + "t" * 24).visitor(ADA, None).identity == ADA


def test_a_live_key_forces_the_hash_in_the_portal() -> None:
    live = _portal("sk_live_" + "l" * 24)
    with pytest.raises(Forbidden) as refused:
        live.visitor(ADA, None)
    assert refused.value.code == "hash_missing"
    assert live.visitor(ADA, user_hash(SECRET, ADA)).identity == ADA


def test_a_live_key_forces_the_hash_in_the_http_api() -> None:
    client = Client(make_wsgi_app(PortalAPI(_portal("sk_live_" + "l" * 24))))
    answer = client.get("/billflow/api/portal", headers={"X-Billflow-Identity": ADA})
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "hash_missing"
