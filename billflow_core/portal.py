"""One site's portal: the object a plugin creates once and asks everything of.

It owns what must live as long as the app does (the Stripe client, the plan catalog's cache,
the memory of webhook events seen) and ties authentication, state and actions together so a
plugin only adapts its framework's request::

    portal = Portal.from_config(app.config)
    visitor = portal.visitor(identity, hash)          # Forbidden for a bad hash
    portal.state(visitor)                              # PortalState
    portal.act(visitor, "cancel", {"subscription": "sub_…", "reason": "unused"},
               idempotency_key=header)                 # ActionResult

Opening the page costs one Stripe request once the customer's id is remembered (their
subscriptions, the customer expanded inside), two before; an action costs its writes on top
(the catalog is cached; a refreshed state is built from what was read and written). What
several app servers must see alike (those customer ids, the catalog's version, the action
lock) lives in the `SharedCache` the host gives (`shared_cache.py`), in the process by
default.

A page may set some options of its own (`identity/page_options.py`); it gets a variant of
the site's portal with those settings that shares the site's Stripe client, caches and
stores.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

from .actions import ACTIONS
from .actions.answers import AnswerStore, MemoryAnswers, answered_once, request_digest
from .actions.context import ActionContext
from .actions.dispatch import (
    ActionResult,
    Confirmation,
    checked_key,
    checked_payload,
    run_action,
)
from .actions.locks import HOLD, WAIT, account_lock
from .actions.previews import ChangePreview, preview_change
from .actions.resume import Interrupted
from .billing.catalog import CatalogCache, service_of
from .billing.customer_ids import (
    CustomerIds,
    checked_kind,
    customer_and_subscriptions,
    customer_id_of,
)
from .billing.customers import email_is_known
from .billing.invoices import InvoicePage, check_invoice_query, list_invoices
from .billing.promotion_codes import PromotionCodeCache
from .billing.rules import check_feature
from .billing.state import PortalState, load_state
from .billing.wallet import SavedCard, TaxIdView, list_cards, list_tax_ids
from .config import (
    STRIPE_JS_URL,
    PortalSecrets,
    check_previous_key,
    check_secret_key,
    checked_publishable_key,
    checked_stripe_js_url,
)
from .encoding import digest
from .errors import (
    BadInput,
    EventNotRecorded,
    Forbidden,
    NotFound,
    SettingsError,
    StripeUnavailable,
)
from .events import (
    EventListener,
    PortalEvent,
    action_event,
    paid,
    stripe_event,
    waiting_invoice,
)
from .identity.hashing import expiring_hash
from .identity.page_options import overridden_settings
from .identity.page_tokens import PageGrant, open_page, sign_page
from .identity.signin import SignIn, SignInStore
from .identity.visitors import MAX_IDENTITY, Visitor, authenticate, limited_visitor
from .identity.vouched import MAX_LIFETIME, identity_of, vouched_session
from .identity.vouched import PREFIX as VOUCHED
from .mail import Mailer, SMTPMailer
from .rate_limits import Kind, check_rate
from .settings import PortalSettings
from .shared_cache import MemoryCache, SharedCache, SharedVersion
from .stripe.deadline import DEADLINE, TIMEOUT, remaining, within
from .stripe.gateway import StripeGateway
from .stripe.webhooks import Outcome, StripeWebhooks

log = logging.getLogger(__name__)

__all__ = ["ActionResult", "Confirmation", "Portal", "Visitor"]


def _unannounced_key(asker: tuple[str, str], key: str) -> str:
    """Where an applied action's event waits, among the answers, until a listener kept it."""
    return "billflow:unannounced:" + digest(*asker, key)


def _interrupted_key(asker: tuple[str, str], key: str) -> str:
    """Where an attempt Stripe may have half done keeps what it decided on (`resume.py`)."""
    return "billflow:interrupted:" + digest(*asker, key)


def _applied_key(scope: str, identity: str) -> str:
    """When the customer's last action was applied: a half-done attempt older than it is
    decided afresh, never on its reads (`resume.py`)."""
    return "billflow:applied:" + digest(scope, identity)


def _held_key(invoice_id: str) -> str:
    """Where an action's event waits for its invoice to be paid, among the answers."""
    return f"billflow:held-event:{invoice_id}"


@dataclass
class _SiteParts:
    """What a site's portal and every variant a page makes of it share: the secrets, the
    Stripe client, the stores and caches that must be one per site."""

    secret: str
    previous: str | None
    clock: Callable[[], float]
    gateway: StripeGateway
    stripe_publishable_key: str | None
    stripe_js_url: str
    promotions: PromotionCodeCache
    answers: AnswerStore
    cache: SharedCache
    customer_ids: CustomerIds
    webhooks: StripeWebhooks | None
    sign_in: SignIn
    scope: str
    deadline: float  # seconds a page request may wait on Stripe, retries and all
    listeners: list[EventListener] = field(default_factory=list)
    variants: dict[str, Portal] = field(default_factory=dict)
    variants_lock: threading.Lock = field(default_factory=threading.Lock)


P = ParamSpec("P")
R = TypeVar("R")


def _within_deadline(
    method: Callable[Concatenate[Portal, P], R],
) -> Callable[Concatenate[Portal, P], R]:
    """A page request's Stripe requests, retries and the wait for the action lock end
    within the site's `stripe_deadline`: then the page hears 503 and says so."""

    @functools.wraps(method)
    def bounded(self: Portal, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with within(self._parts.deadline):
            return method(self, *args, **kwargs)

    return bounded


class Portal:
    """The portal of one site. Create it once per app (it holds caches and a Stripe
    client) and share it between threads."""

    def __init__(
        self,
        settings: PortalSettings,
        *,
        secret_key: str,
        stripe_api_key: str,
        stripe_webhook_secret: str | None = None,
        stripe_api_base: str | None = None,
        catalog_ttl: float = 300.0,
        clock: Callable[[], float] = time.time,
        gateway: StripeGateway | None = None,
        answers: AnswerStore | None = None,
        stripe_publishable_key: str | None = None,
        stripe_js_url: str = STRIPE_JS_URL,
        stripe_timeout: float = TIMEOUT,
        stripe_deadline: float = DEADLINE,
        mailer: Mailer | None = None,
        sign_in_store: SignInStore | None = None,
        scope: str = "",
        secret_key_previous: str | None = None,
        cache: SharedCache | None = None,
    ) -> None:
        """`secret_key_previous`: the secret key before a rotation, which still verifies
        what it made (hashes, page options, sign-in links and sessions) until that
        expires; everything new is made with `secret_key`. `scope` says which site this
        is where several share a secret key: a page's signed options work only on the
        portal of the same scope. `cache`: what every app server of the site shares
        (customer ids, the catalog's version, the action lock); in the process when None.
        `stripe_timeout`: seconds one request to Stripe may take; `stripe_deadline`: seconds
        a page request may wait on Stripe in all (`stripe/deadline.py`).
        Raises `SettingsError`."""
        check_secret_key(secret_key)
        check_previous_key(secret_key_previous, secret_key)
        if settings.email_sign_in and mailer is None:
            raise SettingsError(
                "email_sign_in needs a mailer: set BILLFLOW_SMTP_HOST (or pass the host's own)",
                param="email_sign_in",
            )
        gateway = gateway or StripeGateway(
            stripe_api_key, api_base=stripe_api_base, timeout=stripe_timeout
        )
        cache = cache if cache is not None else MemoryCache()
        account = digest(gateway.api_base, stripe_api_key)[:16]  # one Stripe account's keys
        catalog = CatalogCache(
            gateway,
            settings,
            ttl=catalog_ttl,
            version=SharedVersion(cache, f"billflow:catalog:{account}"),
        )
        promotions = PromotionCodeCache(
            gateway, ttl=catalog_ttl, version=SharedVersion(cache, f"billflow:promotions:{account}")
        )
        customer_ids = CustomerIds(cache, account, secret=secret_key)
        sign_in = SignIn(
            settings,
            secret_key,
            find=lambda email: email_is_known(gateway, email),
            mailer=mailer,
            store=sign_in_store,
            clock=clock,
            previous=secret_key_previous,
        )
        parts = _SiteParts(
            secret=secret_key,
            previous=secret_key_previous,
            clock=clock,
            gateway=gateway,
            # What the page gives Stripe.js when a card form opens: never a secret.
            stripe_publishable_key=checked_publishable_key(
                stripe_publishable_key, livemode=gateway.livemode
            ),
            stripe_js_url=checked_stripe_js_url(stripe_js_url),
            promotions=promotions,
            answers=answers if answers is not None else MemoryAnswers(),
            cache=cache,
            customer_ids=customer_ids,
            webhooks=None,
            sign_in=sign_in,
            scope=scope,
            deadline=stripe_deadline,
        )
        if stripe_webhook_secret is not None:
            parts.webhooks = StripeWebhooks(
                stripe_webhook_secret,
                catalog,
                promotions=promotions,
                customer_ids=customer_ids,
                on_verified=self._stripe_event,
            )
        self._assemble(parts, settings, catalog, site=None)
        if settings.debug:
            logging.getLogger("billflow_core").setLevel(logging.DEBUG)

    def _assemble(
        self,
        parts: _SiteParts,
        settings: PortalSettings,
        catalog: CatalogCache,
        *,
        site: Portal | None,
    ) -> None:
        """Set what a portal is made of: the site's shared parts, its settings and catalog,
        and, for a page's variant, the site's own portal (`site`)."""
        self._parts = parts
        self._site = site
        self.settings = settings
        self.catalog = catalog
        # What every variant of the site's portal shares, named as plugins read them.
        self.gateway = parts.gateway
        self.promotions = parts.promotions
        self.answers = parts.answers
        self.cache = parts.cache
        self.webhooks = parts.webhooks
        self.sign_in = parts.sign_in
        self.scope = parts.scope
        self.stripe_publishable_key = parts.stripe_publishable_key
        self.stripe_js_url = parts.stripe_js_url

    @classmethod
    def _page_variant(cls, site: Portal, settings: PortalSettings) -> Portal:
        """The site's portal with a page's `settings`: the same parts, and a catalog of its
        own only when the page chooses other plans."""
        catalog = site.catalog
        if (settings.service, settings.price_ids) != (
            site.settings.service,
            site.settings.price_ids,
        ):
            catalog = site.catalog.derived(settings)
        variant = cls.__new__(cls)
        variant._assemble(site._parts, settings, catalog, site=site)
        return variant

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **options: Any) -> Portal:
        """A portal from `BILLFLOW_*` keys (a Flask config, `os.environ`): its options
        (`PortalSettings`), its secrets and Stripe addresses (`config.PortalSecrets`), and
        for email sign-in the `BILLFLOW_SMTP_*` mailer unless `mailer=` is passed. `options`
        are other `Portal` arguments. Raises `SettingsError`."""
        secrets = PortalSecrets.from_mapping(config)
        if "mailer" not in options:
            options["mailer"] = SMTPMailer.from_config(config)
        return cls(PortalSettings.from_mapping(config), **secrets.portal_arguments(), **options)

    def _now(self) -> int:
        return int(self._parts.clock())

    def _check_rate(self, kind: Kind, visitor: Visitor) -> None:
        """`RateLimited` once the visitor has asked for `kind` too often (`rate_limits.py`)."""
        check_rate(self.sign_in.store, self.settings, kind, visitor.identity, self._parts.clock())

    # -- who asks, and with which page's options ----------------------------------------------
    def page_token(
        self,
        identity: str | None,
        *,
        overrides: Mapping[str, Any] | None = None,
        subscription: str | None = None,
        now: int | None = None,
    ) -> str:
        """The token a plugin puts in a page (`identity/page_tokens.py`) for the logged-in
        `identity` (None: a visitor the page signs in by email), with the page's own options
        (`PAGE_OVERRIDABLE`) and its one-subscription limit, bound to this portal's `scope`
        and good for `hash_lifetime`. Checked now, so a mistake shows where the page is
        made: raises `SettingsError` for an option a page may not set or a subscription
        that is not a `sub_` id."""
        options = dict(overrides or {})
        self.with_overrides(options)
        if subscription is not None and not (
            isinstance(subscription, str) and subscription.startswith("sub_")
        ):
            raise SettingsError(
                "a page's subscription must be a Stripe subscription id (sub_…)",
                param="subscription",
            )
        issued = self._now() if now is None else now
        grant = PageGrant(identity, options, subscription or None,
                          issued + self.settings.hash_lifetime)  # fmt: skip
        return sign_page(self._parts.secret, grant, scope=self.scope)

    def open_page(self, token: Any) -> PageGrant:
        """What a request's `X-Billflow-Page` grants. Raises `Forbidden`: `page_invalid`
        for a token this portal did not sign (or whose options no longer fit the site's),
        `page_expired` for one older than `hash_lifetime`."""
        parts = self._parts
        grant = open_page(
            parts.secret, token, scope=parts.scope, now=self._now(), previous=parts.previous
        )
        try:
            self.with_overrides(grant.options)
        except SettingsError:
            raise Forbidden(
                "The page's options no longer fit the site's; reload it.", code="page_invalid"
            ) from None
        return grant

    def for_page(self, token: Any, *, session: Any = None) -> tuple[Visitor, Portal]:
        """Who asks and with which portal, from a page token alone: its identity (or, for a
        page that signs visitors in, the email-link `session` made on that page), its
        limit and its options. Nothing the request says beside it widens any of them."""
        grant = self.open_page(token)
        portal = self.with_overrides(grant.options)
        if grant.identity is not None:
            return Visitor(grant.identity, grant.subscription), portal
        if not session:
            raise BadInput(
                "The page did not say who the customer is.",
                code="identity_required",
                field="identity",
            )
        email = self._signed_in(session, self.session_binding(grant))
        return Visitor(email, grant.subscription), portal

    def session_binding(self, grant: PageGrant | None) -> str:
        """What an email-link session made on the page of `grant` is bound to ("" for none):
        the session then works only with a page of the same site, options and limit."""
        return "" if grant is None else f"{self.scope}\x1f{grant.binding}"

    def with_overrides(self, overrides: Mapping[str, Any]) -> Portal:
        """The site's portal with a page's own options, sharing its Stripe client, caches
        and stores (made once per set of options). Raises `SettingsError`."""
        site = self._site or self  # a variant is always of the site's own settings
        if not overrides:
            return site
        key = json.dumps(dict(overrides), sort_keys=True, default=repr)
        parts = site._parts
        with parts.variants_lock:
            found = parts.variants.get(key)
        if found is not None:
            return found
        variant = type(site)._page_variant(site, overridden_settings(site.settings, overrides))
        with parts.variants_lock:
            return parts.variants.setdefault(key, variant)

    def identity_hash(self, identity: str, *, now: int | None = None) -> str:
        """The hash a plugin puts in the page for the logged-in `identity`: the expiring
        form, good for the site's `hash_lifetime`, so a leaked page stops working."""
        issued = self._now() if now is None else now
        return expiring_hash(self._parts.secret, identity, issued + self.settings.hash_lifetime)

    def visitor(
        self, identity: Any, hash: Any, *, subscription: Any = None, now: int | None = None
    ) -> Visitor:
        """The visitor a page names, once its hash proves it (`Forbidden` otherwise).
        `subscription` limits the portal to that one subscription of theirs."""
        proven = authenticate(
            self.settings,
            self._parts.secret,
            identity,
            hash,
            livemode=self.gateway.livemode,
            now=self._now() if now is None else now,
            previous=self._parts.previous,
        )
        return limited_visitor(proven, subscription)

    def session_visitor(self, session: Any, *, subscription: Any = None) -> Visitor:
        """The visitor an email-link session proves (`Forbidden` `session_expired` for one
        that ended; `feature_disabled` where email sign-in is off)."""
        return limited_visitor(self._signed_in(session, ""), subscription)

    def _signed_in(self, session: Any, binding: str) -> str:
        if isinstance(session, str) and session.startswith(VOUCHED):
            keys = (self._parts.secret, *((self._parts.previous,) if self._parts.previous else ()))
            return identity_of(session, keys, now=self._now(), scope=self._parts.scope)
        if not self.settings.email_sign_in:
            raise Forbidden("This site does not offer email sign-in.", code="feature_disabled")
        return self.sign_in.email_of(session, binding=binding)

    def vouched_session(self, identity: str, *, expires_at: int) -> tuple[str, int]:
        """A session for `identity` (an email or a `cus_` id) that a host's own verifier
        has vouched for until `expires_at` (a login token's expiry), and when it ends: at
        that expiry or in 15 minutes, whichever comes first. The page sends it as
        `X-Billflow-Session`; it works whatever `email_sign_in` says, since the site's login
        proved who this is. Only a host calls this, after checking the proof itself.
        Raises `BadInput` (`identity_kind`, `identity_required`) and `Forbidden`
        (`token_expired`)."""
        if (
            not isinstance(identity, str)
            or not identity.strip()
            or len(identity) > MAX_IDENTITY
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in identity)
        ):
            raise BadInput("No identity was vouched for.", code="identity_required",
                           field="identity")  # fmt: skip
        checked_kind(self.settings, identity)
        now = self._now()
        ends = min(int(expires_at), now + MAX_LIFETIME)
        if ends <= now:
            raise Forbidden("The login has expired; sign in again.", code="token_expired")
        return vouched_session(self._parts.secret, identity, ends, scope=self._parts.scope), ends

    # -- what they see ---------------------------------------------------------------------
    @_within_deadline
    def state(self, visitor: Visitor) -> PortalState:
        """Their portal: one Stripe request when the catalog is warm and their customer id
        is remembered, two before."""
        return load_state(
            self.gateway,
            self.catalog,
            self.settings,
            visitor.identity,
            customer_ids=self._parts.customer_ids,
            only_subscription=visitor.only_subscription,
            now=self._now(),
        )

    @_within_deadline
    def preview(self, visitor: Visitor, payload: Any) -> ChangePreview:
        """What a proposed plan or quantity change would cost, checked by the same rules as
        the change itself. Writes nothing."""
        payload = checked_payload(payload, frozenset({"subscription", "price", "quantity"}))
        self._check_rate("preview", visitor)
        return preview_change(self._context(visitor, "preview"), payload)

    @_within_deadline
    def invoices(
        self, visitor: Visitor, *, subscription: Any = None, starting_after: Any = None
    ) -> InvoicePage:
        """Their invoices, newest first: only the viewed subscription's unless the site
        shows them all. One Stripe request once their customer id is remembered."""
        check_invoice_query(subscription, starting_after)  # also where the page's limit wins
        customer_id = customer_id_of(
            self.gateway, self.settings, visitor.identity, self._parts.customer_ids
        )
        if customer_id is None:
            raise NotFound("You are not a customer yet.", code="customer_not_found")
        return list_invoices(
            self.gateway,
            self.settings,
            customer_id,
            subscription=visitor.only_subscription or subscription,
            starting_after=starting_after,
        )

    @_within_deadline
    def cards(self, visitor: Visitor) -> list[SavedCard]:
        """Their saved cards, the default first, each saying whether it may be removed (two
        Stripe requests once their customer id is remembered: the customer with their
        subscriptions, checked to be still theirs, and the cards)."""
        check_feature(self.settings, "add_payment_method")
        customer, subscriptions = self._account(visitor)
        return list_cards(self.gateway, customer, subscriptions, now=self._now())

    @_within_deadline
    def tax_ids(self, visitor: Visitor) -> list[TaxIdView]:
        """Their tax IDs (two Stripe requests once their customer id is remembered)."""
        check_feature(self.settings, "add_tax_id")
        return list_tax_ids(self.gateway, self._account(visitor)[0].id)

    def _account(self, visitor: Visitor) -> tuple[Any, list[Any]]:
        """The visitor's customer and subscriptions, read and checked to still be the
        identity's, for what belongs to the account, which a page limited to one
        subscription does not show."""
        if visitor.only_subscription is not None:
            raise Forbidden(
                "This page manages one subscription: the account's details are on its own page.",
                code="subscription_page",
            )
        customer, subscriptions = customer_and_subscriptions(
            self.gateway, self.settings, visitor.identity, self._parts.customer_ids
        )
        if customer is None:
            raise NotFound("You are not a customer yet.", code="customer_not_found")
        return customer, list(subscriptions)

    def services(self) -> list[str]:
        """Every service the Stripe account's active products belong to (`sb_service`), by
        name, for an admin to choose from: one read of the prices, not cached."""
        found = {service_of(price.product) for price in self.gateway.active_prices()}
        return sorted(service for service in found if service)

    def _customer_id(self, visitor: Visitor) -> str:
        found = customer_id_of(
            self.gateway, self.settings, visitor.identity, self._parts.customer_ids
        )
        if found is None:
            raise NotFound("You are not a customer yet.", code="customer_not_found")
        return found

    # -- what they do ----------------------------------------------------------------------
    @_within_deadline
    def act(
        self, visitor: Visitor, action: Any, payload: Any, *, idempotency_key: Any
    ) -> ActionResult:
        """Run one action for the visitor. `idempotency_key` is made once per user intent
        by the page: a retry with the same key writes nothing twice."""
        if not isinstance(action, str) or action not in ACTIONS:
            raise NotFound(f"There is no action called {action!r}.", code="unknown_action")
        check_feature(self.settings, action)
        checked = checked_payload(payload, ACTIONS[action].fields)
        key = checked_key(idempotency_key)
        asker = (visitor.identity, visitor.only_subscription or "")
        made: list[PortalEvent] = []  # the event of a run made now, not of a replayed answer
        # Half of what is left for the wait, so an action that has the lock has time for
        # Stripe; the lock outlives the deadline, so it is never lost mid-action.
        left = remaining()
        wait = WAIT if left is None else max(0.0, min(WAIT, left / 2))
        hold = max(HOLD, self._parts.deadline + 30)
        with account_lock(self._parts.cache, visitor.identity, scope=self._parts.scope,
                          wait=wait, hold=hold):  # fmt: skip
            result = answered_once(
                self.answers,
                asker=asker,
                key=key,
                action=action,
                payload=checked,
                run=lambda: self._run(visitor, action, checked, key, made),
            )
        if not self._parts.listeners:
            return result
        unannounced = _unannounced_key(asker, key)
        if made:
            self._announce_or_keep(made[0], unannounced)
            return result
        # A replayed answer: its first try may have left an event no listener could keep.
        waiting = self.answers.get(unannounced)
        if isinstance(waiting, PortalEvent):
            self._announce_or_keep(waiting, unannounced)
            self.answers.put(unannounced, "announced")
        return result

    def _announce_or_keep(self, event: PortalEvent, unannounced: str) -> None:
        """Announce an applied action's event (its answer is kept already); when a listener
        cannot keep it, keep it with the answers for the page's retry, and raise."""
        try:
            self._announce(event)
        except EventNotRecorded:
            self.answers.put(unannounced, event)
            raise

    def _run(
        self,
        visitor: Visitor,
        action: str,
        checked: Mapping[str, Any],
        key: str,
        made: list[PortalEvent],
    ) -> ActionResult:
        self._check_rate("action", visitor)
        interrupted_key = _interrupted_key((visitor.identity, visitor.only_subscription or ""),
                                           key)  # fmt: skip
        applied_key = _applied_key(self._parts.scope, visitor.identity)
        request = request_digest(action, checked)
        before = self.answers.get(interrupted_key)
        last_applied = self.answers.get(applied_key)
        clock = self._parts.clock()
        if isinstance(before, Interrupted) and before.usable(
            clock, request, last_applied if isinstance(last_applied, float) else None
        ):
            context = before.reopened(self.gateway, self.settings, self.catalog.get(), key,
                                      self.promotions)  # fmt: skip
            now, opened = before.now, before  # a second failure keeps the first one's time
        else:
            context = self._context(visitor, key, may_be_new=action == "subscribe")
            now = self._now()
            opened = Interrupted.of(context, now, clock, request)
        try:
            result = run_action(context, action, checked, visitor, now)
        except StripeUnavailable:
            self.answers.put(interrupted_key, opened)  # the retry finishes what this began
            raise
        self.answers.put(applied_key, self._parts.clock())  # older half-done attempts: stale
        if self._parts.listeners:
            email = getattr(context.customer, "email", None)
            event = action_event(
                action,
                checked,
                result,
                customer_id=context.customer_id,
                customer_email=email if isinstance(email, str) else None,
                idempotency_key=key,
                now=now,
            )
            invoice = waiting_invoice(result)
            if event is not None and invoice is not None:
                # Not done until paid: kept (with the answers) until Stripe says so.
                self.answers.put(_held_key(invoice), event)
            elif event is not None and result.confirmation is None:
                made.append(event)  # announced once the answer is kept
        return result

    # -- the portal's events ----------------------------------------------------------------
    def on_event(self, listener: EventListener) -> EventListener:
        """Call `listener` with each `PortalEvent` once its action is applied, before the
        page is answered (`events.py`); usable as a decorator. Every page variant of the
        site shares the site's listeners. A listener that raises makes the request answer
        503 `event_not_recorded` (`errors.EventNotRecorded`): the change stands, its answer
        is kept, and the page's retry with the same Idempotency-Key announces the event
        again (listeners may hear an event twice; its id says it is the same)."""
        self._parts.listeners.append(listener)
        return listener

    def _stripe_event(self, event_id: str, event_type: str, obj: dict[str, Any]) -> None:
        """A checked Stripe event: a held action's event once its invoice is paid, then
        the event itself as `stripe.<type>`."""
        if not self._parts.listeners:
            return
        now = self._now()
        if event_type == "invoice.paid" and isinstance(obj.get("id"), str):
            held = self.answers.get(_held_key(obj["id"]))
            if isinstance(held, PortalEvent):
                self._announce(paid(held, now))
        self._announce(stripe_event(event_id, event_type, obj, now))

    def _announce(self, event: PortalEvent) -> None:
        for listener in list(self._parts.listeners):
            try:
                listener(event)
            except Exception:
                log.exception("a listener could not keep the %s event %s", event.type, event.id)
                raise EventNotRecorded(
                    "Your change was made, but could not be recorded; try again."
                ) from None

    def _context(self, visitor: Visitor, key: str, *, may_be_new: bool = False) -> ActionContext:
        return ActionContext.for_visitor(
            self.gateway,
            self.settings,
            self.catalog.get(),
            visitor,
            key,
            promotions=self.promotions,
            customer_ids=self._parts.customer_ids,
            may_be_new=may_be_new,
        )

    # -- Stripe's webhooks -----------------------------------------------------------------
    def handle_webhook(self, payload: bytes, signature: str | None) -> Outcome:
        """Check and act on one Stripe webhook delivery (the raw body, as received)."""
        if self.webhooks is None:
            raise NotFound(
                "Stripe webhooks are not set up here: set BILLFLOW_STRIPE_WEBHOOK_SECRET.",
                code="webhooks_off",
            )
        return self.webhooks.handle(payload, signature)
