"""What the portal keeps in its shared cache, and what it costs in Stripe requests: a warm
page open is one request (subscriptions, with their customer), a remembered customer id is
checked against what Stripe answers and forgotten when it no longer names the identity, a
`customer.*` webhook forgets it, a webhook reaching one portal refreshes the catalog of every
portal sharing the cache, and two intents for one customer are made one after the other."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import stripe
from cache_contract import check_shared_cache

from billflow_core import MemoryCache, user_hash
from billflow_core.actions.locks import account_lock
from billflow_core.errors import Conflict
from billflow_core.portal import Portal, Visitor
from billflow_core.settings import PortalSettings
from billflow_sandbox import Sandbox, sign
from billflow_sandbox.seed import DEMO_EMAIL

SECRET = "shared-cache-secret-0123456789"
WEBHOOK_SECRET = "whsec_" + "c" * 32


def make_portal(sandbox: Sandbox, cache: MemoryCache | None = None, **options: Any) -> Portal:
    return Portal(
        PortalSettings(**options),
        secret_key=SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
        stripe_webhook_secret=WEBHOOK_SECRET,
        cache=cache,
    )


def visitor_of(portal: Portal, identity: str = DEMO_EMAIL) -> Visitor:
    return portal.visitor(identity, user_hash(SECRET, identity))


def deliver(portal: Portal, kind: str, obj: dict[str, Any], **previous: Any) -> str:
    data: dict[str, Any] = {"object": obj}
    if previous:
        data["previous_attributes"] = previous
    body = json.dumps({"id": f"evt_{time.time_ns()}", "object": "event", "type": kind,
                       "data": data}).encode()  # fmt: skip
    return portal.handle_webhook(body, sign(body, WEBHOOK_SECRET, int(time.time())))


def test_a_warm_page_open_is_one_stripe_request_and_its_invoices_another(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    portal = make_portal(stripe_sandbox)
    visitor = visitor_of(portal)
    portal.catalog.get()
    stripe_sandbox.reset()

    cold = portal.state(visitor)
    assert stripe_sandbox.counts() == {"GET /v1/customers": 1, "GET /v1/subscriptions": 1}
    stripe_sandbox.reset()
    warm = portal.state(visitor)
    assert stripe_sandbox.counts() == {"GET /v1/subscriptions": 1}
    assert warm == cold  # the same page, the card and name read through the subscriptions

    stripe_sandbox.reset()
    assert portal.invoices(visitor).invoices
    assert stripe_sandbox.counts() == {"GET /v1/invoices": 1}


def test_a_remembered_id_that_no_longer_names_the_identity_is_forgotten(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = make_portal(stripe_sandbox)
    visitor = visitor_of(portal)
    assert portal.state(visitor).customer_id == demo["customer"]

    # The customer's email changed in Stripe's dashboard, and no webhook said so: the
    # subscriptions' customer no longer has the identity's email, so it is not theirs.
    stripe_client.v1.customers.update(demo["customer"], {"email": "ada@elsewhere.example"})
    stripe_sandbox.reset()
    assert portal.state(visitor).customer_id is None
    assert stripe_sandbox.counts() == {"GET /v1/subscriptions": 1, "GET /v1/customers": 1}
    stripe_sandbox.reset()
    portal.state(visitor)
    assert stripe_sandbox.counts() == {"GET /v1/customers": 1}  # looked up, not the old id


def test_a_deleted_customer_is_looked_up_again(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    portal = make_portal(stripe_sandbox)
    made = stripe_client.v1.customers.create({"email": "new@example.com", "name": "New"})
    visitor = visitor_of(portal, "new@example.com")
    assert portal.state(visitor).customer_id == made.id  # no subscriptions: read by id
    stripe_sandbox.reset()
    assert portal.state(visitor).customer_id == made.id
    assert stripe_sandbox.counts() == {"GET /v1/subscriptions": 1, "GET /v1/customers/{id}": 1}

    stripe_client.v1.customers.delete(made.id)
    again = stripe_client.v1.customers.create({"email": "new@example.com"})
    assert portal.state(visitor).customer_id == again.id


def test_a_customer_webhook_forgets_the_id_under_every_email_it_had(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    portal = make_portal(stripe_sandbox)
    visitor = visitor_of(portal)
    portal.state(visitor)
    stripe_sandbox.reset()
    outcome = deliver(portal, "customer.updated",
                      {"id": demo["customer"], "object": "customer", "email": "x@example.com"},
                      email=DEMO_EMAIL)  # fmt: skip
    assert outcome == "processed"
    portal.state(visitor)
    assert stripe_sandbox.counts()["GET /v1/customers"] == 1  # the email looked up again

    by_id = make_portal(stripe_sandbox, identify_by="customer_id")
    customer = visitor_of(by_id, demo["customer"])
    by_id.state(customer)
    deliver(by_id, "customer.deleted", {"id": demo["customer"], "object": "customer"})
    stripe_sandbox.reset()
    by_id.state(customer)
    assert stripe_sandbox.counts()["GET /v1/customers/{id}"] == 1


def test_an_email_several_customers_share_is_never_remembered(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    stripe_client.v1.customers.create({"email": DEMO_EMAIL, "name": "Ada, no subscriptions"})
    portal = make_portal(stripe_sandbox)
    visitor = visitor_of(portal)
    for _ in range(2):
        stripe_sandbox.reset()
        assert portal.state(visitor).customer_id == demo["customer"]  # the one subscribed
        assert stripe_sandbox.counts()["GET /v1/customers"] == 1


def test_a_catalog_webhook_to_one_portal_refreshes_every_portal_sharing_the_cache(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    cache = MemoryCache()
    here, there = make_portal(stripe_sandbox, cache), make_portal(stripe_sandbox, cache)
    team_price = demo["prices"]["team_monthly"]

    def name(portal: Portal) -> str | None:
        plan = portal.catalog.get().plan(team_price)
        return plan.name if plan else None

    assert name(there) == "Team"
    product = stripe_client.v1.prices.retrieve(team_price).product
    stripe_client.v1.products.update(str(product), {"name": "Team (2027)"})
    assert name(there) == "Team"  # cached: Stripe was not asked

    assert deliver(here, "product.updated", {"id": product, "object": "product"}) == "processed"
    stripe_sandbox.reset()
    assert name(there) == "Team (2027)"
    assert stripe_sandbox.counts()["GET /v1/prices"] == 1
    stripe_sandbox.reset()
    name(there)
    assert "GET /v1/prices" not in stripe_sandbox.counts()  # once per change, not each load


def test_two_intents_for_one_customer_are_made_one_after_the_other(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    """Two tabs, each its own click (its own key) and its own portal with a shared cache, as
    two app servers would be: one cancels, the other then sees it cancelling."""
    cache = MemoryCache()
    portals = [make_portal(stripe_sandbox, cache) for _ in range(6)]
    team = demo["subscriptions"][0]
    start = threading.Barrier(len(portals))
    outcomes: list[str] = []

    def click(n: int, portal: Portal) -> None:
        visitor = visitor_of(portal)
        start.wait()
        try:
            portal.act(
                visitor,
                "cancel",
                {"subscription": team, "reason": "unused"},
                idempotency_key=f"tab-{n}-ok",
            )
            outcomes.append("done")
        except Conflict as refused:
            outcomes.append(refused.code)

    threads = [threading.Thread(target=click, args=pair) for pair in enumerate(portals)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["already_canceling"] * 5 + ["done"]
    assert stripe_sandbox.counts()["POST /v1/subscriptions/{id}"] == 1


def test_the_action_lock_waits_gives_up_and_is_released_only_by_its_holder() -> None:
    now = [0.0]
    cache = MemoryCache(clock=lambda: now[0])
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    def lock(identity: str = "ada@example.com") -> Any:
        return account_lock(cache, identity, scope="site", clock=lambda: now[0], sleep=sleep,
                            hold=60.0, wait=2.0)  # fmt: skip

    with lock(), pytest.raises(Conflict) as busy, lock():
        pytest.fail("two holders")
    assert busy.value.code == "action_in_progress" and busy.value.status == 409
    assert 2.0 <= now[0] < 2.2 and slept[0] == 0.005 and max(slept) == 0.1  # backs off
    with lock(), lock("grace@example.com"):
        pass  # another customer is not held up
    with lock():
        pass  # released when its holder is done, even by an error

    # A holder that outlived `hold` lost the lock; its release leaves the next one's alone.
    first, second = lock(), lock()
    first.__enter__()
    now[0] += 61
    second.__enter__()
    first.__exit__(None, None, None)
    with pytest.raises(Conflict), lock():
        pass
    second.__exit__(None, None, None)
    with lock():
        pass


def test_a_customer_id_planted_in_the_cache_is_never_used(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    """Whoever can write to a shared Redis cannot point someone's invoices at Ada's."""

    class Kept(MemoryCache):
        """The cache, telling what was kept under which key."""

        written: dict[str, str] = {}

        def set(self, key: str, value: str, ttl: float) -> None:
            self.written[value] = key
            super().set(key, value, ttl)

    cache = Kept()
    portal = make_portal(stripe_sandbox, cache)
    mallory = stripe_client.v1.customers.create({"email": "mallory@example.com"})
    portal.invoices(visitor_of(portal))  # Ada's id kept, signed for her
    portal.invoices(visitor_of(portal, "mallory@example.com"))
    ada_key = next(k for v, k in cache.written.items() if v.startswith(demo["customer"]))
    mallory_key = next(k for v, k in cache.written.items() if v.startswith(mallory.id))

    cache.set(mallory_key, cache.get(ada_key) or "", 600)  # Ada's signed value, copied
    assert portal.invoices(visitor_of(portal, "mallory@example.com")).invoices == ()
    cache.set(mallory_key, demo["customer"], 600)  # a bare id, unsigned
    assert portal.invoices(visitor_of(portal, "mallory@example.com")).invoices == ()
    assert portal.invoices(visitor_of(portal)).invoices  # Ada's own still come


def test_the_process_cache_keeps_the_shared_cache_contract() -> None:
    now = [0.0]
    cache = MemoryCache(clock=lambda: now[0])

    def outlive(_: Any, __: str) -> None:
        now[0] += 60

    check_shared_cache([cache] * 8, ttl=60, outlive=outlive)
