"""A catalog with prices in several currencies: a subscription moves, previews and sees
choices only in its own currency, and the picker offers a customer only theirs."""

from __future__ import annotations

import time
from typing import Any

import stripe
from refusal import assert_refused

from billflow_core import user_hash
from billflow_core.errors import BadInput
from billflow_core.portal import Portal
from billflow_core.settings import PortalSettings
from billflow_core.web.render import PageRenderer
from billflow_core.web.request_language import Speech
from billflow_core.web.serialize import state_json
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

SECRET = "currency-test-secret-0123456789"


def _euro_business(client: stripe.StripeClient, demo: dict[str, Any]) -> str:
    """The demo's Business plan, priced in euros too: the same service, another currency."""
    return client.v1.prices.create(
        {
            "product": demo["products"]["business"],
            "currency": "eur",
            "unit_amount": 7500,
            "recurring": {"interval": "month"},
        }
    ).id


def _portal(sandbox: Sandbox, **options: Any) -> Portal:
    return Portal(
        PortalSettings(**options),
        secret_key=SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
    )


def test_a_plan_change_or_preview_to_a_price_in_another_currency_is_refused(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    euros = _euro_business(stripe_client, demo)
    portal = _portal(stripe_sandbox)
    ada = portal.visitor(DEMO_EMAIL, user_hash(SECRET, DEMO_EMAIL))
    team = demo["subscriptions"][0]
    change = {"subscription": team, "price": euros}

    assert_refused(
        stripe_sandbox,
        BadInput,
        "currency_mismatch",
        lambda: portal.act(ada, "change_plan", change, idempotency_key="euro-0001"),
    )
    assert_refused(
        stripe_sandbox, BadInput, "currency_mismatch", lambda: portal.preview(ada, change)
    )
    held = stripe_client.v1.subscriptions.retrieve(team)
    assert held["items"].data[0].price.id == demo["prices"]["team_monthly"]


def test_plan_choices_list_only_prices_in_the_subscriptions_currency(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    euros = _euro_business(stripe_client, demo)
    portal = _portal(stripe_sandbox)
    ada = portal.visitor(DEMO_EMAIL, user_hash(SECRET, DEMO_EMAIL))
    state = portal.state(ada)
    catalog = portal.catalog.get()

    team = next(
        s
        for s in state_json(state, catalog)["subscriptions"]
        if s["id"] == demo["subscriptions"][0]
    )
    assert demo["prices"]["business_monthly"] in team["plans"]
    assert euros not in team["plans"]
    html = PageRenderer(portal.settings).portal(
        state, catalog, Speech("en", None), now=int(time.time())
    )
    assert demo["prices"]["business_monthly"] in html
    assert euros not in html


def test_the_picker_offers_a_customer_only_prices_in_their_currency(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    euros = _euro_business(stripe_client, demo)
    lin = stripe_client.v1.customers.create({"email": "lin@example.com"})
    stripe_client.v1.subscriptions.create(  # billed in dollars for seats, another service
        {
            "customer": lin.id,
            "items": [{"price": demo["prices"]["seats_monthly"]}],
            "payment_behavior": "default_incomplete",
        }
    )
    portal = _portal(stripe_sandbox, plan_picker=True)
    visitor = portal.visitor("lin@example.com", user_hash(SECRET, "lin@example.com"))
    grace = portal.visitor("grace@example.com", user_hash(SECRET, "grace@example.com"))

    assert euros in {plan.price_id for plan in portal.state(grace).plans}  # no currency yet
    offered = {plan.price_id for plan in portal.state(visitor).plans}
    assert demo["prices"]["business_monthly"] in offered
    assert euros not in offered
    assert_refused(
        stripe_sandbox,
        BadInput,
        "currency_mismatch",
        lambda: portal.act(visitor, "subscribe", {"price": euros}, idempotency_key="euro-0002"),
    )
