"""`billflow doctor`: check a configuration against the Stripe account it names, and say
plainly what is wrong before a customer finds out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from .catalog import (
    QUANTITY_ENABLED_KEY,
    QUANTITY_MAX_KEY,
    QUANTITY_MIN_KEY,
    SERVICE_KEY,
    build_catalog,
)
from .errors import BillflowError
from .gateway import StripeGateway
from .settings import PortalSettings

__all__ = ["NEEDED_EVENTS", "Finding", "run_checks"]

# The events Billflow acts on: the catalog is refreshed when products or prices change.
NEEDED_EVENTS = (
    "product.created",
    "product.updated",
    "product.deleted",
    "price.created",
    "price.updated",
    "price.deleted",
)


@dataclass(frozen=True)
class Finding:
    level: Literal["ok", "warning", "problem"]
    message: str


def run_checks(
    gateway: StripeGateway, settings: PortalSettings, *, webhook_secret: str | None
) -> list[Finding]:
    """Every check, in order; a `problem` means the portal will not work as configured."""
    findings = [
        Finding(
            "ok" if not gateway.livemode else "warning",
            "live mode: customers pay real money" if gateway.livemode else "test mode key",
        )
    ]
    try:
        prices = gateway.active_prices()
    except BillflowError as error:
        return [*findings, Finding("problem", f"Stripe refused to list prices: {error.message}")]
    findings += _plans(prices, settings)
    findings += _quantities(prices)
    findings += _webhooks(gateway, webhook_secret)
    findings += _shared_emails(gateway)
    return findings


def _plans(prices: list[Any], settings: PortalSettings) -> Iterable[Finding]:
    catalog = build_catalog(prices, settings)
    if settings.price_ids:
        missing = set(settings.price_ids) - {p.price_id for p in catalog.plans}
        for price_id in sorted(missing):
            yield Finding("problem", f"price {price_id} is not an active recurring price")
    if not catalog.plans:
        where = (
            f"products with {SERVICE_KEY}={settings.service}"
            if settings.service
            else f"products with {SERVICE_KEY} metadata"
            if not settings.price_ids
            else "the listed price ids"
        )
        yield Finding("problem", f"no plans to offer: no active recurring prices of {where}")
        return
    services = sorted({p.service or "(listed prices)" for p in catalog.plans})
    yield Finding(
        "ok", f"{len(catalog.plans)} plans in {len(services)} service(s): " + ", ".join(services)
    )


def _quantities(prices: list[Any]) -> Iterable[Finding]:
    products = {p.product.id: p.product for p in prices if not isinstance(p.product, str)}
    for product in products.values():
        metadata = dict(product.metadata.to_dict() if product.metadata else {})
        enabled = metadata.get(QUANTITY_ENABLED_KEY, "").strip().lower() == "true"
        bounds = {k: metadata[k] for k in (QUANTITY_MIN_KEY, QUANTITY_MAX_KEY) if k in metadata}
        if bounds and not enabled:
            yield Finding(
                "warning",
                f"product {product.id} has {', '.join(bounds)} but not "
                f"{QUANTITY_ENABLED_KEY}=true: quantity changes are off",
            )
        if not enabled:
            continue
        parsed = {}
        for key, raw in bounds.items():
            if not raw.strip().isdigit() or int(raw) < 1:
                yield Finding(
                    "problem",
                    f"product {product.id}: {key}={raw!r} must be a whole number of at least 1",
                )
            else:
                parsed[key] = int(raw)
        low, high = parsed.get(QUANTITY_MIN_KEY, 1), parsed.get(QUANTITY_MAX_KEY)
        if high is not None and low > high:
            yield Finding(
                "problem", f"product {product.id}: {QUANTITY_MIN_KEY} is above {QUANTITY_MAX_KEY}"
            )
        if not product.unit_label:
            yield Finding(
                "warning",
                f"product {product.id} has quantity changes on but no "
                "unit_label: the page will not name the unit",
            )


def _webhooks(gateway: StripeGateway, webhook_secret: str | None) -> Iterable[Finding]:
    if not webhook_secret:
        yield Finding(
            "warning",
            "BILLFLOW_STRIPE_WEBHOOK_SECRET is not set: catalog changes "
            "show only when the cache expires (5 minutes)",
        )
    try:
        endpoints = [e for e in gateway.webhook_endpoints() if e.status == "enabled"]
    except BillflowError as error:
        yield Finding("problem", f"Stripe refused to list webhook endpoints: {error.message}")
        return
    covering = [
        e
        for e in endpoints
        if "*" in e.enabled_events or set(NEEDED_EVENTS) <= set(e.enabled_events)
    ]
    if covering:
        yield Finding(
            "ok", "webhook endpoint for catalog events: " + ", ".join(e.url for e in covering)
        )
    else:
        yield Finding(
            "problem",
            "no enabled webhook endpoint receives "
            + ", ".join(NEEDED_EVENTS)
            + " (point one at {prefix}/stripe/webhook)",
        )


def _shared_emails(gateway: StripeGateway) -> Iterable[Finding]:
    """Emails several customers share: the portal shows the one with live subscriptions
    and refuses (`customer_ambiguous`) when more than one has them, so these are worth
    merging in Stripe, or worth identifying by customer id."""
    by_email: dict[str, list[str]] = {}
    try:
        for customer_id, email in gateway.customer_emails():
            if email:
                by_email.setdefault(email, []).append(customer_id)
    except BillflowError as error:
        yield Finding("problem", f"Stripe refused to list customers: {error.message}")
        return
    for email, ids in sorted(by_email.items()):
        if len(ids) > 1:
            yield Finding(
                "warning",
                f"{len(ids)} customers share the email {email}: {', '.join(sorted(ids))}",
            )
