"""Subscribing from the plan picker: someone new becomes a customer with a subscription
whose first payment the page confirms; subscribers only where the site shows them plans."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from refusal import assert_refused

from billflow_core import user_hash
from billflow_core.actions.cards import finish_payment
from billflow_core.actions.context import ActionContext
from billflow_core.actions.discounts import apply_coupon
from billflow_core.actions.subscribing import subscribe
from billflow_core.billing.catalog import build_catalog
from billflow_core.errors import BadInput, Conflict, Forbidden, NotFound
from billflow_core.portal import Portal
from billflow_core.settings import PortalSettings
from billflow_core.stripe.gateway import StripeGateway
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL, DEMO_SERVICE

SECRET = "subscribe-test-secret-0123456789"


def _subscribe(
    gateway: StripeGateway,
    email: str,
    price: str,
    key: str = "pick-1",
    customer: Any = None,
    **options: Any,
) -> Any:
    settings = PortalSettings(**options)
    catalog = build_catalog(gateway.active_prices(), settings)
    context = ActionContext(gateway, settings, catalog, "", key, customer=customer)
    if customer is not None:
        context = ActionContext.open(gateway, settings, catalog, customer.id, key)
        context.customer = customer
    return subscribe(context, email, price)


def test_someone_new_becomes_a_customer_and_their_confirmed_card_pays_the_renewals(
    stripe_client: stripe.StripeClient, demo_gateway: StripeGateway, demo: dict[str, Any]
) -> None:
    created = _subscribe(
        demo_gateway, "new@example.com", demo["prices"]["team_monthly"], service=DEMO_SERVICE
    )
    assert created.status == "incomplete"
    (customer,) = stripe_client.v1.customers.list({"email": "new@example.com"}).data
    assert created.customer == customer.id

    intent = created.latest_invoice.confirmation_secret.client_secret.split("_secret_")[0]
    stripe_client.v1.payment_intents.confirm(intent, {"payment_method": "pm_card_visa"})

    active = stripe_client.v1.subscriptions.retrieve(created.id)
    assert active.status == "active"
    assert active.default_payment_method is not None  # saved for the renewals


def test_a_retried_pick_makes_one_customer_and_one_subscription(
    stripe_client: stripe.StripeClient, demo_gateway: StripeGateway, demo: dict[str, Any]
) -> None:
    price = demo["prices"]["starter_yearly"]
    first = _subscribe(demo_gateway, "twice@example.com", price, key="pick-7")
    second = _subscribe(demo_gateway, "twice@example.com", price, key="pick-7")
    assert second.id == first.id
    assert len(stripe_client.v1.customers.list({"email": "twice@example.com"}).data) == 1


def test_subscribers_pick_only_where_the_site_shows_them_plans_and_not_twice(
    stripe_sandbox: Sandbox, demo_gateway: StripeGateway, demo: dict[str, Any]
) -> None:
    ada = demo_gateway.customer_by_email(DEMO_EMAIL)
    business = demo["prices"]["business_monthly"]
    assert_refused(
        stripe_sandbox,
        Forbidden,
        "feature_disabled",
        lambda: _subscribe(demo_gateway, DEMO_EMAIL, business, customer=ada),
    )
    assert_refused(
        stripe_sandbox,
        Conflict,
        "already_subscribed",
        lambda: _subscribe(demo_gateway, DEMO_EMAIL, business, customer=ada, plan_picker=True),
    )


@pytest.mark.parametrize(
    ("price_key", "options", "error", "code"),
    [
        ("seats_monthly", {"service": DEMO_SERVICE}, BadInput, "plan_not_offered"),
        (None, {}, BadInput, "plan_not_offered"),
    ],
)
def test_a_plan_the_picker_does_not_offer_is_refused(
    stripe_sandbox: Sandbox,
    demo_gateway: StripeGateway,
    demo: dict[str, Any],
    price_key: str | None,
    options: dict[str, Any],
    error: type[Exception],
    code: str,
) -> None:
    price = demo["prices"][price_key] if price_key else "price_missing"
    assert_refused(
        stripe_sandbox,
        error,
        code,  # type: ignore[arg-type]
        lambda: _subscribe(demo_gateway, "new@example.com", price, **options),
    )


def test_a_code_only_where_coupons_are_on(
    stripe_sandbox: Sandbox, demo_gateway: StripeGateway, demo: dict[str, Any]
) -> None:
    settings = PortalSettings()
    catalog = build_catalog(demo_gateway.active_prices(), settings)
    assert_refused(
        stripe_sandbox,
        Forbidden,
        "feature_disabled",
        lambda: subscribe(
            ActionContext(demo_gateway, settings, catalog, "", "k"),
            "c@example.com",
            demo["prices"]["team_monthly"],
            "WELCOME20",
        ),
    )


def test_a_code_typed_after_subscribing_with_one_replaces_it_and_the_same_one_is_refused(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    demo_gateway: StripeGateway,
    demo: dict[str, Any],
) -> None:
    v1 = stripe_client.v1
    settings = PortalSettings(coupons=True, service=DEMO_SERVICE)
    catalog = build_catalog(demo_gateway.active_prices(), settings)
    new = ActionContext(demo_gateway, settings, catalog, "", "pick-code")
    created = subscribe(new, "new@example.com", demo["prices"]["team_monthly"], "WELCOME20")
    intent = created.latest_invoice.confirmation_secret.client_secret.split("_secret_")[0]
    v1.payment_intents.confirm(intent, {"payment_method": "pm_card_visa"})
    spring = v1.coupons.create({"percent_off": 10, "duration": "forever"})
    spring_code = v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": spring.id}, "code": "SPRING10"}
    )

    def context(key: str) -> ActionContext:
        return ActionContext.open(demo_gateway, settings, catalog, created.customer, key)

    assert_refused(
        stripe_sandbox,
        Conflict,
        "coupon_already_applied",
        lambda: apply_coupon(context("again"), created.id, "WELCOME20"),
    )
    apply_coupon(context("spring"), created.id, "SPRING10")
    held = v1.subscriptions.retrieve(created.id, {"expand": ["discounts"]})
    assert [d.promotion_code for d in held.discounts] == [spring_code.id]


def test_the_card_paid_at_checkout_becomes_the_customers_default_once(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    demo_gateway: StripeGateway,
    demo: dict[str, Any],
) -> None:
    settings = PortalSettings(service=DEMO_SERVICE)
    catalog = build_catalog(demo_gateway.active_prices(), settings)
    created = _subscribe(
        demo_gateway, "new@example.com", demo["prices"]["team_monthly"], service=DEMO_SERVICE
    )

    def finish(key: str) -> Any:
        context = ActionContext.open(demo_gateway, settings, catalog, created.customer, key)
        context.customer = demo_gateway.customer(created.customer)
        return finish_payment(context, created.id)

    stripe_sandbox.reset()
    finish("not-paid-yet")
    assert stripe_sandbox.writes() == []  # no card has paid: nothing to make the default

    intent = created.latest_invoice.confirmation_secret.client_secret.split("_secret_")[0]
    stripe_client.v1.payment_intents.confirm(intent, {"payment_method": "pm_card_visa"})
    stripe_sandbox.reset()
    answer = finish("paid-1")
    saved = stripe_client.v1.subscriptions.retrieve(created.id).default_payment_method
    customer = stripe_client.v1.customers.retrieve(created.customer)
    assert answer.id == created.id and saved is not None
    assert customer.invoice_settings.default_payment_method == saved
    assert [w.path for w in stripe_sandbox.writes()] == [f"/v1/customers/{created.customer}"]

    stripe_sandbox.reset()
    finish("paid-2")  # the page asked again: the customer has a default, nothing is written
    assert stripe_sandbox.writes() == []


def test_a_customers_own_default_is_kept_when_a_subscription_has_another_card(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    context_for: Any,
    demo: dict[str, Any],
) -> None:
    team = demo["subscriptions"][0]
    own = stripe_client.v1.payment_methods.attach(
        "pm_card_mastercard", {"customer": demo["customer"]}
    )
    stripe_client.v1.subscriptions.update(team, {"default_payment_method": own.id})
    context = context_for("paid-ada")
    context.customer = context.gateway.customer(demo["customer"])
    stripe_sandbox.reset()

    finish_payment(context, team)

    assert stripe_sandbox.writes() == []
    kept = stripe_client.v1.customers.retrieve(demo["customer"])
    assert kept.invoice_settings.default_payment_method == demo["payment_method"]


def test_finishing_a_payment_is_refused_for_anothers_subscription_or_one_beyond_the_page(
    stripe_sandbox: Sandbox, demo_gateway: StripeGateway, demo: dict[str, Any]
) -> None:
    """The step after a payment goes through the same owner and page checks as every
    action: it cannot make a card the default of a customer the visitor is not."""
    other = _subscribe(
        demo_gateway, "new@example.com", demo["prices"]["team_monthly"], service=DEMO_SERVICE
    )
    portal = Portal(
        PortalSettings(service=DEMO_SERVICE),
        secret_key=SECRET,
        stripe_api_key=stripe_sandbox.secret_key,
        stripe_api_base=stripe_sandbox.url,
    )
    ada = portal.visitor(DEMO_EMAIL, user_hash(SECRET, DEMO_EMAIL))
    team, seats = demo["subscriptions"]
    only_team = portal.visitor(DEMO_EMAIL, user_hash(SECRET, DEMO_EMAIL), subscription=team)
    for visitor, subscription in ((ada, other.id), (only_team, seats)):
        assert_refused(
            stripe_sandbox,
            NotFound,
            "subscription_not_found",
            lambda v=visitor, s=subscription: portal.act(
                v, "finish_payment", {"subscription": s}, idempotency_key=f"finish-{s}"
            ),
        )
