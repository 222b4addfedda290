"""Named catalogs to start a sandbox with, created through the API like any client would."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import stripe

JSON = dict[str, Any]

DEMO_SERVICE = "billflow-demo"
DEMO_EMAIL = "ada@example.com"
_YEAR = 365 * 86400

# (name, monthly amount in cents, yearly amount in cents, description, marketing features)
_TIERS = (
    ("Starter", 900, 9000, "For one person getting going.",
     ("1 project", "Email support")),
    ("Team", 2900, 29000, "For small teams that ship together.",
     ("10 projects", "Shared dashboards", "Priority email support")),
    ("Business", 7900, 79000, "For companies that need more.",
     ("Unlimited projects", "Single sign-on", "A named account manager")),
)  # fmt: skip


def seed(client: stripe.StripeClient, name: str) -> JSON:
    """Create the catalog called `name` ("demo" or "empty") through `client`, a client of the
    sandbox with retries off; returns the ids it made."""
    if name == "empty":
        return {}
    if name != "demo":
        raise ValueError(f"unknown seed {name!r}: choose 'demo' or 'empty'")
    return _demo(client)


def _demo(client: stripe.StripeClient) -> JSON:
    """One service in three tiers (monthly and yearly), a seat-based product with quantity
    changes on, a coupon with a promotion code, and a customer with a year of history."""
    v1 = client.v1
    ids: JSON = {"service": DEMO_SERVICE, "prices": {}, "products": {}}
    for position, (tier, monthly, yearly, description, features) in enumerate(_TIERS):
        product = v1.products.create(
            {
                "name": tier,
                "description": description,
                "marketing_features": [{"name": feature} for feature in features],
                "metadata": {"sb_service": DEMO_SERVICE, "sb_tier": str(position + 1)},
            }
        )
        ids["products"][tier.lower()] = product.id
        for interval, amount in (("month", monthly), ("year", yearly)):
            price = v1.prices.create(
                {
                    "product": product.id,
                    "currency": "usd",
                    "unit_amount": amount,
                    "recurring": {"interval": interval},
                    "lookup_key": f"{tier.lower()}_{interval}ly",
                    "nickname": f"{tier} {interval}ly",
                }
            )
            ids["prices"][f"{tier.lower()}_{interval}ly"] = price.id
    seats = v1.products.create(
        {
            "name": "Seats",
            "description": "Per-seat add-on billed monthly.",
            "unit_label": "seat",
            "metadata": {
                "sb_service": f"{DEMO_SERVICE}-seats",
                "sb_quantity_enabled": "true",
                "sb_quantity_min": "1",
                "sb_quantity_max": "50",
            },
        }
    )
    ids["products"]["seats"] = seats.id
    seat_price = v1.prices.create(
        {
            "product": seats.id,
            "currency": "usd",
            "unit_amount": 800,
            "recurring": {"interval": "month"},
            "lookup_key": "seats_monthly",
        }
    )
    ids["prices"]["seats_monthly"] = seat_price.id
    coupon = v1.coupons.create(
        {
            "id": "WELCOME20",
            "percent_off": 20,
            "duration": "repeating",
            "duration_in_months": 3,
            "name": "20% off for 3 months",
        }
    )
    promo = v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "WELCOME20"}
    )
    ids["coupon"], ids["promotion_code"] = coupon.id, promo.id

    now = int(time.time())
    clock = v1.test_helpers.test_clocks.create(
        {"frozen_time": now - _YEAR, "name": "Demo customer history"}
    )
    customer = v1.customers.create(
        {"email": DEMO_EMAIL, "name": "Ada Lovelace", "test_clock": clock.id}
    )
    card = v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": card.id}})
    team = v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": ids["prices"]["team_monthly"]}]}
    )
    seat_sub = v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": seat_price.id, "quantity": 3}]}
    )
    v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": now})
    ids.update(
        customer=customer.id,
        test_clock=clock.id,
        payment_method=card.id,
        subscriptions=[team.id, seat_sub.id],
    )
    return ids
