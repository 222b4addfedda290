"""Customers: create, retrieve, update, delete, list (by exact email) and search, and the
customer's own payment methods."""

from __future__ import annotations

import copy
import re
import secrets
from typing import Any

from stripe import params as sp

from .. import shapes
from ..context import Context
from ..engine.cancellation import remove_customer
from ..engine.listing import created_filter, merge_metadata, page, search
from ..engine.payment_methods import attach
from ..engine.tax_ids import add_tax_id
from ..errors import invalid, missing, not_implemented
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
    {
        "email",
        "name",
        "description",
        "phone",
        "metadata",
        "invoice_settings",
        "address",
        "shipping",
        "preferred_locales",
        "tax_exempt",
    }
)
# A language tag as Stripe takes it for `preferred_locales`: `fr`, `fr-CA`, `zh-Hant-HK`.
_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2})?$")


@ROUTES.route(
    "POST",
    "/v1/customers",
    sp.CustomerCreateParams,
    implemented=_FIELDS | {"payment_method", "test_clock", "tax_id_data"},
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
    _apply_contact_details(customer, params)
    payment_method = params.get("payment_method")
    if payment_method:
        attach(ctx, payment_method, customer_id, param="payment_method", customer=customer)
    _apply_invoice_settings(ctx, customer, params.get("invoice_settings"))
    state.put(customer)
    ctx.emit("customer.created", customer)
    # Stripe sends the customer's creation before its tax IDs'.
    for index, data in enumerate(params.get("tax_id_data") or []):
        add_tax_id(ctx, customer, data["type"], data["value"], param=f"tax_id_data[{index}][value]")
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
    _apply_contact_details(customer, params)
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


@ROUTES.route(
    "GET",
    "/v1/customers/{id}/payment_methods/{payment_method}",
    sp.CustomerRetrievePaymentMethodParams,
)
def retrieve_customer_payment_method(ctx: Context, params: JSON) -> JSON:
    """One of the customer's payment methods; another customer's (or a detached one) is no
    such payment method for this customer."""
    customer = ctx.state.get("customer", ctx.args["id"], param="customer")
    pm_id = ctx.args["payment_method"]
    pm = ctx.state.find("payment_method", pm_id)
    if pm is None or pm["customer"] != customer["id"]:
        raise missing("PaymentMethod", pm_id, param="payment_method")
    return pm


def _apply_contact_details(customer: JSON, params: JSON) -> None:
    """Address, shipping, preferred locales and tax status, as sent: an address or shipping
    replaces the old one whole and `""` clears it, as on Stripe."""
    if "address" in params:
        address = params["address"]
        customer["address"] = shapes.address(address) if address else None
    if "shipping" in params:
        shipping = params["shipping"]
        customer["shipping"] = shapes.shipping(shipping) if shipping else None
    if "preferred_locales" in params:
        locales = params["preferred_locales"] or []
        for index, locale in enumerate(locales):
            if not _LOCALE.match(locale):
                raise invalid(
                    f"Invalid locale: {locale!r} is not a language tag such as 'en' or 'fr-CA'.",
                    param=f"preferred_locales[{index}]",
                )
        customer["preferred_locales"] = list(locales)
    if "tax_exempt" in params:
        customer["tax_exempt"] = params["tax_exempt"] or "none"


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
