"""The plans a portal offers, read from Stripe once and kept for a while.

A *service* is the set of plans a customer may move between: the prices of products whose
`sb_service` metadata share a value (as hosted Billflow reads it), or exactly the price ids
a site lists. Quantity changes are on for a product with `sb_quantity_enabled=true`; its
`unit_label` names one unit, `sb_unit_label_plural` several ("seat", "seats"), and
`sb_quantity_min` / `sb_quantity_max` bound it (1 and 10,000 when unset). A language whose
plurals have more forms takes `sb_unit_label_<form>` with CLDR's form names (`few`, `many`,
`two`, `zero`), and any of them may be given per language (`sb_unit_label_plural_fr`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Protocol

from ..errors import BillflowError
from ..settings import PortalSettings
from ..shared_cache import SharedVersion

log = logging.getLogger(__name__)

__all__ = ["Catalog", "CatalogCache", "OfferTerms", "Plan", "QuantityRule", "service_of"]

SERVICE_KEY = "sb_service"
QUANTITY_ENABLED_KEY = "sb_quantity_enabled"
QUANTITY_MIN_KEY = "sb_quantity_min"
UNIT_FORM_PREFIX = "sb_unit_label_"
QUANTITY_MAX_KEY = "sb_quantity_max"
DEFAULT_MAX_QUANTITY = 10_000

# Days per interval, only to put plans of different intervals in one price order.
_DAYS = MappingProxyType({"day": 1, "week": 7, "month": 30.4375, "year": 365.25})


class PriceSource(Protocol):
    """Where the catalog comes from: the gateway's `active_prices` (or a stand-in)."""

    def active_prices(self) -> list[Any]: ...

    def coupon(self, coupon_id: str) -> Any | None: ...


@dataclass(frozen=True)
class QuantityRule:
    """How many units a customer may choose, and what a unit is called."""

    minimum: int
    maximum: int
    unit_label: str | None
    # The unit's other forms from the product's metadata, by CLDR plural form ("other",
    # "few"…), optionally with a language ("other_fr"): ((form, label), …).
    unit_forms: tuple[tuple[str, str], ...] = ()

    def allows(self, quantity: int) -> bool:
        return self.minimum <= quantity <= self.maximum


@dataclass(frozen=True)
class Plan:
    """One price a customer may choose, with what the page shows of its product."""

    price_id: str
    product_id: str
    name: str
    description: str | None
    nickname: str | None
    amount: int  # per unit, in the currency's minor unit
    currency: str
    interval: str
    interval_count: int
    service: str | None
    quantity: QuantityRule | None  # None: quantity changes are off for this product
    features: tuple[str, ...] = ()  # the product's `marketing_features`, as Stripe lists them
    trial_days: int | None = None  # the price's `recurring.trial_period_days`

    @property
    def daily_amount(self) -> float:
        """The price per day, to order plans of different billing intervals."""
        return self.amount / (_DAYS[self.interval] * self.interval_count)


@dataclass(frozen=True)
class OfferTerms:
    """What the retention offer's coupon gives ("20% off for 3 months"), read with the
    catalog so that showing the offer costs a page no Stripe request of its own."""

    coupon: str
    percent_off: float | None
    amount_off: int | None  # in the currency's minor unit
    currency: str | None
    duration: str  # Stripe's: "once", "repeating" or "forever"
    duration_in_months: int | None

    @classmethod
    def of(cls, coupon: Any) -> OfferTerms:
        return cls(
            coupon=coupon.id,
            percent_off=coupon.percent_off,
            amount_off=coupon.amount_off,
            currency=coupon.currency,
            duration=coupon.duration,
            duration_in_months=coupon.duration_in_months,
        )


@dataclass(frozen=True)
class Catalog:
    """Every plan the portal may offer, cheapest first within each service, and the
    retention offer's terms (None when the site makes none or its coupon cannot be had)."""

    plans: tuple[Plan, ...]
    offer: OfferTerms | None = None

    def plan(self, price_id: str) -> Plan | None:
        return next((p for p in self.plans if p.price_id == price_id), None)

    def services(self) -> tuple[str, ...]:
        """The services the catalog has plans of, each once, sorted by name; none for a
        site that lists its price ids (those plans belong to no named service)."""
        return tuple(sorted({p.service for p in self.plans if p.service}))

    def service_plans(self, service: str | None) -> tuple[Plan, ...]:
        """The plans of one service (all plans, for a site that lists its price ids)."""
        return tuple(p for p in self.plans if p.service == service)

    def alternatives(self, price_id: str) -> tuple[Plan, ...]:
        """The plans a subscriber of `price_id` may move to, itself included; none when the
        price is not offered at all. Only prices in its currency: Stripe bills a
        subscription, and a customer once billed, in one currency, so a price in another
        is not a plan they can move to (a multi-currency catalog lists one price per
        currency)."""
        current = self.plan(price_id)
        if current is None:
            return ()
        return tuple(
            p for p in self.service_plans(current.service) if p.currency == current.currency
        )


def build_catalog(prices: Iterable[Any], settings: PortalSettings) -> Catalog:
    """The catalog the settings offer, from Stripe prices with their products expanded."""
    plans = []
    for price in prices:
        product = price.product
        if not _offerable(price):
            continue
        service = _metadata(product).get(SERVICE_KEY)
        if settings.price_ids:
            if price.id not in settings.price_ids:
                continue
            service = None  # the listed prices are one service
        elif service is None or (settings.service is not None and service != settings.service):
            continue
        plans.append(
            Plan(
                price_id=price.id,
                product_id=product.id,
                name=product.name,
                description=product.description,
                nickname=price.nickname,
                amount=price.unit_amount,
                currency=price.currency,
                interval=price.recurring.interval,
                interval_count=price.recurring.interval_count,
                service=service,
                quantity=_quantity_rule(product),
                features=_features(product),
                trial_days=getattr(price.recurring, "trial_period_days", None) or None,
            )
        )
    plans.sort(key=lambda p: (p.service or "", p.daily_amount, p.interval, p.price_id))
    return Catalog(tuple(plans))


def service_of(product: Any) -> str | None:
    """The service a Stripe product belongs to (its `sb_service` metadata), if any."""
    return _metadata(product).get(SERVICE_KEY) or None


def _features(product: Any) -> tuple[str, ...]:
    """What the product's pricing table lists: Stripe's `marketing_features` names."""
    found = getattr(product, "marketing_features", None) or ()
    return tuple(str(f.name) for f in found if getattr(f, "name", None))


def _offerable(price: Any) -> bool:
    """A price a portal can show and bill simply: active, of an active product, recurring,
    licensed (not metered) and per unit with an amount (not tiered)."""
    return bool(
        price.active
        and getattr(price.product, "active", False)
        and price.recurring is not None
        and price.recurring.usage_type == "licensed"
        and price.billing_scheme == "per_unit"
        and price.unit_amount is not None
    )


def _metadata(obj: Any) -> dict[str, str]:
    metadata = getattr(obj, "metadata", None)
    if metadata is None:
        return {}
    return dict(metadata.to_dict() if hasattr(metadata, "to_dict") else metadata)


def _quantity_rule(product: Any) -> QuantityRule | None:
    metadata = _metadata(product)
    if metadata.get(QUANTITY_ENABLED_KEY, "").strip().lower() != "true":
        return None
    minimum = _bound(product, metadata, QUANTITY_MIN_KEY, 1)
    maximum = _bound(product, metadata, QUANTITY_MAX_KEY, DEFAULT_MAX_QUANTITY)
    if minimum > maximum:
        log.warning("product %s: %s > %s; quantity changes are off", product.id,
                    QUANTITY_MIN_KEY, QUANTITY_MAX_KEY)  # fmt: skip
        return None
    return QuantityRule(minimum, maximum, product.unit_label, _unit_forms(metadata))


def _unit_forms(metadata: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The unit's plural forms the product's metadata names (`sb_unit_label_plural` is
    CLDR's "other")."""
    forms = {}
    for key, value in metadata.items():
        if not key.startswith(UNIT_FORM_PREFIX) or not value.strip():
            continue
        form = key[len(UNIT_FORM_PREFIX) :].lower()
        form = "other" + form[len("plural") :] if form.startswith("plural") else form
        forms[form.replace("-", "_")] = value.strip()
    return tuple(sorted(forms.items()))


def _bound(product: Any, metadata: dict[str, str], key: str, default: int) -> int:
    raw = metadata.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 1:
        log.warning("product %s: %s=%r is not a whole number of at least 1; using %d",
                    product.id, key, raw, default)  # fmt: skip
        return default
    return value


class CatalogCache:
    """The catalog, read from Stripe at most once per `ttl` seconds and again after
    `invalidate()` (which a `product.*`, `price.*` or `coupon.*` webhook calls).

    Owned by the host's Billflow object, never shared between apps. Thread-safe: one
    thread refreshes while the others wait for its result. With a `version` shared by the
    site's app servers, `invalidate()` in one makes every one read the catalog again on
    its next `get()`.
    """

    def __init__(
        self,
        source: PriceSource,
        settings: PortalSettings,
        *,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        version: SharedVersion | None = None,
    ) -> None:
        self._source = source
        self._settings = settings
        self._ttl = ttl
        self._clock = clock
        self._version = version or SharedVersion(None, "")
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._fetched_at = 0.0
        self._built_at_version: str | None = None
        self._derived: list[CatalogCache] = []

    def get(self) -> Catalog:
        """The catalog, fresh enough; costs Stripe requests only when it is not."""
        version = self._version.current()  # before the prices: a change after it shows next
        with self._lock:
            now = self._clock()
            if (
                self._catalog is None
                or now - self._fetched_at >= self._ttl
                or version != self._built_at_version
            ):
                catalog = build_catalog(self._source.active_prices(), self._settings)
                self._catalog = replace(catalog, offer=self._offer_terms())
                self._fetched_at = now
                self._built_at_version = version
            return self._catalog

    def _offer_terms(self) -> OfferTerms | None:
        """The retention offer's coupon, when the site has one and it can still be
        redeemed: an offer the customer could not take is not shown."""
        offer = self._settings.retention_offer
        if offer is None:
            return None
        try:
            coupon = self._source.coupon(offer.coupon)
        except BillflowError as failed:  # an outage, or a key that may not read coupons
            log.warning("the retention offer's coupon %s could not be read (%s); the offer "
                        "is not shown until the catalog is read again", offer.coupon,
                        failed)  # fmt: skip
            return None
        if coupon is None or not coupon.valid:
            log.warning("the retention offer's coupon %s is missing or no longer valid; "
                        "the offer is not shown", offer.coupon)  # fmt: skip
            return None
        return OfferTerms.of(coupon)

    def is_warm(self) -> bool:
        """Whether `get()` would answer without asking Stripe."""
        with self._lock:
            return self._catalog is not None and self._clock() - self._fetched_at < self._ttl

    def invalidate(self) -> None:
        """Forget the catalog (and those derived from it), here and in every app server
        sharing its version: the next `get()` reads Stripe again."""
        self._version.bump()
        self._forget()

    def _forget(self) -> None:
        with self._lock:
            self._catalog = None
            derived = list(self._derived)
        for cache in derived:
            cache._forget()

    def derived(self, settings: PortalSettings) -> CatalogCache:
        """A cache of the catalog `settings` choose (a page's own service), read from the
        same source and forgotten whenever this one is."""
        cache = CatalogCache(
            self._source, settings, ttl=self._ttl, clock=self._clock, version=self._version
        )
        with self._lock:
            self._derived.append(cache)
        return cache
