"""The catalog: the plans of a service in price order, quantity rules from product metadata,
read from Stripe through the gateway and cached until it expires or a webhook says so."""

from __future__ import annotations

import logging

import pytest
import stripe

from billflow_core.billing.catalog import CatalogCache, QuantityRule, build_catalog
from billflow_core.settings import PortalSettings
from billflow_core.stripe.gateway import StripeGateway
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_SERVICE

UNIT = "licence"


@pytest.fixture
def gateway(stripe_sandbox: Sandbox) -> StripeGateway:
    stripe_sandbox.seed("demo")
    return StripeGateway(stripe_sandbox.secret_key, api_base=stripe_sandbox.url)


def test_a_service_offers_its_plans_cheapest_first_with_both_intervals(
    gateway: StripeGateway,
) -> None:
    catalog = build_catalog(gateway.active_prices(), PortalSettings(service=DEMO_SERVICE))

    assert [(p.name, p.interval) for p in catalog.plans] == [
        ("Starter", "year"),
        ("Starter", "month"),
        ("Team", "year"),
        ("Team", "month"),
        ("Business", "year"),
        ("Business", "month"),
    ]
    assert {p.service for p in catalog.plans} == {DEMO_SERVICE}
    assert all(p.quantity is None for p in catalog.plans)  # not a seat-based product
    team = next(p for p in catalog.plans if p.name == "Team" and p.interval == "month")
    assert (team.amount, team.currency, team.interval_count) == (2900, "usd", 1)
    assert catalog.alternatives(team.price_id) == catalog.plans


def test_without_a_chosen_service_each_service_keeps_to_itself(gateway: StripeGateway) -> None:
    catalog = build_catalog(gateway.active_prices(), PortalSettings())

    assert catalog.services() == tuple(sorted({DEMO_SERVICE, f"{DEMO_SERVICE}-seats"}))
    assert catalog.services() == tuple(sorted({p.service for p in catalog.plans if p.service}))
    seats = catalog.service_plans(f"{DEMO_SERVICE}-seats")
    assert [p.name for p in seats] == ["Seats"]
    assert seats[0].quantity == QuantityRule(1, 50, "seat")
    assert seats[0].price_id not in {
        p.price_id for p in catalog.alternatives(catalog.service_plans(DEMO_SERVICE)[0].price_id)
    }
    assert catalog.alternatives("price_unknown") == ()


def test_listed_price_ids_are_the_offer_whatever_their_metadata(
    stripe_client: stripe.StripeClient, gateway: StripeGateway
) -> None:
    found = stripe_client.v1.prices.list({"lookup_keys": ["team_monthly", "seats_monthly"]})
    listed = [price.id for price in found.data]
    catalog = build_catalog(gateway.active_prices(), PortalSettings(price_ids=tuple(listed)))
    assert sorted(p.price_id for p in catalog.plans) == sorted(listed)
    assert catalog.alternatives(listed[0]) == catalog.plans
    assert catalog.services() == ()  # the listed prices belong to no named service


def test_inactive_prices_and_products_are_not_offered(
    stripe_client: stripe.StripeClient, gateway: StripeGateway
) -> None:
    team = stripe_client.v1.prices.list({"lookup_keys": ["team_monthly"]}).data[0]
    business = stripe_client.v1.products.list({"limit": 100}).data
    business_id = next(p.id for p in business if p.name == "Business")
    stripe_client.v1.prices.update(team.id, {"active": False})
    stripe_client.v1.products.update(business_id, {"active": False})

    catalog = build_catalog(gateway.active_prices(), PortalSettings(service=DEMO_SERVICE))

    assert [(p.name, p.interval) for p in catalog.plans] == [
        ("Starter", "year"),
        ("Starter", "month"),
        ("Team", "year"),
    ]


@pytest.mark.parametrize(
    ("metadata", "rule"),
    [
        ({"sb_quantity_enabled": "true"}, QuantityRule(1, 10_000, UNIT)),
        ({"sb_quantity_enabled": "TRUE", "sb_quantity_min": "5"}, QuantityRule(5, 10_000, UNIT)),
        ({"sb_quantity_enabled": "true", "sb_quantity_max": "many"}, QuantityRule(1, 10_000, UNIT)),
        ({"sb_quantity_enabled": "true", "sb_quantity_min": "9", "sb_quantity_max": "3"}, None),
        ({"sb_quantity_enabled": "false", "sb_quantity_max": "3"}, None),
    ],
)
def test_quantity_rules_come_from_product_metadata_and_bad_bounds_are_not_trusted(
    stripe_client: stripe.StripeClient,
    gateway: StripeGateway,
    metadata: dict[str, str],
    rule: QuantityRule | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    product = stripe_client.v1.products.create(
        {
            "name": "Licences",
            "unit_label": "licence",
            "metadata": {"sb_service": "licences", **metadata},
        }
    )
    stripe_client.v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 100,
            "recurring": {"interval": "month"},
        }
    )
    with caplog.at_level(logging.WARNING):
        catalog = build_catalog(gateway.active_prices(), PortalSettings(service="licences"))
    assert catalog.plans[0].quantity == rule
    bad = "many" in metadata.values() or metadata.get("sb_quantity_min") == "9"
    assert (product.id in caplog.text) == bad


def test_the_cache_reads_stripe_once_per_lifetime_and_again_when_invalidated(
    stripe_sandbox: Sandbox, gateway: StripeGateway
) -> None:
    now = [1000.0]
    cache = CatalogCache(
        gateway, PortalSettings(service=DEMO_SERVICE), ttl=300, clock=lambda: now[0]
    )
    stripe_sandbox.reset()
    assert not cache.is_warm()

    first = cache.get()
    now[0] += 299
    assert cache.get() is first and cache.is_warm()
    assert stripe_sandbox.counts() == {"GET /v1/prices": 1}

    now[0] += 1
    assert cache.get() is not first
    cache.invalidate()
    assert not cache.is_warm()
    cache.get()
    assert stripe_sandbox.counts() == {"GET /v1/prices": 3}


def test_tiered_and_metered_prices_are_not_offered(gateway: StripeGateway) -> None:
    """The sandbox makes only simple prices, so these two come as Stripe would send them."""
    product = {
        "id": "prod_t",
        "object": "product",
        "active": True,
        "name": "Usage",
        "description": None,
        "unit_label": None,
        "metadata": {"sb_service": "usage"},
    }
    recurring = {"interval": "month", "interval_count": 1, "usage_type": "licensed"}
    tiered = {
        "id": "price_tiered",
        "object": "price",
        "active": True,
        "product": product,
        "billing_scheme": "tiered",
        "unit_amount": None,
        "currency": "usd",
        "nickname": None,
        "recurring": recurring,
    }
    metered = {
        **tiered,
        "id": "price_metered",
        "billing_scheme": "per_unit",
        "unit_amount": 5,
        "recurring": {**recurring, "usage_type": "metered"},
    }
    simple = {**metered, "id": "price_simple", "recurring": recurring}
    prices = [stripe.Price.construct_from(p, "sk_test_x") for p in (tiered, metered, simple)]

    catalog = build_catalog(prices, PortalSettings(service="usage"))

    assert [p.price_id for p in catalog.plans] == ["price_simple"]
