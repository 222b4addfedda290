"""Subscription schedule requests Stripe refuses get Stripe's error and change nothing, and
the options the sandbox does not act on are refused by name. The scene is in
`schedule_scene`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import stripe
from scenes import DAY, JAN_1, customer_on_clock, price
from schedule_scene import FEB_1, MAR_1, Scene, make_scene, refused

from billflow_sandbox import Sandbox


@pytest.fixture
def scene(stripe_client: stripe.StripeClient) -> Scene:
    return make_scene(stripe_client)


def test_a_subscription_already_on_a_schedule_is_refused_a_second_one(
    stripe_sandbox: Sandbox, scene: Scene
) -> None:
    schedule = scene.schedule()
    refused(
        stripe_sandbox,
        scene.schedule,
        "from_subscription",
        f"already attached to a schedule: `{schedule.id}`",
    )


def test_from_subscription_takes_no_other_parameter_and_phases_alone_are_not_implemented(
    stripe_sandbox: Sandbox, scene: Scene
) -> None:
    v1 = scene.v1
    refused(
        stripe_sandbox,
        lambda: v1.subscription_schedules.create(
            {"from_subscription": scene.sub.id, "metadata": {"k": "v"}}
        ),
        "metadata",
        "You cannot set `metadata` if `from_subscription` is set.",
    )
    refused(
        stripe_sandbox,
        lambda: v1.subscription_schedules.create(
            {
                "customer": scene.customer,
                "phases": [{"items": [{"price": scene.solo}]}],
            }
        ),
        "phases",
        "does not implement",
    )
    refused(
        stripe_sandbox,
        lambda: v1.subscription_schedules.create({"from_subscription": "sub_missing"}),
        "from_subscription",
        "No such subscription: 'sub_missing'",
        status=404,
        code="resource_missing",
    )


def test_schedule_options_the_sandbox_does_not_act_on_are_refused_by_name(
    stripe_sandbox: Sandbox, scene: Scene
) -> None:
    v1 = scene.v1
    schedule = scene.schedule()
    refused(
        stripe_sandbox,
        lambda: v1.subscription_schedules.update(
            schedule.id, {"default_settings": {"description": "x"}}
        ),
        "default_settings",
        "does not implement",
    )
    refused(
        stripe_sandbox,
        lambda: v1.subscription_schedules.update(schedule.id, {"end_behavior": "none"}),
        "end_behavior",
        "does not implement `end_behavior=none`",
    )
    refused(
        stripe_sandbox,
        lambda: v1.subscription_schedules.update(
            schedule.id,
            {
                "phases": [
                    {"items": [{"price": scene.team}], "start_date": JAN_1, "end_date": "now"}
                ]
            },
        ),
        "phases[0][end_date]",
        "does not implement `phases[0][end_date]=now`",
    )


def test_a_subscription_whose_first_payment_failed_cannot_be_scheduled(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    v1 = stripe_client.v1
    _, customer = customer_on_clock(v1, "kim@example.com", "pm_card_chargeCustomerFail")
    sub = v1.subscriptions.create({"customer": customer, "items": [{"price": price(v1, 900)}]})
    assert sub.status == "incomplete"
    refused(
        stripe_sandbox,
        lambda: v1.subscription_schedules.create({"from_subscription": sub.id}),
        "from_subscription",
        "You cannot migrate a subscription in the `incomplete` status",
    )


# -- phases -----------------------------------------------------------------------------------


def _phases(scene: Scene, **second: Any) -> list[dict[str, Any]]:
    return [
        {"items": [{"price": scene.team}], "start_date": JAN_1, "end_date": FEB_1},
        {"items": [{"price": scene.solo}], **second},
    ]


@pytest.mark.parametrize(
    ("change", "param", "message", "status"),
    [
        (
            lambda s, _: [_phases(s)[0], {"items": [{"price": "price_missing"}]}],
            "phases[1][items][0][price]",
            "No such price: 'price_missing'",
            404,
        ),
        (
            lambda s, _: _phases(s, start_date=FEB_1 + DAY),
            "phases[1][start_date]",
            "must be the end_date of phase 0",
            400,
        ),
        (
            lambda s, _: [
                {"items": [{"price": s.team}], "start_date": JAN_1 + DAY, "end_date": FEB_1},
                _phases(s)[1],
            ],
            "phases[0][start_date]",
            "You can not modify the start date of the current phase.",
            400,
        ),
        (
            lambda s, _: [{"items": [{"price": s.team}], "end_date": FEB_1}],
            "phases",
            "missing at least one phase with a `start_date`",
            400,
        ),
        (
            lambda s, _: _phases(s, end_date=FEB_1),
            "phases[1][end_date]",
            "must be after its start_date",
            400,
        ),
        (
            lambda s, _: _phases(s, end_date=MAR_1, duration={"interval": "month"}),
            "phases[1][duration]",
            "`end_date` or `duration`, not both",
            400,
        ),
        (
            lambda s, extra: [_phases(s)[0], {"items": [{"price": extra["one_time"]}]}],
            "phases[1][items][0][price]",
            "only accepts prices with `type=recurring`",
            400,
        ),
        (
            lambda s, extra: [_phases(s)[0], {"items": [{"price": extra["euro"]}]}],
            "phases[1][items][0][price]",
            "must have the same currency",
            400,
        ),
        (
            lambda s, extra: _phases(s, discounts=[{"discount": extra["other_discount"]}]),
            "phases[1][discounts][0][discount]",
            "No such discount",
            404,
        ),
        (
            lambda s, _: _phases(s, trial_end=MAR_1),
            "phases[1][trial_end]",
            "does not implement",
            400,
        ),
        (
            lambda s, extra: _phases(s, discounts=[{"coupon": extra["coupon"]}]),
            "phases[1][discounts][0][coupon]",
            "does not implement",
            400,
        ),
    ],
    ids=[
        "unknown price",
        "gap between phases",
        "current phase moved",
        "no start date",
        "ends before it starts",
        "end date and duration",
        "one-time price",
        "other currency",
        "other customer's discount",
        "trial not implemented",
        "new coupon not implemented",
    ],
)
def test_bad_phases_get_stripes_error_and_change_nothing(
    stripe_sandbox: Sandbox,
    scene: Scene,
    change: Callable[[Scene, dict[str, str]], list[dict[str, Any]]],
    param: str,
    message: str,
    status: int,
) -> None:
    v1 = scene.v1
    product = v1.products.create({"name": "Extras"})
    one_time = v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 500})
    euro = v1.prices.create(
        {
            "product": product.id,
            "currency": "eur",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
        }
    )
    coupon = v1.coupons.create({"percent_off": 10, "duration": "forever"})
    _, other = customer_on_clock(v1, "other@example.com")
    theirs = v1.subscriptions.create(
        {"customer": other, "items": [{"price": scene.team}], "discounts": [{"coupon": coupon.id}]}
    )
    extra = {
        "one_time": one_time.id,
        "euro": euro.id,
        "coupon": coupon.id,
        "other_discount": theirs.discounts[0],
    }
    schedule = scene.schedule()

    refused(
        stripe_sandbox,
        lambda: v1.subscription_schedules.update(schedule.id, {"phases": change(scene, extra)}),
        param,
        message,
        status=status,
    )


def test_direct_cancel_and_item_changes_of_a_scheduled_subscription_are_refused(
    stripe_sandbox: Sandbox, scene: Scene
) -> None:
    v1 = scene.v1
    schedule = scene.schedule()
    refused(
        stripe_sandbox,
        lambda: v1.subscriptions.update(scene.sub.id, {"cancel_at_period_end": True}),
        "cancel_at_period_end",
        f"The subscription is managed by the subscription schedule `{schedule.id}`, and "
        "updating any cancelation behavior directly is not allowed. Please update the schedule "
        "instead.",
    )
    refused(
        stripe_sandbox,
        lambda: v1.subscriptions.update(scene.sub.id, {"cancel_at": MAR_1}),
        "cancel_at",
        "updating any cancelation behavior directly is not allowed",
    )
    refused(
        stripe_sandbox,
        lambda: v1.subscriptions.update(
            scene.sub.id, {"items": [{"id": scene.sub["items"].data[0].id, "quantity": 2}]}
        ),
        "items",
        "does not implement `items` on a subscription managed by a subscription schedule",
    )
    refused(
        stripe_sandbox,
        lambda: v1.invoices.create_preview(
            {
                "subscription": scene.sub.id,
                "subscription_details": {"items": [{"price": scene.solo}]},
            }
        ),
        "subscription_details[items]",
        "does not implement `items` on a subscription managed by a subscription schedule",
    )
    # Once released, the subscription is the customer's own to change again.
    v1.subscription_schedules.release(schedule.id)
    assert v1.subscriptions.update(scene.sub.id, {"cancel_at_period_end": True}).cancel_at == FEB_1
