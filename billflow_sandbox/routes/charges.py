"""Charges: what each payment attempt left, to follow a payment as on Stripe (retrieve, list)."""

from __future__ import annotations

from typing import Any

from stripe import params as sp

from ..context import Context
from ..engine.listing import created_filter, page
from ..routing import Routes

JSON = dict[str, Any]
ROUTES = Routes()


@ROUTES.route("GET", "/v1/charges/{id}", sp.ChargeRetrieveParams)
def retrieve_charge(ctx: Context, params: JSON) -> JSON:
    return ctx.state.get("charge", ctx.args["id"], param="id")


@ROUTES.route("GET", "/v1/charges", sp.ChargeListParams)
def list_charges(ctx: Context, params: JSON) -> JSON:
    """Newest first, narrowed by customer, payment intent, transfer group and creation time."""
    customer, intent = params.get("customer"), params.get("payment_intent")
    group = params.get("transfer_group")
    keep = created_filter(params)
    found = [
        charge
        for charge in ctx.state.all("charge")
        if (customer is None or charge["customer"] == customer)
        and (intent is None or charge["payment_intent"] == intent)
        and (group is None or charge["transfer_group"] == group)
        and keep(charge)
    ]
    return page(found, params, "/v1/charges")
