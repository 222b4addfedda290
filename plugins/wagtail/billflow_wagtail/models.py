"""Each site's portal options, edited in the Wagtail admin under Settings → Billflow.

One field per option of the core's `PortalSettings`, with its default; the secrets are not
here (they stay in Django's settings or the environment, never in the database). Saving
checks the options together, as the portal will, and names the one at fault.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from wagtail.admin.panels import MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from billflow_core import PortalSettings, SettingsError

_DEFAULT = PortalSettings()
_REASONS = ", ".join(_DEFAULT.cancellation_reasons)

# The fields that hold lists, written as comma-separated text in the admin.
_LISTS = ("price_ids", "cancellation_reasons")


def _default(name: str) -> Any:
    return getattr(_DEFAULT, name)


@register_setting(icon="billflow-card", name="billflow")
class BillflowSettings(BaseSiteSetting):
    # Who the customer is.
    identify_by = models.CharField(
        max_length=16,
        choices=[("email", "Email"), ("customer_id", "Stripe customer id")],
        default=_default("identify_by"),
        help_text="How the portal names a customer: their email, or their Stripe customer "
        "id (set BILLFLOW_CUSTOMER_ID in Django's settings to find it).",
    )
    require_hash = models.BooleanField(
        default=_default("require_hash"),
        help_text="Check the identity hash on every request. Live Stripe keys force it on.",
    )
    require_expiring_hash = models.BooleanField(
        default=_default("require_expiring_hash"),
        help_text="Accept only hashes that expire (this app always makes expiring ones).",
    )
    hash_lifetime = models.PositiveIntegerField(
        default=_default("hash_lifetime"),
        help_text="Seconds a page's hash works; a page open longer must be reloaded.",
    )

    # Which plans.
    service = models.CharField(
        max_length=200,
        blank=True,
        help_text="Offer the plans of this service only (the sb_service metadata of the "
        "Stripe products). Empty: every service.",
    )
    price_ids = models.TextField(
        blank=True,
        help_text="Or offer exactly these Stripe prices (price_…, comma-separated).",
    )

    # Changing plan and quantity.
    change_plan = models.BooleanField(default=_default("change_plan"))
    change_quantity = models.BooleanField(default=_default("change_quantity"))
    downgrade_at_period_end = models.BooleanField(
        default=_default("downgrade_at_period_end"),
        help_text="A move to a cheaper plan waits for the end of the paid period.",
    )
    proration_behavior = models.CharField(
        max_length=32,
        choices=[
            ("always_invoice", "Invoice the difference now"),
            ("create_prorations", "Add the difference to the next invoice"),
            ("none", "No proration"),
        ],
        default=_default("proration_behavior"),
    )
    plan_picker = models.BooleanField(
        default=_default("plan_picker"),
        help_text="Show the plans to customers who already subscribe, too.",
    )

    # Cancelling, pausing, coming back.
    cancel = models.BooleanField(default=_default("cancel"))
    cancel_immediately = models.BooleanField(
        default=_default("cancel_immediately"),
        help_text="Cancel at once instead of at the end of the paid period.",
    )
    cancellation_reasons = models.TextField(
        default=_REASONS,
        help_text="The reasons a customer picks from, comma-separated.",
    )
    cancel_confirmation_message = models.TextField(
        blank=True, help_text="Shown in the cancel dialog, above the reasons."
    )
    retention_offer_coupon = models.CharField(
        max_length=200,
        blank=True,
        help_text="A Stripe coupon offered before a cancellation goes through. Empty: none.",
    )
    retention_offer_reasons = models.TextField(
        blank=True,
        help_text="The reasons that bring the offer up, comma-separated.",
    )
    pause_instead_of_cancel = models.BooleanField(default=_default("pause_instead_of_cancel"))
    pause_behavior = models.CharField(
        max_length=32,
        choices=[
            ("void", "Void the invoices"),
            ("keep_as_draft", "Keep the invoices as drafts"),
            ("mark_uncollectible", "Mark the invoices uncollectible"),
        ],
        default=_default("pause_behavior"),
    )
    pause_max_days = models.PositiveIntegerField(default=_default("pause_max_days"))
    pause_limit_per_year = models.PositiveIntegerField(
        default=_default("pause_limit_per_year"),
        help_text="How many times a subscription may be paused in any 365 days.",
    )
    resubscribe = models.BooleanField(default=_default("resubscribe"))
    change_plan_on_resubscribe = models.BooleanField(default=_default("change_plan_on_resubscribe"))

    # Coupons, cards, invoices.
    coupons = models.BooleanField(default=_default("coupons"))
    coupons_on_resubscribe = models.BooleanField(default=_default("coupons_on_resubscribe"))
    update_payment_method = models.BooleanField(default=_default("update_payment_method"))
    payment_methods = models.BooleanField(
        default=_default("payment_methods"),
        help_text="Customers keep several cards: add one, choose the default, remove one.",
    )
    pay_invoices = models.BooleanField(
        default=_default("pay_invoices"),
        help_text='"Pay now" on an open or past-due invoice.',
    )
    billing_details = models.BooleanField(
        default=_default("billing_details"),
        help_text="Customers edit the name, email, address and phone on their invoices.",
    )
    change_billing_email = models.BooleanField(
        default=_default("change_billing_email"),
        help_text="Customers known by their email may change it too (change their login "
        "to match). Needs billing details on; not with email sign-in.",
    )
    tax_ids = models.BooleanField(
        default=_default("tax_ids"), help_text="Customers add and remove VAT and other tax IDs."
    )
    show_all_invoices = models.BooleanField(
        default=_default("show_all_invoices"),
        help_text="Every invoice of the customer, not only the viewed subscription's.",
    )

    # The page.
    actions_dropdown = models.BooleanField(default=_default("actions_dropdown"))
    auto_translate = models.BooleanField(
        default=_default("auto_translate"),
        help_text="Speak the visitor's browser language when the portal has it.",
    )
    default_language = models.CharField(max_length=16, default=_default("default_language"))
    translations = models.JSONField(
        default=dict,
        blank=True,
        help_text='Your own texts, by language: {"fr": {"cancel.title": "…"}}.',
    )
    events = models.BooleanField(
        default=_default("events"), help_text="Call the page's handleResponse."
    )
    debug = models.BooleanField(
        default=_default("debug"), help_text="Log the portal's requests (never secrets)."
    )

    # Signing in by email.
    email_sign_in = models.BooleanField(
        default=_default("email_sign_in"),
        help_text="Visitors who are not logged in sign in with a link sent by email.",
    )
    company_name = models.CharField(
        max_length=200, blank=True, help_text="The sign-in emails are sent in this name."
    )
    sign_in_redirect_url = models.URLField(
        max_length=500,
        blank=True,
        help_text="The page with the portal, where sign-in links lead.",
    )
    sign_in_from_address = models.EmailField(blank=True, help_text="The emails' From.")
    sign_in_link_lifetime = models.PositiveIntegerField(default=_default("sign_in_link_lifetime"))
    sign_in_session_lifetime = models.PositiveIntegerField(
        default=_default("sign_in_session_lifetime")
    )
    sign_in_per_email_per_hour = models.PositiveIntegerField(
        default=_default("sign_in_per_email_per_hour")
    )
    sign_in_per_address_per_hour = models.PositiveIntegerField(
        default=_default("sign_in_per_address_per_hour")
    )

    # How often one visitor may call Stripe.
    action_rate_limit = models.PositiveIntegerField(
        default=_default("action_rate_limit"),
        help_text="Actions one customer may take in a minute (then they wait).",
    )
    preview_rate_limit = models.PositiveIntegerField(
        default=_default("preview_rate_limit"),
        help_text="Price previews one customer may ask for in a minute (then they wait).",
    )

    panels = [
        MultiFieldPanel(
            ["identify_by", "require_hash", "require_expiring_hash", "hash_lifetime"],
            heading="Customers",
        ),
        MultiFieldPanel(["service", "price_ids", "plan_picker"], heading="Plans"),
        MultiFieldPanel(
            ["change_plan", "change_quantity", "downgrade_at_period_end", "proration_behavior"],
            heading="Changing plan",
        ),
        MultiFieldPanel(
            [
                "cancel",
                "cancel_immediately",
                "cancellation_reasons",
                "cancel_confirmation_message",
                "retention_offer_coupon",
                "retention_offer_reasons",
                "pause_instead_of_cancel",
                "pause_behavior",
                "pause_max_days",
                "pause_limit_per_year",
                "resubscribe",
                "change_plan_on_resubscribe",
            ],
            heading="Cancelling and coming back",
        ),
        MultiFieldPanel(
            [
                "coupons",
                "coupons_on_resubscribe",
                "update_payment_method",
                "payment_methods",
                "pay_invoices",
                "show_all_invoices",
                "billing_details",
                "change_billing_email",
                "tax_ids",
            ],
            heading="Coupons, cards and invoices",
        ),
        MultiFieldPanel(
            ["actions_dropdown", "auto_translate", "default_language", "translations"],
            heading="The page",
        ),
        MultiFieldPanel(
            [
                "email_sign_in",
                "company_name",
                "sign_in_redirect_url",
                "sign_in_from_address",
                "sign_in_link_lifetime",
                "sign_in_session_lifetime",
                "sign_in_per_email_per_hour",
                "sign_in_per_address_per_hour",
            ],
            heading="Email sign-in",
        ),
        MultiFieldPanel(["action_rate_limit", "preview_rate_limit"], heading="Rate limits"),
        MultiFieldPanel(["events", "debug"], heading="For developers"),
    ]

    class Meta:
        verbose_name = "Billflow"

    def __str__(self) -> str:
        return f"Billflow settings for {self.site}"

    def options(self) -> dict[str, Any]:
        """The portal options this row holds, as `PortalSettings.from_mapping` takes them."""
        options: dict[str, Any] = {}
        for name in PortalSettings.__dataclass_fields__:
            if name == "retention_offer":
                if self.retention_offer_coupon:
                    options[name] = {
                        "coupon": self.retention_offer_coupon,
                        "reasons": _split(self.retention_offer_reasons),
                    }
                continue
            value = getattr(self, name)
            if name in _LISTS:
                value = _split(value)
            options[name] = value
        return options

    def portal_settings(self) -> PortalSettings:
        """The options as the core takes them. Raises `SettingsError` naming the option."""
        return PortalSettings.from_mapping(self.options(), prefix=None)

    def clean(self) -> None:
        super().clean()
        try:
            self.portal_settings()
        except SettingsError as error:
            field = error.param if error.param in self._field_names() else None
            raise ValidationError({field: str(error)} if field else str(error)) from None

    @classmethod
    def _field_names(cls) -> list[str]:
        return [f.name for f in cls._meta.get_fields()]


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


class SignInMark(models.Model):
    """A used sign-in link or an ended session, until it would have expired anyway. In the
    database, not the cache: a cache may drop a key early, and a used link must never work
    again."""

    key = models.CharField(max_length=200, primary_key=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "sign-in mark"


class SignInCount(models.Model):
    """How many sign-in links an email or a client address asked for this hour, counted
    with one atomic UPDATE so app servers never lose a count between them."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "sign-in count"
