"""Billflow for Flask: the customer portal in any Flask app.

    from billflow_flask import Billflow

    billflow = Billflow(app)            # or billflow = Billflow(); billflow.init_app(app)

    @billflow.identity_loader           # without Flask-Login: who is logged in
    def identity():
        return session.get("email")

    {{ billflow_portal() }}              {# in a template: the portal for that user #}

Options and secrets come from `app.config` as `BILLFLOW_*` keys; the portal's API and
Stripe's webhook are served by a blueprint under `BILLFLOW_URL_PREFIX` (`/billflow`). Every
rule is the core's: the extension finds who is logged in and wires Flask's config.
"""

from __future__ import annotations

try:
    import flask  # noqa: F401
except ImportError:  # pragma: no cover - depends on what is installed
    raise ImportError("billflow_flask needs Flask: pip install 'billflow[flask]'") from None

from ._state import BillflowState, get_state
from .extension import Billflow, BillflowConfigError

__all__ = ["Billflow", "BillflowConfigError", "BillflowState", "get_state"]
