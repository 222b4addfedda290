"""Subscription schedules as the portal's "downgrade at period end" uses them: a schedule made
from the subscription, a next phase on the cheaper price, the test clock crossing the period
end, and the release that takes the downgrade back; then the schedule's other ends (cancel,
completion) and how it is listed and replayed. The scene is in `schedule_scene`.
"""

from __future__ import annotations

import pytest
import stripe
from scenes import DAY, JAN_1, customer_on_clock, price
from schedule_scene import APR_1, FEB_1, MAR_1, MID_JAN, Scene, make_scene


@pytest.fixture
def scene(stripe_client: stripe.StripeClient) -> Scene:
    return make_scene(stripe_client)


# -- made from a subscription -----------------------------------------------------------------


def test_schedule_from_a_subscription_mirrors_its_items_period_and_discounts(
    stripe_client: stripe.StripeClient,
) -> None:
    v1 = stripe_client.v1
    _, customer = customer_on_clock(v1, "grace@example.com")
    team = price(v1, 3000)
    coupon = v1.coupons.create({"percent_off": 20, "duration": "forever"})
    sub = v1.subscriptions.create(
        {
            "customer": customer,
            "items": [{"price": team, "quantity": 3}],
            "discounts": [{"coupon": coupon.id}],
        }
    )

    schedule = v1.subscription_schedules.create({"from_subscription": sub.id})

    assert schedule.id.startswith("sub_sched_")
    assert (schedule.status, schedule.end_behavior) == ("active", "release")
    assert (schedule.subscription, schedule.customer) == (sub.id, customer)
    [phase] = schedule.phases
    assert (phase.start_date, phase.end_date) == (JAN_1, FEB_1)
    assert (schedule.current_phase.start_date, schedule.current_phase.end_date) == (JAN_1, FEB_1)
    assert [(i.price, i.plan, i.quantity) for i in phase["items"]] == [(team, team, 3)]
    assert [d.discount for d in phase.discounts] == sub.discounts
    assert (phase.currency, phase.proration_behavior) == ("usd", "create_prorations")

    linked = v1.subscriptions.retrieve(sub.id, {"expand": ["schedule"]})
    assert linked.schedule.id == schedule.id
    assert linked.schedule.phases[0]["items"][0].quantity == 3
    listed = v1.subscriptions.list({"customer": customer, "expand": ["data.schedule"]})
    assert [s.schedule.id for s in listed.data] == [schedule.id]
    expanded = v1.subscription_schedules.retrieve(
        schedule.id, {"expand": ["subscription", "customer"]}
    )
    assert (expanded.subscription.id, expanded.customer.email) == (sub.id, "grace@example.com")

    created = v1.events.list({"type": "subscription_schedule.created"}).data
    assert [e.data.object.id for e in created] == [schedule.id]
    [linked_event] = [
        e
        for e in v1.events.list({"type": "customer.subscription.updated"}).data
        if "schedule" in (e.data.previous_attributes or {})
    ]
    assert linked_event.data.previous_attributes.to_dict() == {"schedule": None}
    assert linked_event.data.object.schedule == schedule.id


# -- downgrade at period end ------------------------------------------------------------------


def test_downgrade_at_period_end_bills_the_new_price_from_the_renewal(scene: Scene) -> None:
    v1 = scene.v1
    schedule = scene.downgrade(scene.schedule())

    first, second = schedule.phases
    assert (first.start_date, first.end_date) == (JAN_1, FEB_1)
    # A phase without an end lasts one period of its price.
    assert (second.start_date, second.end_date) == (FEB_1, MAR_1)
    assert second["items"][0].price == scene.solo
    now = v1.subscriptions.retrieve(scene.sub.id)
    assert now["items"].data[0].price.id == scene.team  # nothing changes before the renewal
    assert len(v1.invoices.list({"subscription": scene.sub.id}).data) == 1  # none billed now
    upcoming = v1.invoices.create_preview({"subscription": scene.sub.id})
    assert [line.amount for line in upcoming.lines.data] == [1000]

    scene.advance(FEB_1 + DAY)

    renewed = v1.subscriptions.retrieve(scene.sub.id)
    [item] = renewed["items"].data
    assert (item.price.id, item.quantity) == (scene.solo, 1)
    assert (item.current_period_start, item.current_period_end) == (FEB_1, MAR_1)
    invoice = v1.invoices.retrieve(str(renewed.latest_invoice))
    assert (invoice.billing_reason, invoice.amount_due, invoice.status) == (
        "subscription_cycle",
        1000,
        "paid",
    )
    assert [
        (line.amount, line.period.start, line.parent.subscription_item_details.proration)
        for line in invoice.lines.data
    ] == [(1000, FEB_1, False)]
    assert v1.invoice_items.list({"customer": scene.customer, "pending": True}).data == []
    moved = v1.subscription_schedules.retrieve(schedule.id)
    assert (moved.current_phase.start_date, moved.current_phase.end_date) == (FEB_1, MAR_1)
    transition, downgraded = scene.events("subscription_schedule.updated")
    assert list(downgraded.data.previous_attributes.to_dict()) == ["phases"]
    assert transition.data.previous_attributes.to_dict() == {
        "current_phase": {"end_date": FEB_1, "start_date": JAN_1}
    }
    swapped = [
        e.data.object["items"].data[0].price.id
        for e in scene.events("customer.subscription.updated")
        if "items" in (e.data.previous_attributes or {})
        and e.data.previous_attributes["items"].data[0].price.id == scene.team
    ]
    assert swapped == [scene.solo]

    # The last phase ends: the schedule lets go, the subscription goes on with Solo.
    scene.advance(MAR_1 + DAY)

    released = v1.subscription_schedules.retrieve(schedule.id)
    assert (released.status, released.released_at) == ("released", MAR_1)
    assert (released.released_subscription, released.subscription) == (scene.sub.id, None)
    assert released.current_phase is None
    alone = v1.subscriptions.retrieve(scene.sub.id)
    assert (alone.schedule, alone.status) == (None, "active")
    assert v1.invoices.retrieve(str(alone.latest_invoice)).amount_due == 1000
    assert [e.data.object.id for e in scene.events("subscription_schedule.released")] == [
        schedule.id
    ]


def test_release_before_the_period_end_leaves_the_renewal_as_it_was(scene: Scene) -> None:
    v1 = scene.v1
    schedule = scene.downgrade(scene.schedule())
    scene.advance(MID_JAN)

    released = v1.subscription_schedules.release(schedule.id)

    assert (released.status, released.released_at) == ("released", MID_JAN)
    assert (released.released_subscription, released.subscription) == (scene.sub.id, None)
    assert v1.subscriptions.retrieve(scene.sub.id).schedule is None
    scene.advance(FEB_1 + DAY)
    renewed = v1.subscriptions.retrieve(scene.sub.id)
    assert renewed["items"].data[0].price.id == scene.team
    assert v1.invoices.retrieve(str(renewed.latest_invoice)).amount_due == 3000
    assert [e.type for e in scene.events("subscription_schedule.released")] == [
        "subscription_schedule.released"
    ]
    # A released schedule is history.
    with pytest.raises(stripe.InvalidRequestError) as again:
        v1.subscription_schedules.release(schedule.id)
    assert "currently in the `released` status" in str(again.value.user_message)


def test_a_phase_keeps_the_discounts_it_names_and_ends_the_others(
    stripe_client: stripe.StripeClient,
) -> None:
    v1 = stripe_client.v1
    clock, customer = customer_on_clock(v1, "lin@example.com")
    team, solo, pair = price(v1, 3000), price(v1, 1000), price(v1, 2000)
    coupon = v1.coupons.create({"percent_off": 50, "duration": "forever"})
    sub = v1.subscriptions.create(
        {"customer": customer, "items": [{"price": team}], "discounts": [{"coupon": coupon.id}]}
    )
    [discount] = sub.discounts
    schedule = v1.subscription_schedules.create({"from_subscription": sub.id})
    v1.subscription_schedules.update(
        schedule.id,
        {
            "phases": [
                {
                    "items": [{"price": team}],
                    "start_date": JAN_1,
                    "end_date": FEB_1,
                    "discounts": [{"discount": discount}],
                },
                {"items": [{"price": solo}], "discounts": [{"discount": discount}]},
                {"items": [{"price": pair}]},
            ]
        },
    )

    v1.test_helpers.test_clocks.advance(clock, {"frozen_time": FEB_1 + DAY})
    kept = v1.subscriptions.retrieve(sub.id)
    assert kept.discounts == [discount]
    assert v1.invoices.retrieve(str(kept.latest_invoice)).amount_due == 500

    v1.test_helpers.test_clocks.advance(clock, {"frozen_time": MAR_1 + DAY})
    ended = v1.subscriptions.retrieve(sub.id)
    assert ended.discounts == []
    assert v1.invoices.retrieve(str(ended.latest_invoice)).amount_due == 2000


def test_a_phase_that_begins_inside_a_period_prorates_the_change(scene: Scene) -> None:
    v1 = scene.v1
    schedule = scene.schedule()
    v1.subscription_schedules.update(
        schedule.id,
        {
            "phases": [
                {"items": [{"price": scene.team}], "start_date": JAN_1, "end_date": MID_JAN},
                {"items": [{"price": scene.solo}], "end_date": APR_1},
            ]
        },
    )

    scene.advance(MID_JAN + DAY)

    sub = v1.subscriptions.retrieve(scene.sub.id)
    assert sub["items"].data[0].price.id == scene.solo
    pending = v1.invoice_items.list({"customer": scene.customer, "pending": True}).data
    left = FEB_1 - MID_JAN
    expected = [round(1000 * left / (FEB_1 - JAN_1)), -round(3000 * left / (FEB_1 - JAN_1))]
    assert sorted(i.amount for i in pending) == sorted(expected)
    scene.advance(FEB_1 + DAY)
    renewal = v1.invoices.retrieve(str(v1.subscriptions.retrieve(scene.sub.id).latest_invoice))
    assert renewal.subtotal == 1000 + sum(expected)


def test_changing_the_phase_in_effect_changes_the_subscription_now(scene: Scene) -> None:
    v1 = scene.v1
    schedule = scene.schedule()
    scene.advance(MID_JAN)

    v1.subscription_schedules.update(
        schedule.id,
        {
            "phases": [
                {
                    "items": [{"price": scene.team, "quantity": 2}],
                    "start_date": JAN_1,
                    "end_date": FEB_1,
                }
            ],
            "proration_behavior": "always_invoice",
        },
    )

    sub = v1.subscriptions.retrieve(scene.sub.id)
    assert sub["items"].data[0].quantity == 2
    invoice = v1.invoices.retrieve(str(sub.latest_invoice))
    share = (FEB_1 - MID_JAN) / (FEB_1 - JAN_1)
    charged = round(6000 * share) - round(3000 * share)  # the second seat, to the second
    assert (invoice.billing_reason, invoice.amount_due) == ("subscription_update", charged)


def test_end_behavior_cancel_ends_the_subscription_with_the_last_phase(scene: Scene) -> None:
    v1 = scene.v1
    schedule = scene.schedule()

    ending = v1.subscription_schedules.update(
        schedule.id, {"end_behavior": "cancel", "metadata": {"why": "leaving"}}
    )

    assert (ending.end_behavior, ending.metadata.to_dict()) == ("cancel", {"why": "leaving"})
    canceling = v1.subscriptions.retrieve(scene.sub.id)
    assert (canceling.cancel_at, canceling.status) == (FEB_1, "active")
    [update] = scene.events("subscription_schedule.updated")
    assert update.data.previous_attributes.to_dict() == {
        "end_behavior": "release",
        "metadata": {},
    }

    scene.advance(FEB_1 + DAY)

    completed = v1.subscription_schedules.retrieve(schedule.id)
    assert (completed.status, completed.completed_at) == ("completed", FEB_1)
    ended = v1.subscriptions.retrieve(scene.sub.id)
    assert (ended.status, ended.ended_at) == ("canceled", FEB_1)
    assert ended.latest_invoice == scene.sub.latest_invoice  # no renewal was billed
    assert [e.data.object.id for e in scene.events("subscription_schedule.completed")] == [
        schedule.id
    ]
    assert [e.data.object.id for e in scene.events("customer.subscription.deleted")] == [
        scene.sub.id
    ]


def test_release_drops_the_cancellation_the_schedule_set_unless_told_to_keep_it(
    scene: Scene,
) -> None:
    v1 = scene.v1
    dropped = v1.subscription_schedules.update(scene.schedule().id, {"end_behavior": "cancel"})
    assert v1.subscriptions.retrieve(scene.sub.id).cancel_at == FEB_1
    v1.subscription_schedules.release(dropped.id)
    assert v1.subscriptions.retrieve(scene.sub.id).cancel_at is None

    kept = v1.subscription_schedules.update(scene.schedule().id, {"end_behavior": "cancel"})
    v1.subscription_schedules.release(kept.id, {"preserve_cancel_date": True})
    sub = v1.subscriptions.retrieve(scene.sub.id)
    assert (sub.cancel_at, sub.schedule) == (FEB_1, None)
    scene.advance(FEB_1 + DAY)
    assert v1.subscriptions.retrieve(scene.sub.id).status == "canceled"


def test_canceling_the_schedule_cancels_its_subscription_with_a_prorated_credit(
    scene: Scene,
) -> None:
    v1 = scene.v1
    schedule = scene.downgrade(scene.schedule())
    scene.advance(MID_JAN)

    canceled = v1.subscription_schedules.cancel(schedule.id)

    assert (canceled.status, canceled.canceled_at, canceled.current_phase) == (
        "canceled",
        MID_JAN,
        None,
    )
    sub = v1.subscriptions.retrieve(scene.sub.id)
    assert (sub.status, sub.ended_at) == ("canceled", MID_JAN)
    final = v1.invoices.retrieve(str(sub.latest_invoice))
    credit = round(3000 * (FEB_1 - MID_JAN) / (FEB_1 - JAN_1))
    assert [line.amount for line in final.lines.data] == [-credit]
    assert v1.customers.retrieve(scene.customer).balance == -credit
    assert [e.data.object.status for e in scene.events("subscription_schedule.canceled")] == [
        "canceled"
    ]


def test_canceling_the_subscription_cancels_its_schedule(scene: Scene) -> None:
    v1 = scene.v1
    schedule = scene.downgrade(scene.schedule())

    v1.subscriptions.cancel(scene.sub.id)

    gone = v1.subscription_schedules.retrieve(schedule.id)
    assert (gone.status, gone.canceled_at) == ("canceled", JAN_1)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        scene.downgrade(gone)
    assert "currently in the `canceled` status" in str(refused.value.user_message)
    scene.advance(MAR_1 + DAY)  # nothing is left for the clock to do
    assert v1.subscription_schedules.retrieve(schedule.id).status == "canceled"


# -- idempotency, listing ---------------------------------------------------------------------


def test_schedule_requests_replay_under_their_idempotency_key(scene: Scene) -> None:
    v1 = scene.v1
    create = {"from_subscription": scene.sub.id}
    first = v1.subscription_schedules.create(create, {"idempotency_key": "schedule-ada"})
    again = v1.subscription_schedules.create(create, {"idempotency_key": "schedule-ada"})
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(v1.subscription_schedules.list({"customer": scene.customer}).data) == 1

    released = v1.subscription_schedules.release(first.id, {}, {"idempotency_key": "undo-ada"})
    replay = v1.subscription_schedules.release(first.id, {}, {"idempotency_key": "undo-ada"})
    assert (replay.status, replay.released_at) == (released.status, released.released_at)
    assert len(scene.events("subscription_schedule.released")) == 1

    with pytest.raises(stripe.IdempotencyError):
        v1.subscription_schedules.create(
            {"from_subscription": "sub_other"}, {"idempotency_key": "schedule-ada"}
        )


def test_schedules_list_by_customer_and_leave_out_test_clock_customers_otherwise(
    stripe_client: stripe.StripeClient, scene: Scene
) -> None:
    v1 = stripe_client.v1
    mine = scene.schedule()
    _, other = customer_on_clock(v1, "bo@example.com")
    theirs_sub = v1.subscriptions.create({"customer": other, "items": [{"price": scene.solo}]})
    earlier = v1.subscription_schedules.create({"from_subscription": theirs_sub.id})
    v1.subscription_schedules.release(earlier.id)
    later = v1.subscription_schedules.create({"from_subscription": theirs_sub.id})
    walk_in = v1.customers.create({"email": "cy@example.com"})
    card = v1.payment_methods.attach("pm_card_visa", {"customer": walk_in.id})
    walk_in_sub = v1.subscriptions.create(
        {
            "customer": walk_in.id,
            "items": [{"price": scene.solo}],
            "default_payment_method": card.id,
        }
    )
    unclocked = v1.subscription_schedules.create({"from_subscription": walk_in_sub.id})

    def listed(**params: object) -> list[str]:
        return [s.id for s in v1.subscription_schedules.list(params).data]

    assert listed(customer=scene.customer) == [mine.id]
    assert listed(customer=other) == [later.id, earlier.id]
    assert listed(customer=other, released_at={"gte": JAN_1}) == [earlier.id]
    assert listed(customer=scene.customer, released_at=JAN_1) == []
    # Without `customer`, Stripe leaves out the schedules of test clock customers.
    assert listed() == [unclocked.id]
    first = v1.subscription_schedules.list({"customer": other, "limit": 1})
    assert ([s.id for s in first.data], first.has_more) == ([later.id], True)
