"""The Flask extension as a Flask developer meets it: both ways of setting it up, each app
its own portal, Flask-Login or an identity loader, the API and Stripe's webhook through
Flask (with CSRFProtect on), and configuration mistakes named at start-up or first use."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from billflow_core import user_hash, verify_hash
from billflow_core.errors import Forbidden
from billflow_core.identity.page_tokens import PageGrant, open_page
from billflow_flask import Billflow, BillflowConfigError
from billflow_flask.extension import BillflowState
from billflow_sandbox import Sandbox
from billflow_sandbox.mailbox import Mailbox
from billflow_sandbox.seed import DEMO_EMAIL
from billflow_sandbox.webhooks import sign
from flask_site import SECRET, config_for, flask_login_app, session_app


def _settings_in(html: str) -> dict[str, Any]:
    found = re.search(r"data-billflow-settings>(.*?)</script>", html)
    assert found, html
    return dict(json.loads(found[1]))


def _signed_in(app: Flask, email: str = DEMO_EMAIL) -> FlaskClient:
    client = app.test_client()
    answer = client.post("/login", data={"email": email, "password": "secret"})
    assert answer.status_code == 302
    return client


def _page_of(secret: str, found: dict[str, Any]) -> PageGrant:
    """What the snippet's page token grants, opened with `secret` as the server does."""
    return open_page(secret, found["page"], scope="", now=int(time.time()))


def _headers(found: dict[str, Any]) -> dict[str, str]:
    return {"X-Billflow-Page": found["page"]}


@pytest.mark.parametrize("factory", [False, True], ids=["Billflow(app)", "init_app"])
def test_both_ways_of_setting_up_give_the_app_its_portal(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox, factory: bool
) -> None:
    app, billflow = session_app(stripe_sandbox, factory=factory, coupons=True)
    found = app.extensions["billflow"]
    assert isinstance(found, BillflowState) and found.extension is billflow
    assert not hasattr(billflow, "portal") and not hasattr(billflow, "app")
    assert app.config["BILLFLOW_COUPONS"] is True  # the app's own value stays
    assert app.config["BILLFLOW_CANCEL"] is True  # a default, set by setdefault
    assert app.config["BILLFLOW_URL_PREFIX"] == "/billflow"

    client = _signed_in(app)
    found_settings = _settings_in(client.get("/account").get_data(as_text=True))
    assert found_settings["email"] == DEMO_EMAIL and found_settings["api"] == "/billflow"
    assert _page_of(SECRET, found_settings).identity == DEMO_EMAIL
    portal = client.get("/billflow/api/portal", headers=_headers(found_settings)).get_json()
    assert {s["id"] for s in portal["billingData"]["subscriptions"]} == set(
        sandbox["subscriptions"]
    )


def test_two_apps_in_one_process_keep_their_own_settings(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    billflow = Billflow()
    apps = []
    for coupons, prefix in ((True, "/billing"), (False, "/portal")):
        app = Flask(f"app_{prefix[1:]}")
        app.config.update(config_for(stripe_sandbox, coupons=coupons, url_prefix=prefix))
        billflow.init_app(app)
        apps.append(app)
    one, two = (a.extensions["billflow"] for a in apps)
    assert one.portal is not two.portal and one.portal.answers is not two.portal.answers
    headers = {"X-Billflow-Identity": DEMO_EMAIL, "X-Billflow-Hash": user_hash(SECRET, DEMO_EMAIL)}
    first = apps[0].test_client().get("/billing/api/portal", headers=headers).get_json()
    second = apps[1].test_client().get("/portal/api/portal", headers=headers).get_json()
    assert (first["currentConfig"]["coupons"], second["currentConfig"]["coupons"]) == (True, False)
    assert apps[0].test_client().get("/portal/api/portal", headers=headers).status_code == 404


def test_with_flask_login_the_portal_is_for_current_user_and_anonymous_gets_a_sign_in_link(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    app = flask_login_app(stripe_sandbox)
    page = _signed_in(app).get("/account").get_data(as_text=True)
    found = _settings_in(page)
    assert found["email"] == DEMO_EMAIL and _page_of(SECRET, found).identity == DEMO_EMAIL
    anonymous = app.test_client().get("/account").get_data(as_text=True)
    assert "data-billflow-settings" not in anonymous and "hash" not in anonymous
    assert '<a href="/login">Sign in</a>' in anonymous


def test_without_flask_login_the_identity_loader_names_the_user(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    app, _ = session_app(stripe_sandbox)
    assert _settings_in(_signed_in(app).get("/account").get_data(as_text=True))["email"] == (
        DEMO_EMAIL
    )
    anonymous = app.test_client().get("/account").get_data(as_text=True)
    assert "data-billflow-settings" not in anonymous
    assert "Sign in to manage your subscription" in anonymous


def test_an_app_that_gives_no_way_to_know_the_user_is_told_what_to_register(
    stripe_sandbox: Sandbox,
) -> None:
    app = Flask(__name__)
    app.config.update(config_for(stripe_sandbox))
    Billflow(app)

    @app.route("/account")
    def account() -> str:
        from flask import render_template_string

        return render_template_string("{{ billflow_portal() }}")

    app.testing = True
    with pytest.raises(BillflowConfigError, match=r"register @billflow\.identity_loader"):
        app.test_client().get("/account")


@pytest.mark.parametrize("missing", ["BILLFLOW_SECRET_KEY", "BILLFLOW_STRIPE_API_KEY"])
def test_a_missing_secret_fails_at_start_up_naming_it(
    stripe_sandbox: Sandbox, missing: str
) -> None:
    app = Flask(__name__)
    app.config.update({k: v for k, v in config_for(stripe_sandbox).items() if k != missing})
    with pytest.raises(BillflowConfigError, match=missing) as refused:
        Billflow(app)
    assert refused.value.param == missing
    assert "billflow" not in app.extensions


@pytest.mark.parametrize(
    ("key", "value", "param"),
    [("BILLFLOW_CANCEL", "sometimes", "cancel"),
     ("BILLFLOW_URL_PREFIX", "billflow/", "BILLFLOW_URL_PREFIX"),
     ("BILLFLOW_FRAME_ANCESTORS", "https://a.example", "BILLFLOW_FRAME_ANCESTORS"),
     ("BILLFLOW_STRIPE_JS_URL", "javascript:alert(1)", "BILLFLOW_STRIPE_JS_URL")],
)  # fmt: skip
def test_a_bad_setting_fails_at_start_up_naming_it(
    stripe_sandbox: Sandbox, key: str, value: str, param: str
) -> None:
    app = Flask(__name__)
    app.config.update({**config_for(stripe_sandbox), key: value})
    with pytest.raises(BillflowConfigError, match=f"^Billflow: {key}") as refused:
        Billflow(app)
    assert refused.value.param == param
    assert str(refused.value).endswith("; set it in app.config")
    assert "billflow" not in app.extensions and not app.blueprints


def test_the_yearly_pause_limit_defaults_to_one_and_is_checked_at_start_up(
    stripe_sandbox: Sandbox,
) -> None:
    app, _ = session_app(stripe_sandbox, factory=False)
    assert app.config["BILLFLOW_PAUSE_LIMIT_PER_YEAR"] == 1
    refused = Flask(__name__)
    refused.config.update(config_for(stripe_sandbox, pause_limit_per_year=0))
    with pytest.raises(BillflowConfigError, match="pause_limit_per_year must be between 1 and 52"):
        Billflow(refused)


@pytest.mark.parametrize("csrf_first", [True, False], ids=["CSRFProtect first", "then"])
def test_the_api_and_stripes_webhook_work_with_csrfprotect_on(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox, csrf_first: bool
) -> None:
    from flask_wtf.csrf import CSRFProtect

    app = Flask(__name__)
    app.config.update(config_for(stripe_sandbox), BILLFLOW_STRIPE_WEBHOOK_SECRET="whsec_flask_test")
    if csrf_first:
        CSRFProtect(app)
        Billflow(app)
    else:
        Billflow(app)
        CSRFProtect(app)

    @app.route("/form", methods=["POST"])
    def form() -> str:
        return "ok"

    client = app.test_client()
    assert client.post("/form").status_code == 400  # CSRFProtect is on for the app's forms
    headers = {"X-Billflow-Identity": DEMO_EMAIL, "X-Billflow-Hash": user_hash(SECRET, DEMO_EMAIL),
               "Idempotency-Key": "flask-quantity-0001"}  # fmt: skip
    changed = client.post(
        "/billflow/api/actions/change_quantity",
        json={"subscription": sandbox["subscriptions"][1], "quantity": 4},
        headers=headers,
    )
    assert changed.status_code == 200, changed.get_data(as_text=True)
    stored = stripe_sandbox.client().v1.subscriptions.retrieve(sandbox["subscriptions"][1])
    assert stored["items"].data[0].quantity == 4

    payload = json.dumps({"id": "evt_1", "object": "event", "type": "price.updated",
                          "data": {"object": {"id": "price_1", "object": "price"}}})  # fmt: skip
    now = int(time.time())
    signature = sign(payload.encode(), "whsec_flask_test", now)  # as Stripe signs it
    good = client.post("/billflow/stripe/webhook", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": signature})  # fmt: skip
    assert good.status_code == 200 and good.get_json()["received"] is True
    forged = client.post("/billflow/stripe/webhook", data=payload, content_type="application/json",
                         headers={"Stripe-Signature": f"t={now},v1={'0' * 64}"})  # fmt: skip
    assert forged.status_code == 400
    assert client.get("/billflow/embed.js").status_code == 200


def test_the_pages_own_options_are_held_by_the_server(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    app, _ = session_app(stripe_sandbox, page_options={"cancel": False})
    client = _signed_in(app)
    found = _settings_in(client.get("/account").get_data(as_text=True))
    before = len(stripe_sandbox.writes())
    refused = client.post(
        "/billflow/api/actions/cancel",
        json={"subscription": sandbox["subscriptions"][0], "reason": "unused"},
        headers={**_headers(found), "Idempotency-Key": "flask-cancel-0001"},
    )
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "feature_disabled"
    # The page holds no hash: without its token (or with the header edited out) the page
    # has no identity left to cancel for.
    assert "hash" not in found
    dropped = client.post(
        "/billflow/api/actions/cancel",
        json={"subscription": sandbox["subscriptions"][0], "reason": "unused"},
        headers={"X-Billflow-Identity": DEMO_EMAIL, "Idempotency-Key": "flask-cancel-0002"},
    )
    assert dropped.status_code == 403 and dropped.get_json()["error"]["code"] == "hash_missing"
    assert len(stripe_sandbox.writes()) == before


def _sign_in_options() -> dict[str, Any]:
    return {"email_sign_in": True, "company_name": "Acme",
            "sign_in_from_address": "billing@acme.example",
            "sign_in_redirect_url": "http://localhost/account"}  # fmt: skip


def test_sign_in_emails_go_through_the_apps_sender(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    app, billflow = session_app(stripe_sandbox, **_sign_in_options())
    sent: list[Any] = []
    billflow.mail_sender(sent.append)
    anonymous = app.test_client().get("/account").get_data(as_text=True)
    settings = _settings_in(anonymous)  # the email form: a page token naming nobody, no hash
    assert set(settings) == {"api", "page"} and _page_of(SECRET, settings).identity is None
    asked = app.test_client().post("/billflow/api/login-link", json={"email": DEMO_EMAIL})
    assert asked.status_code == 202
    app.extensions["billflow"].portal.sign_in.wait()
    (message,) = sent
    assert message["To"] == DEMO_EMAIL and "billflow_token=" in str(message.get_body(("plain",)))


def test_sign_in_emails_go_over_smtp_from_the_apps_config(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox, smtp_mailbox: Mailbox
) -> None:
    app, _ = session_app(stripe_sandbox, **_sign_in_options(), smtp_host=smtp_mailbox.host,
                         smtp_port=smtp_mailbox.port)  # fmt: skip
    assert (
        app.test_client().post("/billflow/api/login-link", json={"email": DEMO_EMAIL}).status_code
        == 202
    )
    (mail,) = smtp_mailbox.wait_for(DEMO_EMAIL)
    assert mail.subject == "Your sign-in link for Acme"


def test_email_sign_in_with_nothing_to_send_fails_at_the_first_request(
    stripe_sandbox: Sandbox,
) -> None:
    app, _ = session_app(stripe_sandbox, **_sign_in_options())
    app.testing = True
    with pytest.raises(BillflowConfigError, match="set BILLFLOW_SMTP_HOST or register"):
        app.test_client().get("/account")


def test_the_flask_commands_make_a_hash_and_check_the_configuration(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    app, _ = session_app(stripe_sandbox)
    runner = app.test_cli_runner()
    made = runner.invoke(args=["billflow", "hash", DEMO_EMAIL])
    assert made.exit_code == 0 and made.output.strip() == user_hash(SECRET, DEMO_EMAIL)
    expiring = runner.invoke(args=["billflow", "hash", DEMO_EMAIL, "--expires-in", "60"])
    assert verify_hash(SECRET, DEMO_EMAIL, expiring.output.strip())
    doctor = runner.invoke(args=["billflow", "doctor"])
    assert "test mode key" in doctor.output
    assert "BILLFLOW_STRIPE_WEBHOOK_SECRET is not set" in doctor.output


def test_the_flask_hash_command_refuses_what_no_page_can_use(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    app, _ = session_app(stripe_sandbox)
    runner = app.test_cli_runner()
    empty = runner.invoke(args=["billflow", "hash", " "])
    assert empty.exit_code == 2
    assert "Invalid value for 'IDENTITY': it is empty: give the customer's email" in empty.output
    for given in ("0", "-5"):
        expired = runner.invoke(args=["billflow", "hash", DEMO_EMAIL, "--expires-in", given])
        assert expired.exit_code == 2
        assert (
            "Invalid value for '--expires-in': must be a whole number of seconds above zero, "
            f"such as 3600, not {given}"
        ) in expired.output


def test_the_apps_templates_replace_the_extensions_and_the_portals(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox, tmp_path: Path
) -> None:
    (tmp_path / "templates" / "billflow").mkdir(parents=True)
    (tmp_path / "templates" / "billflow" / "embed.html").write_text(
        '<div class="our-portal">{{ snippet }}</div>'
    )
    (tmp_path / "templates" / "billflow" / "preview.html").write_text("Our own preview.")
    app = Flask(__name__, root_path=str(tmp_path))
    app.config.update(config_for(stripe_sandbox))
    Billflow(app).identity_loader(lambda: DEMO_EMAIL)

    @app.route("/account")
    def account() -> str:
        from flask import render_template_string

        return render_template_string("{{ billflow_portal() }}")

    client = app.test_client()
    page = client.get("/account").get_data(as_text=True)
    assert page.startswith('<div class="our-portal">')
    found = _settings_in(page)
    preview = client.post(
        "/billflow/api/preview",
        json={"subscription": sandbox["subscriptions"][1], "quantity": 5},
        headers=_headers(found),
    )
    assert preview.get_json()["html"] == "Our own preview."


def test_a_sender_that_needs_the_app_context_gets_it(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    from flask import current_app

    app, billflow = session_app(stripe_sandbox, **_sign_in_options())
    sent: list[tuple[str, Any]] = []
    billflow.mail_sender(lambda message: sent.append((current_app.name, message)))
    assert (
        app.test_client().post("/billflow/api/login-link", json={"email": DEMO_EMAIL}).status_code
        == 202
    )
    app.extensions["billflow"].portal.sign_in.wait()
    assert [name for name, _ in sent] == [app.name]  # sent from the worker, in the app


def test_an_app_under_a_sub_path_gives_the_page_the_apis_full_address(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    app, _ = session_app(stripe_sandbox)
    client = app.test_client()
    client.post("/login", data={"email": DEMO_EMAIL, "password": "secret"},
                base_url="http://localhost/shop")  # fmt: skip
    page = client.get("/account", base_url="http://localhost/shop").get_data(as_text=True)
    found = _settings_in(page)
    assert found["api"] == "/shop/billflow" and 'src="/shop/billflow/embed.js"' in page
    answer = client.get("/billflow/api/portal", base_url="http://localhost/shop",
                        headers=_headers(found))  # fmt: skip
    assert answer.status_code == 200


def test_bodies_over_64_kib_are_refused_unread_and_head_and_options_are_flasks(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    app, _ = session_app(stripe_sandbox)
    client = app.test_client()
    big = client.post("/billflow/stripe/webhook", data=b"x" * (65 * 1024),
                      content_type="application/json")  # fmt: skip
    assert big.status_code == 413 and big.get_json()["error"]["code"] == "body_too_large"
    head = client.head("/billflow/embed.js")
    assert head.status_code == 200 and head.data == b""
    options = client.options("/billflow/api/portal")
    assert options.status_code == 200 and "GET" in options.headers["Allow"]


def test_setting_up_an_app_twice_says_so(stripe_sandbox: Sandbox) -> None:
    app, billflow = session_app(stripe_sandbox)
    with pytest.raises(BillflowConfigError, match="already set up on this app"):
        billflow.init_app(app)


def test_without_flask_login_installed_the_loader_is_asked_for_and_then_used(
    stripe_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flask import render_template_string

    monkeypatch.setitem(__import__("sys").modules, "flask_login", None)  # not installed
    app = Flask(__name__)
    app.config.update(config_for(stripe_sandbox))
    billflow = Billflow(app)
    app.add_url_rule(
        "/account", "account", lambda: render_template_string("{{ billflow_portal() }}")
    )
    app.testing = True
    with pytest.raises(BillflowConfigError, match="identity_loader"):
        app.test_client().get("/account")
    billflow.identity_loader(lambda: DEMO_EMAIL)
    assert _settings_in(app.test_client().get("/account").get_data(as_text=True))["email"] == (
        DEMO_EMAIL
    )


def test_two_apps_sign_with_their_own_secrets_and_serve_their_own_prefixes(
    stripe_sandbox: Sandbox,
) -> None:
    from flask import render_template_string

    billflow = Billflow()
    billflow.identity_loader(lambda: DEMO_EMAIL)
    pages = []
    for secret, prefix in (("first-app-secret-0123456789", "/one"),
                           ("second-app-secret-0123456789", "/two")):  # fmt: skip
        app = Flask(f"app{prefix[1:]}")
        app.config.update(config_for(stripe_sandbox, url_prefix=prefix),
                          BILLFLOW_SECRET_KEY=secret)  # fmt: skip
        billflow.init_app(app)
        app.add_url_rule("/", "page", lambda: render_template_string("{{ billflow_portal() }}"))
        found = _settings_in(app.test_client().get("/").get_data(as_text=True))
        pages.append((secret, prefix, found))
    for secret, prefix, found in pages:
        assert found["api"] == prefix and _page_of(secret, found).identity == DEMO_EMAIL
    with pytest.raises(Forbidden):
        _page_of(pages[0][0], pages[1][2])


def test_the_commands_on_an_app_without_billflow_say_what_to_do() -> None:
    app = Flask(__name__)
    from billflow_flask.cli import billflow_cli

    app.cli.add_command(billflow_cli)
    answer = app.test_cli_runner().invoke(args=["billflow", "doctor"])
    assert answer.exit_code == 1 and "call Billflow(app)" in answer.output


def test_get_state_reads_each_apps_own_billflow_and_names_an_app_without_it(
    stripe_sandbox: Sandbox,
) -> None:
    from billflow_flask._state import get_state

    app, billflow = session_app(stripe_sandbox)
    assert get_state(app) is app.extensions["billflow"] and get_state(app).extension is billflow
    with pytest.raises(BillflowConfigError, match=r"call Billflow\(app\)"):
        get_state(Flask(__name__))


def test_the_extensions_modules_import_one_another_without_a_cycle() -> None:
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("billflow_flask", cache_dir=None)
    modules = sorted(graph.modules)
    cycles = [
        (first, second)
        for index, first in enumerate(modules)
        for second in modules[index + 1 :]
        if graph.chain_exists(first, second) and graph.chain_exists(second, first)
    ]
    assert cycles == []


def test_an_apps_own_smaller_body_limit_is_kept_and_refused_as_the_portal_refuses(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    """An app's `MAX_CONTENT_LENGTH` below the portal's 64 KiB wins, and a body over it gets
    the portal's JSON refusal (the page reads `error.code`), not Flask's HTML page."""
    app, _ = session_app(stripe_sandbox)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    client = app.test_client()
    over = client.post("/billflow/api/actions/cancel", data=b"{" + b" " * 2048 + b"}",
                       content_type="application/json")  # fmt: skip
    assert over.status_code == 413
    assert over.get_json()["error"]["code"] == "body_too_large"
    under = client.post("/billflow/api/actions/cancel", data=b"{}",
                        content_type="application/json")  # fmt: skip
    assert under.status_code != 413 and under.get_json()["error"]["code"] != "body_too_large"
