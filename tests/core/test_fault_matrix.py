"""Every action × every Stripe route it calls × every fault the sandbox injects, generated.

For each action, a clean run first lists the Stripe routes it calls and the writes Stripe
makes. Then, from the same sandbox snapshot, each route gets each fault once (a 500, a 429
with `Retry-After`, the connection dropped before the request arrives, the connection
dropped after Stripe applied the write, an answer slower than the client's 0.3 s timeout):
the action must complete with exactly the clean run's writes, and the same request sent
again with its `Idempotency-Key` must answer the same and write nothing. Then each fault
again, lasting past every retry: the action must fail with 503 `stripe_unavailable`, leave
Stripe as it was where nothing was applied yet, and the same request sent again once Stripe
is back must complete with the clean run's writes, none twice.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import stripe

from billflow_core import MemoryAnswers, MemoryCache, user_hash
from billflow_core.errors import StripeUnavailable
from billflow_core.portal import Portal
from billflow_core.settings import PortalSettings, RetentionOffer
from billflow_core.stripe.gateway import StripeGateway
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

SECRET = "fault-matrix-secret-0123456789"
TIMEOUT = 0.3  # the client's timeout per attempt: a "slow" answer takes longer
SLOW = 0.35  # how long a slow answer takes
# The page request's time for Stripe: a slow answer that lasts is cut off by a short one, yet
# long enough that the reads before a write leave it the timeout a write needs to be begun
# (`deadline.py`); every other request has time to spare on a busy machine.
SHORT_DEADLINE = 0.55
DEADLINE = 10.0
FAULTS = ("500", "429", "drop", "drop_answer", "slow")
ATTEMPTS = 3  # the gateway's first try and its two retries: a fault this often outlasts them
SETTINGS = PortalSettings(
    coupons=True,
    downgrade_at_period_end=True,
    retention_offer=RetentionOffer("STAY50", ("too_expensive",)),
    action_rate_limit=1000,  # the most a site may allow: the matrix acts often
)
PAUSING = dataclasses.replace(SETTINGS, pause_instead_of_cancel=True)


@dataclass
class World:
    sandbox: Sandbox
    client: stripe.StripeClient
    ids: dict[str, Any]
    snapshot: dict[str, Any]
    portal: Portal


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Sandbox() as sandbox:
        client = sandbox.client(max_network_retries=0)
        ids = dict(sandbox.seed("demo"))
        client.v1.coupons.create({"id": "STAY50", "percent_off": 50, "duration": "once"})
        yield World(sandbox, client, ids, sandbox.state.snapshot(), _portal(sandbox, SETTINGS))


def _portal(
    sandbox: Sandbox,
    settings: PortalSettings,
    *,
    deadline: float = DEADLINE,
    answers: MemoryAnswers | None = None,
) -> Portal:
    """A portal with a short timeout per attempt and short backoffs, its catalog warm as a
    running site's is and its customer ids not yet known (so each case calls the same
    routes); `answers` shared with the portal the retry goes to."""
    gateway = StripeGateway(sandbox.secret_key, api_base=sandbox.url, timeout=TIMEOUT,
                            retry_delay=0.001)  # fmt: skip
    portal = Portal(settings, secret_key=SECRET, stripe_api_key=sandbox.secret_key,
                    gateway=gateway, cache=MemoryCache(), stripe_deadline=deadline,
                    answers=answers)  # fmt: skip
    portal.catalog.get()
    return portal


# What each action needs before it can run: (the identity acting, the payload).
Prepared = tuple[str, dict[str, Any]]


def _team(w: World) -> str:
    return str(w.ids["subscriptions"][0])


def _canceling(w: World) -> Prepared:
    w.client.v1.subscriptions.update(_team(w), {"cancel_at_period_end": True})
    return DEMO_EMAIL, {"subscription": _team(w)}


def _downgrading(w: World) -> Prepared:
    change = {"subscription": _team(w), "price": w.ids["prices"]["starter_monthly"]}
    w.portal.act(_visitor(w, DEMO_EMAIL), "change_plan", change,
                 idempotency_key=f"prepare-{time.time_ns()}")  # fmt: skip
    return DEMO_EMAIL, {"subscription": _team(w)}


def _ended(w: World) -> Prepared:
    w.client.v1.subscriptions.cancel(_team(w))
    return DEMO_EMAIL, {"subscription": _team(w), "price": None}


def _paused(w: World) -> Prepared:
    until = int(time.time()) + 7 * 86400
    pause = {"behavior": "void", "resumes_at": until}
    w.client.v1.subscriptions.update(_team(w), {"pause_collection": pause})
    return DEMO_EMAIL, {"subscription": _team(w)}


def _new_card(w: World) -> Prepared:
    card = w.client.v1.payment_methods.attach("pm_card_mastercard",
                                              {"customer": w.ids["customer"]})  # fmt: skip
    return DEMO_EMAIL, {"payment_method": card.id}


def _paid_at_checkout(w: World) -> Prepared:
    email = "checkout@example.com"
    customer = w.client.v1.customers.create({"email": email})
    made = w.client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": w.ids["prices"]["team_monthly"]}],
         "payment_behavior": "default_incomplete",
         "expand": ["latest_invoice.confirmation_secret"]}
    )  # fmt: skip
    secret = made.latest_invoice.confirmation_secret.client_secret  # type: ignore[union-attr]
    intent = secret.split("_secret_")[0]
    w.client.v1.payment_intents.confirm(intent, {"payment_method": "pm_card_visa"})
    return email, {"subscription": made.id}


def _plain(payload: Callable[[World], dict[str, Any]], who: str = DEMO_EMAIL) -> Any:
    return lambda w: (who, payload(w))


ACTIONS: dict[str, tuple[str, Callable[[World], Prepared]]] = {
    "upgrade": ("change_plan", _plain(lambda w: {
        "subscription": _team(w), "price": w.ids["prices"]["business_monthly"]})),
    "downgrade": ("change_plan", _plain(lambda w: {
        "subscription": _team(w), "price": w.ids["prices"]["starter_monthly"]})),
    "change_quantity": ("change_quantity", _plain(lambda w: {
        "subscription": w.ids["subscriptions"][1], "quantity": 5})),
    "cancel": ("cancel", _plain(lambda w: {"subscription": _team(w), "reason": "unused"})),
    "undo_cancel": ("undo_cancel", _canceling),
    "undo_downgrade": ("undo_downgrade", _downgrading),
    "accept_retention_offer": ("accept_retention_offer", _plain(lambda w: {
        "subscription": _team(w), "reason": "too_expensive"})),
    "resubscribe": ("resubscribe", _ended),
    "apply_coupon": ("apply_coupon", _plain(lambda w: {
        "subscription": _team(w), "coupon": "WELCOME20"})),
    "subscribe": ("subscribe", _plain(lambda w: {
        "price": w.ids["prices"]["starter_monthly"], "coupon": None}, "grace@example.com")),
    "pause": ("pause", _plain(lambda w: {
        "subscription": _team(w), "resumes_at": int(time.time()) + 14 * 86400})),
    "resume": ("resume", _paused),
    "setup_payment_method": ("setup_payment_method", _plain(lambda w: {})),
    "update_payment_method": ("update_payment_method", _new_card),
    "finish_payment": ("finish_payment", _paid_at_checkout),
}  # fmt: skip


def _visitor(w: World, identity: str) -> Any:
    return w.portal.visitor(identity, user_hash(SECRET, identity))


def _fresh(w: World, case: str) -> Prepared:
    """The snapshot back, the action's own preparation made, the request log emptied."""
    w.sandbox.reset()
    with w.sandbox.state.lock:
        w.sandbox.state.restore(copy.deepcopy(w.snapshot))
    prepared = ACTIONS[case][1](w)
    w.sandbox.reset()
    return prepared


def _struck(w: World) -> int:
    """1 when the fault set for this case met a request, else 0."""
    return int(any(entry.fault for entry in w.sandbox.requests))


def _writes(w: World) -> Counter[str]:
    return Counter(entry.route for entry in w.sandbox.writes())


def _act(w: World, case: str, prepared: Prepared, key: str) -> Any:
    identity, payload = prepared
    return w.portal.act(_visitor(w, identity), ACTIONS[case][0], payload, idempotency_key=key)


def _seconds(fault: str) -> float:
    return SLOW if fault == "slow" else 0.0  # a 429's Retry-After: 0, try again at once


@pytest.mark.parametrize("case", list(ACTIONS))
def test_every_fault_on_every_route_completes_once_or_fails_cleanly(
    world: World, case: str
) -> None:
    w = world
    settings = PAUSING if case in ("pause", "resume") else SETTINGS
    w.portal = _portal(w.sandbox, settings)
    prepared = _fresh(w, case)
    _act(w, case, prepared, f"{case}-clean")
    clean = _writes(w)
    routes = list(dict.fromkeys(entry.route for entry in w.sandbox.requests))
    assert routes, "the action calls Stripe"

    wrong: list[str] = []
    struck = 0  # cases whose fault met a request: none may pass by missing its route
    for route in routes:
        for fault in FAULTS:
            where = f"{case}: {fault} on {route}"
            w.portal = _portal(w.sandbox, settings)
            # Once: the gateway's retries (same Stripe idempotency key) absorb it.
            prepared = _fresh(w, case)
            w.sandbox.fault(route, fault, seconds=_seconds(fault))
            key = f"{case}-{route}-{fault}-once"
            try:
                first = _act(w, case, prepared, key)
            except Exception as error:
                wrong.append(f"{where} (once): {type(error).__name__} {error}")
                continue
            struck += _struck(w)
            if _writes(w) != clean:
                wrong.append(f"{where} (once): writes {dict(_writes(w))} != {dict(clean)}")
            again = _act(w, case, prepared, key)
            if again != first or _writes(w) != clean:
                wrong.append(f"{where} (once): the retry was not the first answer")

            # Past every retry: a 503, then the same request completes once.
            answers = MemoryAnswers()
            deadline = SHORT_DEADLINE if fault == "slow" else DEADLINE
            w.portal = _portal(w.sandbox, settings, answers=answers, deadline=deadline)
            prepared = _fresh(w, case)
            before = w.sandbox.fingerprint()
            w.sandbox.fault(route, fault, times=ATTEMPTS, seconds=_seconds(fault))
            key = f"{case}-{route}-{fault}-lasting"
            try:
                _act(w, case, prepared, key)
                wrong.append(f"{where} (lasting): answered as if Stripe had")
                continue
            except StripeUnavailable as error:
                struck += _struck(w)
                if (error.status, error.code) != (503, "stripe_unavailable"):
                    wrong.append(f"{where} (lasting): {error.status} {error.code}")
            except Exception as error:
                wrong.append(f"{where} (lasting): {type(error).__name__} {error}")
                continue
            applied = fault in ("slow", "drop_answer") and route.startswith(("POST", "DELETE"))
            if not _writes(w) and not applied and w.sandbox.fingerprint() != before:
                wrong.append(f"{where} (lasting): Stripe changed though nothing was applied")
            made_already = _writes(w)
            w.sandbox.reset()
            w.portal = _portal(w.sandbox, settings, answers=answers)
            try:
                _act(w, case, prepared, key)
            except Exception as error:
                wrong.append(f"{where} (lasting): the retry failed: {type(error).__name__} "
                             f"{getattr(error, 'code', '')} {error}")  # fmt: skip
                continue
            written = made_already + _writes(w)
            if written != clean:
                wrong.append(f"{where} (lasting): wrote {dict(written)} != {dict(clean)}")
    assert not wrong, "\n".join(wrong)
    assert struck == 2 * len(FAULTS) * len(routes), "every fault met its route"
