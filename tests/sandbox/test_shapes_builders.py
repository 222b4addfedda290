"""Every object builder returns exactly the key structure of Stripe's published fixture of that
resource (the `resources` fixture of conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from shape_compare import shape_differences

from billflow_sandbox import shapes

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
MONTH = 31 * 86_400

# Fields Stripe returns that the fixture leaves out because they depend on a `type`
# discriminator (the fixture shows only the discriminator) or appear only in one response.
PRICE_DETAILS = frozenset({"pricing.price_details"})
PAYMENT_INTENT_OF_PAYMENT = frozenset({"payment.payment_intent"})
CARD_OPTIONS = frozenset({"payment_method_options.card"})
SUBSCRIPTION_ITEM_OF_PARENT = frozenset({"parent.subscription_details.subscription_item"})
FLEXIBLE_SETTINGS = frozenset({"billing_mode.flexible.proration_discounts"})
WEBHOOK_SECRET = frozenset({"secret"})
# The fixture shows a phase item's expandable `plan` expanded; Stripe answers with its id.
PHASE_ITEM_PLAN = frozenset({"phases[].items[].plan"})
# The fixture's top-level `subscription`, which neither Stripe's OpenAPI specification nor
# stripe-python's `Invoice` has (the invoice names it under `parent`).
INVOICE_SUBSCRIPTION = frozenset({"subscription"})
# Newer than the fixture; in Stripe's specification and stripe-python 16.1.
INVOICE_NEWER = frozenset(
    {"amount_paid_off_stripe", "parent.subscription_details.subscription_proration_date"}
)
# Newer than the fixture; stripe-python 16.1 requires it.
PAUSE_SCHEDULES = frozenset({"pause_schedules"})


def recurring_price(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "id": "price_basic",
        "created": T0,
        "product": "prod_basic",
        "currency": "usd",
        "unit_amount": 1500,
        "recurring": {"interval": "month", "interval_count": 1},
        "lookup_key": "basic_monthly",
    }
    arguments.update(overrides)
    return shapes.price(**arguments)


def sub_item(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "id": "si_basic",
        "created": T0,
        "subscription": "sub_basic",
        "price": recurring_price(),
        "quantity": 2,
        "current_period_start": T0,
        "current_period_end": T0 + MONTH,
    }
    arguments.update(overrides)
    return shapes.subscription_item(**arguments)


def subscription_line(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "id": "il_basic",
        "invoice": "in_basic",
        "amount": 3000,
        "currency": "usd",
        "description": "2 x Basic (at $15.00 / month)",
        "period_start": T0,
        "period_end": T0 + MONTH,
        "quantity": 2,
        "price": "price_basic",
        "product": "prod_basic",
        "subscription": "sub_basic",
        "subscription_item": "si_basic",
    }
    arguments.update(overrides)
    return shapes.line_item(**arguments)


def assert_shape(
    fixture: Any,
    actual: Any,
    *,
    allow_extra: frozenset[str] = frozenset(),
    skip: frozenset[str] = frozenset(),
) -> None:
    assert shape_differences(fixture, actual, allow_extra=allow_extra, skip=skip) == []


# Catalog.


def test_product(resources: dict[str, Any]) -> None:
    product = shapes.product(
        id="prod_basic",
        created=T0,
        name="Basic",
        description="The basic plan",
        metadata={"tier": "1"},
        default_price="price_basic",
    )
    assert_shape(resources["product"], product)
    assert product["updated"] == T0 and product["type"] == "service" and product["images"] == []


def test_recurring_price(resources: dict[str, Any]) -> None:
    price = recurring_price(
        recurring={"interval": "year", "interval_count": 1, "trial_period_days": 14}
    )
    assert_shape(resources["price"], price)
    assert price["type"] == "recurring" and price["unit_amount_decimal"] == "1500"
    assert price["recurring"]["usage_type"] == "licensed"
    assert price["recurring"]["trial_period_days"] == 14


def test_one_time_price(resources: dict[str, Any]) -> None:
    price = recurring_price(recurring=None)
    assert_shape(resources["price"], price)
    assert price["type"] == "one_time" and price["recurring"] is None


def test_plan_from_price(resources: dict[str, Any]) -> None:
    price = recurring_price(nickname="Basic monthly")
    plan = shapes.plan_from_price(price)
    assert_shape(resources["plan"], plan)
    assert (plan["id"], plan["amount"], plan["interval"], plan["object"]) == (
        "price_basic",
        1500,
        "month",
        "plan",
    )
    with pytest.raises(ValueError, match="not recurring"):
        shapes.plan_from_price(recurring_price(recurring=None))


def test_coupon(resources: dict[str, Any]) -> None:
    coupon = shapes.coupon(
        id="SPRING",
        created=T0,
        percent_off=20.0,
        duration="repeating",
        duration_in_months=3,
        name="Spring sale",
    )
    assert_shape(resources["coupon"], coupon)
    assert coupon["valid"] is True and coupon["times_redeemed"] == 0


def test_promotion_code(resources: dict[str, Any]) -> None:
    promo = shapes.promotion_code(id="promo_spring", created=T0, code="SPRING20", coupon="SPRING")
    assert_shape(resources["promotion_code"], promo)
    assert promo["promotion"] == {"type": "coupon", "coupon": "SPRING"}


def test_discount(resources: dict[str, Any]) -> None:
    discount = shapes.discount(
        id="di_spring",
        start=T0,
        coupon="SPRING",
        customer="cus_ada",
        subscription="sub_basic",
        promotion_code="promo_spring",
    )
    assert_shape(resources["discount"], discount)
    assert discount["source"] == {"type": "coupon", "coupon": "SPRING"}


# Customers and subscriptions.


def test_customer(resources: dict[str, Any]) -> None:
    customer = shapes.customer(
        id="cus_ada",
        created=T0,
        email="ada@example.com",
        name="Ada",
        invoice_prefix="ADA0001",
        address={"country": "GB", "city": "London"},
    )
    assert_shape(resources["customer"], customer)
    assert customer["invoice_settings"]["default_payment_method"] is None
    assert customer["next_invoice_sequence"] == 1 and customer["preferred_locales"] == []


def test_subscription_with_items(resources: dict[str, Any]) -> None:
    subscription = shapes.subscription(
        id="sub_basic",
        created=T0,
        customer="cus_ada",
        currency="usd",
        status="active",
        start_date=T0,
        billing_cycle_anchor=T0,
        items=[sub_item()],
    )
    assert_shape(resources["subscription"], subscription)
    assert subscription["items"]["url"] == "/v1/subscription_items?subscription=sub_basic"
    assert subscription["billing_mode"] == {"type": "classic", "flexible": None}


def test_flexible_subscription(resources: dict[str, Any]) -> None:
    subscription = shapes.subscription(
        id="sub_flex",
        created=T0,
        customer="cus_ada",
        currency="usd",
        status="trialing",
        start_date=T0,
        billing_cycle_anchor=T0 + 14 * 86_400,
        trial_start=T0,
        trial_end=T0 + 14 * 86_400,
        billing_mode="flexible",
    )
    assert_shape(resources["subscription"], subscription, allow_extra=FLEXIBLE_SETTINGS)


def test_subscription_item(resources: dict[str, Any]) -> None:
    item = sub_item()
    assert_shape(resources["subscription_item"], item)
    assert item["plan"]["id"] == item["price"]["id"] == "price_basic"


def test_subscription_schedule_with_two_phases(resources: dict[str, Any]) -> None:
    now = shapes.schedule_phase(
        start_date=T0,
        end_date=T0 + MONTH,
        currency="usd",
        items=[shapes.phase_item(price="price_basic", quantity=2)],
        discounts=["di_spring"],
    )
    later = shapes.schedule_phase(
        start_date=T0 + MONTH,
        end_date=T0 + 2 * MONTH,
        currency="usd",
        items=[shapes.phase_item(price="price_solo", quantity=1, metadata={"seat": "1"})],
    )
    schedule = shapes.subscription_schedule(
        id="sub_sched_basic",
        created=T0,
        customer="cus_ada",
        phases=[now, later],
        subscription="sub_basic",
        current_phase=(T0, T0 + MONTH),
    )
    assert_shape(
        resources["subscription_schedule"],
        schedule,
        skip=PHASE_ITEM_PLAN,
        allow_extra=PAUSE_SCHEDULES,
    )
    item = schedule["phases"][0]["items"][0]
    assert (item["price"], item["plan"], item["quantity"]) == ("price_basic", "price_basic", 2)
    assert schedule["phases"][0]["discounts"] == [
        {"coupon": None, "discount": "di_spring", "promotion_code": None}
    ]
    assert schedule["current_phase"] == {"end_date": T0 + MONTH, "start_date": T0}
    assert schedule["billing_mode"] == {"type": "classic", "flexible": None}


# Invoices.


def test_subscription_invoice_with_lines(resources: dict[str, Any]) -> None:
    invoice = shapes.invoice(
        id="in_basic",
        created=T0,
        customer="cus_ada",
        currency="usd",
        subscription="sub_basic",
        billing_reason="subscription_create",
        period_start=T0,
        period_end=T0,
        customer_email="ada@example.com",
        lines=[subscription_line()],
    )
    assert_shape(
        resources["invoice"],
        invoice,
        allow_extra=frozenset({"lines.data[].pricing.price_details"}) | INVOICE_NEWER,
        skip=INVOICE_SUBSCRIPTION,
    )
    assert invoice["parent"]["subscription_details"]["subscription"] == "sub_basic"
    assert invoice["lines"]["url"] == "/v1/invoices/in_basic/lines"
    assert "confirmation_secret" not in invoice and "payments" not in invoice


def test_standalone_invoice(resources: dict[str, Any]) -> None:
    invoice = shapes.invoice(
        id="in_one",
        created=T0,
        customer="cus_ada",
        currency="usd",
        billing_reason="manual",
        period_start=T0,
        period_end=T0,
        collection_method="send_invoice",
        due_date=T0 + MONTH,
    )
    assert_shape(
        resources["invoice"], invoice, skip=INVOICE_SUBSCRIPTION, allow_extra=INVOICE_NEWER
    )
    assert invoice["parent"] is None and invoice["auto_advance"] is False


def test_subscription_line_item(resources: dict[str, Any]) -> None:
    line = subscription_line()
    assert_shape(resources["line_item"], line, allow_extra=PRICE_DETAILS)
    assert line["parent"]["type"] == "subscription_item_details"
    assert line["parent"]["invoice_item_details"] is None
    assert line["pricing"]["price_details"] == {"price": "price_basic", "product": "prod_basic"}
    assert line["pricing"]["unit_amount_decimal"] == "1500" and line["subtotal"] == 3000


def test_proration_line_item_from_invoice_item(resources: dict[str, Any]) -> None:
    line = subscription_line(
        amount=-1000, quantity=1, proration=True, invoice_item="ii_prorate", discountable=False
    )
    assert_shape(resources["line_item"], line, allow_extra=PRICE_DETAILS)
    assert line["parent"]["type"] == "invoice_item_details"
    assert line["parent"]["subscription_item_details"] is None
    assert line["parent"]["invoice_item_details"]["proration"] is True


def test_invoice_item(resources: dict[str, Any]) -> None:
    item = shapes.invoice_item(
        id="ii_prorate",
        created=T0,
        customer="cus_ada",
        amount=-1000,
        currency="usd",
        description="Unused time on Basic",
        period_start=T0,
        period_end=T0 + MONTH,
        quantity=1,
        price="price_basic",
        product="prod_basic",
        subscription="sub_basic",
        subscription_item="si_basic",
        proration=True,
    )
    assert_shape(
        resources["invoiceitem"], item, allow_extra=PRICE_DETAILS | SUBSCRIPTION_ITEM_OF_PARENT
    )
    assert item["date"] == T0 and item["net_amount"] == -1000


def test_invoice_payment(resources: dict[str, Any]) -> None:
    payment = shapes.invoice_payment(
        id="inpay_basic",
        created=T0,
        invoice="in_basic",
        amount_requested=3000,
        currency="usd",
        payment_intent="pi_basic",
        status="paid",
        amount_paid=3000,
        paid_at=T0,
    )
    assert_shape(resources["invoice_payment"], payment, allow_extra=PAYMENT_INTENT_OF_PAYMENT)
    assert payment["payment"] == {"type": "payment_intent", "payment_intent": "pi_basic"}


# Payments.


def test_payment_method(resources: dict[str, Any]) -> None:
    method = shapes.payment_method(
        id="pm_visa",
        created=T0,
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2034,
        fingerprint="Xt5EWLLDS7FJjR1c",
        customer="cus_ada",
        billing_details={"email": "ada@example.com", "address": {"postal_code": "42424"}},
    )
    assert_shape(resources["payment_method"], method)
    assert method["card"]["networks"] == {"available": ["visa"], "preferred": None}


def test_setup_intent(resources: dict[str, Any]) -> None:
    intent = shapes.setup_intent(
        id="seti_basic", created=T0, client_secret="seti_basic_secret_x", customer="cus_ada"
    )
    assert_shape(resources["setup_intent"], intent, allow_extra=CARD_OPTIONS)


def test_payment_intent(resources: dict[str, Any]) -> None:
    intent = shapes.payment_intent(
        id="pi_basic",
        created=T0,
        amount=3000,
        currency="usd",
        client_secret="pi_basic_secret_x",
        customer="cus_ada",
        payment_method="pm_visa",
        status="succeeded",
        amount_received=3000,
    )
    assert_shape(resources["payment_intent"], intent, allow_extra=CARD_OPTIONS)


# Platform.


def test_webhook_endpoint(resources: dict[str, Any]) -> None:
    created = shapes.webhook_endpoint(
        id="we_1",
        created=T0,
        url="https://example.com/hook",
        enabled_events=["*"],
        secret="whsec_x",
    )
    assert_shape(resources["webhook_endpoint"], created, allow_extra=WEBHOOK_SECRET)
    fetched = shapes.webhook_endpoint(
        id="we_1", created=T0, url="https://example.com/hook", enabled_events=["*"]
    )
    assert_shape(resources["webhook_endpoint"], fetched)
    assert "secret" not in fetched


def test_event(resources: dict[str, Any]) -> None:
    customer = shapes.customer(id="cus_ada", created=T0, invoice_prefix="ADA0001")
    created = shapes.event(
        id="evt_1",
        created=T0,
        type="customer.created",
        data_object=customer,
        request_id="req_1",
        idempotency_key="key-1",
        api_version="2026-01-28.clover",
    )
    # The fixture's event carries a plan; what `data.object` holds is the resource's business.
    assert_shape(resources["event"], created, skip=frozenset({"data.object"}))
    assert created["data"] == {"object": customer}
    assert created["data"]["object"] is not customer

    updated = shapes.event(
        id="evt_2",
        created=T0,
        type="customer.updated",
        data_object=customer,
        previous_attributes={"name": None},
        api_version="2026-01-28.clover",
    )
    assert updated["data"]["previous_attributes"] == {"name": None}


def test_test_clock(resources: dict[str, Any]) -> None:
    clock = shapes.test_clock(id="clock_1", created=T0, frozen_time=T0, deletes_after=T0 + 86_400)
    assert_shape(resources["test_helpers.test_clock"], clock)
    assert clock["status_details"] == {}


@pytest.mark.parametrize(
    ("kind", "object_id"),
    [("customer", "cus_ada"), ("test_helpers.test_clock", "clock_1"), ("product", "prod_basic")],
)
def test_deleted(resources: dict[str, Any], kind: str, object_id: str) -> None:
    stub = shapes.deleted(object=kind, id=object_id)
    assert_shape(resources[f"deleted_{kind}"], stub)
    assert stub == {"id": object_id, "object": kind, "deleted": True}


def test_list_object(resources: dict[str, Any]) -> None:
    page = shapes.list_object(
        data=[sub_item()], url="/v1/subscription_items?subscription=sub_basic"
    )
    assert_shape(resources["subscription"]["items"], page)


def test_search_result() -> None:
    page = shapes.search_result(data=[], url="/v1/customers/search", next_page="cursor")
    assert page == {
        "object": "search_result",
        "data": [],
        "has_more": False,
        "next_page": "cursor",
        "url": "/v1/customers/search",
    }


def test_builders_do_not_alias_their_arguments() -> None:
    price = recurring_price()
    item = sub_item(price=price)
    price["recurring"]["interval"] = "year"
    assert item["price"]["recurring"]["interval"] == "month"
    metadata = {"a": "1"}
    customer = shapes.customer(id="cus_1", created=T0, invoice_prefix="X", metadata=metadata)
    metadata["b"] = "2"
    assert customer["metadata"] == {"a": "1"}
