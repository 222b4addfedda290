"""The scene the subscription schedule tests start from: a customer on a test clock frozen at
2026-01-01 paying 30.00 USD a month for "Team", a 10.00 "Solo" price to move to, and the
portal's downgrade as a schedule update."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import stripe
from scenes import DAY, JAN_1, customer_on_clock, price

from billflow_sandbox import Sandbox

FEB_1 = JAN_1 + 31 * DAY
MAR_1 = FEB_1 + 28 * DAY
APR_1 = MAR_1 + 31 * DAY
MID_JAN = JAN_1 + 10 * DAY


@dataclass
class Scene:
    v1: Any
    clock: str
    customer: str
    team: str  # 30.00 a month
    solo: str  # 10.00 a month
    sub: stripe.Subscription

    def schedule(self) -> stripe.SubscriptionSchedule:
        return self.v1.subscription_schedules.create({"from_subscription": self.sub.id})

    def downgrade(self, schedule: stripe.SubscriptionSchedule, **next_phase: Any) -> Any:
        """The portal's downgrade: the phase in effect as it is, then Solo."""
        current = schedule.phases[0]
        return self.v1.subscription_schedules.update(
            schedule.id,
            {
                "phases": [
                    {
                        "items": [{"price": self.team, "quantity": 1}],
                        "start_date": current.start_date,
                        "end_date": current.end_date,
                    },
                    {"items": [{"price": self.solo, "quantity": 1}], **next_phase},
                ]
            },
        )

    def advance(self, to: int) -> None:
        self.v1.test_helpers.test_clocks.advance(self.clock, {"frozen_time": to})

    def events(self, kind: str) -> list[stripe.Event]:
        return list(self.v1.events.list({"type": kind, "limit": 100}).data)


def make_scene(stripe_client: stripe.StripeClient) -> Scene:
    v1 = stripe_client.v1
    clock, customer = customer_on_clock(v1, "ada@example.com")
    team, solo = price(v1, 3000, name="Team"), price(v1, 1000, name="Solo")
    sub = v1.subscriptions.create({"customer": customer, "items": [{"price": team}]})
    return Scene(v1, clock, customer, team, solo, sub)


def refused(
    sandbox: Sandbox,
    call: Callable[[], Any],
    param: str,
    message: str,
    *,
    status: int = 400,
    code: str | None = None,
) -> None:
    """Assert `call` fails with Stripe's error naming `param` and changes nothing."""
    before, writes = sandbox.fingerprint(), len(sandbox.writes())
    with pytest.raises(stripe.StripeError) as raised:
        call()
    error = raised.value
    assert (error.http_status, error.param) == (status, param)
    assert message in str(error.user_message)
    if code is not None:
        assert error.code == code
    assert sandbox.fingerprint() == before
    assert len(sandbox.writes()) == writes
