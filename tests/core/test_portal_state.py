"""The portal state of an identity, read from the sandbox's demo account: two Stripe
requests with the catalog cached, three cold, and every subscription with what it may do."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from billflow_core.billing.catalog import CatalogCache
from billflow_core.billing.state import Card, Discount, identity_kind, load_state
from billflow_core.errors import BadInput
from billflow_core.settings import PortalSettings
from billflow_core.stripe.gateway import StripeGateway
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL, DEMO_SERVICE


@pytest.fixture
def demo(stripe_sandbox: Sandbox) -> dict[str, object]:
    return stripe_sandbox.seed("demo")


@pytest.fixture
def gateway(stripe_sandbox: Sandbox, demo: dict[str, object]) -> StripeGateway:
    return StripeGateway(stripe_sandbox.secret_key, api_base=stripe_sandbox.url)


def test_a_customers_portal_costs_two_requests_warm_and_three_cold(
    stripe_sandbox: Sandbox, gateway: StripeGateway
) -> None:
    settings = PortalSettings()
    cache = CatalogCache(gateway, settings)
    stripe_sandbox.reset()

    state = load_state(gateway, cache, settings, DEMO_EMAIL)
    cold = sum(stripe_sandbox.counts().values())
    stripe_sandbox.reset()
    load_state(gateway, cache, settings, DEMO_EMAIL)
    warm = sum(stripe_sandbox.counts().values())

    assert (cold, warm) == (3, 2)
    assert state.is_customer and state.name == "Ada Lovelace"
    assert state.card == Card("visa", "4242", 12, 2034)
    team, seats = sorted(state.subscriptions, key=lambda s: s.amount, reverse=True)
    assert (team.product_name, team.amount, team.interval, team.status) == (
        "Team", 2900, "month", "active"
    )  # fmt: skip
    assert team.allowed == {"change_plan", "cancel", "update_payment_method"}
    assert (seats.quantity, seats.unit_label) == (3, "seat")
    assert seats.allowed == {"change_quantity", "cancel", "update_payment_method"}
    assert state.plans == ()  # a subscriber sees no picker unless the site wants one


def test_someone_who_is_not_a_customer_gets_the_plans_to_choose_from(
    stripe_sandbox: Sandbox, gateway: StripeGateway
) -> None:
    settings = PortalSettings(service=DEMO_SERVICE)
    state = load_state(gateway, CatalogCache(gateway, settings), settings, "new@example.com")

    assert not state.is_customer
    assert (state.card, state.subscriptions) == (None, ())
    assert [p.name for p in state.plans][::2] == ["Starter", "Team", "Business"]


def test_the_page_can_be_limited_to_one_subscription(
    stripe_sandbox: Sandbox, gateway: StripeGateway, demo: dict[str, list[str]]
) -> None:
    settings = PortalSettings()
    only = demo["subscriptions"][0]
    state = load_state(gateway, CatalogCache(gateway, settings), settings, DEMO_EMAIL,
                       only_subscription=only)  # fmt: skip
    assert [s.id for s in state.subscriptions] == [only]


def test_ended_and_discounted_subscriptions_say_so(
    stripe_client: stripe.StripeClient, gateway: StripeGateway, demo: dict[str, list[str]]
) -> None:
    team, seats = demo["subscriptions"]
    stripe_client.v1.subscriptions.update(team, {"discounts": [{"coupon": "WELCOME20"}]})
    stripe_client.v1.subscriptions.cancel(seats)
    settings = PortalSettings()

    state = load_state(gateway, CatalogCache(gateway, settings), settings, DEMO_EMAIL)

    views = {s.id: s for s in state.subscriptions}
    discount = views[team].discount
    assert isinstance(discount, Discount)
    assert (discount.percent_off, discount.name) == (20, "20% off for 3 months")
    assert views[seats].status == "canceled"
    assert views[seats].allowed == {"resubscribe"}


def test_customers_are_found_by_the_kind_of_identity_the_site_uses(
    gateway: StripeGateway, demo: dict[str, str]
) -> None:
    by_id = PortalSettings(identify_by="customer_id")
    cache = CatalogCache(gateway, by_id)
    assert load_state(gateway, cache, by_id, demo["customer"]).customer_id == demo["customer"]
    assert not load_state(gateway, cache, by_id, "cus_nobody").is_customer
    with pytest.raises(BadInput) as refused:
        load_state(gateway, cache, by_id, DEMO_EMAIL)
    assert (refused.value.code, refused.value.field) == ("identity_kind", "identity")
    assert identity_kind("cus_123") == "customer_id" and identity_kind("a@b.c") == "email"


def test_each_subscription_shows_the_card_it_is_charged_to_in_the_same_requests(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    gateway: StripeGateway,
    demo: dict[str, Any],
) -> None:
    team, seats = demo["subscriptions"]
    own = stripe_client.v1.payment_methods.attach(
        "pm_card_mastercard", {"customer": demo["customer"]}
    )
    stripe_client.v1.subscriptions.update(team, {"default_payment_method": own.id})
    settings = PortalSettings()
    cache = CatalogCache(gateway, settings)
    cache.get()
    stripe_sandbox.reset()

    state = load_state(gateway, cache, settings, DEMO_EMAIL)

    assert sum(stripe_sandbox.counts().values()) == 2
    views = {s.id: s for s in state.subscriptions}
    assert views[team].card is not None and views[team].card.last4 == "4444"
    assert views[seats].card == state.card == Card("visa", "4242", 12, 2034)
    assert state.card_on_file == state.card


def test_a_card_saved_at_checkout_is_on_file_before_it_is_the_customers_default(
    stripe_client: stripe.StripeClient, gateway: StripeGateway, demo: dict[str, Any]
) -> None:
    v1 = stripe_client.v1
    customer = v1.customers.create({"email": "new@example.com"})
    card = v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": demo["prices"]["team_monthly"]}],
            "default_payment_method": card.id,
        }
    )
    settings = PortalSettings()

    state = load_state(gateway, CatalogCache(gateway, settings), settings, "new@example.com")

    assert state.card is None  # the customer has no default of their own
    (team,) = state.subscriptions
    assert team.card == state.card_on_file == Card("visa", "4242", 12, 2034)
