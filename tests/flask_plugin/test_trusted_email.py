"""Flask-Login's `current_user.email` is an identity only when the app vouches that it is
verified (`BILLFLOW_VERIFIED_EMAIL`); an explicit identity loader is the app's own word."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from billflow_flask import BillflowConfigError
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL
from flask_site import flask_login_app


def signed_in(app: Flask, *, verified: str = "yes") -> FlaskClient:
    client = app.test_client()
    answer = client.post(
        "/login", data={"email": DEMO_EMAIL, "password": "secret", "verified": verified}
    )
    assert answer.status_code == 302
    return client


def snippet_email(html: str) -> Any:
    found = re.search(r"data-billflow-settings>(.*?)</script>", html)
    return json.loads(found[1]).get("email") if found else None


def test_flask_logins_email_is_refused_until_the_app_vouches_for_it(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    app = flask_login_app(stripe_sandbox, verified_email=None)
    app.testing = True
    client = signed_in(app)

    with pytest.raises(BillflowConfigError, match="BILLFLOW_VERIFIED_EMAIL") as refused:
        client.get("/account")
    assert "identity_loader" in str(refused.value)
    # At first use, whoever asks: an anonymous visitor's page says so too.
    with pytest.raises(BillflowConfigError, match="BILLFLOW_VERIFIED_EMAIL"):
        app.test_client().get("/account")


def test_a_verified_email_callable_vouches_for_its_users_and_none_shows_no_portal(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    app = flask_login_app(stripe_sandbox)  # the site's own `verified_email(user)`

    assert snippet_email(signed_in(app).get("/account").get_data(as_text=True)) == DEMO_EMAIL
    unconfirmed = signed_in(app, verified="no").get("/account").get_data(as_text=True)
    assert "data-billflow-settings" not in unconfirmed and DEMO_EMAIL not in unconfirmed


def test_true_declares_every_email_verified_and_a_dotted_path_is_imported(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    every = flask_login_app(stripe_sandbox, verified_email=True)
    page = signed_in(every, verified="no").get("/account").get_data(as_text=True)
    assert snippet_email(page) == DEMO_EMAIL

    dotted = flask_login_app(stripe_sandbox, verified_email="flask_site.verified_email")
    assert snippet_email(signed_in(dotted).get("/account").get_data(as_text=True)) == DEMO_EMAIL
    assert "data-billflow-settings" not in (
        signed_in(dotted, verified="no").get("/account").get_data(as_text=True)
    )

    missing = flask_login_app(stripe_sandbox, verified_email="flask_site.nowhere")
    missing.testing = True
    with pytest.raises(BillflowConfigError, match="cannot be imported"):
        signed_in(missing).get("/account")
