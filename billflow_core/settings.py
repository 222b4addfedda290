"""The portal's options: one immutable object, loaded from any mapping, checked once.

Every option of the hosted Billflow portal is here, plus Billflow's own, each with the default
a careful site owner would choose. The same names serve every host: `BILLFLOW_<OPTION>` in
Flask config and the environment, `<option>` (lower case) in Wagtail's site settings::

    PortalSettings.from_mapping(app.config)      # BILLFLOW_CHANGE_PLAN = False
    PortalSettings.from_mapping(os.environ)      # BILLFLOW_CANCELLATION_REASONS=a,b
    PortalSettings.from_mapping(row, prefix=None)  # a Wagtail settings row: change_plan

Values may be typed (a Flask config) or text (the environment): booleans accept
true/false, yes/no, on/off and 1/0; lists accept commas or JSON; mappings accept JSON.
An error names the option as the host spells it.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .config import NOT_OPTIONS, PREFIX
from .errors import SettingsError

__all__ = ["DEFAULT_CANCELLATION_REASONS", "PortalSettings", "RetentionOffer"]

DEFAULT_CANCELLATION_REASONS: tuple[str, ...] = (
    "too_expensive",
    "missing_features",
    "switched_service",
    "unused",
    "customer_service",
    "too_complex",
    "low_quality",
    "other",
)

# Stripe's `cancellation_details.feedback` values; other reasons go to metadata only.
STRIPE_FEEDBACK = frozenset(DEFAULT_CANCELLATION_REASONS)

# The options the page sees as they are (`for_page` adds the few it sees in part).
PAGE_OPTIONS = (
    "identify_by",
    "change_plan",
    "change_quantity",
    "downgrade_at_period_end",
    "proration_behavior",
    "plan_picker",
    "cancel",
    "cancel_immediately",
    "cancel_confirmation_message",
    "pause_instead_of_cancel",
    "pause_max_days",
    "resubscribe",
    "change_plan_on_resubscribe",
    "coupons",
    "coupons_on_resubscribe",
    "update_payment_method",
    "payment_methods",
    "pay_invoices",
    "show_all_invoices",
    "billing_details",
    "change_billing_email",
    "tax_ids",
    "actions_dropdown",
    "auto_translate",
    "default_language",
    "events",
    "debug",
    "email_sign_in",
    "company_name",
)

_LANGUAGE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?")
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _option_of(key: str) -> str:
    """The option a key names: `BILLFLOW_PAUSE_MAX_DAYS` and `pause_max_days` name the same."""
    return key[len(PREFIX) :].lower() if key.startswith(PREFIX) else key


@dataclass(frozen=True)
class RetentionOffer:
    """A coupon offered, before the cancellation goes through, to a customer who gives one
    of `reasons`."""

    coupon: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class PortalSettings:
    """What the portal offers and how it behaves. Build it with `from_mapping`."""

    # Who the customer is.
    identify_by: Literal["email", "customer_id"] = "email"
    require_hash: bool = True  # live-mode Stripe keys force it on whatever this says
    require_expiring_hash: bool = False
    hash_lifetime: int = 12 * 3600  # seconds the plugins' expiring hashes last

    # Which plans are offered: a service (`sb_service` product metadata) or price ids.
    service: str | None = None
    price_ids: tuple[str, ...] = ()

    # Changing plan and quantity.
    change_plan: bool = True
    change_quantity: bool = True
    downgrade_at_period_end: bool = False
    proration_behavior: Literal["create_prorations", "always_invoice", "none"] = "always_invoice"
    plan_picker: bool = False  # also show the plans to customers who already subscribe

    # Cancelling, pausing, coming back.
    cancel: bool = True
    cancel_immediately: bool = False
    cancellation_reasons: tuple[str, ...] = DEFAULT_CANCELLATION_REASONS
    cancel_confirmation_message: str | None = None
    retention_offer: RetentionOffer | None = None
    pause_instead_of_cancel: bool = False
    pause_behavior: Literal["mark_uncollectible", "keep_as_draft", "void"] = "void"
    pause_max_days: int = 90
    pause_limit_per_year: int = 1
    resubscribe: bool = True
    change_plan_on_resubscribe: bool = False

    # Coupons, cards, invoices.
    coupons: bool = False
    coupons_on_resubscribe: bool = False
    update_payment_method: bool = True
    payment_methods: bool = True  # several saved cards: add one, choose the default, remove
    pay_invoices: bool = True  # "Pay now" on an open or past-due invoice
    show_all_invoices: bool = False  # else only the viewed subscription's invoices

    # What goes on the customer's invoices.
    billing_details: bool = False  # name, email, address and phone
    change_billing_email: bool = False  # the email too, where customers are known by it
    tax_ids: bool = False  # VAT, GST and Stripe's other tax ID types

    # The page.
    actions_dropdown: bool = False
    auto_translate: bool = True
    default_language: str = "en"
    translations: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: types.MappingProxyType({})
    )
    events: bool = True  # call the page's handleResponse
    debug: bool = False

    # Signing in by email, for sites without their own login.
    email_sign_in: bool = False
    company_name: str | None = None
    sign_in_redirect_url: str | None = None  # links only ever point here
    sign_in_from_address: str | None = None  # the sign-in emails' From
    sign_in_link_lifetime: int = 900  # seconds a link works (once)
    sign_in_session_lifetime: int = 12 * 3600  # seconds a signed-in session lasts
    sign_in_per_email_per_hour: int = 5  # links asked for one address
    sign_in_per_address_per_hour: int = 20  # links asked from one client address

    # How often one visitor may call Stripe through the portal (rate_limits.py).
    action_rate_limit: int = 30  # actions per minute per identity
    preview_rate_limit: int = 60  # previews per minute per identity

    def __post_init__(self) -> None:
        _check_together(self)

    def for_page(self) -> dict[str, Any]:
        """The options the portal's script needs (its `currentConfig`), as plain JSON.
        What only the server uses stays here: hash rules, which prices are offered (the
        state carries the plans), the retention coupon's id and the sign-in redirect."""
        page = {name: getattr(self, name) for name in PAGE_OPTIONS}
        page["cancellation_reasons"] = list(self.cancellation_reasons)
        page["translations"] = {lang: dict(texts) for lang, texts in self.translations.items()}
        offer = self.retention_offer
        page["retention_offer"] = {"reasons": list(offer.reasons)} if offer else None
        return page

    @classmethod
    def from_mapping(
        cls, mapping: Mapping[str, Any], *, prefix: str | None = PREFIX
    ) -> PortalSettings:
        """Settings from the `BILLFLOW_<OPTION>` keys of `mapping` (Flask config, the
        environment), or with `prefix=None` from its `<option>` keys (a Wagtail settings
        row). Other keys are ignored, except an unknown `BILLFLOW_` option, refused because
        a typo would otherwise go unnoticed. Raises `SettingsError` naming the option."""
        options = {f.name for f in dataclasses.fields(cls)}
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for key, raw in mapping.items():
            if not isinstance(key, str):
                continue
            if prefix is None:
                if key not in options:
                    continue
                name = key
            else:
                if not key.startswith(prefix) or key[len(prefix) :] in NOT_OPTIONS:
                    continue
                name = key[len(prefix) :].lower()
                if name not in options or key[len(prefix) :] != name.upper():
                    raise SettingsError(
                        f"{key} is not a Billflow option (see PortalSettings for the list)",
                        param=_option_of(key),
                    )
            values[name] = _convert(key, raw, hints[name])
        return cls(**values)


def _check_together(settings: PortalSettings) -> None:
    """Rules between options, and ranges no type can say."""
    if settings.service is not None and settings.price_ids:
        raise SettingsError(
            "set service or price_ids, not both: they both choose the plans", param="price_ids"
        )
    if settings.change_plan_on_resubscribe and not (settings.change_plan and settings.resubscribe):
        raise SettingsError(
            "change_plan_on_resubscribe needs change_plan and resubscribe on",
            param="change_plan_on_resubscribe",
        )
    if settings.coupons_on_resubscribe and not (settings.coupons and settings.resubscribe):
        raise SettingsError(
            "coupons_on_resubscribe needs coupons and resubscribe on",
            param="coupons_on_resubscribe",
        )
    if settings.change_billing_email and not settings.billing_details:
        raise SettingsError(
            "change_billing_email needs billing_details on: the email is one of them",
            param="change_billing_email",
        )
    if settings.email_sign_in and settings.change_billing_email:
        raise SettingsError(
            "change_billing_email cannot go with email_sign_in: a customer who signs in by "
            "email would lose their way in with it",
            param="change_billing_email",
        )
    if settings.email_sign_in and not settings.company_name:
        raise SettingsError(
            "email_sign_in needs company_name: sign-in emails are sent in its name",
            param="email_sign_in",
        )
    if settings.email_sign_in and settings.identify_by != "email":
        raise SettingsError(
            "email_sign_in needs identify_by 'email': a link proves an email", param="email_sign_in"
        )
    if settings.email_sign_in and not settings.sign_in_from_address:
        raise SettingsError(
            "email_sign_in needs sign_in_from_address: the emails' From", param="email_sign_in"
        )
    if settings.email_sign_in and not (settings.sign_in_redirect_url or "").startswith(
        ("https://", "http://")
    ):
        raise SettingsError(
            "email_sign_in needs sign_in_redirect_url, an http(s) URL: the page links go to",
            param="email_sign_in",
        )
    if not 60 <= settings.sign_in_link_lifetime <= 86400:
        raise SettingsError(
            "sign_in_link_lifetime must be between 60 seconds and a day",
            param="sign_in_link_lifetime",
        )
    if not 300 <= settings.sign_in_session_lifetime <= 30 * 86400:
        raise SettingsError(
            "sign_in_session_lifetime must be between 5 minutes and 30 days",
            param="sign_in_session_lifetime",
        )
    if settings.sign_in_per_email_per_hour < 1 or settings.sign_in_per_address_per_hour < 1:
        raise SettingsError(
            "sign_in_per_email_per_hour and sign_in_per_address_per_hour must be at least 1",
            param="sign_in_per_email_per_hour",
        )
    for name in ("action_rate_limit", "preview_rate_limit"):
        if not 1 <= getattr(settings, name) <= 1000:
            raise SettingsError(f"{name} must be between 1 and 1000 requests a minute", param=name)
    if not 60 <= settings.hash_lifetime <= 30 * 86400:
        raise SettingsError(
            "hash_lifetime must be between 60 seconds and 30 days", param="hash_lifetime"
        )
    if not 1 <= settings.pause_max_days <= 365:
        raise SettingsError("pause_max_days must be between 1 and 365", param="pause_max_days")
    if not 1 <= settings.pause_limit_per_year <= 52:
        raise SettingsError(
            "pause_limit_per_year must be between 1 and 52", param="pause_limit_per_year"
        )
    if not _LANGUAGE.fullmatch(settings.default_language):
        raise SettingsError(
            f"default_language must be a language code such as 'en' or 'pt-BR', "
            f"not {settings.default_language!r}",
            param="default_language",
        )
    if len(set(settings.cancellation_reasons)) != len(settings.cancellation_reasons):
        raise SettingsError("cancellation_reasons has a reason twice", param="cancellation_reasons")
    if any(not reason.strip() for reason in settings.cancellation_reasons):
        raise SettingsError(
            "cancellation_reasons has an empty reason", param="cancellation_reasons"
        )
    offer = settings.retention_offer
    if offer is not None:
        unknown = [r for r in offer.reasons if r not in settings.cancellation_reasons]
        if unknown or not offer.reasons:
            raise SettingsError(
                "retention_offer reasons must be some of cancellation_reasons"
                + (f" ({', '.join(unknown)} is not)" if unknown else ""),
                param="retention_offer",
            )
    if settings.sign_in_redirect_url is not None and not settings.sign_in_redirect_url.startswith(
        ("https://", "http://", "/")
    ):
        raise SettingsError(
            "sign_in_redirect_url must be an http(s) URL or a path", param="sign_in_redirect_url"
        )
    if settings.sign_in_redirect_url is not None and (
        "#" in settings.sign_in_redirect_url
        or any(c.isspace() or not c.isprintable() for c in settings.sign_in_redirect_url)
    ):
        raise SettingsError(
            "sign_in_redirect_url must have no #fragment and no spaces: the link's token goes "
            "in its query, where the page's script reads it",
            param="sign_in_redirect_url",
        )


def _convert(key: str, raw: Any, hint: Any) -> Any:
    """`raw` as the type the option holds; raises `SettingsError` naming `key`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    optional = origin in (typing.Union, types.UnionType) and type(None) in args
    if optional:
        if raw is None or raw == "":
            return None
        (hint,) = [a for a in args if a is not type(None)]
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is bool:
        return _boolean(key, raw)
    if hint is int:
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            raise SettingsError(f"{key} must be a whole number, not {raw!r}", param=_option_of(key))
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(
                f"{key} must be a whole number, not {raw!r}", param=_option_of(key)
            ) from None
    if hint is str:
        if not isinstance(raw, str):
            raise SettingsError(f"{key} must be text, not {raw!r}", param=_option_of(key))
        return raw
    if origin is Literal:
        if raw not in args:
            choices = ", ".join(repr(a) for a in args)
            raise SettingsError(
                f"{key} must be one of {choices}, not {raw!r}", param=_option_of(key)
            )
        return raw
    if origin is tuple:
        return _strings(key, raw)
    if hint is RetentionOffer:
        return _retention_offer(key, raw)
    if origin is Mapping:
        return _translations(key, raw)
    raise AssertionError(f"no conversion for {hint!r}")  # pragma: no cover


def _boolean(key: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    raise SettingsError(f"{key} must be true or false, not {raw!r}", param=_option_of(key))


def _json(key: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise SettingsError(
            f"{key} is not valid JSON: {error.msg}", param=_option_of(key)
        ) from None


def _strings(key: str, raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        text = raw.strip()
        items = _json(key, text) if text.startswith("[") else [p.strip() for p in text.split(",")]
        raw = [item for item in items if item != ""]
    if not isinstance(raw, (list, tuple)) or not all(isinstance(i, str) for i in raw):
        raise SettingsError(f"{key} must be a list of text, not {raw!r}", param=_option_of(key))
    return tuple(raw)


def _retention_offer(key: str, raw: Any) -> RetentionOffer:
    if isinstance(raw, RetentionOffer):
        return raw
    if isinstance(raw, str):
        raw = _json(key, raw)
    if not isinstance(raw, Mapping) or not isinstance(raw.get("coupon"), str):
        raise SettingsError(
            f'{key} must be {{"coupon": "...", "reasons": [...]}}, not {raw!r}',
            param=_option_of(key),
        )
    return RetentionOffer(raw["coupon"], _strings(f"{key}.reasons", raw.get("reasons", [])))


def _translations(key: str, raw: Any) -> Mapping[str, Mapping[str, str]]:
    if isinstance(raw, str):
        raw = _json(key, raw)
    if not isinstance(raw, Mapping) or not all(
        isinstance(language, str)
        and isinstance(strings, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in strings.items())
        for language, strings in raw.items()
    ):
        raise SettingsError(
            f'{key} must map languages to strings: {{"fr": {{"key": "text"}}}}',
            param=_option_of(key),
        )
    return types.MappingProxyType(
        {language: types.MappingProxyType(dict(strings)) for language, strings in raw.items()}
    )
