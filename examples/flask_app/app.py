"""A small Flask app with the customer portal: `python examples/flask_app/app.py`.

Sign in as ada@example.com (password `demo`) and manage Ada's subscriptions. The Stripe
keys come from the environment (`BILLFLOW_STRIPE_API_KEY`, a test key); without one the
built-in Stripe sandbox starts with the demo account. `flask --app examples/flask_app/app.py
billflow doctor` checks the configuration.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask, redirect, render_template, request, session, url_for

from billflow_flask import Billflow

billflow = Billflow()

USERS = {"ada@example.com": "demo"}  # stands in for the app's own users


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("FLASK_SECRET_KEY") or secrets.token_urlsafe(32),
        BILLFLOW_SECRET_KEY=os.environ.get("BILLFLOW_SECRET_KEY") or secrets.token_urlsafe(32),
        BILLFLOW_STRIPE_API_KEY=os.environ.get("BILLFLOW_STRIPE_API_KEY"),
        BILLFLOW_STRIPE_PUBLISHABLE_KEY=os.environ.get("BILLFLOW_STRIPE_PUBLISHABLE_KEY"),
        BILLFLOW_STRIPE_WEBHOOK_SECRET=os.environ.get("BILLFLOW_STRIPE_WEBHOOK_SECRET"),
        BILLFLOW_COUPONS=True,
        BILLFLOW_PLAN_PICKER=True,
    )
    app.config.update(config or {})
    billflow.init_app(app)

    @app.route("/")
    def home() -> Any:
        return redirect(url_for("account"))

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        error = None
        if request.method == "POST":
            email = request.form.get("email", "").strip().lower()
            if USERS.get(email) == request.form.get("password"):
                session["email"] = email
                return redirect(url_for("account"))
            error = "That email and password do not match."
        return render_template("login.html", error=error)

    @app.route("/logout", methods=["POST"])
    def logout() -> Any:
        session.clear()
        return redirect(url_for("login"))

    @app.route("/account")
    def account() -> Any:
        if "email" not in session:
            return redirect(url_for("login"))
        return render_template("account.html", email=session["email"])

    return app


@billflow.identity_loader
def signed_in_email() -> str | None:
    """Who is signed in: the email the app's own sign-in checked with its password. The
    portal trusts this answer as the app's word, so it is never an address a user typed
    and nobody confirmed. (Flask-Login's current_user works too, with
    BILLFLOW_VERIFIED_EMAIL saying which emails the app verified.)"""
    return session.get("email")


def _sandbox_config() -> dict[str, Any]:
    """The built-in Stripe sandbox with the demo account, when no Stripe key is set."""
    from billflow_sandbox import Sandbox

    sandbox = Sandbox("127.0.0.1", 0)
    sandbox.start()
    sandbox.seed("demo")
    return {
        "BILLFLOW_STRIPE_API_KEY": sandbox.secret_key,
        "BILLFLOW_STRIPE_API_BASE": sandbox.url,
        "BILLFLOW_STRIPE_PUBLISHABLE_KEY": sandbox.publishable_key,
        "BILLFLOW_STRIPE_JS_URL": f"{sandbox.url}/v3/",
    }


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "5000"))
    needs_sandbox = not os.environ.get("BILLFLOW_STRIPE_API_KEY")
    app = create_app(_sandbox_config() if needs_sandbox else None)
    print(f"Billflow on Flask: open http://127.0.0.1:{port}/ and sign in as "
          "ada@example.com / demo", flush=True)  # fmt: skip
    app.run("127.0.0.1", port)
