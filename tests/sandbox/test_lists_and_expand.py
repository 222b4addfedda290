"""Lists, filters, search and `expand[]` as Stripe serves them: newest first, cursor pages that
stripe-python's `auto_paging_iter` walks both ways, exact filters, and expansion of ids into
objects on retrieve and on list, refused for a path that cannot be expanded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import stripe

from billflow_sandbox import Sandbox


def ids(objects: list[Any]) -> list[str]:
    return [o.id for o in objects]


@pytest.fixture
def seven_customers(stripe_client: stripe.StripeClient) -> list[str]:
    """Seven customers, oldest first."""
    return [
        stripe_client.v1.customers.create({"email": f"user{n}@example.com"}).id for n in range(7)
    ]


# -- pagination ----------------------------------------------------------------------------


def test_pages_follow_starting_after_newest_first_with_has_more(
    stripe_client: stripe.StripeClient, seven_customers: list[str]
) -> None:
    newest_first = seven_customers[::-1]
    first = stripe_client.v1.customers.list({"limit": 3})
    second = stripe_client.v1.customers.list({"limit": 3, "starting_after": first.data[-1].id})
    third = stripe_client.v1.customers.list({"limit": 3, "starting_after": second.data[-1].id})

    assert (ids(first.data), first.has_more) == (newest_first[0:3], True)
    assert (ids(second.data), second.has_more) == (newest_first[3:6], True)
    assert (ids(third.data), third.has_more) == (newest_first[6:], False)
    assert first.url == "/v1/customers"


def test_ending_before_pages_back_towards_the_newest(
    stripe_client: stripe.StripeClient, seven_customers: list[str]
) -> None:
    newest_first = seven_customers[::-1]
    oldest = seven_customers[0]
    page = stripe_client.v1.customers.list({"limit": 2, "ending_before": oldest})
    # The two just newer than the cursor, still newest first; more lie beyond them.
    assert (ids(page.data), page.has_more) == (newest_first[4:6], True)
    last = stripe_client.v1.customers.list({"limit": 5, "ending_before": newest_first[3]})
    assert (ids(last.data), last.has_more) == (newest_first[0:3], False)


def test_default_limit_is_ten_and_limits_outside_1_to_100_are_refused(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    for n in range(12):
        stripe_client.v1.products.create({"name": f"Product {n}"})
    page = stripe_client.v1.products.list()
    assert (len(page.data), page.has_more) == (10, True)
    for limit in (0, 101):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            stripe_client.v1.products.list({"limit": limit})
        assert (raised.value.http_status, raised.value.param) == (400, "limit")


def test_auto_paging_iter_walks_every_page_forwards_and_backwards(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, seven_customers: list[str]
) -> None:
    stripe_sandbox.reset()
    forwards = stripe_client.v1.customers.list({"limit": 2}).auto_paging_iter()
    assert ids(list(forwards)) == seven_customers[::-1]
    assert stripe_sandbox.counts() == {"GET /v1/customers": 4}

    backwards = stripe_client.v1.customers.list(
        {"limit": 2, "ending_before": seven_customers[0]}
    ).auto_paging_iter()
    assert ids(list(backwards)) == seven_customers[1:]


# -- filters and search --------------------------------------------------------------------


def test_customers_list_by_email_is_exact_and_case_sensitive(
    stripe_client: stripe.StripeClient,
) -> None:
    lower = stripe_client.v1.customers.create({"email": "ada@example.com"})
    upper = stripe_client.v1.customers.create({"email": "Ada@Example.com"})
    stripe_client.v1.customers.create({"email": "ada@example.com.evil"})
    stripe_client.v1.customers.create({"email": "grace@example.com"})

    assert ids(stripe_client.v1.customers.list({"email": "ada@example.com"}).data) == [lower.id]
    assert ids(stripe_client.v1.customers.list({"email": "Ada@Example.com"}).data) == [upper.id]
    assert stripe_client.v1.customers.list({"email": "ada@"}).data == []


def test_customers_search_by_email_and_metadata(stripe_client: stripe.StripeClient) -> None:
    ada = stripe_client.v1.customers.create(
        {"email": "ada@example.com", "metadata": {"site_user": "17"}}
    )
    stripe_client.v1.customers.create(
        {"email": "grace@example.com", "metadata": {"site_user": "18"}}
    )

    found = stripe_client.v1.customers.search({"query": "email:'ada@example.com'"})
    assert found.object == "search_result"
    assert (ids(found.data), found.has_more, found.next_page) == ([ada.id], False, None)
    by_metadata = stripe_client.v1.customers.search({"query": "metadata['site_user']:'17'"})
    assert ids(by_metadata.data) == [ada.id]
    both = stripe_client.v1.customers.search(
        {"query": "email:'ada@example.com' AND metadata['site_user']:'18'"}
    )
    assert both.data == []


@dataclass
class Catalog:
    product: str
    other_product: str
    monthly: str
    yearly: str
    retired: str
    one_time: str


@pytest.fixture
def catalog(stripe_client: stripe.StripeClient) -> Catalog:
    v1 = stripe_client.v1
    product = v1.products.create({"name": "Basic"}).id
    other = v1.products.create({"name": "Extras"}).id

    def price(product: str, amount: int, **extra: Any) -> str:
        params: Any = {"product": product, "currency": "usd", "unit_amount": amount, **extra}
        return v1.prices.create(params).id

    monthly = price(product, 1500, recurring={"interval": "month"}, lookup_key="basic_monthly")
    yearly = price(product, 15000, recurring={"interval": "year"}, lookup_key="basic_yearly")
    retired = price(product, 1200, recurring={"interval": "month"}, active=False)
    one_time = price(other, 900, lookup_key="extras_once")
    return Catalog(product, other, monthly, yearly, retired, one_time)


def test_prices_list_filters(stripe_client: stripe.StripeClient, catalog: Catalog) -> None:
    def listed(**params: Any) -> set[str]:
        return set(ids(stripe_client.v1.prices.list(params).data))

    assert listed(product=catalog.product) == {catalog.monthly, catalog.yearly, catalog.retired}
    assert listed(product=catalog.other_product) == {catalog.one_time}
    assert listed(active=False) == {catalog.retired}
    assert listed(active=True) == {catalog.monthly, catalog.yearly, catalog.one_time}
    assert listed(lookup_keys=["basic_yearly", "extras_once"]) == {
        catalog.yearly,
        catalog.one_time,
    }
    assert listed(recurring={"interval": "year"}) == {catalog.yearly}
    assert listed(recurring={"interval": "month"}, active=True) == {catalog.monthly}
    assert listed(type="one_time") == {catalog.one_time}


def test_promotion_codes_list_by_code(stripe_client: stripe.StripeClient) -> None:
    coupon = stripe_client.v1.coupons.create({"percent_off": 20, "duration": "forever"})
    spring = stripe_client.v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SPRING20"}
    )
    stripe_client.v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SPRING"}
    )
    found = stripe_client.v1.promotion_codes.list({"code": "SPRING20"}).data
    assert ids(found) == [spring.id]
    assert found[0].promotion.coupon == coupon.id
    assert stripe_client.v1.promotion_codes.list({"code": "AUTUMN"}).data == []


def test_subscriptions_search_by_status_metadata_and_created(
    stripe_client: stripe.StripeClient, catalog: Catalog
) -> None:
    v1 = stripe_client.v1
    jan_1 = 1767225600  # 2026-01-01T00:00:00Z, long before the wall clock

    def subscribe(metadata: dict[str, str], clock: str | None = None) -> str:
        params: Any = {"email": "ada@example.com"} | ({"test_clock": clock} if clock else {})
        customer = v1.customers.create(params)
        card = v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
        return v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [{"price": catalog.monthly}],
                "default_payment_method": card.id,
                "metadata": metadata,
            }
        ).id

    old = subscribe(
        {"site_user": "17"}, v1.test_helpers.test_clocks.create({"frozen_time": jan_1}).id
    )
    ada = subscribe({"site_user": "17"})
    grace = subscribe({"site_user": "18"})
    v1.subscriptions.cancel(grace)

    def found(query: str, **params: Any) -> list[str]:
        result = v1.subscriptions.search({"query": query, **params})
        assert (result.object, result.url) == ("search_result", "/v1/subscriptions/search")
        return ids(result.data)

    assert found("metadata['site_user']:'17'") == [ada, old]
    assert found("status:'canceled'") == [grace]
    assert found("status:'active' AND metadata['site_user']:'17'") == [ada, old]
    assert found(f"created<{jan_1 + 1}") == [old]
    assert found(f"created>{jan_1} AND -status:'canceled'") == [ada]
    first = v1.subscriptions.search({"query": "status:'active'", "limit": 1})
    assert (ids(first.data), first.has_more, first.next_page) == ([ada], True, "1")
    assert found("status:'active'", limit=1, page=first.next_page) == [old]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        v1.subscriptions.search({"query": "price:'x'"})
    assert (raised.value.http_status, raised.value.param) == (400, "query")


def test_lists_filter_created_by_an_exact_time_or_a_range(
    stripe_client: stripe.StripeClient, catalog: Catalog
) -> None:
    v1 = stripe_client.v1
    jan_1 = 1767225600  # 2026-01-01T00:00:00Z, long before the wall clock
    clock = v1.test_helpers.test_clocks.create({"frozen_time": jan_1})
    then = v1.customers.create({"test_clock": clock.id, "payment_method": "pm_card_visa"})
    now = v1.customers.create({"payment_method": "pm_card_visa"})
    old, new = (
        v1.subscriptions.create({"customer": c.id, "items": [{"price": catalog.monthly}]}).id
        for c in (then, now)
    )

    def listed(created: Any) -> list[str]:
        return ids(v1.subscriptions.list({"created": created}).data)

    assert listed(jan_1) == [old]
    assert listed({"lte": jan_1}) == [old]
    assert listed({"gt": jan_1}) == [new]
    assert listed({"gte": jan_1, "lt": jan_1 + 1}) == [old]


# -- expand --------------------------------------------------------------------------------


@pytest.fixture
def subscription(stripe_client: stripe.StripeClient, catalog: Catalog) -> str:
    customer = stripe_client.v1.customers.create({"email": "ada@example.com"})
    card = stripe_client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    sub = stripe_client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": catalog.monthly}],
            "default_payment_method": card.id,
        }
    )
    return sub.id


def test_retrieve_expands_ids_into_objects_at_every_level_asked(
    stripe_client: stripe.StripeClient, catalog: Catalog, subscription: str
) -> None:
    plain = stripe_client.v1.subscriptions.retrieve(subscription)
    assert isinstance(plain.customer, str)
    assert isinstance(plain["items"].data[0].price.product, str)

    sub = stripe_client.v1.subscriptions.retrieve(
        subscription,
        {
            "expand": [
                "customer",
                "default_payment_method",
                "items.data.price.product",
                "latest_invoice.customer",
            ]
        },
    )
    assert isinstance(sub.customer, stripe.Customer) and sub.customer.email == "ada@example.com"
    assert isinstance(sub.default_payment_method, stripe.PaymentMethod)
    assert sub.default_payment_method.card is not None
    assert sub.default_payment_method.card.last4 == "4242"
    product = sub["items"].data[0].price.product
    assert isinstance(product, stripe.Product)
    assert (product.id, product.name) == (catalog.product, "Basic")
    invoice = sub.latest_invoice
    assert isinstance(invoice, stripe.Invoice) and invoice.status == "paid"
    assert isinstance(invoice.customer, stripe.Customer)
    assert invoice.customer.id == sub.customer.id
    # Asked-for expansions leave what was not asked for as ids.
    assert isinstance(sub["items"].data[0].subscription, str)


def test_list_expands_inside_each_item_through_data(
    stripe_client: stripe.StripeClient, catalog: Catalog, subscription: str
) -> None:
    prices = stripe_client.v1.prices.list({"expand": ["data.product"]}).data
    assert {p.product.name for p in prices} == {"Basic", "Extras"}

    subs = stripe_client.v1.subscriptions.list(
        {"expand": ["data.customer", "data.items.data.price.product"]}
    ).data
    assert ids(subs) == [subscription]
    assert subs[0].customer.email == "ada@example.com"
    assert subs[0]["items"].data[0].price.product.name == "Basic"


def test_write_answers_with_the_expansion_it_asks_for(
    stripe_client: stripe.StripeClient, catalog: Catalog, subscription: str
) -> None:
    sub = stripe_client.v1.subscriptions.update(
        subscription, {"metadata": {"seen": "yes"}, "expand": ["latest_invoice", "customer"]}
    )
    assert sub.metadata.to_dict() == {"seen": "yes"}
    assert isinstance(sub.latest_invoice, stripe.Invoice)
    assert isinstance(sub.customer, stripe.Customer)


def test_expanding_through_a_null_field_gives_null(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create({"email": "ada@example.com"})
    shown = stripe_client.v1.customers.retrieve(
        customer.id, {"expand": ["test_clock", "invoice_settings.default_payment_method.customer"]}
    )
    assert shown.test_clock is None
    assert shown.invoice_settings is not None
    assert shown.invoice_settings.default_payment_method is None


@pytest.mark.parametrize(
    "path",
    ["status", "metadata.plan", "customer.nonsense", "items.data.price.nickname", "nope"],
)
def test_path_that_cannot_be_expanded_is_400(
    stripe_client: stripe.StripeClient, subscription: str, path: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.subscriptions.retrieve(subscription, {"expand": [path]})
    assert raised.value.http_status == 400
    assert raised.value.json_body is not None
    error = raised.value.json_body["error"]
    assert error["message"] == f"This property cannot be expanded ({path})."
    assert error["type"] == "invalid_request_error" and "param" not in error


def test_list_needs_data_before_the_field_to_expand(
    stripe_client: stripe.StripeClient, catalog: Catalog
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.prices.list({"expand": ["product"]})
    assert raised.value.http_status == 400


def test_write_with_an_unexpandable_path_is_refused_whole(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, subscription: str
) -> None:
    stripe_sandbox.reset()
    before = stripe_client.v1.subscriptions.retrieve(subscription).to_dict()
    events_before = ids(stripe_client.v1.events.list({"limit": 100}).data)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.subscriptions.update(
            subscription, {"metadata": {"seen": "yes"}, "expand": ["nope"]}
        )
    assert raised.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.create({"email": "eve@example.com", "expand": ["nope"]})

    assert stripe_sandbox.writes() == []
    assert stripe_client.v1.subscriptions.retrieve(subscription).to_dict() == before
    assert stripe_client.v1.customers.list({"email": "eve@example.com"}).data == []
    assert ids(stripe_client.v1.events.list({"limit": 100}).data) == events_before
