"""A refused request changes nothing, whichever check refuses it, and a valid Stripe
parameter the sandbox does not act on is refused by name rather than silently ignored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import stripe
from scenes import DAY, JAN_1, customer_on_clock, price

from billflow_sandbox import Sandbox


def _paying_subscription(client: stripe.StripeClient) -> tuple[stripe.Subscription, str]:
    v1 = client.v1
    _, customer = customer_on_clock(v1, "ines@example.com")
    monthly = price(v1, 2900)
    return v1.subscriptions.create({"customer": customer, "items": [{"price": monthly}]}), monthly


def _refused(
    sandbox: Sandbox, call: Callable[[], Any], param: str, message: str = "does not implement"
) -> None:
    before = sandbox.fingerprint()
    writes = len(sandbox.writes())
    with pytest.raises(stripe.InvalidRequestError) as refused:
        call()
    assert (refused.value.http_status, refused.value.param) == (400, param)
    assert message in str(refused.value.user_message)
    assert sandbox.fingerprint() == before
    assert len(sandbox.writes()) == writes


def test_parameters_the_sandbox_does_not_act_on_are_refused_by_name(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    sub, price = _paying_subscription(stripe_client)
    v1 = stripe_client.v1
    item = sub["items"].data[0].id
    create = {"customer": sub.customer, "items": [{"price": price}]}

    _refused(
        stripe_sandbox,
        lambda: v1.subscriptions.create({**create, "collection_method": "send_invoice"}),
        "collection_method",
    )
    _refused(
        stripe_sandbox,
        lambda: v1.subscriptions.create({**create, "billing_cycle_anchor": JAN_1 + 5 * DAY}),
        "billing_cycle_anchor",
    )
    _refused(
        stripe_sandbox,
        lambda: v1.subscriptions.create(
            {**create, "payment_settings": {"payment_method_types": ["sepa_debit"]}}
        ),
        "payment_settings[payment_method_types]",
    )
    _refused(
        stripe_sandbox,
        lambda: v1.subscriptions.update(
            sub.id,
            {
                "items": [
                    {
                        "id": item,
                        "price_data": {
                            "currency": "usd",
                            "product": "prod_x",
                            "unit_amount": 5,
                            "recurring": {"interval": "month"},
                        },
                    }
                ]
            },
        ),
        "items[0][price_data]",
    )
    _refused(
        stripe_sandbox,
        lambda: v1.subscriptions.update(sub.id, {"add_invoice_items": [{"price": price}]}),
        "add_invoice_items",
    )
    _refused(
        stripe_sandbox,
        lambda: v1.invoices.create_preview(
            {"subscription": sub.id, "subscription_details": {"trial_end": "now"}}
        ),
        "subscription_details[trial_end]",
    )
    _refused(
        stripe_sandbox,
        lambda: v1.customers.update(sub.customer, {"invoice_prefix": "ACME"}),
        "invoice_prefix",
    )
    _refused(
        stripe_sandbox,
        lambda: v1.customers.create(
            {"email": "x@example.com", "invoice_settings": {"custom_fields": ""}}
        ),
        "invoice_settings[custom_fields]",
    )
    _refused(
        stripe_sandbox,
        lambda: v1.coupons.create(
            {"percent_off": 10, "duration": "once", "applies_to": {"products": ["prod_x"]}}
        ),
        "applies_to",
    )


def test_a_proration_date_outside_the_period_and_a_past_cancel_at_are_refused(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    sub, _ = _paying_subscription(stripe_client)
    item = sub["items"].data[0].id
    update = stripe_client.v1.subscriptions.update

    _refused(
        stripe_sandbox,
        lambda: update(
            sub.id, {"items": [{"id": item, "quantity": 2}], "proration_date": JAN_1 - DAY}
        ),
        "proration_date",
        "current billing period",
    )
    _refused(
        stripe_sandbox,
        lambda: update(sub.id, {"cancel_at": JAN_1 - 60}),
        "cancel_at",
        "in the future",
    )


def test_a_refusal_after_the_handler_began_leaves_nothing_behind(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    """Even where a handler has written before it finds a problem, the request is undone."""
    before = stripe_sandbox.fingerprint()
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.products.create(
            {
                "name": "Half made",
                "default_price_data": {
                    "currency": "usd",
                    "unit_amount": 100,
                    "recurring": {"interval": "month", "interval_count": 99},
                },
            }
        )
    assert refused.value.param == "recurring[interval_count]"
    assert stripe_sandbox.fingerprint() == before
    assert stripe_client.v1.products.list().data == []
    assert stripe_client.v1.events.list().data == []


def test_any_handler_that_fails_after_writing_is_undone_but_card_errors_keep_the_attempt() -> None:
    """The undo is the API's, not each handler's: a handler that writes and then refuses
    leaves nothing, while a 402 keeps what it wrote, as Stripe keeps a failed attempt."""
    from billflow_sandbox.api import Api
    from billflow_sandbox.controls import Controls
    from billflow_sandbox.errors import StripeError, card_declined
    from billflow_sandbox.routing import Routes
    from billflow_sandbox.state import State

    routes = Routes()

    @routes.route("POST", "/v1/things/{outcome}", None)
    def write_then_fail(ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
        ctx.state.put({"id": f"thing_{ctx.args['outcome']}", "object": "thing", "created": 0})
        ctx.emit("thing.created", {"id": "thing", "object": "thing"})
        if ctx.args["outcome"] == "refused":
            raise StripeError("No.", param="outcome")
        if ctx.args["outcome"] == "declined":
            raise card_declined()
        raise RuntimeError("a bug")

    state = State()
    published: list[dict[str, Any]] = []
    api = Api(
        state,
        Controls(),
        routes.routes,
        secret_key="sk_test_x",
        publishable_key="pk_test_x",
        on_events=published.extend,
    )
    headers = {"Authorization": "Bearer sk_test_x"}

    for outcome, status in (("refused", 400), ("broken", 500), ("declined", 402)):
        response = api.handle("POST", f"/v1/things/{outcome}", "", b"", headers, "http://x")
        assert response.status == status

    assert list(state.objects["thing"]) == ["thing_declined"]
    assert [event["type"] for event in published] == ["thing.created"]


def test_the_same_coupon_twice_on_a_subscription_is_refused(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    sub, price = _paying_subscription(stripe_client)
    v1 = stripe_client.v1
    coupon = v1.coupons.create({"percent_off": 20, "duration": "forever"}).id
    code = v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon}, "code": "WELCOME20"}
    ).id
    v1.subscriptions.update(sub.id, {"discounts": [{"promotion_code": code}]})
    kept = v1.subscriptions.retrieve(sub.id).discounts[0]

    _refused(
        stripe_sandbox,
        lambda: v1.subscriptions.update(
            sub.id, {"discounts": [{"discount": str(kept)}, {"promotion_code": code}]}
        ),
        "discounts",
        "the same coupon cannot be applied more than once",
    )
    _refused(
        stripe_sandbox,
        lambda: v1.subscriptions.update(
            sub.id, {"discounts": [{"discount": str(kept)}, {"coupon": coupon}]}
        ),
        "discounts",
        "the same coupon cannot be applied more than once",
    )
    _refused(
        stripe_sandbox,
        lambda: v1.subscriptions.create(
            {
                "customer": sub.customer,
                "items": [{"price": price}],
                "discounts": [{"coupon": coupon}, {"promotion_code": code}],
            }
        ),
        "discounts",
        "the same coupon cannot be applied more than once",
    )


def test_more_than_twenty_discounts_on_a_subscription_are_refused(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    sub, _ = _paying_subscription(stripe_client)
    v1 = stripe_client.v1
    coupons = [v1.coupons.create({"amount_off": 1, "currency": "usd", "duration": "forever"}).id
               for _ in range(21)]  # fmt: skip
    v1.subscriptions.update(sub.id, {"discounts": [{"coupon": c} for c in coupons[:20]]})
    kept = [{"discount": str(d)} for d in v1.subscriptions.retrieve(sub.id).discounts]
    assert len(kept) == 20

    _refused(
        stripe_sandbox,
        lambda: v1.subscriptions.update(sub.id, {"discounts": [*kept, {"coupon": coupons[20]}]}),
        "discounts",
        "up to 20 discounts",
    )


def test_a_parameter_the_handler_never_reads_is_refused_and_undone(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    v1 = stripe_client.v1
    # No handler reads these: each is refused by name, and nothing of the request stays
    # (not the product a price's `product_data` would have made).
    transform = {"divide_by": 10, "round": "up"}
    _refused(
        stripe_sandbox,
        lambda: v1.prices.create(
            {
                "currency": "usd",
                "unit_amount": 900,
                "product_data": {"name": "Docs"},
                "transform_quantity": transform,
            }
        ),
        "transform_quantity",
    )
    _refused(
        stripe_sandbox,
        lambda: v1.setup_intents.create({"flow_directions": ["inbound"]}),
        "flow_directions",
    )
    _refused(
        stripe_sandbox,
        lambda: v1.products.create({"name": "Docs", "tax_details": {"tax_code": "txcd_1"}}),
        "tax_details",
    )
    _refused(stripe_sandbox, lambda: v1.events.list({"delivery_success": True}), "delivery_success")
    assert v1.products.list().data == []
    # A filter is read even when there is nothing to filter, so an empty list is no refusal.
    assert v1.subscriptions.list({"customer": "cus_nobody"}).data == []
    assert "customer" in stripe_sandbox.requests[-1].read


def test_a_stripe_version_the_sandbox_does_not_answer_in_is_refused(
    stripe_sandbox: Sandbox,
) -> None:
    def customers(version: str) -> Any:
        client = stripe.StripeClient(
            stripe_sandbox.secret_key,
            base_addresses={"api": stripe_sandbox.url},
            stripe_version=version,
            max_network_retries=0,
        )
        return client.v1.customers.list()

    assert customers(stripe.api_version).data == []  # stripe-python's own version
    for made_up in ("2026-13-45", "2099-01-01.future", "latest"):
        with pytest.raises(stripe.InvalidRequestError) as invalid:
            customers(made_up)
        assert invalid.value.user_message == f"Invalid Stripe API version: {made_up}"
    with pytest.raises(stripe.InvalidRequestError) as older:
        customers("2024-06-20")
    assert "does not implement API version 2024-06-20" in str(older.value.user_message)
    assert stripe_sandbox.writes() == []


def test_a_key_inside_a_parameter_that_nothing_reads_is_refused_by_its_full_name(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    v1 = stripe_client.v1
    product = v1.products.create({"name": "Meters"})
    # A metered price billed as licensed, or a restricted code anyone can redeem, would be
    # worse than a refusal.
    _refused(
        stripe_sandbox,
        lambda: v1.prices.create(
            {
                "currency": "usd",
                "unit_amount": 5,
                "product": product.id,
                "recurring": {"interval": "month", "usage_type": "metered"},
            }
        ),
        "recurring[usage_type]",
    )
    coupon = v1.coupons.create({"percent_off": 10, "duration": "once"})
    promotion = {"type": "coupon", "coupon": coupon.id}
    for restrictions, named in (
        ({"minimum_amount": 5000, "minimum_amount_currency": "usd"}, "minimum_amount"),
        ({"currency_options": {"eur": {"minimum_amount": 4000}}}, "currency_options"),
        ({"first_time_transaction": True}, "first_time_transaction"),
    ):
        _refused(
            stripe_sandbox,
            lambda r=restrictions: v1.promotion_codes.create(
                {"promotion": promotion, "restrictions": r}
            ),
            f"restrictions[{named}]",
        )
    plain = v1.promotion_codes.create(
        {"promotion": promotion, "restrictions": {"first_time_transaction": False}}
    )
    assert plain.restrictions.first_time_transaction is False
    _refused(
        stripe_sandbox,
        lambda: v1.payment_methods.create(
            {"type": "card", "card": {"token": "tok_visa", "networks": {"preferred": "visa"}}}
        ),
        "card[networks]",
    )


def test_a_card_keeps_its_billing_address_and_a_malformed_security_code_is_refused(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    v1 = stripe_client.v1
    card = {"number": "4242424242424242", "exp_month": 4, "exp_year": 2031}
    made = v1.payment_methods.create(
        {
            "type": "card",
            "card": {**card, "cvc": "123"},
            "billing_details": {"name": "Ada", "address": {"country": "GB", "postal_code": "N1"}},
        }
    )
    address = made.billing_details.address
    assert (made.billing_details.name, address.country, address.postal_code) == ("Ada", "GB", "N1")
    assert (address.line1, address.city) == (None, None)
    before = stripe_sandbox.fingerprint()
    with pytest.raises(stripe.CardError) as refused:
        v1.payment_methods.create({"type": "card", "card": {**card, "cvc": "12x"}})
    assert (refused.value.code, refused.value.param) == ("invalid_cvc", "card[cvc]")
    assert stripe_sandbox.fingerprint() == before
