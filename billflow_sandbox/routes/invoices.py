"""Invoices: list, retrieve, lines, pay, void, and the preview of a proposed change."""

from __future__ import annotations

from typing import Any

from stripe import params as sp

from ..context import Context
from ..engine.discounts import check_discount
from ..engine.invoicing import collect, first_invoice, invoice_paid, void
from ..engine.lifecycle import payment_method_for
from ..engine.listing import created_filter, page, time_filter
from ..engine.payment_methods import check_owner, resolve
from ..engine.prices import require_price
from ..engine.schedule_links import refuse_direct_changes
from ..engine.schedule_time import upcoming_changes
from ..engine.subscription_checks import check_currency, quantity_of, same_billing
from ..engine.update_plans import Plan, plan_update, preview_invoice
from ..errors import StripeError, card_declined, invalid, not_implemented
from ..routing import Routes

JSON = dict[str, Any]
ROUTES = Routes()


def _subscription_of(invoice: JSON) -> str | None:
    parent = invoice["parent"] or {}
    return (parent.get("subscription_details") or {}).get("subscription")


@ROUTES.route(
    "POST",
    "/v1/invoices/create_preview",
    sp.InvoiceCreatePreviewParams,
    reads_only=True,
    implemented=frozenset({"customer", "subscription", "subscription_details", "discounts"}),
)
def create_preview(ctx: Context, params: JSON) -> JSON:
    """What the invoice for a proposed subscription change would be. Writes nothing."""
    state = ctx.state
    details = params.get("subscription_details") or {}
    for key in sorted(details.keys() - {"items", "proration_behavior", "proration_date"}):
        raise not_implemented(f"subscription_details[{key}]")
    if not params.get("subscription"):
        return _preview_new_subscription(ctx, params, details)
    if "discounts" in params:
        raise not_implemented("discounts")
    sub = state.get("subscription", params["subscription"], param="subscription")
    if params.get("customer") and params["customer"] != sub["customer"]:
        raise invalid("The subscription does not belong to this customer.", param="customer")
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise invalid(
            "You cannot preview an update to a canceled subscription.", param="subscription"
        )
    behavior = details.get("proration_behavior", "create_prorations")
    at = details.get("proration_date") or ctx.now(sub["customer"])
    if details.get("items"):
        refuse_direct_changes(ctx, sub, details, "subscription_details")
        plan = plan_update(ctx, sub, details["items"], behavior, at)
    else:
        # The next invoice of a scheduled subscription bills what its next phase has.
        changes = upcoming_changes(ctx, sub)
        plan = (
            plan_update(ctx, sub, [], behavior, at)
            if changes is None
            else Plan(changes, [], False, at)
        )
    preview = preview_invoice(ctx, sub, plan, behavior)
    if details.get("items"):  # a change's preview says when its prorations are reckoned from
        preview["parent"]["subscription_details"]["subscription_proration_date"] = at
    return preview


def _preview_new_subscription(ctx: Context, params: JSON, details: JSON) -> JSON:
    """The first invoice of a subscription the customer does not have yet."""
    if not params.get("customer"):
        raise invalid(
            "Pass `customer` with `subscription_details[items]` to preview a new subscription, "
            "or `subscription` to preview a change.",
            param="customer",
            code="parameter_missing",
        )
    customer = ctx.state.get("customer", params["customer"], param="customer")
    specs = details.get("items") or []
    if not specs:
        raise invalid(
            "Missing required param: subscription_details[items].",
            param="subscription_details[items]",
            code="parameter_missing",
        )
    prices = [
        require_price(ctx, spec.get("price") or "", f"subscription_details[items][{i}][price]")
        for i, spec in enumerate(specs)
    ]
    quantities = [
        quantity_of(spec, f"subscription_details[items][{i}]") for i, spec in enumerate(specs)
    ]
    same_billing(prices, "subscription_details[items]")
    check_currency(customer, prices[0]["currency"], "subscription_details[items][0][price]")
    coupons = [
        check_discount(ctx, spec, customer["id"], f"discounts[{i}]", prices[0]["currency"])[0]
        for i, spec in enumerate(params.get("discounts") or [])
    ]
    now = ctx.now(customer["id"])
    return first_invoice(ctx, None, customer["id"], prices, quantities, now, [], coupons=coupons)


@ROUTES.route("GET", "/v1/invoices/{id}", sp.InvoiceRetrieveParams)
def retrieve_invoice(ctx: Context, params: JSON) -> JSON:
    return ctx.state.get("invoice", ctx.args["id"])


@ROUTES.route("GET", "/v1/invoices/{id}/lines", sp.InvoiceListLinesParams)
def list_invoice_lines(ctx: Context, params: JSON) -> JSON:
    invoice = ctx.state.get("invoice", ctx.args["id"])
    return page(invoice["lines"]["data"], params, f"/v1/invoices/{invoice['id']}/lines")


@ROUTES.route("GET", "/v1/invoices", sp.InvoiceListParams)
def list_invoices(ctx: Context, params: JSON) -> JSON:
    keep = created_filter(params)
    customer, subscription = params.get("customer"), params.get("subscription")
    status, collection = params.get("status"), params.get("collection_method")
    due = time_filter(params, "due_date")  # an invoice with no due date matches no bound
    found = [
        i
        for i in ctx.state.all("invoice")
        if keep(i)
        and due(i)
        and (customer is None or i["customer"] == customer)
        and (subscription is None or _subscription_of(i) == subscription)
        and (status is None or i["status"] == status)
        and (collection is None or i["collection_method"] == collection)
    ]
    return page(found, params, "/v1/invoices")


@ROUTES.route("POST", "/v1/invoices/{id}/pay", sp.InvoicePayParams)
def pay_invoice(ctx: Context, params: JSON) -> JSON:
    invoice = ctx.state.get("invoice", ctx.args["id"])
    if invoice["status"] != "open":
        raise StripeError(
            f"Invoice is already {invoice['status']}.",
            code="invoice_not_editable"
            if invoice["status"] == "draft"
            else "invoice_already_paid"
            if invoice["status"] == "paid"
            else None,
        )
    if params.get("paid_out_of_band"):
        invoice_paid(ctx, invoice, None)
        return invoice
    sub_id = _subscription_of(invoice)
    sub = ctx.state.find("subscription", sub_id) if sub_id else None
    pm_id = params.get("payment_method")
    if pm_id:
        pm = resolve(ctx, pm_id, "payment_method")
        check_owner(pm, invoice["customer"], "payment_method")
        pm_id = pm["id"]
    else:
        pm_id = payment_method_for(ctx, sub) if sub else None
    if pm_id is None:
        raise StripeError(
            "This customer has no attached payment source or default payment method.",
            param="payment_method",
        )
    outcome = collect(ctx, invoice, pm_id)
    if outcome == "failed":
        raise card_declined(extra={"invoice": invoice["id"]})
    if outcome == "requires_action":
        raise StripeError(
            "This payment requires additional user action before it can be completed successfully.",
            status=402,
            type="card_error",
            code="invoice_payment_intent_requires_action",
        )
    return invoice


@ROUTES.route("POST", "/v1/invoices/{id}/void", sp.InvoiceVoidInvoiceParams)
def void_invoice(ctx: Context, params: JSON) -> JSON:
    invoice = ctx.state.get("invoice", ctx.args["id"])
    if invoice["status"] != "open":
        raise StripeError(f"You can only void an open invoice (this one is {invoice['status']}).")
    void(ctx, invoice, ctx.now(invoice["customer"]))
    return invoice


@ROUTES.route("GET", "/v1/invoiceitems", sp.InvoiceItemListParams)
def list_invoice_items(ctx: Context, params: JSON) -> JSON:
    customer, pending, invoice = (
        params.get("customer"),
        params.get("pending"),
        params.get("invoice"),
    )
    found = [
        item
        for item in ctx.state.all("invoiceitem")
        if (customer is None or item["customer"] == customer)
        and (pending is None or (item["invoice"] is None) == pending)
        and (invoice is None or item["invoice"] == invoice)
    ]
    return page(found, params, "/v1/invoiceitems")
