"""Coupons, pauses and card updates against the sandbox's demo account."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import stripe
from refusal import assert_refused

from billflow_core.actions.cards import finish_card_update, start_card_update
from billflow_core.actions.context import ActionContext
from billflow_core.actions.discounts import apply_coupon
from billflow_core.actions.pausing import pause, resume
from billflow_core.billing.catalog import CatalogCache
from billflow_core.billing.state import load_state
from billflow_core.errors import BadInput, Conflict, Forbidden
from billflow_core.settings import PortalSettings
from billflow_core.stripe.gateway import StripeGateway
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

DAY = 86400


def test_a_promotion_code_as_typed_discounts_the_subscription(
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    team = demo["subscriptions"][0]
    apply_coupon(context_for(coupons=True), team, " welcome20 ")

    held = stripe_client.v1.subscriptions.retrieve(team, {"expand": ["discounts"]})
    assert [d.promotion_code for d in held.discounts] == [demo["promotion_code"]]
    assert stripe_client.v1.promotion_codes.retrieve(demo["promotion_code"]).times_redeemed == 1


def test_unknown_expired_or_switched_off_coupons_write_nothing(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    team = demo["subscriptions"][0]
    context = context_for(coupons=True)
    assert_refused(
        stripe_sandbox,
        BadInput,
        "coupon_invalid",
        lambda: apply_coupon(context, team, "NOPE"),
    )
    assert_refused(
        stripe_sandbox,
        BadInput,
        "coupon_required",
        lambda: apply_coupon(context, team, "  "),
    )
    staff = stripe_client.v1.coupons.create(
        {"id": "STAFF100", "percent_off": 100, "duration": "forever"}
    )
    assert_refused(
        stripe_sandbox,
        BadInput,
        "coupon_invalid",  # a coupon id is not a code
        lambda: apply_coupon(context, team, staff.id),
    )
    gone = stripe_client.v1.coupons.create(
        {"id": "GONE", "percent_off": 5, "duration": "once", "max_redemptions": 1}
    )
    stripe_client.v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": gone.id}, "code": "LASTONE"}
    )
    other = stripe_client.v1.customers.create({"email": "grace@example.com"})
    stripe_client.v1.subscriptions.create(
        {
            "customer": other.id,
            "items": [{"price": demo["prices"]["starter_monthly"]}],
            "discounts": [{"coupon": "GONE"}],
            "payment_behavior": "default_incomplete",
        }
    )
    assert stripe_client.v1.coupons.retrieve("GONE").valid is False  # its one use is spent
    assert_refused(
        stripe_sandbox,
        BadInput,
        "coupon_expired",
        lambda: apply_coupon(context, team, "lastone"),
    )
    assert_refused(
        stripe_sandbox,
        Forbidden,
        "feature_disabled",
        lambda: apply_coupon(context_for(), team, "WELCOME20"),
    )


def test_a_pause_holds_collection_until_the_chosen_date_and_resume_lifts_it(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    team = demo["subscriptions"][0]
    now = int(time.time())
    options = {"pause_instead_of_cancel": True, "pause_max_days": 60}
    pause(context_for(**options), team, now + 30 * DAY, now=now)

    held = stripe_client.v1.subscriptions.retrieve(team)
    assert (held.pause_collection.behavior, held.pause_collection.resumes_at) == (
        "void",
        now + 30 * DAY,
    )
    assert_refused(
        stripe_sandbox,
        Conflict,
        "already_paused",
        lambda: pause(context_for("i-2", **options), team, now + DAY, now=now),
    )

    resume(context_for("i-3", **options), team)
    assert stripe_client.v1.subscriptions.retrieve(team).pause_collection is None
    assert_refused(
        stripe_sandbox,
        BadInput,
        "resume_date_out_of_bounds",
        lambda: pause(context_for("i-4", **options), team, now + 61 * DAY, now=now),
    )


def test_a_confirmed_card_becomes_the_default_for_the_customer_and_their_subscriptions(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    team = demo["subscriptions"][0]
    old = stripe_client.v1.payment_methods.attach("pm_card_visa", {"customer": demo["customer"]})
    stripe_client.v1.subscriptions.update(team, {"default_payment_method": old.id})

    intent = start_card_update(context_for())
    assert intent.client_secret.startswith(intent.id + "_secret_")
    unconfirmed = stripe_client.v1.payment_methods.create(
        {"type": "card", "card": {"token": "tok_mastercard"}}
    )
    assert_refused(
        stripe_sandbox,
        BadInput,
        "payment_method_invalid",
        lambda: finish_card_update(context_for("i-2"), unconfirmed.id),
    )
    confirmed = stripe_client.v1.setup_intents.confirm(
        intent.id, {"payment_method": "pm_card_mastercard"}
    )
    card = confirmed.payment_method
    assert isinstance(card, str)

    customer = finish_card_update(context_for("i-3"), card)

    assert customer.invoice_settings.default_payment_method.id == card
    stored = stripe_client.v1.customers.retrieve(demo["customer"])
    assert stored.invoice_settings.default_payment_method == card
    assert stripe_client.v1.subscriptions.retrieve(team).default_payment_method == card
    assert stripe_client.v1.payment_methods.retrieve(card).card.brand == "mastercard"


def test_someone_elses_card_update_cannot_be_finished(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
) -> None:
    other = stripe_client.v1.customers.create({"email": "mallory@example.com"})
    theirs = stripe_client.v1.setup_intents.create(
        {"customer": other.id, "payment_method": "pm_card_visa", "confirm": True}
    )
    assert isinstance(theirs.payment_method, str)
    cards = (theirs.payment_method, "pm_missing", None, 42, theirs.id, "pm_" + "x" * 300)
    for n, card in enumerate(cards):
        assert_refused(
            stripe_sandbox,
            BadInput,
            "payment_method_invalid",
            lambda card=card, key=f"i-{n}": finish_card_update(context_for(key), card),
        )
    assert_refused(
        stripe_sandbox,
        Forbidden,
        "feature_disabled",
        lambda: start_card_update(context_for(update_payment_method=False, payment_methods=False)),
    )  # a new card is set up for either card form: refused only with both off


def test_a_code_whose_coupon_the_subscription_has_is_refused(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    team = demo["subscriptions"][0]
    apply_coupon(context_for(coupons=True), team, "WELCOME20")
    assert_refused(
        stripe_sandbox,
        Conflict,
        "coupon_already_applied",
        lambda: apply_coupon(context_for("intent-2", coupons=True), team, "welcome20"),
    )
    held = stripe_client.v1.subscriptions.retrieve(team, {"expand": ["discounts"]})
    assert [d.promotion_code for d in held.discounts] == [demo["promotion_code"]]


def test_a_typed_code_replaces_the_last_typed_code_and_keeps_the_sites_discounts(
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    v1 = stripe_client.v1
    team = demo["subscriptions"][0]
    staff = v1.coupons.create({"percent_off": 5, "duration": "forever"})
    v1.subscriptions.update(team, {"discounts": [{"coupon": staff.id}]})
    spring = v1.coupons.create({"percent_off": 10, "duration": "forever"})
    spring_code = v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": spring.id}, "code": "SPRING10"}
    )

    apply_coupon(context_for(coupons=True), team, "WELCOME20")
    apply_coupon(context_for("intent-2", coupons=True), team, "SPRING10")

    held = v1.subscriptions.retrieve(team, {"expand": ["discounts"]})
    assert [(d.source.coupon, d.promotion_code) for d in held.discounts] == [
        (staff.id, None),
        (spring.id, spring_code.id),
    ]


def test_a_pause_past_the_yearly_limit_is_refused(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    team = demo["subscriptions"][0]
    now = int(time.time())
    options = {"pause_instead_of_cancel": True}
    pause(context_for(**options), team, now + 10 * DAY, now=now)
    resume(context_for("i-2", **options), team)
    assert_refused(
        stripe_sandbox,
        Conflict,
        "pause_limit_reached",
        lambda: pause(context_for("i-3", **options), team, now + 40 * DAY, now=now + DAY),
    )
    pause(
        context_for("i-4", pause_limit_per_year=2, **options), team, now + 40 * DAY, now=now + DAY
    )
    assert stripe_client.v1.subscriptions.retrieve(team).pause_collection is not None


def test_pauses_older_than_365_days_leave_the_allowance(
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    team = demo["subscriptions"][0]
    now = int(time.time())
    old, recent = now - 366 * DAY, now - 364 * DAY
    stripe_client.v1.subscriptions.update(team, {"metadata": {"billflow_pauses": str(old)}})

    pause(context_for(pause_instead_of_cancel=True), team, now + 10 * DAY, now=now)

    held = stripe_client.v1.subscriptions.retrieve(team)
    assert held.pause_collection.resumes_at == now + 10 * DAY
    assert held.metadata["billflow_pauses"] == str(now)  # the old pause dropped out
    stripe_client.v1.subscriptions.update(
        team, {"pause_collection": "", "metadata": {"billflow_pauses": str(recent)}}
    )
    with pytest.raises(Conflict) as refused:  # a pause 364 days ago still counts
        pause(context_for("i-2", pause_instead_of_cancel=True), team, now + DAY, now=now)
    assert refused.value.code == "pause_limit_reached"


def test_a_spent_pause_allowance_is_not_offered(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    """The page offers only what the action would do: no "Pause payments" once this
    year's pauses are used, and it comes back when the oldest drops out of the window."""
    team = demo["subscriptions"][0]
    now = int(time.time())
    settings = PortalSettings(pause_instead_of_cancel=True)
    gateway = StripeGateway(stripe_sandbox.secret_key, api_base=stripe_sandbox.url)

    def offered() -> set[str]:
        state = load_state(gateway, CatalogCache(gateway, settings), settings, DEMO_EMAIL)
        return set(next(s for s in state.subscriptions if s.id == team).allowed)

    assert "pause" in offered()
    stripe_client.v1.subscriptions.update(team, {"metadata": {"billflow_pauses": str(now - DAY)}})
    assert "pause" not in offered() and "resume" not in offered()
    stripe_client.v1.subscriptions.update(
        team, {"metadata": {"billflow_pauses": str(now - 366 * DAY)}}
    )
    assert "pause" in offered()
