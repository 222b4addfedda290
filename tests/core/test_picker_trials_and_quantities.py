"""The plan picker's free trials (a price's `trial_period_days`, once per identity and
service) and add-ons bought by the quantity the customer chooses, against the sandbox."""

from __future__ import annotations

import itertools
from typing import Any

import stripe
from refusal import assert_refused

from billflow_core import user_hash
from billflow_core.errors import BadInput
from billflow_core.portal import Portal, Visitor
from billflow_core.settings import PortalSettings
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL, DEMO_SERVICE

SECRET = "picker-trials-secret-0123456789"
NEWCOMER = "grace@example.com"
DAY = 86400
_keys = itertools.count()


def _portal(sandbox: Sandbox, **options: Any) -> Portal:
    return Portal(
        PortalSettings(plan_picker=True, **options),
        secret_key=SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
    )


def _visitor(portal: Portal, email: str) -> Visitor:
    return portal.visitor(email, user_hash(SECRET, email))


def _subscribe(portal: Portal, visitor: Visitor, **payload: Any) -> Any:
    return portal.act(visitor, "subscribe", payload, idempotency_key=f"pick-{next(_keys):06d}")


def _trial_price(client: stripe.StripeClient) -> str:
    """A Pro tier of the demo's service whose monthly price starts with two weeks free."""
    product = client.v1.products.create(
        {"name": "Pro", "metadata": {"sb_service": DEMO_SERVICE},
         "marketing_features": [{"name": "Everything in Team"}, {"name": "Audit log"}]}
    )  # fmt: skip
    price = client.v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": 4900,
         "recurring": {"interval": "month", "trial_period_days": 14}}
    )  # fmt: skip
    return str(price.id)


def test_someone_new_starts_the_prices_trial_pays_nothing_and_is_asked_for_a_card(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    pro = _trial_price(stripe_client)
    portal = _portal(stripe_sandbox)
    grace = _visitor(portal, NEWCOMER)
    offered = portal.state(grace)
    assert dict(offered.trials) == {pro: 14}
    (plan,) = [p for p in offered.plans if p.price_id == pro]
    assert plan.features == ("Everything in Team", "Audit log")

    done = _subscribe(portal, grace, price=pro)

    (view,) = done.state.subscriptions
    assert view.status == "trialing" and view.payment_secret is None  # nothing to pay today
    created = stripe_client.v1.subscriptions.retrieve(view.id, {"expand": ["pending_setup_intent"]})
    assert created.trial_end is not None and created.trial_start is not None
    assert created.trial_end - created.trial_start == 14 * DAY
    assert created.trial_settings.end_behavior.missing_payment_method == "cancel"
    setup = created.pending_setup_intent
    assert isinstance(setup, stripe.SetupIntent) and setup.customer == created.customer
    assert done.confirmation is not None and done.confirmation.kind == "setup"
    assert done.confirmation.client_secret == setup.client_secret == view.card_secret

    # Another customer's setup is not this trial's card.
    other = stripe_client.v1.customers.create({"email": "mallory@example.com"})
    theirs = stripe_client.v1.setup_intents.create(
        {"customer": other.id, "payment_method": "pm_card_visa", "confirm": True}
    )
    assert_refused(
        stripe_sandbox,
        BadInput,
        "payment_method_invalid",
        lambda: portal.act(grace, "finish_payment",
                           {"subscription": view.id, "setup_intent": theirs.id},
                           idempotency_key="trial-card-0"),
    )  # fmt: skip

    # The page confirms the setup with the card (Stripe.js); then `finish_payment` names it.
    stripe_client.v1.setup_intents.confirm(setup.id, {"payment_method": "pm_card_visa"})
    finished = portal.act(
        grace,
        "finish_payment",
        {"subscription": view.id, "setup_intent": setup.id},
        idempotency_key="trial-card-1",
    )

    (after,) = finished.state.subscriptions
    assert after.card_secret is None and after.card is not None and after.card.last4 == "4242"
    assert finished.state.card is not None  # the customer's default now: later renewals use it
    customer = stripe_client.v1.customers.retrieve(str(created.customer))
    card = stripe_client.v1.subscriptions.retrieve(view.id).default_payment_method
    assert customer.invoice_settings.default_payment_method == card is not None


def test_only_subscribing_asks_for_the_trials_card_and_a_cancelled_trial_asks_for_none(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    pro = _trial_price(stripe_client)
    portal = _portal(stripe_sandbox, change_plan=True)
    grace = _visitor(portal, NEWCOMER)
    (view,) = _subscribe(portal, grace, price=pro).state.subscriptions

    cancelled = portal.act(
        grace, "cancel", {"subscription": view.id, "reason": "unused"},
        idempotency_key="trial-cancel-1",
    )  # fmt: skip

    assert cancelled.confirmation is None
    (after,) = cancelled.state.subscriptions
    assert after.cancel_at is not None and after.card_secret is None  # ends anyway: no card


def test_a_trial_nobody_gave_a_card_ends_instead_of_billing(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    pro = _trial_price(stripe_client)
    started = stripe_client.v1.test_helpers.test_clocks.retrieve(demo["test_clock"]).frozen_time
    clock = stripe_client.v1.test_helpers.test_clocks.create({"frozen_time": started})
    customer = stripe_client.v1.customers.create({"email": NEWCOMER, "test_clock": clock.id})
    portal = _portal(stripe_sandbox)
    grace = _visitor(portal, NEWCOMER)
    (view,) = _subscribe(portal, grace, price=pro).state.subscriptions
    assert view.card_secret is not None

    stripe_client.v1.test_helpers.test_clocks.advance(
        clock.id, {"frozen_time": view.current_period_end + DAY}
    )

    ended = stripe_client.v1.subscriptions.retrieve(view.id)
    assert ended.status == "canceled" and ended.ended_at == view.current_period_end
    invoices = stripe_client.v1.invoices.list({"customer": customer.id})
    assert [i.amount_due for i in invoices.data] == [0]  # the trial's; none left unpaid
    (shown,) = portal.state(grace).subscriptions
    assert shown.has_ended and shown.card_secret is None


def test_a_trial_for_a_customer_with_a_card_asks_for_none(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    pro = _trial_price(stripe_client)
    customer = stripe_client.v1.customers.create({"email": NEWCOMER})
    card = stripe_client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    stripe_client.v1.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": card.id}}
    )
    portal = _portal(stripe_sandbox)

    done = _subscribe(portal, _visitor(portal, NEWCOMER), price=pro)

    (view,) = done.state.subscriptions
    assert done.confirmation is None and view.card_secret is None
    assert view.status == "trialing" and view.card is not None


def test_an_identity_that_had_the_service_gets_no_second_trial(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    pro = _trial_price(stripe_client)
    for subscription in demo["subscriptions"]:
        stripe_client.v1.subscriptions.cancel(subscription)  # ended: it still counts
    portal = _portal(stripe_sandbox, change_plan_on_resubscribe=True)
    ada = _visitor(portal, DEMO_EMAIL)
    assert dict(portal.state(ada).trials) == {}

    done = _subscribe(portal, ada, price=pro)

    created = next(v for v in done.state.subscriptions if v.price_id == pro)
    assert created.status != "trialing"
    assert stripe_client.v1.subscriptions.retrieve(created.id).trial_end is None


def test_an_add_on_is_bought_by_the_quantity_chosen_within_its_bounds(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox)
    grace = _visitor(portal, NEWCOMER)
    seats = demo["prices"]["seats_monthly"]
    team = demo["prices"]["team_monthly"]
    for payload, code in (
        ({"price": seats, "quantity": 51}, "quantity_out_of_bounds"),
        ({"price": seats, "quantity": 0}, "quantity_out_of_bounds"),
        ({"price": team, "quantity": 3}, "quantity_disabled"),
    ):
        assert_refused(stripe_sandbox, BadInput, code,
                       lambda p=payload: _subscribe(portal, grace, **p))  # fmt: skip

    done = _subscribe(portal, grace, price=seats, quantity=7)

    (view,) = done.state.subscriptions
    assert view.quantity == 7
    assert done.confirmation is not None and done.confirmation.kind == "payment"
    invoice = stripe_client.v1.invoices.retrieve(
        stripe_client.v1.subscriptions.retrieve(view.id).latest_invoice
    )
    assert invoice.amount_due == 7 * 800


def test_a_subscription_on_a_price_no_longer_offered_still_counts_against_a_trial(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    """The catalog no longer knows an archived price, so it cannot say the service was
    the same: the doubt goes against a second free trial."""
    pro = _trial_price(stripe_client)
    customer = stripe_client.v1.customers.create({"email": NEWCOMER})
    old = stripe_client.v1.prices.create(
        {"product": demo["products"]["team"], "currency": "usd", "unit_amount": 1900,
         "recurring": {"interval": "month"}}
    )  # fmt: skip
    card = stripe_client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    earlier = stripe_client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": old.id}],
         "default_payment_method": card.id}
    )  # fmt: skip
    stripe_client.v1.subscriptions.cancel(earlier.id)
    stripe_client.v1.prices.update(old.id, {"active": False})
    portal = _portal(stripe_sandbox)
    assert pro in [p.price_id for p in portal.state(_visitor(portal, NEWCOMER)).plans]
    assert dict(portal.state(_visitor(portal, NEWCOMER)).trials) == {}
