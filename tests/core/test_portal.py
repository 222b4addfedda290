"""The `Portal` object a plugin makes once: configuration, who asks, their state, and every
action through one call, answered with the state a fresh load would show."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import stripe
from refusal import assert_refused

from billflow_core import user_hash
from billflow_core.errors import (
    BadInput,
    Conflict,
    Forbidden,
    NotFound,
    SettingsError,
    StripeUnavailable,
)
from billflow_core.portal import Portal, Visitor
from billflow_core.settings import PortalSettings, RetentionOffer
from billflow_sandbox import Sandbox, sign
from billflow_sandbox.seed import DEMO_EMAIL

SECRET = "portal-test-secret-0123456789"


def make_portal(sandbox: Sandbox, **options: Any) -> Portal:
    return Portal(
        PortalSettings(**options),
        secret_key=SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
    )


def ada(portal: Portal, **limits: Any) -> Visitor:
    return portal.visitor(DEMO_EMAIL, user_hash(SECRET, DEMO_EMAIL), **limits)


def test_config_names_what_is_missing_or_wrong_and_never_echoes_a_secret(
    stripe_sandbox: Sandbox,
) -> None:
    good = {
        "BILLFLOW_SECRET_KEY": SECRET,
        "BILLFLOW_STRIPE_API_KEY": stripe_sandbox.secret_key,
        "BILLFLOW_STRIPE_API_BASE": stripe_sandbox.url,
        "BILLFLOW_CHANGE_PLAN": "false",
    }
    portal = Portal.from_config(good)
    assert portal.settings.change_plan is False
    assert portal.webhooks is None
    fallback = {k: v for k, v in good.items() if k != "BILLFLOW_STRIPE_API_KEY"}
    fallback["STRIPE_API_KEY"] = stripe_sandbox.secret_key
    assert Portal.from_config(fallback).gateway.livemode is False

    cases = {
        "BILLFLOW_STRIPE_API_KEY": {**good, "BILLFLOW_STRIPE_API_KEY": ""},
        "BILLFLOW_SECRET_KEY": {**good, "BILLFLOW_SECRET_KEY": "short"},
        "BILLFLOW_STRIPE_WEBHOOK_SECRET": {**good, "BILLFLOW_STRIPE_WEBHOOK_SECRET": "oops-1234"},
        "BILLFLOW_CANCEL": {**good, "BILLFLOW_CANCEL": "perhaps"},
    }
    for name, config in cases.items():
        with pytest.raises(SettingsError, match=name):
            Portal.from_config(config)
    pasted = "whsec_not_an_api_key_9f8e7d6c5b4a"
    with pytest.raises(SettingsError) as wrong_key:
        Portal.from_config({**good, "BILLFLOW_STRIPE_API_KEY": pasted})
    assert pasted not in str(wrong_key.value) and pasted[-4:] not in str(wrong_key.value)


def test_a_visitor_is_proven_by_the_hash_and_may_be_limited_to_one_subscription(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    portal = make_portal(stripe_sandbox)
    team, seats = demo["subscriptions"]
    with pytest.raises(Forbidden) as refused:
        portal.visitor(DEMO_EMAIL, user_hash(SECRET, "someone@else.example"))
    assert refused.value.code == "hash_mismatch"
    with pytest.raises(BadInput) as bad_limit:
        ada(portal, subscription=["sub_x"])
    assert bad_limit.value.field == "subscription_id"

    limited = ada(portal, subscription=seats)
    state = portal.state(limited)
    assert [s.id for s in state.subscriptions] == [seats]
    assert_refused(
        stripe_sandbox,
        NotFound,
        "subscription_not_found",
        lambda: portal.act(limited, "cancel", {"subscription": team}, idempotency_key="k-limited"),
    )


def test_each_action_answers_with_the_state_a_fresh_load_shows(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    portal = make_portal(stripe_sandbox, coupons=True)
    visitor = ada(portal)
    team, seats = demo["subscriptions"]
    business = demo["prices"]["business_monthly"]
    steps: list[tuple[str, dict[str, Any]]] = [
        ("change_plan", {"subscription": team, "price": business}),
        ("change_quantity", {"subscription": seats, "quantity": 7}),
        ("apply_coupon", {"subscription": team, "coupon": "welcome20"}),
        ("cancel", {"subscription": team, "reason": "unused", "comment": "On holiday."}),
        ("undo_cancel", {"subscription": team}),
    ]
    for number, (action, payload) in enumerate(steps):
        result = portal.act(visitor, action, payload, idempotency_key=f"intent-{number:04}")
        assert result.action == action
        assert result.response["object"] == "subscription"
        assert result.response["id"] == payload["subscription"]
        assert result.confirmation is None
        assert result.state == portal.state(visitor), action

    views = {view.id: view for view in portal.state(visitor).subscriptions}
    assert views[team].price_id == business
    assert views[team].discount is not None and views[team].discount.percent_off == 20
    assert views[team].cancel_at is None
    assert views[seats].quantity == 7


def test_switched_off_and_unknown_actions_cost_no_stripe_request(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    portal = make_portal(
        stripe_sandbox,
        change_plan=False,
        cancel=False,
        coupons=False,
        update_payment_method=False,
        payment_methods=False,
    )
    visitor = ada(portal)
    team = demo["subscriptions"][0]
    stripe_sandbox.reset()
    for action in (
        "change_plan",
        "cancel",
        "undo_cancel",
        "apply_coupon",
        "setup_payment_method",
        "update_payment_method",
    ):
        with pytest.raises(Forbidden) as refused:
            portal.act(visitor, action, {"subscription": team}, idempotency_key="key-00001")
        assert refused.value.code == "feature_disabled"
    with pytest.raises(NotFound) as unknown:
        portal.act(visitor, "delete_everything", {}, idempotency_key="key-00002")
    assert unknown.value.code == "unknown_action"
    assert stripe_sandbox.requests == []


@pytest.mark.parametrize(
    ("payload", "key", "field"),
    [
        ({"subscription": "sub_1", "quantity": 2, "admin": True}, "key-00003", "admin"),
        (["sub_1", 2], "key-00004", None),
        ({"subscription": "sub_1", "quantity": 2}, None, "Idempotency-Key"),
        ({"subscription": "sub_1", "quantity": 2}, "short", "Idempotency-Key"),
        ({"subscription": "sub_1", "quantity": 2}, "key\nwith-newline", "Idempotency-Key"),
    ],
)
def test_a_malformed_request_is_refused_before_stripe_is_asked(
    stripe_sandbox: Sandbox, demo: dict[str, Any], payload: Any, key: Any, field: str | None
) -> None:
    portal = make_portal(stripe_sandbox)
    visitor = ada(portal)
    stripe_sandbox.reset()
    with pytest.raises(BadInput) as refused:
        portal.act(visitor, "change_quantity", payload, idempotency_key=key)
    assert refused.value.field == field
    assert stripe_sandbox.requests == []


def test_someone_who_is_not_a_customer_sees_the_plans_and_may_only_subscribe(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = make_portal(stripe_sandbox)
    email = "grace@example.com"
    visitor = portal.visitor(email, user_hash(SECRET, email))
    state = portal.state(visitor)
    assert not state.is_customer
    assert demo["prices"]["team_monthly"] in {plan.price_id for plan in state.plans}
    assert_refused(
        stripe_sandbox,
        NotFound,
        "customer_not_found",
        lambda: portal.act(
            visitor,
            "cancel",
            {"subscription": demo["subscriptions"][0]},
            idempotency_key="pick-0001",
        ),
    )

    assert_refused(
        stripe_sandbox,
        BadInput,
        "price_required",
        lambda: portal.act(visitor, "subscribe", {}, idempotency_key="pick-0000"),
    )
    result = portal.act(
        visitor, "subscribe", {"price": demo["prices"]["team_monthly"]}, idempotency_key="pick-0002"
    )
    assert result.confirmation is not None and result.confirmation.kind == "payment"
    (view,) = result.state.subscriptions
    assert view.status == "incomplete"
    assert view.payment_secret == result.confirmation.client_secret
    assert result.state == portal.state(visitor)

    intent = result.confirmation.client_secret.split("_secret_")[0]
    stripe_client.v1.payment_intents.confirm(intent, {"payment_method": "pm_card_visa"})
    (paid,) = portal.state(visitor).subscriptions
    assert paid.status == "active" and paid.payment_secret is None


def test_a_new_card_is_set_up_then_made_the_default(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = make_portal(stripe_sandbox)
    visitor = ada(portal)
    started = portal.act(visitor, "setup_payment_method", {}, idempotency_key="card-0001")
    assert started.confirmation is not None and started.confirmation.kind == "setup"
    intent = started.response["id"]
    assert started.confirmation.client_secret.startswith(intent)
    confirmed = stripe_client.v1.setup_intents.confirm(
        intent, {"payment_method": "pm_card_mastercard"}
    )

    finished = portal.act(
        visitor,
        "update_payment_method",
        {"payment_method": confirmed.payment_method},
        idempotency_key="card-0002",
    )
    assert finished.response["object"] == "customer"
    assert finished.state.card is not None and finished.state.card.brand == "mastercard"
    assert finished.state == portal.state(visitor)


def test_a_retry_after_stripe_failed_midway_finishes_the_action_writing_each_step_once(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = make_portal(stripe_sandbox, cancel_immediately=True)
    visitor = ada(portal)
    team = demo["subscriptions"][0]
    payload = {"subscription": team, "reason": "too_expensive"}
    # The survey is written, then every attempt at the cancellation itself fails.
    stripe_sandbox.fault("DELETE /v1/subscriptions/*", "500", times=3)
    with pytest.raises(StripeUnavailable):
        portal.act(visitor, "cancel", payload, idempotency_key="cancel-0001")

    result = portal.act(visitor, "cancel", payload, idempotency_key="cancel-0001")

    assert result.response["status"] == "canceled"
    assert "metadata" not in result.response  # the site's metadata never leaves the server
    assert (
        stripe_client.v1.subscriptions.retrieve(team).metadata["cancellation_reason"]
        == "too_expensive"
    )
    writes = [(w.method, w.path) for w in stripe_sandbox.writes()]
    assert writes.count(("POST", f"/v1/subscriptions/{team}")) == 1
    assert writes.count(("DELETE", f"/v1/subscriptions/{team}")) == 1


def test_a_preview_follows_the_change_rules_and_writes_nothing(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    portal = make_portal(stripe_sandbox)
    visitor = ada(portal)
    team, seats = demo["subscriptions"]
    writes = len(stripe_sandbox.writes())

    upgrade = portal.preview(
        visitor, {"subscription": team, "price": demo["prices"]["business_monthly"]}
    )
    assert upgrade.due_now and upgrade.currency == "usd"
    assert upgrade.amount_due > 0 and upgrade.proration == upgrade.amount_due
    assert any(line.proration and line.amount < 0 for line in upgrade.lines)  # unused time

    more_seats = portal.preview(visitor, {"subscription": seats, "quantity": 5})
    assert 0 < more_seats.amount_due <= 2 * 800  # two more seats, for at most a month
    assert len(stripe_sandbox.writes()) == writes

    refusals = [
        ({"subscription": team}, BadInput, "change_required"),
        ({"subscription": team, "price": demo["prices"]["team_monthly"], "quantity": 2},
         BadInput, "change_required"),
        ({"subscription": team, "price": demo["prices"]["seats_monthly"]},
         BadInput, "plan_not_offered"),
        ({"subscription": seats, "quantity": 0}, BadInput, "quantity_out_of_bounds"),
        ({"subscription": "sub_unknown", "quantity": 2}, NotFound, "subscription_not_found"),
        ({"subscription": seats, "quantity": 2, "coupon": "X"}, BadInput, "unknown_field"),
    ]  # fmt: skip
    for payload, error, code in refusals:
        assert_refused(
            stripe_sandbox, error, code, lambda payload=payload: portal.preview(visitor, payload)
        )


def test_invoices_are_the_viewed_subscriptions_unless_the_site_shows_all(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    team, seats = demo["subscriptions"]
    portal = make_portal(stripe_sandbox)
    visitor = ada(portal)

    # Unsaid, every subscription's invoices in one Stripe request, for a page that shows
    # them by subscription.
    stripe_sandbox.reset()
    everyones = portal.invoices(visitor)
    assert {i.subscription for i in everyones.invoices} == {team, seats}
    assert stripe_sandbox.counts() == {
        "GET /v1/customers": 1,
        "GET /v1/invoices": 1,
    }
    first = portal.invoices(visitor, subscription=team)
    assert first.invoices and {i.subscription for i in first.invoices} == {team}
    assert all(i.status != "draft" and i.hosted_invoice_url for i in first.invoices)
    shown = list(first.invoices)
    page = first
    while page.has_more:
        page = portal.invoices(visitor, subscription=team, starting_after=page.invoices[-1].id)
        shown.extend(page.invoices)
    assert len(shown) == 13  # a year of monthly invoices and the first
    assert [i.created for i in shown] == sorted((i.created for i in shown), reverse=True)

    everyone = make_portal(stripe_sandbox, show_all_invoices=True)
    assert {i.subscription for i in everyone.invoices(ada(everyone)).invoices} == {team, seats}
    limited = everyone.invoices(ada(everyone, subscription=seats))
    assert {i.subscription for i in limited.invoices} == {seats}
    with pytest.raises(BadInput) as malformed:  # refused even where the page's limit wins
        everyone.invoices(ada(everyone, subscription=seats), subscription="not-an-id")
    assert malformed.value.code == "subscription_invalid"
    other = stripe_client.v1.customers.create({"email": "other@example.com"})
    theirs = stripe_client.v1.subscriptions.create(
        {"customer": other.id, "items": [{"price": demo["prices"]["starter_monthly"]}],
         "payment_behavior": "default_incomplete"}
    )  # fmt: skip
    assert portal.invoices(visitor, subscription=theirs.id).invoices == ()


def test_webhooks_need_their_secret_and_empty_the_caches_they_concern(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    portal = make_portal(stripe_sandbox)
    with pytest.raises(NotFound) as off:
        portal.handle_webhook(b"{}", "t=1,v1=00")
    assert off.value.code == "webhooks_off"

    secret = "whsec_" + "w" * 32
    portal = Portal(
        PortalSettings(),
        secret_key=SECRET,
        stripe_api_key=stripe_sandbox.secret_key,
        stripe_api_base=stripe_sandbox.url,
        stripe_webhook_secret=secret,
    )

    def deliver(event_id: str, kind: str) -> str:
        body = json.dumps({"id": event_id, "object": "event", "type": kind,
                           "data": {"object": {}}}).encode()  # fmt: skip
        return portal.handle_webhook(body, sign(body, secret, int(time.time())))

    def listed() -> int:
        return stripe_sandbox.counts().get("GET /v1/promotion_codes", 0)

    assert portal.promotions.find("WELCOME20") is not None
    portal.catalog.get()
    stripe_sandbox.reset()
    assert portal.promotions.find("welcome20") is not None and listed() == 0
    assert deliver("evt_1", "invoice.created") == "ignored"
    assert deliver("evt_2", "promotion_code.updated") == "processed"
    assert deliver("evt_2", "promotion_code.updated") == "duplicate"
    assert portal.catalog.is_warm()
    assert portal.promotions.find("WELCOME20") is not None and listed() == 1
    assert deliver("evt_3", "price.updated") == "processed"
    assert not portal.catalog.is_warm()


def test_typed_codes_come_from_the_cache_but_stripe_has_the_last_word(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = make_portal(stripe_sandbox, coupons=True)
    visitor = ada(portal)
    team, seats = demo["subscriptions"]
    portal.act(visitor, "apply_coupon", {"subscription": seats, "coupon": "welcome20"},
               idempotency_key="code-0001")  # fmt: skip

    # Made after the cache was filled: looked up in Stripe, and found.
    coupon = stripe_client.v1.coupons.create({"percent_off": 5, "duration": "once"})
    fresh = stripe_client.v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SPRING5"}
    )
    result = portal.act(visitor, "apply_coupon", {"subscription": team, "coupon": "Spring5"},
                        idempotency_key="code-0002")  # fmt: skip
    assert result.response["discounts"][-1]["promotion_code"] == fresh.id

    # Switched off in Stripe while the cache still holds it: Stripe refuses, nothing is written.
    stripe_client.v1.promotion_codes.update(demo["promotion_code"], {"active": False})
    assert_refused(
        stripe_sandbox,
        BadInput,
        "coupon_invalid",
        lambda: portal.act(
            visitor,
            "apply_coupon",
            {"subscription": team, "coupon": "WELCOME20"},
            idempotency_key="code-0003",
        ),
    )
    # The cache was emptied: the next try asks Stripe, which no longer offers the code.
    assert_refused(
        stripe_sandbox,
        BadInput,
        "coupon_invalid",
        lambda: portal.act(
            visitor,
            "apply_coupon",
            {"subscription": team, "coupon": "WELCOME20"},
            idempotency_key="code-0004",
        ),
    )


def test_a_repeated_intent_gets_its_first_answer_and_another_request_under_its_key_a_409(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    portal = make_portal(stripe_sandbox)
    visitor = ada(portal)
    seats = demo["subscriptions"][1]
    first = portal.act(visitor, "change_quantity", {"subscription": seats, "quantity": 6},
                       idempotency_key="seats-intent-1")  # fmt: skip
    stripe_sandbox.reset()

    again = portal.act(visitor, "change_quantity", {"subscription": seats, "quantity": 6},
                       idempotency_key="seats-intent-1")  # fmt: skip

    assert again == first
    assert stripe_sandbox.requests == []
    with pytest.raises(Conflict) as reused:
        portal.act(visitor, "change_quantity", {"subscription": seats, "quantity": 7},
                   idempotency_key="seats-intent-1")  # fmt: skip
    assert reused.value.code == "idempotency_conflict"
    # Someone else's request under the same key is theirs alone.
    grace = portal.visitor("grace@example.com", user_hash(SECRET, "grace@example.com"))
    with pytest.raises(NotFound):
        portal.act(grace, "change_quantity", {"subscription": seats, "quantity": 6},
                   idempotency_key="seats-intent-1")  # fmt: skip


def test_the_retention_offer_is_taken_once_in_a_subscriptions_life(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    once = stripe_client.v1.coupons.create({"id": "STAY1", "percent_off": 50, "duration": "once"})
    portal = make_portal(
        stripe_sandbox, retention_offer=RetentionOffer(once.id, ("too_expensive",))
    )
    team = demo["subscriptions"][0]
    taken = portal.act(ada(portal), "accept_retention_offer",
                       {"subscription": team, "reason": "too_expensive"},
                       idempotency_key="offer-0001")  # fmt: skip
    coupon = taken.response["discounts"][-1]["source"]["coupon"]
    assert (coupon if isinstance(coupon, str) else coupon["id"]) == "STAY1"
    held = stripe_client.v1.subscriptions.retrieve(team)
    assert held.metadata["billflow_retention_offer"] == "STAY1"
    # The one-off discount is spent at the next renewal; the offer stays taken.
    view = next(v for v in taken.state.subscriptions if v.id == team)
    stripe_client.v1.test_helpers.test_clocks.advance(
        demo["test_clock"], {"frozen_time": view.current_period_end + 3600}
    )
    assert_refused(
        stripe_sandbox,
        Conflict,
        "offer_already_taken",
        lambda: portal.act(ada(portal), "accept_retention_offer",
                           {"subscription": team, "reason": "too_expensive"},
                           idempotency_key="offer-0002"),
    )  # fmt: skip


def test_a_code_stripe_refuses_is_dropped_from_the_cache_alone(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    coupon = stripe_client.v1.coupons.create({"percent_off": 5, "duration": "once"})
    stripe_client.v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "OTHER5"}
    )
    portal = make_portal(stripe_sandbox, coupons=True)
    assert portal.promotions.find("OTHER5") is not None  # both codes cached
    stripe_client.v1.promotion_codes.update(demo["promotion_code"], {"active": False})
    with pytest.raises(BadInput):
        portal.act(ada(portal), "apply_coupon",
                   {"subscription": demo["subscriptions"][0], "coupon": "WELCOME20"},
                   idempotency_key="drop-0001")  # fmt: skip
    stripe_sandbox.reset()
    assert portal.promotions.find("other5") is not None
    assert stripe_sandbox.counts() == {}
    assert portal.promotions.find("WELCOME20") is None  # looked up afresh, and inactive
    assert stripe_sandbox.counts() == {"GET /v1/promotion_codes": 1}
