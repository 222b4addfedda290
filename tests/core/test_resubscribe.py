"""Resubscribing: a canceled subscription starts again as a new one on its plan (or another
of its service, where allowed), once, and never beside a live one of the same service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import stripe
from refusal import assert_refused

from billflow_core.actions.context import ActionContext
from billflow_core.actions.subscribing import resubscribe
from billflow_core.errors import BadInput, Conflict, Forbidden
from billflow_core.stripe.gateway import StripeGateway
from billflow_sandbox import Sandbox


def _ended(client: stripe.StripeClient, demo: dict[str, Any], which: int = 0) -> str:
    subscription_id = str(demo["subscriptions"][which])
    client.v1.subscriptions.cancel(subscription_id)
    return subscription_id


def test_an_ended_subscription_starts_again_on_its_plan_and_quantity(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    demo_gateway: StripeGateway,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    seats = _ended(stripe_client, demo, 1)
    template = context_for()  # settings and catalog, read before counting
    stripe_sandbox.reset()

    customer = demo_gateway.customer_by_email("ada@example.com")
    assert customer is not None
    context = ActionContext.open(
        demo_gateway, template.settings, template.catalog, customer.id, "k"
    )
    created = resubscribe(context, seats)

    assert sum(stripe_sandbox.counts().values()) == 3  # customer, subscriptions, create
    assert created.id != seats and created.status == "active"
    assert created["items"].data[0].price.id == demo["prices"]["seats_monthly"]
    assert created["items"].data[0].quantity == 3
    assert created.latest_invoice.status == "paid"
    assert stripe_client.v1.subscriptions.retrieve(seats).status == "canceled"


def test_the_same_intent_racing_itself_starts_one_subscription(
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    team = _ended(stripe_client, demo)
    first = resubscribe(context_for("intent-9"), team)
    live = [s.id for s in stripe_client.v1.subscriptions.list({"customer": demo["customer"]})]
    assert first.id in live

    # A second request of the same intent that read the customer before the first wrote
    # (two servers, one double-clicked button): Stripe's idempotency key makes one.
    racing = context_for("intent-9")
    racing.subscriptions = {team: racing.subscriptions[team]}
    second = resubscribe(racing, team)

    assert second.id == first.id
    after = [s.id for s in stripe_client.v1.subscriptions.list({"customer": demo["customer"]})]
    assert sorted(after) == sorted(live)


def test_another_plan_or_a_code_only_where_the_site_allows_them(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    team = _ended(stripe_client, demo)
    strict = context_for()
    assert_refused(
        stripe_sandbox,
        Forbidden,
        "feature_disabled",
        lambda: resubscribe(strict, team, demo["prices"]["starter_monthly"]),
    )
    assert_refused(
        stripe_sandbox,
        Forbidden,
        "feature_disabled",
        lambda: resubscribe(strict, team, None, "WELCOME20"),
    )

    open_ = context_for(
        "intent-2", change_plan_on_resubscribe=True, coupons=True, coupons_on_resubscribe=True
    )
    assert_refused(
        stripe_sandbox,
        BadInput,
        "plan_not_offered",
        lambda: resubscribe(open_, team, demo["prices"]["seats_monthly"]),
    )
    assert_refused(
        stripe_sandbox,
        BadInput,
        "coupon_invalid",
        lambda: resubscribe(open_, team, None, "NOPE"),
    )
    created = resubscribe(open_, team, demo["prices"]["starter_monthly"], "welcome20")

    assert created["items"].data[0].price.id == demo["prices"]["starter_monthly"]
    assert created.latest_invoice.amount_paid == 720  # 900 less 20%
    assert created.discounts[0].source.coupon.id == "WELCOME20"


def test_no_second_subscription_beside_a_live_one_of_the_same_service(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    team = _ended(stripe_client, demo)
    stripe_client.v1.subscriptions.create(
        {"customer": demo["customer"], "items": [{"price": demo["prices"]["starter_monthly"]}]}
    )
    context = context_for()
    assert_refused(
        stripe_sandbox, Conflict, "already_subscribed", lambda: resubscribe(context, team)
    )
    assert_refused(
        stripe_sandbox,
        Conflict,
        "subscription_not_ended",
        lambda: resubscribe(context, demo["subscriptions"][1]),
    )


def test_a_first_payment_that_needs_the_customer_leaves_it_incomplete_with_a_secret(
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    team = _ended(stripe_client, demo)
    card = stripe_client.v1.payment_methods.attach(
        "pm_card_authenticationRequired", {"customer": demo["customer"]}
    )
    stripe_client.v1.customers.update(
        demo["customer"], {"invoice_settings": {"default_payment_method": card.id}}
    )

    created = resubscribe(context_for(), team)

    assert created.status == "incomplete"
    secret = created.latest_invoice.confirmation_secret
    assert secret.type == "payment_intent" and "_secret_" in secret.client_secret
