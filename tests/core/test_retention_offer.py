"""The retention offer: a customer cancelling for a reason the site chose may take its
coupon instead; no other coupon can be had this way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import stripe
from refusal import assert_refused

from billflow_core.actions.cancelling import accept_retention_offer
from billflow_core.actions.context import ActionContext
from billflow_core.billing.catalog import CatalogCache, OfferTerms
from billflow_core.billing.discount_rules import retention_offer_for
from billflow_core.billing.state import load_state
from billflow_core.errors import BadInput, Conflict, Forbidden
from billflow_core.settings import PortalSettings, RetentionOffer
from billflow_core.stripe.gateway import StripeGateway
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

OFFER = {"retention_offer": RetentionOffer("STAY50", ("too_expensive",))}


def test_the_offer_follows_the_reason_the_site_chose() -> None:
    settings = PortalSettings(**OFFER)
    assert retention_offer_for(settings, "too_expensive") == "STAY50"
    assert retention_offer_for(settings, "other") is None
    assert retention_offer_for(settings, ["too_expensive"]) is None
    assert retention_offer_for(PortalSettings(), "too_expensive") is None


def test_taking_the_offer_discounts_the_subscription_and_keeps_it(
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    stripe_client.v1.coupons.create({"id": "STAY50", "percent_off": 50, "duration": "once"})
    team = demo["subscriptions"][0]
    stripe_client.v1.subscriptions.update(team, {"cancel_at_period_end": True})

    accept_retention_offer(context_for(**OFFER), team, "too_expensive")

    held = stripe_client.v1.subscriptions.retrieve(team, {"expand": ["discounts"]})
    assert [d.source.coupon for d in held.discounts] == ["STAY50"]
    assert held.cancel_at_period_end is False


def test_no_offer_for_another_reason_twice_or_with_cancelling_off(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    stripe_client.v1.coupons.create({"id": "STAY50", "percent_off": 50, "duration": "forever"})
    team = demo["subscriptions"][0]
    assert_refused(
        stripe_sandbox,
        BadInput,
        "no_offer",
        lambda: accept_retention_offer(context_for(**OFFER), team, "other"),
    )
    accept_retention_offer(context_for(**OFFER), team, "too_expensive")
    assert_refused(
        stripe_sandbox,
        Conflict,
        "offer_already_taken",
        lambda: accept_retention_offer(context_for("i-2", **OFFER), team, "too_expensive"),
    )
    assert_refused(
        stripe_sandbox,
        Forbidden,
        "feature_disabled",
        lambda: accept_retention_offer(
            context_for("i-3", cancel=False, **OFFER), team, "too_expensive"
        ),
    )


def test_a_discount_the_subscription_already_has_is_not_offered_again(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    """Taking it would change nothing while the page said it had: it is refused."""
    stripe_client.v1.coupons.create({"id": "STAY50", "percent_off": 50, "duration": "once"})
    team = demo["subscriptions"][0]
    stripe_client.v1.subscriptions.update(team, {"discounts": [{"coupon": "STAY50"}]})
    assert_refused(
        stripe_sandbox,
        Conflict,
        "offer_already_taken",
        lambda: accept_retention_offer(context_for(**OFFER), team, "too_expensive"),
    )


def test_the_offers_terms_come_with_the_catalog_and_say_who_may_take_it(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    """One coupon read per catalog refresh, none per page; the offer is among a
    subscription's actions only while it can be had."""
    stripe_client.v1.coupons.create(
        {"id": "STAY50", "percent_off": 50, "duration": "repeating", "duration_in_months": 3}
    )
    team, seats = demo["subscriptions"]
    stripe_client.v1.subscriptions.update(seats, {"discounts": [{"coupon": "STAY50"}]})
    settings = PortalSettings(**OFFER)
    gateway = StripeGateway(stripe_sandbox.secret_key, api_base=stripe_sandbox.url)
    cache = CatalogCache(gateway, settings)
    stripe_sandbox.reset()

    state = load_state(gateway, cache, settings, DEMO_EMAIL)
    cold = stripe_sandbox.counts()
    stripe_sandbox.reset()
    load_state(gateway, cache, settings, DEMO_EMAIL)
    warm = stripe_sandbox.counts()

    assert cold["GET /v1/coupons/{id}"] == 1 and sum(cold.values()) == 4
    assert "GET /v1/coupons/{id}" not in warm and sum(warm.values()) == 2
    assert cache.get().offer == OfferTerms("STAY50", 50, None, None, "repeating", 3)
    offered = {s.id: "accept_retention_offer" in s.allowed for s in state.subscriptions}
    assert offered == {team: True, seats: False}


def test_an_offer_whose_coupon_is_gone_is_not_made(
    stripe_sandbox: Sandbox, demo: dict[str, Any], caplog: Any
) -> None:
    settings = PortalSettings(**OFFER)  # no STAY50 coupon in this account
    gateway = StripeGateway(stripe_sandbox.secret_key, api_base=stripe_sandbox.url)
    cache = CatalogCache(gateway, settings)
    state = load_state(gateway, cache, settings, DEMO_EMAIL)
    assert cache.get().offer is None
    assert not any("accept_retention_offer" in s.allowed for s in state.subscriptions)
    assert "STAY50" in caplog.text


def test_a_coupon_stripe_fails_to_read_hides_the_offer_not_the_portal(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any], caplog: Any
) -> None:
    """The offer is an extra: Stripe failing on its coupon (an outage, a restricted key
    without coupon reads) leaves the plans and the page as they are."""
    stripe_client.v1.coupons.create({"id": "STAY50", "percent_off": 50, "duration": "once"})
    settings = PortalSettings(**OFFER)
    gateway = StripeGateway(
        stripe_sandbox.secret_key, api_base=stripe_sandbox.url, max_network_retries=0
    )
    cache = CatalogCache(gateway, settings)
    stripe_sandbox.fault("GET /v1/coupons/{id}", "500", times=5)

    state = load_state(gateway, cache, settings, DEMO_EMAIL)

    assert cache.get().offer is None and cache.get().plans
    assert len(state.subscriptions) == 2
    assert not any("accept_retention_offer" in s.allowed for s in state.subscriptions)
    assert "could not be read" in caplog.text
