"""Stripe API objects as plain dicts, in the shape of the current API.

Callers write `from billflow_sandbox import shapes` and `shapes.customer(...)`. Every
builder takes keyword-only arguments, returns a fresh dict with exactly the fields Stripe
returns by default (includable fields such as `invoice.payments` are the server's business),
and never keeps a reference to a mutable argument. The builders live in themed modules:

- `common`: list and search envelopes, deleted stubs, shared helpers
- `catalog`: product, price, plan, coupon, promotion code, discount
- `subscriptions`: customer, subscription, subscription item, pending update
- `schedules`: subscription schedule, its phases and their items
- `invoices`: invoice, line item, invoice item, invoice payment
- `payments`: payment method, SetupIntent, PaymentIntent
- `charges`: charge
- `customers`: customer tax id
- `platform`: event, webhook endpoint, test clock

The shapes are the bottom layer of the sandbox: they know what Stripe's objects look like
and nothing of how the sandbox changes them, so they import neither the engine nor the routes
(an import-linter contract in pyproject.toml keeps it so).
"""

from __future__ import annotations

from .catalog import coupon, discount, plan_from_price, price, product, promotion_code
from .charges import charge, three_d_secure_result
from .common import JSON, deleted, list_object, search_result
from .customers import tax_id
from .invoices import invoice, invoice_item, invoice_payment, line_item
from .payments import payment_intent, payment_method, setup_intent
from .platform import event, test_clock, webhook_endpoint
from .schedules import phase_discount, phase_item, schedule_phase, subscription_schedule
from .subscriptions import (
    address,
    customer,
    pending_update,
    shipping,
    subscription,
    subscription_item,
)

__all__ = [
    "JSON",
    "address",
    "charge",
    "coupon",
    "customer",
    "deleted",
    "discount",
    "event",
    "invoice",
    "invoice_item",
    "invoice_payment",
    "line_item",
    "list_object",
    "payment_intent",
    "payment_method",
    "pending_update",
    "phase_discount",
    "phase_item",
    "plan_from_price",
    "price",
    "product",
    "promotion_code",
    "schedule_phase",
    "search_result",
    "setup_intent",
    "shipping",
    "subscription",
    "subscription_item",
    "subscription_schedule",
    "tax_id",
    "test_clock",
    "three_d_secure_result",
    "webhook_endpoint",
]
