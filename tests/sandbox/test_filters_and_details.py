"""Parameters the sandbox once accepted and ignored, now acted on as Stripe acts on them: the
list filters a portal or a site's own tests reach for, and a product's and a price's own
details (URL, images, statement descriptor, shipping, tax behaviour)."""

from __future__ import annotations

import pytest
import stripe
from scenes import DAY, JAN_1, customer_on_clock, price


def test_subscriptions_list_by_collection_method_and_billing_period(
    stripe_client: stripe.StripeClient,
) -> None:
    v1 = stripe_client.v1
    _, customer = customer_on_clock(v1, "filters@example.com")
    monthly = price(v1, 900)
    sub = v1.subscriptions.create({"customer": customer, "items": [{"price": monthly}]})
    period = sub["items"].data[0].current_period_start
    assert period == JAN_1
    listed = v1.subscriptions.list({"collection_method": "charge_automatically"}).data
    assert [s.id for s in listed] == [sub.id]
    assert v1.subscriptions.list({"collection_method": "send_invoice"}).data == []
    assert [s.id for s in v1.subscriptions.list({"current_period_start": {"gte": JAN_1}}).data] == [
        sub.id
    ]
    assert v1.subscriptions.list({"current_period_end": {"lt": JAN_1 + DAY}}).data == []


def test_invoices_list_by_due_date_matches_only_invoices_that_have_one(
    stripe_client: stripe.StripeClient,
) -> None:
    v1 = stripe_client.v1
    _, customer = customer_on_clock(v1, "due@example.com")
    v1.subscriptions.create({"customer": customer, "items": [{"price": price(v1, 900)}]})
    assert len(v1.invoices.list({"customer": customer}).data) == 1
    # A card-charged invoice has no due date, so no bound matches it.
    assert v1.invoices.list({"customer": customer, "due_date": {"gte": 0}}).data == []


def test_payment_methods_list_by_allow_redisplay(stripe_client: stripe.StripeClient) -> None:
    v1 = stripe_client.v1
    _, customer = customer_on_clock(v1, "redisplay@example.com")
    unspecified = v1.customers.payment_methods.list(customer, {"allow_redisplay": "unspecified"})
    assert len(unspecified.data) == 1
    assert v1.payment_methods.list({"customer": customer, "allow_redisplay": "always"}).data == []


def test_a_products_details_are_kept_listed_by_and_cleared(
    stripe_client: stripe.StripeClient,
) -> None:
    v1 = stripe_client.v1
    product = v1.products.create(
        {"name": "Docs", "url": "https://docs.example.com", "shippable": False,
         "images": ["https://docs.example.com/cover.png"], "statement_descriptor": "DOCS",
         "marketing_features": [{"name": "Search"}],
         "package_dimensions": {"height": 1, "length": 2, "weight": 3, "width": 4}}
    )  # fmt: skip
    assert (product.url, product.shippable, product.statement_descriptor) == (
        "https://docs.example.com", False, "DOCS",
    )  # fmt: skip
    assert product.images == ["https://docs.example.com/cover.png"]
    assert [f.name for f in product.marketing_features] == ["Search"]
    assert product.package_dimensions is not None and product.package_dimensions.width == 4.0
    assert [p.id for p in v1.products.list({"url": "https://docs.example.com"}).data] == [
        product.id
    ]
    assert v1.products.list({"shippable": True}).data == []
    cleared = v1.products.update(product.id, {"url": "", "statement_descriptor": ""})
    assert (cleared.url, cleared.statement_descriptor) == (None, None)
    for bad, param in (({"statement_descriptor": "<DOCS>"}, "statement_descriptor"),
                       ({"url": "docs.example.com"}, "url"),
                       ({"images": ["ftp://x"]}, "images[0]")):  # fmt: skip
        with pytest.raises(stripe.InvalidRequestError) as refused:
            v1.products.create({"name": "Bad", **bad})
        assert refused.value.param == param
    assert len(v1.products.list().data) == 1


def test_a_prices_tax_behaviour_is_kept_and_set_only_once(
    stripe_client: stripe.StripeClient,
) -> None:
    v1 = stripe_client.v1
    inclusive = v1.prices.create(
        {"currency": "usd", "unit_amount": 900, "product_data": {"name": "VAT"},
         "tax_behavior": "inclusive"}
    )  # fmt: skip
    assert inclusive.tax_behavior == "inclusive"
    unset = v1.prices.create({"currency": "usd", "unit_amount": 900, "product_data": {"name": "N"}})
    assert unset.tax_behavior == "unspecified"
    assert v1.prices.update(unset.id, {"tax_behavior": "exclusive"}).tax_behavior == "exclusive"
    with pytest.raises(stripe.InvalidRequestError) as refused:
        v1.prices.update(inclusive.id, {"tax_behavior": "exclusive"})
    assert refused.value.param == "tax_behavior"
    assert v1.prices.retrieve(inclusive.id).tax_behavior == "inclusive"
