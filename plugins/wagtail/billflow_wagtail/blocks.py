"""The "Billing portal" block editors add to a page's StreamField.

It renders the portal for the logged-in user, their page token made on the server, and for an
anonymous visitor a sign-in prompt (or the email sign-in form, where the site offers it).
The page's own choices (which service's plans, which actions) are signed into the snippet,
so the server holds every request from the page to them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.blocks import StructValue
from wagtail.models import Site

from billflow_core import BillflowError, SettingsError
from billflow_core.portal import Portal

from .portals import BillflowNotConfigured, portal_for_site
from .rendering import render_portal

__all__ = ["BillingPortalBlock", "PageOptionsBlock"]

_SITE = ("", "As in the site's settings")


def _switch(label: str, help_text: str = "") -> blocks.ChoiceBlock:
    return blocks.ChoiceBlock(
        choices=[_SITE, ("on", "On"), ("off", "Off")],
        default="",
        required=False,
        label=label,
        help_text=help_text,
    )


class PageOptionsBlock(blocks.StructBlock):
    """What this page offers where it differs from the site's settings."""

    plan_picker = _switch("Plan picker", "Show the plans to customers who already subscribe")
    change_plan = _switch("Changing plan")
    change_quantity = _switch("Changing quantity")
    cancel = _switch("Cancelling")
    pause_instead_of_cancel = _switch("Pausing instead of cancelling")
    resubscribe = _switch("Resubscribing")
    coupons = _switch("Coupons")
    update_payment_method = _switch("Updating the card")
    payment_methods = _switch("Several saved cards", "Add, choose and remove saved cards")
    pay_invoices = _switch("Paying open invoices", "A “Pay now” button on unpaid invoices")
    billing_details = _switch("Billing details", "Name, address and phone on invoices")
    tax_ids = _switch("Tax IDs", "VAT and other tax numbers on invoices")
    show_all_invoices = _switch("Every invoice", "Not only the viewed subscription's")
    actions_dropdown = _switch("Actions in a menu")

    class Meta:
        label = "This page's options"
        collapsed = True
        form_classname = "billflow-page-options"


class BillingPortalBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=120, default="Your subscription")
    intro = blocks.RichTextBlock(
        required=False, features=["bold", "italic", "link"], label="Introduction"
    )
    service = blocks.CharBlock(
        required=False,
        max_length=200,
        help_text="Offer the plans of this service only (the sb_service metadata of your "
        "Stripe products). Empty: as in the site's settings.",
    )
    options = PageOptionsBlock()

    class Meta:
        icon = "billflow-card"
        label = "Billing portal"
        description = (
            "Your customers' billing portal: they change plan and quantity, cancel or "
            "pause, apply coupons, update their card and read their invoices."
        )
        preview_template = "billflow_wagtail/blocks/billing_portal_preview.html"
        preview_value = {
            "heading": "Your subscription",
            "intro": "<p>Change your plan, update your card or read your invoices.</p>",
        }

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        """By its own path, not as a StructBlock with its fields: a host project's migrations
        then name this block and stay as they are when a Billflow release changes its
        fields (the stored values are a dict either way)."""
        return ("billflow_wagtail.blocks.BillingPortalBlock", (), dict(self._constructor_kwargs))

    def deconstruct_with_lookup(self, lookup: Any) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        return self.deconstruct()

    @classmethod
    def construct_from_lookup(cls, lookup: Any, *args: Any, **kwargs: Any) -> BillingPortalBlock:
        return cls(*args, **kwargs)

    def get_preview_context(self, value: Any, parent_context: Any = None) -> dict[str, Any]:
        return {**(parent_context or {}), "value": value}

    def overrides(self, value: StructValue) -> dict[str, Any]:
        """The page's own options, as the core takes them."""
        chosen: dict[str, Any] = {}
        if value.get("service"):
            chosen["service"] = value["service"].strip()
        for name, switch in (value.get("options") or {}).items():
            if switch in ("on", "off"):
                chosen[name] = switch == "on"
        return chosen

    def render(self, value: StructValue, context: Any = None) -> Any:
        request = context.get("request") if context is not None else None
        return render_portal(
            request,
            heading=value.get("heading") or "",
            intro=value.get("intro") or "",
            overrides=self.overrides(value),
        )

    def clean(self, value: StructValue) -> StructValue:
        """Refuse, while the editor can still fix it, a service with no active plans and
        options the site's settings cannot take."""
        value = super().clean(value)
        portal = self._site_portal()
        if portal is None:
            return value  # nothing to check against: the page will say what is missing
        service = (value.get("service") or "").strip()
        services = self._known_services(portal) if service else None
        if services is not None and service not in services:
            known = ", ".join(services) or "none found"
            raise blocks.StructBlockValidationError(
                block_errors={
                    "service": ValidationError(
                        f"No active Stripe price belongs to the service {service!r} "
                        f"(products' sb_service metadata). Services: {known}."
                    )
                }
            )
        try:
            portal.with_overrides(self.overrides(value))
        except SettingsError as error:
            raise blocks.StructBlockValidationError(
                block_errors={"options": ValidationError(str(error))}
            ) from None
        return value

    def _site_portal(self) -> Portal | None:
        """The default site's portal: the block cannot know its page's site while it is
        edited, and sites share their Stripe account more often than not."""
        try:
            return portal_for_site(Site.objects.get(is_default_site=True))
        except (Site.DoesNotExist, BillflowNotConfigured):
            return None

    def _known_services(self, portal: Portal) -> tuple[str, ...] | None:
        """The services of the Stripe account; None when Stripe cannot say right now."""
        try:
            catalog = portal.with_overrides({"service": None}).catalog.get()
        except BillflowError:
            return None
        return catalog.services()
