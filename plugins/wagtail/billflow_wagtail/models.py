"""Each site's portal options, edited in the Wagtail admin under Settings → Billflow.

One field per option of the core's `PortalSettings`, with its default; the secrets are not
here (they stay in Django's settings or the environment, never in the database). Saving
checks the options together, as the portal will, and names the one at fault.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList, TabbedInterface
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
    change_plan = models.BooleanField(
        default=_default("change_plan"),
        help_text="Customers may move to another plan of their service.",
    )
    change_quantity = models.BooleanField(
        default=_default("change_quantity"),
        help_text="Customers may change the quantity of products sold by the unit (seats).",
    )
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
        help_text="What a change within a paid period costs, and when it is billed.",
    )
    plan_picker = models.BooleanField(
        default=_default("plan_picker"),
        help_text="Show the plans to customers who already subscribe, too.",
    )

    # Cancelling, pausing, coming back.
    cancel = models.BooleanField(
        default=_default("cancel"),
        help_text="Customers may cancel their subscription here.",
    )
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
    pause_instead_of_cancel = models.BooleanField(
        default=_default("pause_instead_of_cancel"),
        help_text="Offer a pause of payments instead of cancelling.",
    )
    pause_behavior = models.CharField(
        max_length=32,
        choices=[
            ("void", "Void the invoices"),
            ("keep_as_draft", "Keep the invoices as drafts"),
            ("mark_uncollectible", "Mark the invoices uncollectible"),
        ],
        default=_default("pause_behavior"),
        help_text="What happens to the invoices of a paused subscription.",
    )
    pause_max_days = models.PositiveIntegerField(
        default=_default("pause_max_days"), help_text="The longest pause, in days."
    )
    pause_limit_per_year = models.PositiveIntegerField(
        default=_default("pause_limit_per_year"),
        help_text="How many times a subscription may be paused in any 365 days.",
    )
    resubscribe = models.BooleanField(
        default=_default("resubscribe"),
        help_text="Customers whose subscription ended may start it again.",
    )
    change_plan_on_resubscribe = models.BooleanField(
        default=_default("change_plan_on_resubscribe"),
        help_text="Coming back, customers may pick another plan. Needs changing plan and "
        "resubscribing on.",
    )

    # Coupons, cards, invoices.
    coupons = models.BooleanField(
        default=_default("coupons"),
        help_text="Customers may enter a coupon or promotion code.",
    )
    coupons_on_resubscribe = models.BooleanField(
        default=_default("coupons_on_resubscribe"),
        help_text="A coupon when coming back. Needs coupons and resubscribing on.",
    )
    update_payment_method = models.BooleanField(
        default=_default("update_payment_method"),
        help_text="Customers may replace their card.",
    )
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
    actions_dropdown = models.BooleanField(
        default=_default("actions_dropdown"),
        help_text="Show a subscription's actions in a menu instead of buttons.",
    )
    auto_translate = models.BooleanField(
        default=_default("auto_translate"),
        help_text="Speak the visitor's browser language when the portal has it.",
    )
    default_language = models.CharField(
        max_length=16,
        default=_default("default_language"),
        help_text="The language spoken when the visitor's is not translated (en, fr, ja…).",
    )
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
    sign_in_link_lifetime = models.PositiveIntegerField(
        default=_default("sign_in_link_lifetime"),
        help_text="Seconds a sign-in link works, once (60 to 86,400).",
    )
    sign_in_session_lifetime = models.PositiveIntegerField(
        default=_default("sign_in_session_lifetime"),
        help_text="Seconds a signed-in visitor stays signed in (5 minutes to 30 days).",
    )
    sign_in_per_email_per_hour = models.PositiveIntegerField(
        default=_default("sign_in_per_email_per_hour"),
        help_text="Links one email address may ask for in an hour.",
    )
    sign_in_per_address_per_hour = models.PositiveIntegerField(
        default=_default("sign_in_per_address_per_hour"),
        help_text="Links one client address may ask for in an hour.",
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

    # One tab per part of the portal, as a site owner thinks of it.
    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("service"),
                    "price_ids",
                    "plan_picker",
                    "change_plan",
                    "change_quantity",
                    "downgrade_at_period_end",
                    "proration_behavior",
                ],
                heading="Plans",
            ),
            ObjectList(
                [
                    "cancel",
                    "cancel_immediately",
                    "cancellation_reasons",
                    "cancel_confirmation_message",
                    MultiFieldPanel(
                        ["retention_offer_coupon", "retention_offer_reasons"],
                        heading="Retention offer",
                    ),
                    MultiFieldPanel(
                        [
                            "pause_instead_of_cancel",
                            "pause_behavior",
                            "pause_max_days",
                            "pause_limit_per_year",
                        ],
                        heading="Pausing",
                    ),
                    "resubscribe",
                    "change_plan_on_resubscribe",
                ],
                heading="Cancellation",
            ),
            ObjectList(
                [
                    "update_payment_method",
                    "payment_methods",
                    "pay_invoices",
                    "coupons",
                    "coupons_on_resubscribe",
                    MultiFieldPanel(
                        ["billing_details", "change_billing_email", "tax_ids"],
                        heading="Billing details",
                    ),
                ],
                heading="Payments",
            ),
            ObjectList(["show_all_invoices"], heading="Invoices"),
            ObjectList(
                ["auto_translate", "default_language", "translations", "actions_dropdown"],
                heading="Languages",
            ),
            ObjectList(
                [
                    "identify_by",
                    "require_hash",
                    "require_expiring_hash",
                    "hash_lifetime",
                    "action_rate_limit",
                    "preview_rate_limit",
                    "events",
                    "debug",
                ],
                heading="Security",
            ),
            ObjectList(
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
        ],
    )  # its form: `forms.BillflowSettingsForm`, set when the app is ready (apps.py)

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
            message = self._in_plain_words(str(error))
            raise ValidationError({field: message} if field else message) from None

    @classmethod
    def _in_plain_words(cls, message: str) -> str:
        """The core's message with each option named as the form labels it:
        "“Change plan on resubscribe” needs “Change plan” and “Resubscribe” on"."""
        labels = {
            f.name: str(f.verbose_name)
            for f in cls._meta.get_fields()
            if isinstance(f, models.Field) and f.name != "id"
        }
        for name in sorted(labels, key=len, reverse=True):
            label = labels[name]
            message = re.sub(
                rf"(?<![\w“]){re.escape(name)}(?![\w”])",
                f"“{label[:1].upper()}{label[1:]}”",
                message,
            )
        return message[:1].upper() + message[1:]

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
