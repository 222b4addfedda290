"""An action Stripe may have half done is finished by its own retry, and only by it: the
same key with another request is refused, and once another action of the customer's is
applied the retry is judged afresh on what is true then."""

from __future__ import annotations

import time
from typing import Any

import pytest

from billflow_core import user_hash
from billflow_core.errors import Conflict, StripeUnavailable
from billflow_core.portal import Portal, Visitor
from billflow_core.settings import PortalSettings
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

SECRET = "resume-test-secret-0123456789"
WRITE = "POST /v1/subscriptions/{id}"


def make_portal(sandbox: Sandbox, **options: Any) -> Portal:
    return Portal(PortalSettings(**options), secret_key=SECRET,
                  stripe_api_key=sandbox.secret_key, stripe_api_base=sandbox.url)  # fmt: skip


def ada(portal: Portal) -> Visitor:
    return portal.visitor(DEMO_EMAIL, user_hash(SECRET, DEMO_EMAIL))


def _lost_answer(sandbox: Sandbox, run: Any) -> None:
    """`run` fails after Stripe applied its write: every attempt's answer is lost."""
    sandbox.fault(WRITE, "drop_answer", times=3)
    with pytest.raises(StripeUnavailable):
        run()
    sandbox.reset()


def test_the_retry_of_a_half_done_action_finishes_it_once(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    portal = make_portal(stripe_sandbox)
    team = demo["subscriptions"][0]
    cancel = {"subscription": team, "reason": "unused"}
    _lost_answer(stripe_sandbox, lambda: portal.act(ada(portal), "cancel", cancel,
                                                    idempotency_key="half-done-1"))  # fmt: skip
    done = portal.act(ada(portal), "cancel", cancel, idempotency_key="half-done-1")
    assert next(s for s in done.state.subscriptions if s.id == team).cancel_at is not None
    assert [w.route for w in stripe_sandbox.writes()] == []  # Stripe answered from its key

    with pytest.raises(Conflict) as fresh:  # another intent is judged on what is true now
        portal.act(ada(portal), "cancel", cancel, idempotency_key="half-done-2")
    assert fresh.value.code == "already_canceling"


def test_the_same_key_with_another_request_is_refused(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    portal = make_portal(stripe_sandbox, coupons=True)
    team = demo["subscriptions"][0]
    _lost_answer(stripe_sandbox, lambda: portal.act(
        ada(portal), "cancel", {"subscription": team, "reason": "unused"},
        idempotency_key="reused-1"))  # fmt: skip
    with pytest.raises(Conflict) as other:  # another action under the half-done one's key
        portal.act(ada(portal), "apply_coupon", {"subscription": team, "coupon": "WELCOME20"},
                   idempotency_key="reused-1")  # fmt: skip
    assert other.value.code == "idempotency_conflict"
    assert stripe_sandbox.writes() == []


def test_a_half_done_attempt_is_judged_afresh_once_another_action_was_applied(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    portal = make_portal(stripe_sandbox, pause_instead_of_cancel=True, pause_limit_per_year=1)
    team = demo["subscriptions"][0]
    week = int(time.time()) + 7 * 86400

    def pause(key: str, until: int) -> Any:
        return portal.act(ada(portal), "pause", {"subscription": team, "resumes_at": until},
                          idempotency_key=key)  # fmt: skip

    _lost_answer(stripe_sandbox, lambda: pause("pause-once-1", week))  # applied, answer lost
    portal.act(ada(portal), "resume", {"subscription": team}, idempotency_key="resume-1")
    # The first pause's retry may not decide on its old reads: the year's one pause is used.
    with pytest.raises(Conflict) as used_up:
        pause("pause-once-1", week)
    assert used_up.value.code == "pause_limit_reached"
