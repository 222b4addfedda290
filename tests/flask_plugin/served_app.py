"""A Flask app with Billflow configured from the environment, as README's Flask section sets
one up and gunicorn serves it (`gunicorn 'served_app:create_app()'`): every `BILLFLOW_*`
variable is a config key, `BILLFLOW_REDIS_URL` among them. `test_two_gunicorn_servers.py`
serves it from two processes; their environment holds only the variables the test chose."""

from __future__ import annotations

import os

from flask import Flask, session

from billflow_flask import Billflow


def create_app() -> Flask:
    """The app, its portal configured by `BILLFLOW_*` from the environment."""
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ["FLASK_SECRET_KEY"]
    app.config.update({k: v for k, v in os.environ.items() if k.startswith("BILLFLOW_")})
    billflow = Billflow(app)

    @billflow.identity_loader
    def signed_in_email() -> str | None:
        """The app's own session's email (the tests' pages prove who asks with a hash)."""
        return session.get("email")

    return app
