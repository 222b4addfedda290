"""Customers: create, retrieve, update, delete, list (by exact email) and search."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from stripe import params as sp

from .. import shapes
from ..context import Context
from ..engine.cancellation import remove_customer
from ..engine.listing import created_filter, merge_metadata, page, search
from ..engine.payment_methods import attach
from ..errors import invalid, not_implemented
from ..routing import Routes

JSON = dict[str, Any]
ROUTES = Routes()

_SIMPLE_FIELDS = ("email", "name", "description", "phone")


@ROUTES.route("GET", "/v1/customers/search", sp.CustomerSearchParams)
def search_customers(ctx: Context, params: JSON) -> JSON:
    return search(
        ctx.state.all("customer"),
        params["query"],
        "/v1/customers/search",
        params,
        {"email": "email", "name": "name", "phone": "phone", "created": "created"},
    )


_FIELDS = frozenset(
    {"email", "name", "description", "phone", "metadata", "invoice_settings"}
)  # fmt: skip


@ROUTES.route(
    "POST",
    "/v1/customers",
    sp.CustomerCreateParams,
    implemented=_FIELDS | {"payment_method", "test_clock"},
)
def create_customer(ctx: Context, params: JSON) -> JSON:
    state = ctx.state
    clock = params.get("test_clock")
    if clock:
        state.get("test_helpers.test_clock", clock, param="test_clock")
    customer_id = state.new_id("customer")
    customer = shapes.customer(
        id=customer_id,
        created=state.now()
        if not clock
        else state.get("test_helpers.test_clock", clock)["frozen_time"],
        email=params.get("email") or None,
        name=params.get("name") or None,
        description=params.get("description") or None,
        phone=params.get("phone") or None,
        metadata=merge_metadata({}, params.get("metadata", {})),
        invoice_prefix=secrets.token_hex(4).upper(),
        test_clock=clock or None,
    )
    payment_method = params.get("payment_method")
    if payment_method:
        attach(ctx, payment_method, customer_id, param="payment_method", customer=customer)
    _apply_invoice_settings(ctx, customer, params.get("invoice_settings"))
    state.put(customer)
    ctx.emit("customer.created", customer)
    return customer


@ROUTES.route("GET", "/v1/customers/{id}", sp.CustomerRetrieveParams)
def retrieve_customer(ctx: Context, params: JSON) -> JSON:
    return ctx.state.get("customer", ctx.args["id"])


@ROUTES.route("POST", "/v1/customers/{id}", sp.CustomerUpdateParams, implemented=_FIELDS)
def update_customer(ctx: Context, params: JSON) -> JSON:
    customer = ctx.state.get("customer", ctx.args["id"])
    before = copy.deepcopy(customer)
    settings = params.get("invoice_settings")
    metadata = (
        merge_metadata(customer["metadata"], params["metadata"]) if "metadata" in params else None
    )
    _apply_invoice_settings(ctx, customer, settings, dry_run=True)
    for field in _SIMPLE_FIELDS:
        if field in params:
            customer[field] = params[field] or None
    if metadata is not None:
        customer["metadata"] = metadata
    _apply_invoice_settings(ctx, customer, settings)
    changed = {k: v for k, v in before.items() if customer.get(k) != v}
    if changed:
        ctx.emit("customer.updated", customer, changed)
    return customer


@ROUTES.route("DELETE", "/v1/customers/{id}", sp.CustomerDeleteParams)
def delete_customer(ctx: Context, params: JSON) -> JSON:
    customer = ctx.state.get("customer", ctx.args["id"])
    remove_customer(ctx, customer)
    return shapes.deleted(object="customer", id=customer["id"])


@ROUTES.route("GET", "/v1/customers", sp.CustomerListParams)
def list_customers(ctx: Context, params: JSON) -> JSON:
    email = params.get("email")
    clock = params.get("test_clock")
    keep = created_filter(params)
    found = [
        c
        for c in ctx.state.all("customer")
        # Stripe's email filter is exact and case-sensitive.
        if (email is None or c["email"] == email)
        and (clock is None or c["test_clock"] == clock)
        and keep(c)
    ]
    return page(found, params, "/v1/customers")


@ROUTES.route("GET", "/v1/customers/{id}/payment_methods", sp.CustomerListPaymentMethodsParams)
def list_customer_payment_methods(ctx: Context, params: JSON) -> JSON:
    customer = ctx.state.get("customer", ctx.args["id"], param="customer")
    kind, redisplay = params.get("type"), params.get("allow_redisplay")
    found = [
        pm
        for pm in ctx.state.all("payment_method")
        if pm["customer"] == customer["id"]
        and (kind is None or pm["type"] == kind)
        and (redisplay is None or pm["allow_redisplay"] == redisplay)
    ]
    return page(found, params, f"/v1/customers/{customer['id']}/payment_methods")


def _apply_invoice_settings(
    ctx: Context, customer: JSON, settings: JSON | None, *, dry_run: bool = False
) -> None:
    if not settings:
        return
    for key in sorted(settings.keys() - {"default_payment_method", "footer"}):
        raise not_implemented(f"invoice_settings[{key}]")
    if "default_payment_method" in settings:
        pm_id = settings["default_payment_method"]
        if pm_id:
            pm = ctx.state.get(
                "payment_method", pm_id, param="invoice_settings[default_payment_method]"
            )
            if pm["customer"] != customer["id"]:
                raise invalid(
                    f"The customer does not have a payment method with the ID {pm_id}. The "
                    "payment method must be attached to the customer.",
                    param="invoice_settings[default_payment_method]",
                )
        if not dry_run:
            customer["invoice_settings"]["default_payment_method"] = pm_id or None
    if not dry_run and "footer" in settings:
        customer["invoice_settings"]["footer"] = settings["footer"] or None
