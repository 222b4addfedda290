"""What the page says that templates cannot say alone: sentences built from several values
(a recurring price, a discount and its end, a retention offer's worth), a subscription's
badge and what happens to it next, and what the page says once an action is done. Each is
in the request's language; templates call them through the names `PageRenderer` gives."""

from __future__ import annotations

from dataclasses import dataclass

from ..actions import ACTIONS
from ..actions.previews import ChangePreview
from ..billing.catalog import Catalog, OfferTerms, Plan
from ..billing.state import Card, Discount, SubscriptionView
from ..settings import PortalSettings
from .request_language import Speech

__all__ = ["PageTexts", "Step", "preview_now", "status_kind"]

_OWING = frozenset({"past_due", "incomplete", "unpaid"})  # a payment is asked for now


@dataclass(frozen=True)
class Step:
    """One line of what happens next; `str(step)` is its text, so a site's own template
    may print it as it is."""

    text: str
    pending: bool = False

    def __str__(self) -> str:
        return self.text


def status_kind(sub: SubscriptionView) -> str:
    """The badge's kind, for its colour: what is about to happen, unless a payment is owed
    now (past due, incomplete, unpaid: the badge says so in red, whatever comes later)."""
    if sub.has_ended or sub.status in _OWING:
        return sub.status
    if sub.cancel_at:
        return "canceling"
    if sub.paused and sub.status in ("active", "trialing"):
        return "paused"
    if sub.scheduled_change is not None:
        return "changing"
    return sub.status


@dataclass(frozen=True)
class PageTexts:
    """The texts templates build from several values, in one language."""

    speech: Speech
    settings: PortalSettings

    def recurring(self, amount: int, currency: str, interval: str, count: int) -> str:
        """A recurring price: "$29.00 per month", "$90.00 every 3 months"."""
        return self.speech.price(amount, currency, interval, count)

    def units(
        self, quantity: int, unit_label: str | None, forms: tuple[tuple[str, str], ...] = ()
    ) -> str:
        """A quantity with its unit in the form the language's plural rules ask ("1 seat",
        "3 seats"): the product's own form for this language or any, else its `unit_label`
        for one and an English plural of it for more; the catalog's unit without a label."""
        form = self.speech.plural(quantity)
        if unit_label is None and not forms:
            key = "subscription.unit_default_one" if form == "one" else "subscription.unit_default"
            unit = self.speech.t(key)
        else:
            unit = unit_form(form, self.speech.language, unit_label, dict(forms))
        return self.speech.t(
            "subscription.quantity", quantity=self.speech.number(quantity), unit=unit
        )

    def preview_lines(self, preview: ChangePreview, catalog: Catalog) -> list[tuple[str, str]]:
        """The change's invoice as lines a customer reads: "Unused time on Team  −$14.50",
        "Remaining time on Business  $39.50" (a quantity change names the units of each)."""
        rows = []
        for line in preview.lines:
            plan = catalog.plan(line.price) if line.price else None
            name = plan.name if plan is not None else (line.description or "")
            if plan is not None and plan.quantity is not None and line.quantity:
                rule = plan.quantity
                name = f"{name} ({self.units(line.quantity, rule.unit_label, rule.unit_forms)})"
            if line.proration:
                key = "preview.unused_time" if line.amount < 0 else "preview.remaining_time"
                name = self.speech.t(key, plan=name)
            rows.append((name, self.speech.money(line.amount, preview.currency)))
        return rows

    def discount(self, discount: Discount) -> str:
        if discount.name:
            text = discount.name
        elif discount.percent_off is not None:
            percent = self.speech.number(discount.percent_off)
            text = self.speech.t("subscription.discount_percent", percent=percent)
        else:
            amount = self.speech.money(discount.amount_off or 0, discount.currency or "usd")
            text = self.speech.t("subscription.discount_amount", amount=amount)
        if discount.ends_at:
            until = self.speech.t(
                "subscription.discount_until", date=self.speech.date(discount.ends_at)
            )
            return f"{text} {until}"
        return text

    def card(self, card: Card) -> str:
        brand = _BRANDS.get(card.brand, card.brand.title())
        return self.speech.t("card.summary", brand=brand, last4=card.last4)

    def card_expiry(self, card: Card) -> str:
        return self.speech.t("card.expires", month=f"{card.exp_month:02d}", year=card.exp_year)

    def reason(self, reason: str) -> str:
        """A cancellation reason: Stripe's eight are translated; a site's own reason shows
        as the site wrote it, unless its translations name `cancel.reason.<reason>`."""
        key = f"cancel.reason.{reason}"
        return self.speech.t(key) if self.speech.has(key) else reason

    def status(self, sub: SubscriptionView) -> str:
        """The badge: what the subscription is, or what is about to happen to it (a
        cancellation, a pause, a change at the period end), which matters more to the
        customer than that it is still active today."""
        t, date = self.speech.t, self.speech.date
        kind = status_kind(sub)
        if kind == "canceling" and sub.cancel_at:
            return t("subscription.status.cancels_on", date=date(sub.cancel_at))
        if kind == "paused":
            if sub.paused_until:
                return t("subscription.status.paused_until", date=date(sub.paused_until))
            return t("subscription.status.paused")
        if kind == "changing" and sub.scheduled_change is not None:
            return t("subscription.status.changes_on", date=date(sub.scheduled_change.at))
        return t(f"subscription.status.{sub.status}")

    def offer(self, terms: OfferTerms) -> str:
        """What the retention offer is worth: "20% off for 3 months"."""
        t = self.speech.t
        if terms.percent_off is not None:
            discount = t(
                "subscription.discount_percent", percent=self.speech.number(terms.percent_off)
            )
        else:
            amount = self.speech.money(terms.amount_off or 0, terms.currency or "usd")
            discount = t("subscription.discount_amount", amount=amount)
        months = terms.duration_in_months or 0
        if terms.duration == "forever":
            duration = t("offer.for_good")
        elif terms.duration == "repeating" and months > 1:
            duration = t("offer.for_months", months=self.speech.number(months))
        elif terms.duration == "repeating":
            duration = t("offer.for_a_month")
        else:
            duration = t("offer.once")
        return t("offer.worth", discount=discount, duration=duration)

    def offer_price(self, terms: OfferTerms, sub: SubscriptionView) -> str:
        """What the offer makes the subscription cost, beside what it costs now ("That's
        $23.20 per month instead of $29.00"); empty where that cannot be said (no price,
        or an amount off in another currency)."""
        if sub.amount is None:
            return ""
        now = sub.amount * sub.quantity
        if terms.percent_off is not None:
            offered = round(now * (100 - terms.percent_off) / 100)
        elif terms.amount_off is not None and terms.currency == sub.currency:
            offered = max(0, now - terms.amount_off)
        else:
            return ""
        new = self.recurring(offered, sub.currency, sub.interval, sub.interval_count)
        return self.speech.t("offer.price", new=new, old=self.speech.money(now, sub.currency))

    def done(self, action: str, sub: SubscriptionView | None) -> str:
        """What the page says once `action` is done: what happened, with its date when it
        happens later (a cancellation at the period end is not a cancellation now)."""
        t, date = self.speech.t, self.speech.date
        pending = sub is not None and not sub.has_ended
        if action == "cancel" and pending and sub is not None and sub.cancel_at:
            return t("cancel.done_on", date=date(sub.cancel_at))
        if action in ("change_plan", "change_quantity") and pending and sub is not None:
            change = sub.scheduled_change
            if change is not None:
                plan = self._plan(change.plan, sub)
                if action == "change_quantity":
                    plan = self.units(change.quantity, sub.unit_label, sub.unit_forms)
                return t("plans.done_on", plan=plan, date=date(change.at))
        if action == "pause" and pending and sub is not None and sub.paused_until:
            return t("pause.done_until", date=date(sub.paused_until))
        if action == "subscribe" and sub is not None and sub.status == "trialing":
            return t("subscribe.trial_done", date=date(sub.current_period_end))
        spec = ACTIONS.get(action)
        return t(spec.done) if spec is not None and spec.done else ""

    def next_step(self, sub: SubscriptionView) -> list[Step]:
        """What happens next to the subscription, most pressing first. A change still to
        come (a cancellation, a downgrade, a pause) is `pending`: the page shows it as news,
        not in the muted grey of "Renews on"."""
        t, date = self.speech.t, self.speech.date
        if sub.has_ended:
            ended = sub.ended_at or sub.canceled_at
            return [Step(t("subscription.ended_on", date=date(ended)))] if ended else []
        lines = []
        if sub.status == "incomplete" and not sub.payment_secret:
            lines.append(Step(t("subscription.incomplete_notice"), pending=True))
        elif sub.status == "past_due" and not sub.payment_secret:  # else its notice says so
            lines.append(Step(t("subscription.past_due_notice"), pending=True))
        held = sub.awaiting_payment
        if held is not None:
            plan = self._plan(held.plan, sub)
            lines.append(Step(t("subscription.awaiting_payment", plan=plan), pending=True))
        scheduled = sub.scheduled_change
        if scheduled is not None:
            plan = self._plan(scheduled.plan, sub)
            if scheduled.quantity != sub.quantity:  # fewer units: say how many
                units = self.units(scheduled.quantity, sub.unit_label, sub.unit_forms)
                plan = units if scheduled.price_id == sub.price_id else f"{plan} ({units})"
            text = t("subscription.scheduled_change", plan=plan, date=date(scheduled.at))
            lines.append(Step(text, pending=True))
        if sub.paused:
            text = (
                t("subscription.paused_until", date=date(sub.paused_until))
                if sub.paused_until
                else t("subscription.paused")
            )
            lines.append(Step(text, pending=True))
        if sub.cancel_at:
            # "No more payments" is untrue while an unpaid invoice is still being retried.
            key = (
                "subscription.status.cancels_on"
                if sub.status in _OWING
                else "subscription.cancels_on"
            )
            lines.append(Step(t(key, date=date(sub.cancel_at)), pending=True))
        elif sub.status == "trialing":
            lines.append(Step(t("subscription.trial_ends", date=date(sub.current_period_end))))
        elif sub.status in ("active", "past_due") and not sub.paused:
            lines.append(Step(t("subscription.renews_on", date=date(sub.current_period_end))))
        return lines

    def _plan(self, plan: Plan | None, sub: SubscriptionView) -> str:
        return plan.name if plan is not None else (sub.product_name or "")


_BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express",
           "discover": "Discover", "diners": "Diners Club", "jcb": "JCB",
           "unionpay": "UnionPay", "cartes_bancaires": "Cartes Bancaires"}  # fmt: skip


def preview_now(preview: ChangePreview, speech: Speech) -> str:
    """What the change costs now: nothing until it takes effect, a charge or credit today,
    or what the next invoice gains (the site prorates without invoicing at once)."""
    amount = speech.money(abs(preview.amount_due), preview.currency)
    proration = speech.money(abs(preview.proration), preview.currency)
    if preview.takes_effect_at:
        return speech.t("preview.from_date", date=speech.date(preview.takes_effect_at))
    if preview.due_now:
        if preview.amount_due > 0:
            return speech.t("preview.charge_today", amount=amount)
        if preview.proration < 0:
            return speech.t("preview.credit_today", amount=proration)
        return speech.t("preview.nothing_today")
    if preview.proration > 0:
        return speech.t("preview.next_invoice", amount=proration)
    if preview.proration < 0:
        return speech.t("preview.next_invoice_credit", amount=proration)
    return speech.t("preview.no_proration")


def preview_total(preview: ChangePreview, speech: Speech) -> tuple[str, str] | None:
    """The line under them: what is due today (or credited), or what the next invoice
    gains where the site does not invoice changes at once."""
    if preview.takes_effect_at or not preview.lines:
        return None
    if not preview.due_now:
        return speech.t("preview.on_next_invoice"), speech.money(
            preview.proration, preview.currency
        )
    if preview.amount_due <= 0 and preview.proration < 0:
        return speech.t("preview.credited"), speech.money(-preview.proration, preview.currency)
    return speech.t("preview.due_today"), speech.money(max(preview.amount_due, 0), preview.currency)


def unit_form(form: str, language: str, unit_label: str | None, forms: dict[str, str]) -> str:
    """The unit for CLDR plural `form` in `language`, from the forms a product names."""
    base = language.split("-")[0].lower()
    for key in (f"{form}_{language.lower().replace('-', '_')}", f"{form}_{base}", form):
        if key in forms:
            return forms[key]
    if form == "one" and unit_label:
        return unit_label
    for key in (f"other_{base}", "other"):
        if key in forms:
            return forms[key]
    return english_plural(unit_label) if unit_label else next(iter(forms.values()))


def english_plural(word: str) -> str:
    """A unit label's English plural, for a product that names none ("seat" → "seats",
    "entry" → "entries", "box" → "boxes", "class" → "classes"). A label ending in a single
    "s" is taken as plural already ("credits"), one not ending in a letter as it is."""
    lower = word.lower()
    if not lower[-1:].isalpha() or (lower.endswith("s") and not lower.endswith("ss")):
        return word
    if lower.endswith(("ss", "x", "z", "ch", "sh")):
        return word + "es"
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        return word[:-1] + "ies"
    return word + "s"
