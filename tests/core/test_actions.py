"""Actions against the sandbox's demo account: each changes what Stripe holds as the
customer asked, each refusal writes nothing, and a retried intent writes once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import stripe
from refusal import assert_refused

from billflow_core.actions.cancelling import cancel, undo_cancel
from billflow_core.actions.context import ActionContext
from billflow_core.actions.plans import change_plan, change_quantity
from billflow_core.errors import BadInput, Conflict, Forbidden, NotFound
from billflow_core.stripe.gateway import StripeGateway
from billflow_sandbox import Sandbox


def test_a_plan_change_swaps_the_price_on_the_same_item_and_invoices_the_difference(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    demo_gateway: StripeGateway,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    team = demo["subscriptions"][0]
    context = context_for()
    item = context.subscriptions[team]["items"].data[0].id
    stripe_sandbox.reset()

    demo_gateway.customer_by_email("ada@example.com")  # how a request finds its customer
    fresh = ActionContext.open(
        demo_gateway, context.settings, context.catalog, demo["customer"], "k"
    )
    updated = change_plan(fresh, team, demo["prices"]["business_monthly"])

    assert sum(stripe_sandbox.counts().values()) == 3  # customer, subscriptions, update
    held = stripe_client.v1.subscriptions.retrieve(team, {"expand": ["latest_invoice"]})
    assert held["items"].data[0].id == item
    assert held["items"].data[0].price.id == demo["prices"]["business_monthly"]
    assert held.latest_invoice.billing_reason == "subscription_update"  # always_invoice
    assert held.latest_invoice.status == "paid"
    assert updated.latest_invoice.id == held.latest_invoice.id  # the answer is the new state
    assert fresh.subscriptions[team] is updated


def test_plan_changes_outside_the_rules_write_nothing(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    team = demo["subscriptions"][0]
    context = context_for()
    assert_refused(
        stripe_sandbox,
        BadInput,
        "plan_not_offered",
        lambda: change_plan(context, team, demo["prices"]["seats_monthly"]),
    )
    assert_refused(
        stripe_sandbox,
        NotFound,
        "subscription_not_found",
        lambda: change_plan(context, "sub_someone_else", demo["prices"]["team_yearly"]),
    )
    off = context_for(change_plan=False)
    assert_refused(
        stripe_sandbox,
        Forbidden,
        "feature_disabled",
        lambda: change_plan(off, team, demo["prices"]["business_monthly"]),
    )

    other = stripe_client.v1.customers.create({"email": "mallory@example.com"})
    theirs = stripe_client.v1.subscriptions.create(
        {
            "customer": other.id,
            "items": [{"price": demo["prices"]["team_monthly"]}],
            "payment_behavior": "default_incomplete",
        }
    )
    context.subscriptions[theirs.id] = theirs  # even if it reached the context somehow
    assert_refused(
        stripe_sandbox,
        NotFound,
        "subscription_not_found",
        lambda: change_plan(context, theirs.id, demo["prices"]["business_monthly"]),
    )


def test_a_plan_change_repeated_after_it_was_made_is_refused_before_any_write(
    stripe_sandbox: Sandbox, context_for: Callable[..., ActionContext], demo: dict[str, Any]
) -> None:
    team = demo["subscriptions"][0]
    business = demo["prices"]["business_monthly"]
    change_plan(context_for("intent-7"), team, business)
    writes = len(stripe_sandbox.writes())

    again = context_for("intent-7")  # the page sends the same intent again
    with pytest.raises(Conflict) as repeated:  # it is the current plan now
        change_plan(again, team, business)
    assert repeated.value.code == "same_plan"
    assert len(stripe_sandbox.writes()) == writes


def test_quantity_changes_within_bounds_and_refuses_outside_them(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    team, seats = demo["subscriptions"]
    context = context_for()
    change_quantity(context, seats, 5)
    assert stripe_client.v1.subscriptions.retrieve(seats)["items"].data[0].quantity == 5

    context = context_for("intent-2")
    for bad, code in (
        (51, "quantity_out_of_bounds"),
        (0, "quantity_out_of_bounds"),
        ("7", "quantity_invalid"),
        (2.5, "quantity_invalid"),
    ):
        assert_refused(
            stripe_sandbox,
            BadInput,
            code,
            lambda bad=bad: change_quantity(context, seats, bad),
        )
    assert_refused(
        stripe_sandbox,
        Forbidden,
        "quantity_disabled",
        lambda: change_quantity(context, team, 2),
    )


def test_cancel_at_period_end_keeps_the_survey_and_undo_takes_it_back(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    team = demo["subscriptions"][0]
    cancel(context_for(), team, "too_expensive", "Over budget this year")

    held = stripe_client.v1.subscriptions.retrieve(team)
    assert (held.status, held.cancel_at_period_end) == ("active", True)
    assert held.metadata["cancellation_reason"] == "too_expensive"
    assert held.metadata["cancellation_comment"] == "Over budget this year"
    assert held.cancellation_details.feedback == "too_expensive"
    assert held.cancellation_details.comment == "Over budget this year"
    assert_refused(
        stripe_sandbox,
        Conflict,
        "already_canceling",
        lambda: cancel(context_for("intent-2"), team, "other", None),
    )

    undo_cancel(context_for("intent-3"), team)
    held = stripe_client.v1.subscriptions.retrieve(team)
    assert (held.cancel_at_period_end, held.cancel_at) == (False, None)
    assert "cancellation_reason" not in held.metadata.to_dict()
    assert_refused(
        stripe_sandbox,
        Conflict,
        "not_canceling",
        lambda: undo_cancel(context_for("intent-4"), team),
    )


def test_a_reason_of_the_sites_own_goes_to_metadata_only_and_cancel_now_ends_it(
    stripe_client: stripe.StripeClient,
    context_for: Callable[..., ActionContext],
    demo: dict[str, Any],
) -> None:
    seats = demo["subscriptions"][1]
    context = context_for(
        cancel_immediately=True, cancellation_reasons=("moving_to_paper", "other")
    )
    cancel(context, seats, "moving_to_paper", None)

    held = stripe_client.v1.subscriptions.retrieve(seats)
    assert held.status == "canceled"
    assert held.metadata["cancellation_reason"] == "moving_to_paper"
    assert held.cancellation_details.feedback is None
    assert held.cancellation_details.reason == "cancellation_requested"


def test_a_cancel_with_a_reason_off_the_list_writes_nothing(
    stripe_sandbox: Sandbox, context_for: Callable[..., ActionContext], demo: dict[str, Any]
) -> None:
    context = context_for()
    assert_refused(
        stripe_sandbox,
        BadInput,
        "reason_invalid",
        lambda: cancel(context, demo["subscriptions"][0], "bored", None),
    )
