"""The Stripe gateway: the only module that talks to Stripe.

Everything goes through one `stripe.StripeClient` that the host's Billflow object owns. The
gateway asks for what the portal needs in as few requests as Stripe allows (`expand` rather
than one request per object), derives Stripe idempotency keys from the action's own key so a
retried action writes once, and turns Stripe's errors into Billflow's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar, cast

import stripe
from stripe import params as sp

from ..encoding import digest
from ..errors import (
    NotFound,
    SettingsError,
)
from ..version import __version__
from .deadline import TIMEOUT, DeadlineHTTPClient
from .translated_errors import redact_key, translated_errors

log = logging.getLogger(__name__)

__all__ = ["SUBSCRIPTION_EXPAND", "StripeGateway", "is_live_key"]

T = TypeVar("T")

_APP_NAME = "Billflow"

# What every read or write of a subscription expands, so the portal's state needs nothing
# more: the coupons of its discounts, the payment its latest invoice may wait for, the
# schedule that may govern it, its own card (where checkout saved the customer's), and
# the card setup a trial with no card waits on.
SUBSCRIPTION_EXPAND = (
    "discounts.source.coupon",
    "latest_invoice.confirmation_secret",
    "schedule",
    "default_payment_method",
    "pending_setup_intent",
)


def is_live_key(api_key: str) -> bool:
    """Whether `api_key` acts on real money (a live secret or restricted key)."""
    return api_key.startswith(("sk_live_", "rk_live_"))


def _options(key: str) -> stripe.RequestOptions:
    return {"idempotency_key": key}


class StripeGateway:
    """Stripe, as the portal uses it.

    `api_base` points the client elsewhere than Stripe (the sandbox, in tests and demos);
    `max_network_retries` retries connection errors, 409s, 429s and 5xx answers with the
    same idempotency key, each attempt bounded by `timeout` seconds and all of them by the
    page request's deadline (`deadline.py`). Methods raise `BillflowError` subclasses.
    """

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None = None,
        max_network_retries: int = 2,
        timeout: float = TIMEOUT,
        retry_delay: float = 0.5,
        client: stripe.StripeClient | None = None,
    ) -> None:
        if not api_key.startswith(("sk_", "rk_")):
            raise SettingsError(
                "BILLFLOW_STRIPE_API_KEY must be a secret (sk_) or restricted (rk_) key; "
                f"the value set is {redact_key(api_key)}",
                param="BILLFLOW_STRIPE_API_KEY",
            )  # never the value itself: it may be another secret pasted in the wrong place
        self.livemode = is_live_key(api_key)
        if stripe.app_info is None:  # a host that names itself keeps its name
            stripe.set_app_info(_APP_NAME, version=__version__)
        if client is None:
            options: dict[str, Any] = {
                "max_network_retries": max_network_retries,
                "http_client": DeadlineHTTPClient(timeout=timeout, retry_delay=retry_delay),
            }
            if api_base is not None:
                options["base_addresses"] = {"api": api_base}
            client = stripe.StripeClient(api_key, **options)
        self._client = client
        self._key_hint = redact_key(api_key)
        # Where requests go, for messages to the site's developers (`billflow doctor`).
        self.api_base = api_base or stripe.DEFAULT_API_BASE

    @property
    def key_hint(self) -> str:
        """The key as messages may name it: its prefix and last four characters."""
        return self._key_hint

    # -- reads -----------------------------------------------------------------------------
    def customer_by_email(self, email: str) -> stripe.Customer | None:
        """The newest customer with exactly this email (Stripe matches case-sensitively),
        with their default card expanded; None when there is none."""
        params: sp.CustomerListParams = {
            "email": email,
            "limit": 1,
            "expand": ["data.invoice_settings.default_payment_method"],
        }
        found = self._call(self._client.v1.customers.list, params)
        return found.data[0] if found.data else None

    def customers_by_email(self, email: str) -> list[stripe.Customer]:
        """Every customer with exactly this email, newest first, each with their default
        card expanded: one request (Stripe lists up to a hundred at once; more customers
        sharing one email than that is not a portal's case)."""
        params: sp.CustomerListParams = {
            "email": email,
            "limit": 100,
            "expand": ["data.invoice_settings.default_payment_method"],
        }
        return list(self._call(self._client.v1.customers.list, params).data)

    def subscription_statuses(self, customer_id: str) -> list[str]:
        """The status of each of the customer's subscriptions, canceled ones included,
        without expanding anything: enough to tell a customer who pays from one who
        never did, in one request per hundred subscriptions."""
        statuses: list[str] = []
        params: sp.SubscriptionListParams = {
            "customer": customer_id,
            "status": "all",
            "limit": 100,
        }
        while True:
            page = self._call(self._client.v1.subscriptions.list, params)
            statuses.extend(str(s.status) for s in page.data)
            if not page.has_more:
                return statuses
            params = {**params, "starting_after": page.data[-1].id}

    def customer_emails(self) -> Iterator[tuple[str, str | None]]:
        """`(customer id, email)` of every customer in the account, a hundred per request;
        for `billflow doctor`, never for a page."""
        params: sp.CustomerListParams = {"limit": 100}
        while True:
            page = self._call(self._client.v1.customers.list, params)
            for customer in page.data:
                yield str(customer.id), customer.email
            if not page.has_more:
                return
            params = {**params, "starting_after": page.data[-1].id}

    def customer(self, customer_id: str) -> stripe.Customer | None:
        """The customer with their default card expanded; None when the id names no live
        customer (deleted customers included)."""
        params: sp.CustomerRetrieveParams = {"expand": ["invoice_settings.default_payment_method"]}
        try:
            found = self._call(self._client.v1.customers.retrieve, customer_id, params)
        except NotFound:
            return None
        return None if getattr(found, "deleted", False) else found

    def subscriptions(
        self, customer_id: str, *, with_customer: bool = False
    ) -> list[stripe.Subscription]:
        """Every subscription of the customer, canceled ones included, with their discounts
        and latest invoice in the same request (one per hundred subscriptions).
        `with_customer`: each with its customer and their default card too, so a portal
        that knows the customer id reads the customer without a request of its own."""
        found: list[stripe.Subscription] = []
        expand = [f"data.{path}" for path in SUBSCRIPTION_EXPAND]
        if with_customer:
            expand.append("data.customer.invoice_settings.default_payment_method")
        params: sp.SubscriptionListParams = {
            "customer": customer_id,
            "status": "all",
            "limit": 100,
            "expand": expand,
        }
        while True:
            page = self._call(self._client.v1.subscriptions.list, params)
            found.extend(page.data)
            if not page.has_more:
                return found
            params = {**params, "starting_after": page.data[-1].id}

    def subscription(self, subscription_id: str) -> stripe.Subscription | None:
        """One subscription, expanded as every read of one is; None when there is none."""
        params: sp.SubscriptionRetrieveParams = {"expand": list(SUBSCRIPTION_EXPAND)}
        try:
            return self._call(self._client.v1.subscriptions.retrieve, subscription_id, params)
        except NotFound:
            return None

    def active_prices(self) -> list[stripe.Price]:
        """Every active recurring price with its product, in as few pages as Stripe allows:
        the catalog is built from this, then cached."""
        prices: list[stripe.Price] = []
        params: sp.PriceListParams = {
            "active": True,
            "type": "recurring",
            "limit": 100,
            "expand": ["data.product"],
        }
        while True:
            page = self._call(self._client.v1.prices.list, params)
            prices.extend(page.data)
            if not page.has_more:
                return prices
            params = {**params, "starting_after": page.data[-1].id}

    def invoices(
        self,
        customer_id: str,
        *,
        subscription_id: str | None = None,
        limit: int = 24,
        starting_after: str | None = None,
    ) -> stripe.ListObject[stripe.Invoice]:
        """A page of the customer's invoices, newest first (only one subscription's, when
        given); ask again with `starting_after` while `has_more`."""
        params: sp.InvoiceListParams = {"customer": customer_id, "limit": limit}
        if subscription_id is not None:
            params["subscription"] = subscription_id
        if starting_after is not None:
            params["starting_after"] = starting_after
        return self._call(self._client.v1.invoices.list, params)

    def promotion_code(self, code: str) -> stripe.PromotionCode | None:
        """The active promotion code a customer typed (Stripe matches case-insensitively)."""
        params: sp.PromotionCodeListParams = {
            "code": code,
            "active": True,
            "limit": 1,
            "expand": ["data.promotion.coupon"],
        }
        found = self._call(self._client.v1.promotion_codes.list, params)
        return found.data[0] if found.data else None

    def active_promotion_codes(self, *, pages: int) -> tuple[list[stripe.PromotionCode], bool]:
        """The active promotion codes with their coupons, at most `pages` pages of a
        hundred; the flag says whether more were left unread."""
        codes: list[stripe.PromotionCode] = []
        params: sp.PromotionCodeListParams = {
            "active": True,
            "limit": 100,
            "expand": ["data.promotion.coupon"],
        }
        for _ in range(pages):
            page = self._call(self._client.v1.promotion_codes.list, params)
            codes.extend(page.data)
            if not page.has_more:
                return codes, False
            params = {**params, "starting_after": page.data[-1].id}
        return codes, True

    def coupon(self, coupon_id: str) -> stripe.Coupon | None:
        """The coupon, or None when there is no such coupon."""
        try:
            return self._call(self._client.v1.coupons.retrieve, coupon_id)
        except NotFound:
            return None

    def webhook_endpoints(self) -> list[stripe.WebhookEndpoint]:
        """The account's webhook endpoints (for `billflow doctor`)."""
        params: sp.WebhookEndpointListParams = {"limit": 100}
        return list(self._call(self._client.v1.webhook_endpoints.list, params).data)

    def cards(self, customer_id: str) -> list[stripe.PaymentMethod]:
        """The customer's saved cards, newest first (Stripe lists at most 100 a page; a
        customer with more is not one the portal's list is for)."""
        params: sp.CustomerListPaymentMethodsParams = {"type": "card", "limit": 100}
        return list(
            self._call(self._client.v1.customers.payment_methods.list, customer_id, params).data
        )

    def payment_method(self, payment_method_id: str) -> stripe.PaymentMethod | None:
        """The payment method, or None when there is no such one."""
        try:
            return self._call(self._client.v1.payment_methods.retrieve, payment_method_id)
        except NotFound:
            return None

    def tax_ids(self, customer_id: str) -> list[stripe.TaxId]:
        """The customer's tax IDs (Stripe allows at most 25 a customer: one page)."""
        params: sp.CustomerTaxIdListParams = {"limit": 100}
        return list(self._call(self._client.v1.customers.tax_ids.list, customer_id, params).data)

    def invoice(self, invoice_id: str) -> stripe.Invoice | None:
        """The invoice with the secret its payment is confirmed with, or None when there is
        no such one."""
        params: sp.InvoiceRetrieveParams = {"expand": ["confirmation_secret"]}
        try:
            return self._call(self._client.v1.invoices.retrieve, invoice_id, params)
        except NotFound:
            return None

    def setup_intent(self, setup_intent_id: str) -> stripe.SetupIntent | None:
        """The setup intent, or None when there is no such one."""
        try:
            return self._call(self._client.v1.setup_intents.retrieve, setup_intent_id)
        except NotFound:
            return None

    def preview_change(
        self,
        customer_id: str,
        subscription_id: str,
        details: sp.InvoiceCreatePreviewParamsSubscriptionDetails,
    ) -> stripe.Invoice:
        """The invoice a proposed change would make. Writes nothing."""
        params: sp.InvoiceCreatePreviewParams = {
            "customer": customer_id,
            "subscription": subscription_id,
            "subscription_details": details,
        }
        return self._call(self._client.v1.invoices.create_preview, params)

    # -- writes: each takes the idempotency key of its step (see `idempotency_key`) --------
    def update_subscription(
        self, subscription_id: str, params: sp.SubscriptionUpdateParams, *, key: str
    ) -> stripe.Subscription:
        return self._call(
            self._client.v1.subscriptions.update, subscription_id, params, _options(key)
        )

    def create_subscription(
        self, params: sp.SubscriptionCreateParams, *, key: str
    ) -> stripe.Subscription:
        return self._call(self._client.v1.subscriptions.create, params, _options(key))

    def cancel_subscription(
        self, subscription_id: str, params: sp.SubscriptionCancelParams, *, key: str
    ) -> stripe.Subscription:
        return self._call(
            self._client.v1.subscriptions.cancel, subscription_id, params, _options(key)
        )

    def schedule_subscription(
        self, subscription_id: str, *, key: str
    ) -> stripe.SubscriptionSchedule:
        """A schedule made from the subscription, its one phase the current period."""
        params: sp.SubscriptionScheduleCreateParams = {"from_subscription": subscription_id}
        return self._call(self._client.v1.subscription_schedules.create, params, _options(key))

    def update_schedule(
        self, schedule_id: str, params: sp.SubscriptionScheduleUpdateParams, *, key: str
    ) -> stripe.Subscription:
        """Set the schedule's phases; returns the subscription it governs, as a read of the
        subscription gives it (the schedule expanded inside it)."""
        expand = [f"subscription.{path}" for path in SUBSCRIPTION_EXPAND if path != "schedule"]
        schedule = self._call(
            self._client.v1.subscription_schedules.update,
            schedule_id,
            {**params, "expand": expand},
            _options(key),
        )
        subscription = schedule.subscription
        assert isinstance(subscription, stripe.Subscription)
        schedule["subscription"] = subscription.id  # one way round only: no cycle
        subscription["schedule"] = schedule
        return subscription

    def release_schedule(self, schedule_id: str, *, key: str) -> stripe.SubscriptionSchedule:
        """Let the subscription go on without the schedule, as it is now."""
        return self._call(
            self._client.v1.subscription_schedules.release, schedule_id, {}, _options(key)
        )

    def create_customer(self, email: str, *, key: str) -> stripe.Customer:
        """A new customer for someone who subscribes from the plan picker."""
        params: sp.CustomerCreateParams = {"email": email}
        return self._call(self._client.v1.customers.create, params, _options(key))

    def create_setup_intent(self, customer_id: str, *, key: str) -> stripe.SetupIntent:
        """A setup intent for a new card; the page confirms it with Stripe.js."""
        params: sp.SetupIntentCreateParams = {"customer": customer_id, "usage": "off_session"}
        return self._call(self._client.v1.setup_intents.create, params, _options(key))

    def set_default_card(
        self, customer_id: str, payment_method_id: str, *, key: str
    ) -> stripe.Customer:
        """Make an attached card the customer's default; the answer carries the card, as
        `customer` and `customer_by_email` do."""
        params: sp.CustomerUpdateParams = {
            "invoice_settings": {"default_payment_method": payment_method_id},
            "expand": ["invoice_settings.default_payment_method"],
        }
        return self._call(self._client.v1.customers.update, customer_id, params, _options(key))

    def update_customer(
        self, customer_id: str, details: Mapping[str, Any], *, key: str
    ) -> stripe.Customer:
        """Change the customer's billing details (`billing/billing_details.py` checked
        them); the answer carries their default card, as `customer` does."""
        params = cast(
            sp.CustomerUpdateParams,
            {**details, "expand": ["invoice_settings.default_payment_method"]},
        )
        return self._call(self._client.v1.customers.update, customer_id, params, _options(key))

    def add_tax_id(self, customer_id: str, kind: str, value: str, *, key: str) -> stripe.TaxId:
        """A new tax ID of Stripe's `kind` (`eu_vat`, `gb_vat`…); Stripe checks its format."""
        params: sp.CustomerTaxIdCreateParams = {"type": kind, "value": value}
        return self._call(
            self._client.v1.customers.tax_ids.create, customer_id, params, _options(key)
        )

    def remove_tax_id(self, customer_id: str, tax_id: str) -> stripe.TaxId:
        """Delete one of the customer's tax IDs (a delete takes no idempotency key: doing
        it twice answers `resource_missing` the second time)."""
        return self._call(self._client.v1.customers.tax_ids.delete, customer_id, tax_id)

    def detach_card(self, payment_method_id: str, *, key: str) -> stripe.PaymentMethod:
        """Take a card off its customer: it can charge no one afterwards."""
        return self._call(
            self._client.v1.payment_methods.detach, payment_method_id, {}, _options(key)
        )

    def pay_invoice(self, invoice_id: str, *, key: str) -> stripe.Invoice:
        """Charge an open invoice now, to the card its subscription or customer pays with."""
        params: sp.InvoicePayParams = {"expand": ["confirmation_secret"]}
        return self._call(self._client.v1.invoices.pay, invoice_id, params, _options(key))

    # -- plumbing --------------------------------------------------------------------------
    @staticmethod
    def idempotency_key(customer_id: str, action_key: str, step: str) -> str:
        """The Stripe idempotency key of one write of an action: the same for every retry
        of that action, and bound to the customer so one customer's key can never answer
        for another's request."""
        return "billflow-" + digest(customer_id, action_key, step)

    def _call(self, request: Callable[..., T], *args: Any) -> T:
        with translated_errors(self._key_hint, self.api_base):
            return request(*args)
