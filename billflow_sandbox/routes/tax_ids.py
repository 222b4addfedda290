"""A customer's tax IDs: create (format-checked), retrieve, list and delete."""

from __future__ import annotations

from typing import Any

from stripe import params as sp

from .. import shapes
from ..context import Context
from ..engine.listing import page
from ..engine.tax_ids import add_tax_id, owned_tax_id
from ..routing import Routes

JSON = dict[str, Any]
ROUTES = Routes()


def _customer(ctx: Context) -> JSON:
    return ctx.state.get("customer", ctx.args["id"], param="customer")


@ROUTES.route("POST", "/v1/customers/{id}/tax_ids", sp.CustomerCreateTaxIdParams)
def create_tax_id(ctx: Context, params: JSON) -> JSON:
    return add_tax_id(ctx, _customer(ctx), params["type"], params["value"], param="value")


@ROUTES.route("GET", "/v1/customers/{id}/tax_ids", sp.CustomerListTaxIdsParams)
def list_tax_ids(ctx: Context, params: JSON) -> JSON:
    customer = _customer(ctx)
    owned = [t for t in ctx.state.all("tax_id") if t["customer"] == customer["id"]]
    return page(owned, params, f"/v1/customers/{customer['id']}/tax_ids")


@ROUTES.route("GET", "/v1/customers/{id}/tax_ids/{tax_id}", sp.CustomerRetrieveTaxIdParams)
def retrieve_tax_id(ctx: Context, params: JSON) -> JSON:
    return owned_tax_id(ctx, _customer(ctx), ctx.args["tax_id"])


@ROUTES.route("DELETE", "/v1/customers/{id}/tax_ids/{tax_id}", sp.CustomerDeleteTaxIdParams)
def delete_tax_id(ctx: Context, params: JSON) -> JSON:
    tax_id = owned_tax_id(ctx, _customer(ctx), ctx.args["tax_id"])
    ctx.state.delete("tax_id", tax_id["id"])
    ctx.emit("customer.tax_id.deleted", tax_id)
    return shapes.deleted(object="tax_id", id=tax_id["id"])
