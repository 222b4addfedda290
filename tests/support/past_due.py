"""A renewal that failed, made in the sandbox as Stripe makes one: the customer's default card
declines, and a subscription billed now for more seats is left `past_due` with its invoice
open. The core's, the events' and the page's "Pay now" tests start from it."""

from __future__ import annotations

import stripe


def bill_on_a_failing_card(client: stripe.StripeClient, customer: str, subscription: str) -> str:
    """Bill `subscription` now for five units on a card that declines; the open invoice's id."""
    v1 = client.v1
    failing = v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": customer})
    v1.customers.update(customer, {"invoice_settings": {"default_payment_method": failing.id}})
    item = v1.subscriptions.retrieve(subscription)["items"].data[0]
    updated = v1.subscriptions.update(
        subscription,
        {
            "items": [{"id": item.id, "quantity": 5}],
            "proration_behavior": "always_invoice",
            "payment_behavior": "allow_incomplete",
            "expand": ["latest_invoice"],
        },
    )
    invoice = updated.latest_invoice
    assert updated.status == "past_due" and not isinstance(invoice, str) and invoice is not None
    assert invoice.status == "open"
    return str(invoice.id)
