"""The retention offer: a customer cancelling for a reason the site chose may take its
coupon instead; no other coupon can be had this way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import stripe
from refusal import assert_refused

from billflow_core import actions
from billflow_core.actions import Session
from billflow_core.errors import BadInput, Conflict, Forbidden
from billflow_core.rules import retention_offer_for
from billflow_core.sandbox import Sandbox
from billflow_core.settings import PortalSettings, RetentionOffer

OFFER = {"retention_offer": RetentionOffer("STAY50", ("too_expensive",))}


def test_the_offer_follows_the_reason_the_site_chose() -> None:
    settings = PortalSettings(**OFFER)
    assert retention_offer_for(settings, "too_expensive") == "STAY50"
    assert retention_offer_for(settings, "other") is None
    assert retention_offer_for(settings, ["too_expensive"]) is None
    assert retention_offer_for(PortalSettings(), "too_expensive") is None


def test_taking_the_offer_discounts_the_subscription_and_keeps_it(
    stripe_client: stripe.StripeClient,
    session_for: Callable[..., Session],
    demo: dict[str, Any],
) -> None:
    stripe_client.v1.coupons.create({"id": "STAY50", "percent_off": 50, "duration": "once"})
    team = demo["subscriptions"][0]
    stripe_client.v1.subscriptions.update(team, {"cancel_at_period_end": True})

    actions.accept_retention_offer(session_for(**OFFER), team, "too_expensive")

    held = stripe_client.v1.subscriptions.retrieve(team, {"expand": ["discounts"]})
    assert [d.source.coupon for d in held.discounts] == ["STAY50"]
    assert held.cancel_at_period_end is False


def test_no_offer_for_another_reason_twice_or_with_cancelling_off(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    session_for: Callable[..., Session],
    demo: dict[str, Any],
) -> None:
    stripe_client.v1.coupons.create({"id": "STAY50", "percent_off": 50, "duration": "forever"})
    team = demo["subscriptions"][0]
    assert_refused(
        stripe_sandbox,
        BadInput,
        "no_offer",
        lambda: actions.accept_retention_offer(session_for(**OFFER), team, "other"),
    )
    actions.accept_retention_offer(session_for(**OFFER), team, "too_expensive")
    assert_refused(
        stripe_sandbox,
        Conflict,
        "offer_already_taken",
        lambda: actions.accept_retention_offer(session_for("i-2", **OFFER), team, "too_expensive"),
    )
    assert_refused(
        stripe_sandbox,
        Forbidden,
        "feature_disabled",
        lambda: actions.accept_retention_offer(
            session_for("i-3", cancel=False, **OFFER), team, "too_expensive"
        ),
    )
