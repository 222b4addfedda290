"""Changing a trial on an existing subscription: extending it moves the first bill, ending
it now restarts the cycle today and bills the first paid period at once."""

from __future__ import annotations

import pytest
import stripe
from scenes import DAY, JAN_1, customer_on_clock, price

from billflow_sandbox import Sandbox


def _trialing(client: stripe.StripeClient, card: str = "pm_card_visa") -> stripe.Subscription:
    v1 = client.v1
    _, customer = customer_on_clock(v1, "lin@example.com", card)
    return v1.subscriptions.create(
        {"customer": customer, "items": [{"price": price(v1, 2900)}], "trial_period_days": 14}
    )


def test_ending_a_trial_now_restarts_the_cycle_and_charges_the_first_period(
    stripe_client: stripe.StripeClient,
) -> None:
    sub = _trialing(stripe_client)

    ended = stripe_client.v1.subscriptions.update(
        sub.id, {"trial_end": "now", "expand": ["latest_invoice"]}
    )

    assert (ended.status, ended.trial_end, ended.billing_cycle_anchor) == ("active", JAN_1, JAN_1)
    item = ended["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (JAN_1, JAN_1 + 31 * DAY)
    invoice = ended.latest_invoice
    assert invoice.id != sub.latest_invoice
    assert (invoice.status, invoice.amount_paid) == ("paid", 2900)


def test_ending_a_trial_on_a_failing_card_leaves_the_subscription_past_due(
    stripe_client: stripe.StripeClient,
) -> None:
    sub = _trialing(stripe_client, "pm_card_chargeCustomerFail")

    ended = stripe_client.v1.subscriptions.update(
        sub.id, {"trial_end": "now", "expand": ["latest_invoice"]}
    )

    assert ended.status == "past_due"
    assert (ended.latest_invoice.status, ended.latest_invoice.amount_paid) == ("open", 0)


def test_extending_a_trial_moves_the_period_end_and_bills_nothing(
    stripe_client: stripe.StripeClient,
) -> None:
    sub = _trialing(stripe_client)
    later = JAN_1 + 30 * DAY

    extended = stripe_client.v1.subscriptions.update(sub.id, {"trial_end": later})

    assert (extended.status, extended.trial_end, extended.billing_cycle_anchor) == (
        "trialing",
        later,
        later,
    )
    assert extended["items"].data[0].current_period_end == later
    assert extended.latest_invoice == sub.latest_invoice


def test_trial_end_in_the_past_or_on_an_active_subscription_is_refused(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    sub = _trialing(stripe_client)
    before = len(stripe_sandbox.writes())

    with pytest.raises(stripe.InvalidRequestError) as past:
        stripe_client.v1.subscriptions.update(sub.id, {"trial_end": JAN_1 - DAY})
    assert (past.value.http_status, past.value.param) == (400, "trial_end")

    stripe_client.v1.subscriptions.update(sub.id, {"trial_end": "now"})
    with pytest.raises(stripe.InvalidRequestError) as active:
        stripe_client.v1.subscriptions.update(sub.id, {"trial_end": JAN_1 + 60 * DAY})
    assert active.value.param == "trial_end"
    assert len(stripe_sandbox.writes()) == before + 1  # only the accepted "now"
    assert stripe_client.v1.subscriptions.retrieve(sub.id).trial_end == JAN_1
