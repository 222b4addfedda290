"""Pages that carry a visitor's hash: private to caches, framed only by the site (and the
origins it names); every other page, and the site's own policy, left as the app made them."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from billflow_flask import Billflow, BillflowConfigError
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

from .flask_site import config_for, session_app


def _signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"email": DEMO_EMAIL, "password": "secret"}).status_code
    return client


def test_a_page_with_a_hash_is_private_and_framed_only_by_the_site(
    stripe_sandbox: Sandbox,
) -> None:
    app, _ = session_app(stripe_sandbox)
    page = _signed_in(app).get("/account")
    assert page.status_code == 200 and "data-billflow-settings" in page.get_data(as_text=True)
    assert "private" in page.headers["Cache-Control"]
    assert page.headers["Content-Security-Policy"] == "frame-ancestors 'self'"


def test_pages_without_the_portal_get_no_framing_or_cache_headers(
    stripe_sandbox: Sandbox,
) -> None:
    app, _ = session_app(stripe_sandbox)
    client = _signed_in(app)
    for path in ("/login", "/billflow/embed.js", "/billflow/api/openapi.json"):
        answer = client.get(path)
        assert "Content-Security-Policy" not in answer.headers, path
        assert "private" not in answer.headers.get("Cache-Control", ""), path
    anonymous = app.test_client().get("/account")  # a sign-in prompt, no hash
    assert "Content-Security-Policy" not in anonymous.headers


def test_the_sites_origins_widen_the_policy_and_its_own_policy_is_kept(
    stripe_sandbox: Sandbox,
) -> None:
    app, _ = session_app(stripe_sandbox, frame_ancestors=["https://shop.example.com"])

    @app.after_request
    def policy(response):  # type: ignore[no-untyped-def]
        response.headers["Content-Security-Policy"] = "default-src 'self'"
        return response

    page = _signed_in(app).get("/account")
    assert page.headers["Content-Security-Policy"] == (
        "default-src 'self'; frame-ancestors 'self' https://shop.example.com"
    )


def test_a_frame_ancestors_the_site_set_itself_is_never_overridden(
    stripe_sandbox: Sandbox,
) -> None:
    app, _ = session_app(stripe_sandbox)

    @app.after_request
    def policy(response):  # type: ignore[no-untyped-def]
        response.headers["Content-Security-Policy"] = "frame-ancestors https://partner.example"
        return response

    page = _signed_in(app).get("/account")
    assert page.headers["Content-Security-Policy"] == "frame-ancestors https://partner.example"


@pytest.mark.parametrize("value", ["https://a.example", ["https://a.example/path"], ["*"]])
def test_frame_ancestors_that_are_not_origins_fail_at_start_up(
    stripe_sandbox: Sandbox, value: object
) -> None:
    app = Flask(__name__)
    app.config.update(config_for(stripe_sandbox), BILLFLOW_FRAME_ANCESTORS=value)
    with pytest.raises(BillflowConfigError, match="BILLFLOW_FRAME_ANCESTORS"):
        Billflow(app)
