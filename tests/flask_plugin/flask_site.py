"""Small Flask apps with Billflow, for the extension's tests: one signs users in with
Flask-Login, one with the app's own session and an identity loader. The sandbox is Stripe."""

from __future__ import annotations

from typing import Any

from flask import Flask, redirect, render_template_string, request, session, url_for

from billflow_flask import Billflow
from billflow_sandbox import Sandbox

SECRET = "flask-test-secret-0123456789"

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Account</title>
</head><body><main><h1>Your account</h1>
{{ billflow_portal(heading="Billing", **options) }}
</main></body></html>"""

LOGIN = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><main><h1>Sign in</h1><form method="post">
<label>Email <input name="email" type="email"></label>
<label>Password <input name="password" type="password"></label>
<button>Sign in</button></form></main></body></html>"""


def config_for(sandbox: Sandbox, **options: Any) -> dict[str, Any]:
    return {
        "SECRET_KEY": "flask-session-key",
        "BILLFLOW_SECRET_KEY": SECRET,
        "BILLFLOW_STRIPE_API_KEY": sandbox.secret_key,
        "BILLFLOW_STRIPE_API_BASE": sandbox.url,
        "BILLFLOW_STRIPE_PUBLISHABLE_KEY": sandbox.publishable_key,
        "BILLFLOW_STRIPE_JS_URL": f"{sandbox.url}/v3/",
        **{f"BILLFLOW_{k.upper()}": v for k, v in options.items()},
    }


def _pages(app: Flask, page_options: dict[str, Any]) -> None:
    @app.route("/account")
    def account() -> str:
        return render_template_string(PAGE, options=page_options)


def session_app(
    sandbox: Sandbox, *, factory: bool = False, page_options: dict[str, Any] | None = None,
    **options: Any,
) -> tuple[Flask, Billflow]:  # fmt: skip
    """An app that keeps the signed-in email in its session, and tells Billflow so."""
    app = Flask(__name__)
    app.config.update(config_for(sandbox, **options))
    billflow = Billflow()
    if factory:
        billflow.init_app(app)
    else:
        billflow = Billflow(app)

    @billflow.identity_loader
    def identity() -> str | None:
        return session.get("email")

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "POST" and request.form.get("password") == "secret":
            session["email"] = request.form["email"]
            return redirect(url_for("account"))
        return LOGIN

    _pages(app, page_options or {})
    return app, billflow


def verified_email(user: Any) -> str | None:
    """The app's word on a user's email: theirs once its signup confirmed it."""
    return user.email if user.email_verified else None


def flask_login_app(sandbox: Sandbox, **options: Any) -> Flask:
    """An app that signs users in with Flask-Login; Billflow reads `current_user.email`
    where the app vouches for it (`verified_email`, unless `options` say otherwise). A
    sign-in with `verified=no` stands for a user whose email nobody confirmed."""
    from flask_login import LoginManager, UserMixin, login_user

    class User(UserMixin):  # type: ignore[misc]
        def __init__(self, user_id: str) -> None:
            self.id = user_id
            self.email, _, confirmed = user_id.partition("|")
            self.email_verified = confirmed != "no"

    app = Flask(__name__)
    app.config.update(config_for(sandbox, **{"verified_email": verified_email, **options}))
    manager = LoginManager(app)
    manager.login_view = "login"
    manager.user_loader(User)
    Billflow(app)

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "POST" and request.form.get("password") == "secret":
            login_user(User(f"{request.form['email']}|{request.form.get('verified', 'yes')}"))
            return redirect(url_for("account"))
        return LOGIN

    _pages(app, {})
    return app
