"""Products and prices as the sandbox creates them: amounts in whole minor units (also when
given as `unit_amount_decimal`), and a product's `default_price_data` checked before the
product is written, so a refused price leaves no product behind."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from billflow_sandbox import Sandbox
from billflow_sandbox.context import Context
from billflow_sandbox.errors import StripeError
from billflow_sandbox.routes.catalog import create_product

MONTHLY = {"interval": "month"}


@pytest.mark.parametrize("decimal", ["1500", "1500.0", "1500.000"])
def test_unit_amount_decimal_of_whole_minor_units_sets_the_unit_amount(
    stripe_client: stripe.StripeClient, decimal: str
) -> None:
    price = stripe_client.v1.prices.create(
        {
            "product_data": {"name": "Pro"},
            "currency": "usd",
            "unit_amount_decimal": decimal,
            "recurring": MONTHLY,
        }
    )

    assert (price.unit_amount, str(price.unit_amount_decimal)) == (1500, "1500")
    assert stripe_client.v1.prices.retrieve(price.id).unit_amount == 1500


@pytest.mark.parametrize("decimal", ["1500.5", "0.25", "12.999"])
def test_unit_amount_decimal_with_a_fraction_of_a_minor_unit_is_refused(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, decimal: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.prices.create(
            {
                "product_data": {"name": "Pro"},
                "currency": "usd",
                "unit_amount_decimal": decimal,
            }
        )

    error = raised.value
    assert (error.http_status, error.param) == (400, "unit_amount_decimal")
    assert "whole minor units" in str(error.user_message)
    assert stripe_sandbox.writes() == []
    assert stripe_client.v1.prices.list().data == []
    assert stripe_client.v1.products.list().data == []


REFUSED_PRICE_DATA: Any = {
    "currency": "usd",
    "unit_amount": 1500,
    "recurring": {"interval": "month", "interval_count": 99},
}


def test_product_whose_default_price_data_is_refused_is_not_created(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.products.create({"name": "Pro", "default_price_data": REFUSED_PRICE_DATA})

    assert (raised.value.http_status, raised.value.param) == (400, "recurring[interval_count]")
    assert stripe_sandbox.writes() == []
    assert stripe_client.v1.products.list().data == []
    assert stripe_client.v1.events.list().data == []


def test_create_product_checks_default_price_data_before_it_writes(
    stripe_sandbox: Sandbox,
) -> None:
    # The API undoes a refused request's writes; the handler must not lean on that (a
    # handler that writes then refuses leaves objects behind for anything else calling it).
    state = stripe_sandbox.state
    ctx = Context(state, {}, stripe_sandbox.url)
    with state.lock:
        with pytest.raises(StripeError) as raised:
            create_product(ctx, {"name": "Pro", "default_price_data": REFUSED_PRICE_DATA})

        assert raised.value.param == "recurring[interval_count]"
        assert list(state.all("product")) == [] and list(state.all("price")) == []
        assert ctx.events == []
