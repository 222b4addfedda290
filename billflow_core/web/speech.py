"""The language a request is answered in: its translator and Babel's formatting, together.

INTERIM: English only, until billflow_core.i18n's catalogs are merged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_currency_precision

from ..settings import PortalSettings
from ..state import Discount

__all__ = ["Languages", "Speech"]

_ENGLISH: dict[str, str] = {
    "action.change_plan": "Change plan",
    "action.change_quantity": "Change quantity",
    "action.apply_coupon": "Apply coupon",
    "action.pause": "Pause payments",
    "action.resume": "Resume payments",
    "action.undo_downgrade": "Keep current plan",
    "action.undo_cancel": "Don't cancel",
    "action.resubscribe": "Resubscribe",
    "action.cancel": "Cancel subscription",
    "action.update_payment_method": "Update card",
    "actions.label": "Manage subscription",
    "actions.choose": "Choose an action",
    "actions.go": "Continue",
    "cancel.title": "Cancel subscription",
    "cancel.why": "Why are you cancelling?",
    "cancel.comment": "Anything else you want to tell us? (optional)",
    "cancel.confirm": "Cancel subscription",
    "cancel.keep": "Keep subscription",
    "cancel.ends_now": "Your subscription will end now.",
    "cancel.ends_on": "Your subscription will end on {date}.",
    "cancel.reason.too_expensive": "It's too expensive",
    "cancel.reason.missing_features": "Some features are missing",
    "cancel.reason.switched_service": "I'm switching to another service",
    "cancel.reason.unused": "I don't use it enough",
    "cancel.reason.customer_service": "Customer service was less than expected",
    "cancel.reason.too_complex": "It's too complicated",
    "cancel.reason.low_quality": "Quality was less than expected",
    "cancel.reason.other": "Other reason",
    "card.title": "Payment method",
    "card.none": "No card on file.",
    "card.summary": "{brand} ending in {last4}, expires {expiry}",
    "card.dialog_title": "Update card",
    "card.save": "Save card",
    "change_plan.title": "Change plan",
    "change_plan.confirm": "Change plan",
    "coupon.title": "Apply a coupon",
    "coupon.label": "Coupon code",
    "coupon.confirm": "Apply",
    "dialog.close": "Close",
    "discount.percent": "{percent}% off",
    "discount.amount": "{amount} off",
    "discount.until": "{discount}, until {date}",
    "invoices.title": "Invoices",
    "invoices.none": "No invoices yet.",
    "invoices.more": "Show more invoices",
    "invoices.view": "View",
    "invoices.pdf": "PDF",
    "invoices.view_label": "View invoice {number}",
    "invoices.pdf_label": "Download invoice {number} as PDF",
    "invoices.status.open": "Due",
    "invoices.status.paid": "Paid",
    "invoices.status.void": "Void",
    "invoices.status.uncollectible": "Uncollectible",
    "offer.title": "Before you go",
    "offer.text": "Stay with us and we will take money off your next payments.",
    "offer.accept": "Accept offer",
    "pause.title": "Pause payments",
    "pause.text": "No payments are taken while your subscription is paused.",
    "pause.resume_on": "Resume payments on",
    "pause.bounds": "At most {days} days from today.",
    "pause.confirm": "Pause payments",
    "payment.needed": "A payment needs your confirmation.",
    "payment.confirm": "Confirm payment",
    "payment.title": "Confirm payment",
    "payment.enter_card": "Enter the card to pay with.",
    "payment.pay": "Pay",
    "picker.title": "Choose a plan",
    "picker.intro": "You have no subscription yet. Choose a plan to start one.",
    "picker.subscribe": "Subscribe",
    "plans.billing": "Billing period",
    "plans.choose": "Plans",
    "plans.current": "Current plan",
    "plans.interval.day": "Daily",
    "plans.interval.week": "Weekly",
    "plans.interval.month": "Monthly",
    "plans.interval.year": "Yearly",
    "preview.takes_effect": "This change takes effect on {date}.",
    "preview.charge_today": "You will be charged {amount} today.",
    "preview.nothing_today": "Nothing is charged today.",
    "preview.next_invoice_adds": "{amount} will be added to your next invoice.",
    "preview.next_invoice_credits": "{amount} will be credited on your next invoice.",
    "preview.then": "Then {price}.",
    "preview.then_only": "From your next invoice: {price}.",
    "price.per_day": "{price} per day",
    "price.per_week": "{price} per week",
    "price.per_month": "{price} per month",
    "price.per_year": "{price} per year",
    "price.every_day": "{price} every {count} days",
    "price.every_week": "{price} every {count} weeks",
    "price.every_month": "{price} every {count} months",
    "price.every_year": "{price} every {count} years",
    "quantity.title": "Change quantity",
    "quantity.label": "Quantity ({unit})",
    "quantity.less": "One less",
    "quantity.more": "One more",
    "quantity.bounds": "From {min} to {max}.",
    "quantity.confirm": "Change quantity",
    "resubscribe.title": "Resubscribe",
    "resubscribe.text": "Start {plan} again for {price}.",
    "resubscribe.confirm": "Resubscribe",
    "status.active": "Active",
    "status.trialing": "Trial",
    "status.past_due": "Past due",
    "status.incomplete": "Awaiting payment",
    "status.incomplete_expired": "Expired",
    "status.canceled": "Canceled",
    "status.unpaid": "Unpaid",
    "status.paused": "Paused",
    "subscription.price": "Price",
    "subscription.quantity": "Quantity",
    "subscription.units": "{count} × {unit}",
    "subscription.discount": "Discount",
    "subscription.unnamed": "Subscription",
    "subscription.renews_on": "Renews on {date}.",
    "subscription.ends_on": "Ends on {date}.",
    "subscription.ended_on": "Ended on {date}.",
    "subscription.trial_ends_on": "Trial ends on {date}.",
    "subscription.paused": "Payments are paused.",
    "subscription.paused_until": "Payments are paused until {date}.",
    "subscription.first_payment": "Waiting for the first payment.",
    "subscription.past_due": "A payment is overdue.",
    "subscription.scheduled_change": "Changes to {plan} ({quantity}) on {date}.",
    "subscription.change_awaiting_payment": "Your change to {plan} is waiting for its payment "
    "(until {date}).",
    "subscriptions.title": "Your subscriptions",
    "subscriptions.none": "You have no subscriptions.",
    "subscriptions.not_customer": "There is no subscription for this account.",
    "error.generic": "Something went wrong. Please try again.",
    "error.network": "We could not reach the server. Check your connection and try again.",
    "error.handler_stopped": "This action was stopped by the site.",
    "error.card_declined": "Your card was declined.",
    "done.change_plan": "Your plan was changed.",
    "done.change_quantity": "The quantity was changed.",
    "done.cancel": "Your subscription was canceled.",
    "done.undo_cancel": "Your subscription will continue.",
    "done.undo_downgrade": "You keep your current plan.",
    "done.accept_retention_offer": "The offer was applied to your subscription.",
    "done.resubscribe": "Welcome back! Your subscription has started again.",
    "done.apply_coupon": "The coupon was applied.",
    "done.subscribe": "Your subscription has started.",
    "done.pause": "Payments are paused.",
    "done.resume": "Payments have resumed.",
    "done.update_payment_method": "Your card was updated.",
    "done.payment": "Your payment was confirmed.",
    "status.loading": "Loading…",
}


@dataclass(frozen=True)
class Speech:
    """One language's words and formats."""

    language: str
    dir: str = "ltr"
    custom: Mapping[str, str] = field(default_factory=dict)

    def has(self, key: str) -> bool:
        return key in self.custom or key in _ENGLISH

    def t(self, key: str, **fields: Any) -> str:
        text = self.custom.get(key) or _ENGLISH.get(key, key)
        try:
            return text.format(**fields)
        except (KeyError, IndexError, ValueError):
            return text

    def money(self, amount: int, currency: str) -> str:
        code = currency.upper()
        digits = get_currency_precision(code)
        return str(format_currency(amount / 10**digits, code, locale=self._locale()))

    def date(self, epoch: int) -> str:
        day = dt.datetime.fromtimestamp(epoch, dt.UTC).date()
        return str(format_date(day, "medium", locale=self._locale()))

    def number(self, value: int) -> str:
        return str(format_decimal(value, locale=self._locale()))

    def percent(self, discount: Discount) -> str:
        return str(format_decimal(discount.percent_off or 0, locale=self._locale()))

    def messages(self) -> dict[str, str]:
        """The strings the script shows itself: errors, results and its own words."""
        keys = [k for k in _ENGLISH if k.startswith(("error.", "done.", "status.loading"))]
        return {key: self.t(key) for key in keys}

    def _locale(self) -> str:
        return self.language.replace("-", "_")


class Languages:
    """The languages one site speaks."""

    def __init__(self, settings: PortalSettings) -> None:
        self.settings = settings

    def for_request(self, accept_language: str | None) -> Speech:
        language = self.settings.default_language
        custom = self.settings.translations.get(language, {})
        return Speech(language, "ltr", custom)
