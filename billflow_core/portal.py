"""One site's portal: the object a plugin creates once and asks everything of.

It owns what must live as long as the app does (the Stripe client, the plan catalog's cache,
the memory of webhook events seen) and ties authentication, state and actions together so a
plugin only adapts its framework's request::

    portal = Portal.from_config(app.config)
    visitor = portal.visitor(identity, hash)          # Forbidden for a bad hash
    portal.state(visitor)                              # PortalState
    portal.act(visitor, "cancel", {"subscription": "sub_…", "reason": "unused"},
               idempotency_key=header)                 # ActionResult

Each call costs at most three Stripe requests: the customer, their subscriptions, and the
one write (the catalog is cached; a refreshed state is built from what was read and written).
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from . import exposed
from .actions import ACTIONS
from .actions.answers import AnswerStore, MemoryAnswers
from .actions.context import ActionContext
from .actions.dispatch import (
    RUNS,
    ActionResult,
    Confirmation,
    checked_key,
    checked_payload,
    confirmation_of,
)
from .actions.previews import ChangePreview, preview_change
from .billing.catalog import CatalogCache
from .billing.customers import email_is_known
from .billing.invoices import InvoicePage, list_invoices
from .billing.promotion_codes import PromotionCodeCache
from .billing.rules import check_feature
from .billing.state import PortalState, build_state, find_customer, load_state
from .encoding import digest
from .errors import BadInput, Conflict, Forbidden, NotFound
from .identity.hashing import expiring_hash
from .identity.page_options import overridden_settings
from .identity.pages import PageGrant, open_page, sign_page
from .identity.signin import SignIn, SignInStore
from .identity.visitors import Visitor, authenticate
from .limits import check_rate
from .mail import Mailer, SMTPMailer
from .settings import PortalSettings, SettingsError
from .stripe.gateway import StripeGateway
from .stripe.webhooks import Outcome, StripeWebhooks

log = logging.getLogger(__name__)

__all__ = [
    "ActionResult",
    "Confirmation",
    "Portal",
    "Visitor",
    "check_secret_key",
]

MIN_SECRET = 16
STRIPE_JS_URL = "https://js.stripe.com/v3/"


def check_secret_key(secret_key: object) -> None:
    """Refuse a secret key too short to sign with: the portal, `billflow hash` and
    `billflow doctor` share this one rule, so none of them accepts what another refuses.
    Raises `SettingsError` saying how to make a good one."""
    if not isinstance(secret_key, str) or len(secret_key) < MIN_SECRET:
        raise SettingsError(
            f"BILLFLOW_SECRET_KEY must be a random string of at least {MIN_SECRET} "
            "characters (python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )


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
        mailer: Mailer | None = None,
        sign_in_store: SignInStore | None = None,
        scope: str = "",
        secret_key_previous: str | None = None,
    ) -> None:
        """`secret_key_previous`: the secret key before a rotation, which still verifies
        what it made (hashes, page options, sign-in links and sessions) until that
        expires; everything new is made with `secret_key`."""
        check_secret_key(secret_key)
        self.settings = settings
        if secret_key_previous is not None and (
            not isinstance(secret_key_previous, str)
            or len(secret_key_previous) < MIN_SECRET
            or secret_key_previous == secret_key
        ):
            raise SettingsError(
                "BILLFLOW_SECRET_KEY_PREVIOUS must be the secret key before the last rotation "
                f"(at least {MIN_SECRET} characters, and not the current BILLFLOW_SECRET_KEY)"
            )
        self._secret = secret_key
        self._previous = secret_key_previous
        self._clock = clock
        self.gateway = gateway or StripeGateway(stripe_api_key, api_base=stripe_api_base)
        # What the page gives Stripe.js when a card form opens: never a secret.
        self.stripe_publishable_key = _publishable_key(
            stripe_publishable_key, livemode=self.gateway.livemode
        )
        self.stripe_js_url = _stripe_js_url(stripe_js_url)
        self.catalog = CatalogCache(self.gateway, settings, ttl=catalog_ttl)
        self.promotions = PromotionCodeCache(self.gateway, ttl=catalog_ttl)
        self.answers: AnswerStore = answers if answers is not None else MemoryAnswers()
        self.webhooks = (
            StripeWebhooks(stripe_webhook_secret, self.catalog, promotions=self.promotions)
            if stripe_webhook_secret is not None
            else None
        )
        if settings.email_sign_in and mailer is None:
            raise SettingsError(
                "email_sign_in needs a mailer: set BILLFLOW_SMTP_HOST (or pass the host's own)"
            )
        self.sign_in = SignIn(
            settings,
            secret_key,
            find=lambda email: email_is_known(self.gateway, email),
            mailer=mailer,
            store=sign_in_store,
            clock=clock,
            previous=secret_key_previous,
        )
        # Which site this is, where several share a secret key: a page's signed options
        # work only on the portal of the same scope.
        self.scope = scope
        self._variants: dict[str, Portal] = {}
        self._variants_lock = threading.Lock()
        self._base: Portal | None = None  # for a page's variant: the portal it varies
        if settings.debug:
            logging.getLogger("billflow_core").setLevel(logging.DEBUG)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **options: Any) -> Portal:
        """A portal from `BILLFLOW_*` keys (a Flask config, `os.environ`): the options, and
        the secrets `BILLFLOW_SECRET_KEY`, `BILLFLOW_STRIPE_API_KEY` (else
        `STRIPE_API_KEY`), `BILLFLOW_STRIPE_WEBHOOK_SECRET` and `BILLFLOW_STRIPE_API_BASE`
        (another address than Stripe's, such as the sandbox), and for the page
        `BILLFLOW_STRIPE_PUBLISHABLE_KEY` and `BILLFLOW_STRIPE_JS_URL` (Stripe.js, or the
        sandbox's stand-in at `{sandbox}/v3/`), and for email sign-in `BILLFLOW_SMTP_HOST`,
        `_PORT`, `_USERNAME`, `_PASSWORD` and `_STARTTLS` (unless `mailer=` is passed).
        Raises `SettingsError`."""
        api_key = config.get("BILLFLOW_STRIPE_API_KEY") or config.get("STRIPE_API_KEY")
        if not api_key:
            raise SettingsError("BILLFLOW_STRIPE_API_KEY is not set (the Stripe secret key)")
        if "mailer" not in options:
            options["mailer"] = SMTPMailer.from_config(config)
        try:
            return cls(
                PortalSettings.from_mapping(config),
                secret_key=config.get("BILLFLOW_SECRET_KEY", ""),
                secret_key_previous=config.get("BILLFLOW_SECRET_KEY_PREVIOUS") or None,
                stripe_api_key=api_key,
                stripe_webhook_secret=config.get("BILLFLOW_STRIPE_WEBHOOK_SECRET") or None,
                stripe_api_base=config.get("BILLFLOW_STRIPE_API_BASE") or None,
                stripe_publishable_key=config.get("BILLFLOW_STRIPE_PUBLISHABLE_KEY") or None,
                stripe_js_url=config.get("BILLFLOW_STRIPE_JS_URL") or STRIPE_JS_URL,
                **options,
            )
        except ValueError as error:  # the gateway's and the webhooks' own checks
            raise SettingsError(str(error)) from None

    # -- who asks --------------------------------------------------------------------------
    # -- a page's own options ----------------------------------------------------------------
    def page_token(
        self,
        identity: str | None,
        *,
        overrides: Mapping[str, Any] | None = None,
        subscription: str | None = None,
        now: int | None = None,
    ) -> str:
        """The token a plugin puts in a page (see `pages.py`) for the logged-in `identity`
        (None: a visitor the page signs in by email), with the page's own options
        (`PAGE_OVERRIDABLE`) and its one-subscription limit, bound to this portal's `scope`
        and good for `hash_lifetime`. Checked now, so a mistake shows where the page is
        made: raises `SettingsError` for an option a page may not set or a subscription
        that is not a `sub_` id."""
        options = dict(overrides or {})
        self.with_overrides(options)
        if subscription is not None and not (
            isinstance(subscription, str) and subscription.startswith("sub_")
        ):
            raise SettingsError("a page's subscription must be a Stripe subscription id (sub_…)")
        issued = int(self._clock()) if now is None else now
        grant = PageGrant(identity, options, subscription or None,
                          issued + self.settings.hash_lifetime)  # fmt: skip
        return sign_page(self._secret, grant, scope=self.scope)

    def open_page(self, token: Any) -> PageGrant:
        """What a request's `X-Billflow-Page` grants. Raises `Forbidden`: `page_invalid`
        for a token this portal did not sign (or whose options no longer fit the site's),
        `page_expired` for one older than `hash_lifetime`."""
        grant = open_page(
            self._secret, token, scope=self.scope, now=int(self._clock()), previous=self._previous
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
        """This portal with a page's own options, sharing its Stripe client, caches and
        stores (made once per set of options). Raises `SettingsError`."""
        if self._base is not None:
            return self._base.with_overrides(overrides)  # always relative to the site's own
        if not overrides:
            return self
        key = json.dumps(dict(overrides), sort_keys=True, default=repr)
        with self._variants_lock:
            found = self._variants.get(key)
        if found is not None:
            return found
        variant = copy.copy(self)
        variant._base = self
        variant.settings = overridden_settings(self.settings, overrides)
        if (variant.settings.service, variant.settings.price_ids) != (
            self.settings.service,
            self.settings.price_ids,
        ):
            variant.catalog = self.catalog.derived(variant.settings)
        with self._variants_lock:
            return self._variants.setdefault(key, variant)

    def identity_hash(self, identity: str, *, now: int | None = None) -> str:
        """The hash a plugin puts in the page for the logged-in `identity`: the expiring
        form, good for the site's `hash_lifetime`, so a leaked page stops working."""
        issued = int(self._clock()) if now is None else now
        return expiring_hash(self._secret, identity, issued + self.settings.hash_lifetime)

    def visitor(
        self, identity: Any, hash: Any, *, subscription: Any = None, now: int | None = None
    ) -> Visitor:
        """The visitor a page names, once its hash proves it (`Forbidden` otherwise).
        `subscription` limits the portal to that one subscription of theirs."""
        proven = authenticate(
            self.settings,
            self._secret,
            identity,
            hash,
            livemode=self.gateway.livemode,
            now=int(self._clock()) if now is None else now,
            previous=self._previous,
        )
        return self._limited(proven, subscription)

    def session_visitor(self, session: Any, *, subscription: Any = None) -> Visitor:
        """The visitor an email-link session proves (`Forbidden` `session_expired` for one
        that ended; `feature_disabled` where email sign-in is off)."""
        return self._limited(self._signed_in(session, ""), subscription)

    def _signed_in(self, session: Any, binding: str) -> str:
        if not self.settings.email_sign_in:
            raise Forbidden("This site does not offer email sign-in.", code="feature_disabled")
        return self.sign_in.email_of(session, binding=binding)

    def _limited(self, proven: str, subscription: Any) -> Visitor:
        if subscription in (None, ""):
            return Visitor(proven)
        if not isinstance(subscription, str) or not subscription.startswith("sub_"):
            raise BadInput(
                "subscription_id must be a Stripe subscription id (sub_…).",
                code="subscription_id_invalid",
                field="subscription_id",
            )
        return Visitor(proven, subscription)

    # -- what they see ---------------------------------------------------------------------
    def state(self, visitor: Visitor) -> PortalState:
        """Their portal: two Stripe requests when the catalog is warm."""
        return load_state(
            self.gateway,
            self.catalog,
            self.settings,
            visitor.identity,
            only_subscription=visitor.only_subscription,
            now=int(self._clock()),
        )

    def preview(self, visitor: Visitor, payload: Any) -> ChangePreview:
        """What a proposed plan or quantity change would cost, checked by the same rules as
        the change itself. Writes nothing."""
        payload = checked_payload(payload, frozenset({"subscription", "price", "quantity"}))
        check_rate(self.sign_in.store, self.settings, "preview", visitor.identity, self._clock())
        return preview_change(self._session(visitor, "preview"), payload)

    def invoices(
        self, visitor: Visitor, *, subscription: Any = None, starting_after: Any = None
    ) -> InvoicePage:
        """Their invoices, newest first: only the viewed subscription's unless the site
        shows them all."""
        customer = find_customer(self.gateway, self.settings, visitor.identity)
        if customer is None:
            raise NotFound("You are not a customer yet.", code="customer_not_found")
        return list_invoices(
            self.gateway,
            self.settings,
            customer.id,
            subscription=visitor.only_subscription or subscription,
            starting_after=starting_after,
        )

    # -- what they do ----------------------------------------------------------------------
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
        # The identity is in the store's key: one visitor's key never answers for another.
        stored_as = digest(visitor.identity, visitor.only_subscription or "", key)
        request = digest(action, json.dumps(checked, sort_keys=True, default=repr))
        earlier = self.answers.get(stored_as)
        if earlier is not None:
            if earlier[0] != request:
                raise Conflict("This Idempotency-Key was used for another request.",
                               code="idempotency_conflict")  # fmt: skip
            log.debug("%s answered again from its first try", action)
            return cast(ActionResult, earlier[1])
        check_rate(self.sign_in.store, self.settings, "action", visitor.identity, self._clock())
        session = self._session(visitor, key, may_be_new=action == "subscribe")
        answer = RUNS[action](session, checked, visitor, int(self._clock()))
        state = build_state(
            self.settings,
            session.catalog,
            visitor.identity,
            session.customer,
            session.subscriptions.values(),
            visitor.only_subscription,
            now=int(self._clock()),
        )
        log.debug("%s done for %s", action, session.customer_id)
        shown = exposed.view(answer.to_dict(for_json=True))
        result = ActionResult(action, shown, state, confirmation_of(answer))
        self.answers.put(stored_as, (request, result))
        return result

    def _session(self, visitor: Visitor, key: str, *, may_be_new: bool = False) -> ActionContext:
        customer = find_customer(self.gateway, self.settings, visitor.identity)
        catalog = self.catalog.get()
        if customer is None:
            if not may_be_new:
                raise NotFound("You are not a customer yet.", code="customer_not_found")
            return ActionContext(
                self.gateway, self.settings, catalog, "", key, promotions=self.promotions
            )
        session = ActionContext.open(
            self.gateway,
            self.settings,
            catalog,
            customer.id,
            key,
            only_subscription=visitor.only_subscription,
        )
        session.customer = customer
        session.promotions = self.promotions
        return session

    # -- Stripe's webhooks -----------------------------------------------------------------
    def handle_webhook(self, payload: bytes, signature: str | None) -> Outcome:
        """Check and act on one Stripe webhook delivery (the raw body, as received)."""
        if self.webhooks is None:
            raise NotFound(
                "Stripe webhooks are not set up here: set BILLFLOW_STRIPE_WEBHOOK_SECRET.",
                code="webhooks_off",
            )
        return self.webhooks.handle(payload, signature)


def _publishable_key(key: Any, *, livemode: bool) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not key.startswith("pk_"):
        raise SettingsError(
            "BILLFLOW_STRIPE_PUBLISHABLE_KEY must be the pk_ key of the Stripe account "
            "(never its secret key)"
        )
    if key.startswith("pk_live_") != livemode:
        raise SettingsError(
            "BILLFLOW_STRIPE_PUBLISHABLE_KEY and BILLFLOW_STRIPE_API_KEY must both be live "
            "or both be test keys"
        )
    return key


def _stripe_js_url(url: Any) -> str:
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise SettingsError("BILLFLOW_STRIPE_JS_URL must be an http(s) URL")
    return url
