"""`billflow doctor`: check a configuration against the Stripe account it names, and say
plainly what is wrong before a customer finds out."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from .billing.catalog import (
    QUANTITY_ENABLED_KEY,
    QUANTITY_MAX_KEY,
    QUANTITY_MIN_KEY,
    SERVICE_KEY,
    build_catalog,
)
from .config import PortalSecrets
from .errors import BillflowError, SettingsError, StripeUnavailable
from .portal import Portal
from .settings import PortalSettings
from .stripe.gateway import StripeGateway
from .web.api import DEFAULT_PREFIX

__all__ = ["NEEDED_EVENTS", "Finding", "check_config", "quiet_stripe_logs", "run_checks"]

# The events Billflow acts on: the catalog is refreshed when products, prices or coupons
# change (the retention offer's terms), the cached promotion codes when codes or coupons do.
NEEDED_EVENTS = (
    "product.created",
    "product.updated",
    "product.deleted",
    "price.created",
    "price.updated",
    "price.deleted",
    "coupon.created",
    "coupon.updated",
    "coupon.deleted",
    "promotion_code.created",
    "promotion_code.updated",
)


@dataclass(frozen=True)
class Finding:
    level: Literal["ok", "warning", "problem"]
    message: str


def check_config(config: Mapping[str, Any], *, api_base: str | None = None) -> list[Finding]:
    """The checks of a `BILLFLOW_*` mapping (the environment), as a host reads it. The
    portal's own refusals come first, found by building a `Portal` from it exactly as a
    host does, so the doctor passes nothing the portal refuses and keeps no copy of its
    rules; then, when the settings and the key allow, the Stripe account's checks."""
    config = dict(config)
    if api_base is not None:
        config["BILLFLOW_STRIPE_API_BASE"] = api_base
    findings: list[Finding] = []
    try:
        portal: Portal | None = Portal.from_config(config)
    except SettingsError as error:
        findings.append(Finding("problem", str(error)))
        portal = None
    found = (portal.settings, portal.gateway) if portal else _stripe_side(config, findings)
    if found is None:
        return findings
    settings, gateway = found
    prefix = str(config.get("BILLFLOW_URL_PREFIX") or DEFAULT_PREFIX).rstrip("/")
    webhook_secret = config.get("BILLFLOW_STRIPE_WEBHOOK_SECRET") or None
    return findings + run_checks(gateway, settings, webhook_secret=webhook_secret, prefix=prefix)


def _stripe_side(
    config: Mapping[str, Any], findings: list[Finding]
) -> tuple[PortalSettings, StripeGateway] | None:
    """What Stripe can still be asked with when the portal was refused for something else
    (a short secret key): the settings and the key, unless one of them is what it refused.
    A refusal not already in `findings` joins them, so each is named once."""
    try:
        secrets = PortalSecrets.from_mapping(config)
    except SettingsError:
        return None  # no Stripe key: the portal's refusal named it
    try:
        settings = PortalSettings.from_mapping(config)
        gateway = StripeGateway(secrets.stripe_api_key, api_base=secrets.stripe_api_base)
    except SettingsError as error:
        if all(f.message != str(error) for f in findings):
            findings.append(Finding("problem", str(error)))
        return None
    return settings, gateway


@contextmanager
def quiet_stripe_logs() -> Iterator[None]:
    """Keep the gateway's log lines ("Stripe cannot be reached at ...") off a terminal
    while the doctor runs: each failure they report is a finding already, in a sentence
    that says what to do, and saying it twice in two forms only confuses."""
    logger = logging.getLogger("billflow_core.stripe.gateway")
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


def run_checks(
    gateway: StripeGateway,
    settings: PortalSettings,
    *,
    webhook_secret: str | None,
    prefix: str = DEFAULT_PREFIX,
) -> list[Finding]:
    """Every check of the Stripe account, in order; a `problem` means the portal will not
    work as configured. `prefix`: where the site serves the portal (its webhook's path)."""
    findings = [
        Finding(
            "ok" if not gateway.livemode else "warning",
            "live mode: customers pay real money" if gateway.livemode else "test mode key",
        )
    ]
    try:
        prices = gateway.active_prices()
    except BillflowError as error:
        return [*findings, _stripe_failed("list prices", error, gateway)]
    findings += _plans(prices, settings)
    findings += _quantities(prices)
    findings += _webhooks(gateway, webhook_secret, prefix)
    findings += _shared_emails(gateway)
    return findings


def _stripe_failed(what: str, error: BillflowError, gateway: StripeGateway) -> Finding:
    """Why Stripe did not `what`, in the words of its fix: a refused key, a missing
    permission, no connection and Stripe's own failure are different things to do."""
    if error.code == "stripe_key_refused":
        message = (
            f"Stripe refused the API key {gateway.key_hint}: set BILLFLOW_STRIPE_API_KEY to "
            "a secret key of the account (Stripe dashboard, Developers, API keys)"
        )
    elif error.code == "stripe_key_permission":
        message = (
            f"the restricted key {gateway.key_hint} may not {what}: give it that permission "
            "in the Stripe dashboard, or use the secret key"
        )
    elif isinstance(error, StripeUnavailable) and error.detail:
        message = f"could not {what}: {error.detail}"
    else:
        message = f"could not {what}: {error.message}"
    return Finding("problem", message)


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
    services = catalog.services() or ("(listed prices)",)
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


def _webhooks(gateway: StripeGateway, webhook_secret: str | None, prefix: str) -> Iterable[Finding]:
    """Whether catalog changes reach the portal at once. Without them the portal still
    works (its catalog cache expires in 5 minutes), so each gap is a warning, said once."""
    try:
        endpoints = [e for e in gateway.webhook_endpoints() if e.status == "enabled"]
    except BillflowError as error:
        yield _stripe_failed("list webhook endpoints", error, gateway)
        return
    covering = [
        e.url
        for e in endpoints
        if "*" in e.enabled_events or set(NEEDED_EVENTS) <= set(e.enabled_events)
    ]
    late = "catalog changes made in Stripe show only when the cache expires (5 minutes)"
    endpoint = f"add a webhook endpoint at your site's {prefix}/stripe/webhook for " + ", ".join(
        NEEDED_EVENTS
    )
    if covering and webhook_secret:
        yield Finding("ok", "webhook endpoint for catalog events: " + ", ".join(covering))
    elif covering:
        yield Finding(
            "warning",
            f"BILLFLOW_STRIPE_WEBHOOK_SECRET is not set: {late}; set it to the signing "
            "secret of " + ", ".join(covering),
        )
    elif webhook_secret:
        yield Finding(
            "warning",
            f"no enabled webhook endpoint receives the catalog's events: {late}; {endpoint}",
        )
    else:
        yield Finding(
            "warning",
            f"BILLFLOW_STRIPE_WEBHOOK_SECRET is not set and no webhook endpoint receives the "
            f"catalog's events: {late}; {endpoint}, and set its signing secret",
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
        yield _stripe_failed("list customers", error, gateway)
        return
    for email, ids in sorted(by_email.items()):
        if len(ids) > 1:
            yield Finding(
                "warning",
                f"{len(ids)} customers share the email {email}: {', '.join(sorted(ids))}",
            )
