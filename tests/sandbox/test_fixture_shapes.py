"""Every object the sandbox serves over HTTP has the key structure of Stripe's published fixture
of its resource (`resources`, from conftest.py), field by field and at every level of nesting.

A world of customers, a catalog, subscriptions in several states, invoices, payments, a test
clock and webhook endpoints is made once through stripe-python; each object is then compared
as the sandbox sent it (the raw JSON body stripe-python received), not as any builder made it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import stripe
from sdk_shapes import model_of, sdk_differences
from shape_compare import shape_differences

from billflow_sandbox import Sandbox

JSON = dict[str, Any]

JAN_1 = 1_767_225_600  # 2026-01-01T00:00:00Z
DAY = 86_400

# Fields Stripe returns that the fixture leaves out because they hang off a `type`
# discriminator (the fixture shows only the discriminator) or come with one response only.
PRICE_DETAILS = frozenset({"pricing.price_details"})
CARD_OPTIONS = frozenset({"payment_method_options.card"})
SDK_ACTION = frozenset({"next_action.use_stripe_sdk"})


def _error_details(field: str) -> frozenset[str]:
    # The fixture's error object shows only its required `type`; a card decline also says why.
    details = ("code", "decline_code", "doc_url", "message", "payment_method")
    return frozenset(f"{field}.{key}" for key in details)


# Fields whose kind differs from the fixture's: it shows a phase item's expandable `plan`
# expanded, where Stripe answers with the id unless asked to expand it.
SKIP: dict[str, frozenset[str]] = {
    "subscription_schedule": frozenset({"phases[].items[].plan"}),
    # The fixture still has a top-level `subscription`, which neither Stripe's OpenAPI
    # specification nor stripe-python's `Invoice` has: the invoice names it under `parent`.
    "invoice": frozenset({"subscription"}),
    # A charge's refunds have been includable since API version 2022-11-15 (absent unless
    # expanded); the fixture still shows them.
    "charge": frozenset({"refunds"}),
}

ALLOWED_EXTRA: dict[str, frozenset[str]] = {
    # The fixture (August 2026) predates this field of a pending update (2026-09-30.endive);
    # stripe-python 16.1, at the sandbox's API version, has it.
    "subscription": frozenset({"pending_update.cancel_at_period_end", "schedule.pause_schedules"}),
    # Newer than the fixture; stripe-python 16.1 requires it.
    "subscription_schedule": frozenset({"pause_schedules"}),
    # Newer than the fixture; in Stripe's specification and stripe-python 16.1.
    "invoice": frozenset(
        {
            "lines.data[].pricing.price_details",
            "amount_paid_off_stripe",
            "parent.subscription_details.subscription_proration_date",
        }
    ),
    "line_item": PRICE_DETAILS,
    "invoiceitem": PRICE_DETAILS | {"parent.subscription_details.subscription_item"},
    "invoice_payment": frozenset({"payment.payment_intent"}),
    # The fixture shows a customer's shipping as an empty object; Stripe's specification and
    # stripe-python's `Customer.Shipping` give it a name, an address and a phone number.
    "customer": frozenset({"shipping.address", "shipping.name", "shipping.phone"}),
    "setup_intent": CARD_OPTIONS | SDK_ACTION | _error_details("last_setup_error"),
    "payment_intent": CARD_OPTIONS | SDK_ACTION | _error_details("last_payment_error"),
}


def raw(obj: stripe.StripeObject) -> JSON:
    """The JSON body the sandbox answered with, exactly as stripe-python received it."""
    response = obj.last_response
    assert response is not None
    data: JSON = response.data
    return data


def raw_get(client: stripe.StripeClient, path: str, **params: Any) -> JSON:
    data: JSON = client.raw_request("get", path, **params).data
    return data


def every_page(client: stripe.StripeClient, path: str, **params: Any) -> list[JSON]:
    """All objects of a list endpoint, page by page, as raw JSON."""
    found: list[JSON] = []
    while True:
        page = raw_get(client, path, limit=100, **params)
        found += page["data"]
        if not page["has_more"]:
            return found
        params["starting_after"] = page["data"][-1]["id"]


@dataclass
class World:
    sandbox: Sandbox
    client: stripe.StripeClient
    served: dict[str, tuple[str, JSON]]  # case -> (resource name in the fixture, raw object)
    ids: dict[str, str]


def _build(sandbox: Sandbox) -> World:
    client = sandbox.client(max_network_retries=0)
    v1 = client.v1
    served: dict[str, tuple[str, JSON]] = {}
    ids: dict[str, str] = {}

    def serve(case: str, kind: str, obj: stripe.StripeObject | JSON) -> JSON:
        body = obj if isinstance(obj, dict) else raw(obj)
        served[case] = (kind, body)
        return body

    endpoint = v1.webhook_endpoints.create(
        {"url": "http://127.0.0.1:9/hooks", "enabled_events": ["*"], "description": "shapes"}
    )
    serve("webhook_endpoint as created (with its secret)", "webhook_endpoint", endpoint)
    serve("webhook_endpoint", "webhook_endpoint", v1.webhook_endpoints.retrieve(endpoint.id))

    ada = v1.customers.create(
        {
            "email": "ada@example.com",
            "name": "Ada",
            "metadata": {"n": "1"},
            "address": {"line1": "1 Analytical Row", "city": "London", "country": "GB"},
            "tax_id_data": [{"type": "gb_vat", "value": "GB123456789"}],
        }
    )
    card = v1.payment_methods.attach("pm_card_visa", {"customer": ada.id})
    v1.customers.update(
        ada.id,
        {
            "invoice_settings": {"default_payment_method": card.id},
            "shipping": {"name": "Ada", "address": {"line1": "2 Engine Lane", "country": "GB"}},
            "phone": "+442071234567",
            "preferred_locales": ["en-GB"],
        },
    )
    serve("customer", "customer", v1.customers.retrieve(ada.id))
    vat = v1.customers.tax_ids.create(ada.id, {"type": "eu_vat", "value": "DE123456789"})
    serve("tax_id", "tax_id", v1.customers.tax_ids.retrieve(ada.id, vat.id))
    serve("deleted_tax_id", "deleted_tax_id", v1.customers.tax_ids.delete(ada.id, vat.id))
    serve("payment_method", "payment_method", v1.payment_methods.retrieve(card.id))

    product = v1.products.create({"name": "Basic", "description": "The basic plan"})
    monthly = v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1500,
            "recurring": {"interval": "month"},
            "lookup_key": "basic_monthly",
        }
    )
    premium = v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 4500,
            "recurring": {"interval": "month"},
        }
    )
    one_time = v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 900})
    v1.products.update(product.id, {"default_price": monthly.id})
    serve("product", "product", v1.products.retrieve(product.id))
    serve("price (recurring)", "price", v1.prices.retrieve(monthly.id))
    serve("price (one-time)", "price", v1.prices.retrieve(one_time.id))

    coupon = v1.coupons.create(
        {"id": "SPRING", "percent_off": 20, "duration": "repeating", "duration_in_months": 3}
    )
    promo = v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SPRING20"}
    )
    serve("coupon", "coupon", v1.coupons.retrieve(coupon.id))
    serve("promotion_code", "promotion_code", v1.promotion_codes.retrieve(promo.id))

    sub = v1.subscriptions.create(
        {
            "customer": ada.id,
            "items": [{"price": monthly.id, "quantity": 2}],
            "discounts": [{"promotion_code": promo.id}],
            "metadata": {"plan": "basic"},
        }
    )
    ids["subscription"] = sub.id
    item_id = sub["items"].data[0].id
    expanded = raw(v1.subscriptions.retrieve(sub.id, {"expand": ["discounts"]}))
    serve("discount (expanded on a subscription)", "discount", expanded["discounts"][0])
    serve("subscription_item", "subscription_item", v1.subscription_items.retrieve(item_id))

    first_invoice = v1.invoices.retrieve(str(sub.latest_invoice))
    ids["invoice"] = first_invoice.id
    serve("invoice (paid)", "invoice", first_invoice)
    serve("line_item (invoice lines)", "line_item", raw(first_invoice)["lines"]["data"][0])
    with_payments = raw(v1.invoices.retrieve(first_invoice.id, {"expand": ["payments"]}))
    payment = serve(
        "invoice_payment (expanded on an invoice)",
        "invoice_payment",
        with_payments["payments"]["data"][0],
    )
    paid_intent = serve(
        "payment_intent (succeeded)",
        "payment_intent",
        v1.payment_intents.retrieve(payment["payment"]["payment_intent"]),
    )
    serve("charge (succeeded)", "charge", v1.charges.retrieve(paid_intent["latest_charge"]))

    preview = v1.invoices.create_preview(
        {
            "subscription": sub.id,
            "subscription_details": {"items": [{"id": item_id, "price": premium.id}]},
        }
    )
    serve("invoice (preview of a change)", "invoice", preview)

    v1.subscriptions.update(
        sub.id,
        {
            "items": [{"id": item_id, "price": premium.id}],
            "proration_behavior": "create_prorations",
        },
    )
    pending = raw_get(client, "/v1/invoiceitems", pending=True)["data"]
    serve("invoiceitem (pending proration)", "invoiceitem", pending[0])
    v1.subscriptions.update(
        sub.id,
        {
            "items": [{"id": item_id, "quantity": 3}],
            "proration_behavior": "always_invoice",
            "cancel_at_period_end": True,
            "cancellation_details": {"feedback": "too_expensive"},
            "pause_collection": {"behavior": "void"},
        },
    )
    updated = v1.subscriptions.retrieve(sub.id)
    serve("subscription (discounted, prorated, canceling, paused)", "subscription", updated)
    proration_invoice = v1.invoices.retrieve(str(updated.latest_invoice))
    serve("invoice (proration)", "invoice", proration_invoice)
    serve("line_item (proration)", "line_item", raw(proration_invoice)["lines"]["data"][0])
    serve(
        "deleted_discount",
        "deleted_discount",
        v1.subscriptions.delete_discount(sub.id),
    )

    # A card that attaches but fails every charge, and one that always asks for 3-D Secure.
    grace = v1.customers.create({"email": "grace@example.com"})
    failing = v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": grace.id})
    unpaid = v1.subscriptions.create(
        {
            "customer": grace.id,
            "items": [{"price": monthly.id}],
            "default_payment_method": failing.id,
        }
    )
    serve("subscription (incomplete)", "subscription", v1.subscriptions.retrieve(unpaid.id))
    serve(
        "invoice (open, payment failed)",
        "invoice",
        v1.invoices.retrieve(str(unpaid.latest_invoice)),
    )
    serve(
        "charge (declined)", "charge", raw_get(client, "/v1/charges", customer=grace.id)["data"][0]
    )
    secure = v1.payment_methods.attach("pm_card_authenticationRequired", {"customer": grace.id})
    needs_action = v1.subscriptions.create(
        {
            "customer": grace.id,
            "items": [{"price": premium.id}],
            "default_payment_method": secure.id,
        }
    )
    action_invoice = raw(
        v1.invoices.retrieve(str(needs_action.latest_invoice), {"expand": ["payments"]})
    )
    serve(
        "payment_intent (requires_action)",
        "payment_intent",
        v1.payment_intents.retrieve(
            action_invoice["payments"]["data"][0]["payment"]["payment_intent"]
        ),
    )
    serve("subscription (canceled)", "subscription", v1.subscriptions.cancel(needs_action.id))

    # A plan change that waits for its payment: the card now on file needs authentication.
    hedy = v1.customers.create({"email": "hedy@example.com"})
    visa = v1.payment_methods.attach("pm_card_visa", {"customer": hedy.id})
    v1.customers.update(hedy.id, {"invoice_settings": {"default_payment_method": visa.id}})
    changing = v1.subscriptions.create({"customer": hedy.id, "items": [{"price": monthly.id}]})
    secure_too = v1.payment_methods.attach("pm_card_authenticationRequired", {"customer": hedy.id})
    v1.customers.update(hedy.id, {"invoice_settings": {"default_payment_method": secure_too.id}})
    held = v1.subscriptions.update(
        changing.id,
        {
            "items": [{"id": changing["items"].data[0].id, "price": premium.id}],
            "proration_behavior": "always_invoice",
            "payment_behavior": "pending_if_incomplete",
        },
    )
    assert held.pending_update is not None
    serve("subscription (with a pending update)", "subscription", held)

    setup = v1.setup_intents.create({"customer": grace.id})
    serve("setup_intent (requires_payment_method)", "setup_intent", setup)
    confirmed = v1.setup_intents.confirm(setup.id, {"payment_method": "pm_card_visa"})
    serve("setup_intent (succeeded)", "setup_intent", confirmed)
    challenged = v1.setup_intents.create(
        {"customer": grace.id, "payment_method": "pm_card_authenticationRequired", "confirm": True}
    )
    serve("setup_intent (requires_action)", "setup_intent", challenged)
    serve(
        "payment_method (detached)",
        "payment_method",
        v1.payment_methods.detach(failing.id),
    )

    # A test clock's customer, trialing, then renewed a month later.
    clock = v1.test_helpers.test_clocks.create({"frozen_time": JAN_1, "name": "shapes"})
    ids["clock"] = clock.id
    ticking = v1.customers.create(
        {"email": "clock@example.com", "test_clock": clock.id, "payment_method": "pm_card_visa"}
    )
    trial = v1.subscriptions.create(
        {
            "customer": ticking.id,
            "items": [{"price": monthly.id}],
            "trial_period_days": 7,
            "default_payment_method": v1.customers.payment_methods.list(ticking.id).data[0].id,
        }
    )
    serve("subscription (trialing)", "subscription", v1.subscriptions.retrieve(trial.id))
    serve("customer (on a test clock)", "customer", v1.customers.retrieve(ticking.id))
    advanced = v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": JAN_1 + 40 * DAY})
    serve("test_helpers.test_clock", "test_helpers.test_clock", advanced)
    renewed = v1.subscriptions.retrieve(trial.id)
    serve("subscription (renewed on a test clock)", "subscription", renewed)
    serve("invoice (renewal)", "invoice", v1.invoices.retrieve(str(renewed.latest_invoice)))

    # A subscription moved onto a schedule with a cheaper next phase, and one let go again.
    planner = v1.customers.create({"email": "plan@example.com", "payment_method": "pm_card_visa"})
    planned = v1.subscriptions.create(
        {
            "customer": planner.id,
            "items": [{"price": premium.id}],
            "default_payment_method": v1.customers.payment_methods.list(planner.id).data[0].id,
        }
    )
    ids["schedule_customer"] = planner.id
    schedule = v1.subscription_schedules.create({"from_subscription": planned.id})
    serve("subscription_schedule (from a subscription)", "subscription_schedule", schedule)
    current = schedule.phases[0]
    two_phases = v1.subscription_schedules.update(
        schedule.id,
        {
            "phases": [
                {
                    "items": [{"price": premium.id}],
                    "start_date": current.start_date,
                    "end_date": current.end_date,
                },
                {"items": [{"price": monthly.id, "quantity": 2}], "metadata": {"plan": "basic"}},
            ],
            "metadata": {"reason": "downgrade"},
        },
    )
    serve("subscription_schedule (two phases)", "subscription_schedule", two_phases)
    serve(
        "subscription (on a schedule)",
        "subscription",
        v1.subscriptions.retrieve(planned.id, {"expand": ["schedule"]}),
    )
    serve(
        "subscription_schedule (released)",
        "subscription_schedule",
        v1.subscription_schedules.release(schedule.id),
    )

    updates = raw_get(client, "/v1/events", type="customer.subscription.updated")
    serve("event", "event", updates["data"][0])

    # Deletions, each answered with Stripe's deleted object.
    gone = v1.customers.create({"email": "gone@example.com"})
    serve("deleted_customer", "deleted_customer", v1.customers.delete(gone.id))
    spare = v1.products.create({"name": "Spare"})
    serve("deleted_product", "deleted_product", v1.products.delete(spare.id))
    once = v1.coupons.create({"percent_off": 5, "duration": "once"})
    serve("deleted_coupon", "deleted_coupon", v1.coupons.delete(once.id))
    serve(
        "deleted_webhook_endpoint",
        "deleted_webhook_endpoint",
        v1.webhook_endpoints.delete(endpoint.id),
    )
    spare_clock = v1.test_helpers.test_clocks.create({"frozen_time": JAN_1})
    serve(
        "deleted_test_helpers.test_clock",
        "deleted_test_helpers.test_clock",
        v1.test_helpers.test_clocks.delete(spare_clock.id),
    )
    ids["customer"], ids["product"] = ada.id, product.id
    return World(sandbox, client, served, ids)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Sandbox(webhook_retry_delays=(0.05,)) as sandbox:
        yield _build(sandbox)


CASES = [
    "customer",
    "customer (on a test clock)",
    "product",
    "price (recurring)",
    "price (one-time)",
    "coupon",
    "promotion_code",
    "discount (expanded on a subscription)",
    "subscription (discounted, prorated, canceling, paused)",
    "subscription (incomplete)",
    "subscription (trialing)",
    "subscription (renewed on a test clock)",
    "subscription (canceled)",
    "subscription (with a pending update)",
    "subscription_item",
    "subscription (on a schedule)",
    "subscription_schedule (from a subscription)",
    "subscription_schedule (two phases)",
    "subscription_schedule (released)",
    "invoice (paid)",
    "invoice (proration)",
    "invoice (open, payment failed)",
    "invoice (renewal)",
    "invoice (preview of a change)",
    "line_item (invoice lines)",
    "line_item (proration)",
    "invoiceitem (pending proration)",
    "invoice_payment (expanded on an invoice)",
    "payment_method",
    "payment_method (detached)",
    "setup_intent (requires_payment_method)",
    "setup_intent (succeeded)",
    "setup_intent (requires_action)",
    "payment_intent (succeeded)",
    "payment_intent (requires_action)",
    "charge (succeeded)",
    "charge (declined)",
    "tax_id",
    "webhook_endpoint",
    "test_helpers.test_clock",
    "deleted_customer",
    "deleted_product",
    "deleted_coupon",
    "deleted_discount",
    "deleted_tax_id",
    "deleted_webhook_endpoint",
    "deleted_test_helpers.test_clock",
]


def test_every_case_was_served(world: World) -> None:
    assert sorted(world.served) == sorted(
        [*CASES, "webhook_endpoint as created (with its secret)", "event"]
    )


@pytest.mark.parametrize("case", CASES)
def test_served_object_matches_stripes_fixture(
    world: World, resources: dict[str, Any], case: str
) -> None:
    kind, body = world.served[case]
    assert body["object"] == kind.removeprefix("deleted_")
    allowed = ALLOWED_EXTRA.get(kind, frozenset())
    skip = SKIP.get(kind, frozenset())
    assert shape_differences(resources[kind], body, allow_extra=allowed, skip=skip) == []


def _sdk_differences(body: JSON) -> list[str]:
    return sdk_differences(body, model_of(body["object"]))


def test_every_served_object_and_event_is_what_stripe_pythons_model_declares(
    world: World,
) -> None:
    """Judged against stripe-python 16.1's own classes at every depth (`sdk_shapes.py`): no
    field the SDK does not know, no field it requires missing or null. Events are judged
    with the object each carries."""
    served = [body for _, body in world.served.values()]
    events = every_page(world.client, "/v1/events")
    carried = [event["data"]["object"] for event in events]
    judged = served + events + carried
    differences = sorted(
        {
            f"{body['object']} {d}"
            for body in judged
            for d in sdk_differences(body, model_of(body["object"]))
        }
    )
    assert differences == []
    assert len(judged) > 100 and len({body["object"] for body in judged}) >= 15


def test_every_kind_of_object_the_sandbox_keeps_is_judged(world: World) -> None:
    """A resource the sandbox stores but no case above serves would escape both judges."""
    with world.sandbox.state.lock:
        kept = {kind for kind, objects in world.sandbox.state.objects.items() if objects}
    judged = {kind.removeprefix("deleted_") for kind, _ in world.served.values()}
    assert kept - judged == set()


def test_the_sdk_judge_finds_an_unknown_field_and_a_missing_one() -> None:
    subscription: JSON = {"object": "subscription", "id": "sub_1", "made_up": 1}
    found = sdk_differences(subscription, model_of("subscription"))
    assert "made_up: not in stripe-python's Subscription" in found
    assert "status: missing, required in stripe-python" in found
    assert sdk_differences(None, model_of("subscription")) != []


def test_webhook_endpoint_shows_its_secret_only_when_created(
    world: World, resources: dict[str, Any]
) -> None:
    _, created = world.served["webhook_endpoint as created (with its secret)"]
    _, fetched = world.served["webhook_endpoint"]
    assert created["secret"].startswith("whsec_")
    assert "secret" not in fetched
    allowed = frozenset({"secret"})
    assert shape_differences(resources["webhook_endpoint"], created, allow_extra=allowed) == []


def test_every_event_and_the_object_it_carries_match_the_fixtures(
    world: World, resources: dict[str, Any]
) -> None:
    events = every_page(world.client, "/v1/events")
    types = {event["type"] for event in events}
    # The world above must have produced events of every family the portal listens to.
    assert {
        "customer.created",
        "customer.updated",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_failed",
        "invoiceitem.created",
        "payment_intent.succeeded",
        "charge.succeeded",
        "charge.failed",
        "customer.tax_id.created",
        "customer.tax_id.deleted",
        "payment_method.attached",
        "payment_method.detached",
        "setup_intent.succeeded",
        "product.created",
        "price.created",
        "test_helpers.test_clock.ready",
    } <= types
    for event in events:
        where = f"{event['type']} ({event['id']})"
        envelope = shape_differences(
            resources["event"],
            event,
            allow_extra=frozenset({"data.previous_attributes"}),
            skip=frozenset({"data.object"}),
        )
        assert envelope == [], where
        carried = event["data"]["object"]
        kind = carried["object"]
        allowed = ALLOWED_EXTRA.get(kind, frozenset())
        skip = SKIP.get(kind, frozenset())
        assert shape_differences(resources[kind], carried, allow_extra=allowed, skip=skip) == [], (
            where
        )


LISTS = [
    ("/v1/customers", {}, "customer"),
    ("/v1/products", {}, "product"),
    ("/v1/prices", {}, "price"),
    ("/v1/coupons", {}, "coupon"),
    ("/v1/promotion_codes", {}, "promotion_code"),
    ("/v1/subscriptions", {"status": "all"}, "subscription"),
    ("/v1/subscription_items", {"subscription": "{subscription}"}, "subscription_item"),
    (
        "/v1/subscription_schedules",
        {"customer": "{schedule_customer}"},
        "subscription_schedule",
    ),
    ("/v1/invoices", {}, "invoice"),
    ("/v1/invoices/{invoice}/lines", {}, "line_item"),
    ("/v1/invoiceitems", {}, "invoiceitem"),
    ("/v1/payment_methods", {"customer": "{customer}"}, "payment_method"),
    ("/v1/charges", {}, "charge"),
    ("/v1/customers/{customer}/tax_ids", {}, "tax_id"),
    ("/v1/customers/{customer}/payment_methods", {}, "payment_method"),
    ("/v1/events", {}, "event"),
    ("/v1/test_helpers/test_clocks", {}, "test_helpers.test_clock"),
]


@pytest.mark.parametrize(("path", "params", "kind"), LISTS, ids=[path for path, _, _ in LISTS])
def test_list_envelope_and_its_objects_match_the_fixtures(
    world: World, resources: dict[str, Any], path: str, params: dict[str, str], kind: str
) -> None:
    page = raw_get(
        world.client,
        path.format(**world.ids),
        **{name: value.format(**world.ids) for name, value in params.items()},
    )
    # Stripe's fixtures hold no bare list; a subscription's `items` is one, envelope and all.
    envelope = resources["subscription"]["items"]
    assert shape_differences(envelope, page, skip=frozenset({"data"})) == []
    assert page["object"] == "list" and page["url"] == path.format(**world.ids)
    assert page["data"], f"{path} listed nothing"
    allowed = ALLOWED_EXTRA.get(kind, frozenset())
    if kind == "event":  # what an event carries is checked against its own resource above
        allowed, skip = frozenset({"data.previous_attributes"}), frozenset({"data.object"})
    else:
        skip = SKIP.get(kind, frozenset())
    for obj in page["data"]:
        assert shape_differences(resources[kind], obj, allow_extra=allowed, skip=skip) == []


# Includable fields: absent unless asked for with `expand[]`.


def test_invoice_includable_fields_appear_only_when_expanded(
    world: World, resources: dict[str, Any]
) -> None:
    v1 = world.client.v1
    plain = raw(v1.invoices.retrieve(world.ids["invoice"]))
    assert "confirmation_secret" not in plain and "payments" not in plain
    listed = raw(v1.invoices.list({"limit": 100}))["data"]
    assert all("confirmation_secret" not in i and "payments" not in i for i in listed)

    asked = raw(
        v1.invoices.retrieve(world.ids["invoice"], {"expand": ["confirmation_secret", "payments"]})
    )
    assert asked["confirmation_secret"]["type"] == "payment_intent"
    assert asked["confirmation_secret"]["client_secret"].startswith("pi_")
    assert asked["payments"]["object"] == "list"
    extra = frozenset({"confirmation_secret", "payments"}) | ALLOWED_EXTRA["invoice"]
    assert (
        shape_differences(resources["invoice"], asked, allow_extra=extra, skip=SKIP["invoice"])
        == []
    )
    payment = asked["payments"]["data"][0]
    assert payment["invoice"] == world.ids["invoice"] and payment["status"] == "paid"
    assert (
        shape_differences(
            resources["invoice_payment"], payment, allow_extra=ALLOWED_EXTRA["invoice_payment"]
        )
        == []
    )

    expanded_in_list = raw(v1.invoices.list({"limit": 100, "expand": ["data.payments"]}))["data"]
    assert all("payments" in i and "confirmation_secret" not in i for i in expanded_in_list)


def test_includable_fields_stay_out_of_event_payloads(world: World) -> None:
    invoice_events = [
        e for e in every_page(world.client, "/v1/events") if e["type"].startswith("invoice.")
    ]
    assert invoice_events
    for event in invoice_events:
        assert "payments" not in event["data"]["object"]
        assert "confirmation_secret" not in event["data"]["object"]
