"""The portal's HTML, rendered on the server in the customer's language.

The script asks the HTTP API and puts the `html` of each answer in the page: the whole portal
on load and after every action, a sentence for a preview, rows for a page of invoices. The
templates live in `templates/billflow/`; a site overrides any of them by passing folders of
its own, searched first (`template_dirs`), holding `billflow/<name>.html`.

Templates get the translator and Babel's formatting, in the language of the request:
`t("key", field=...)`, `{{ amount|money(currency) }}`, `{{ epoch|date }}`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    pass_context,
)

from ..actions import ACTIONS
from ..actions.previews import ChangePreview
from ..billing.catalog import Catalog, OfferTerms, Plan
from ..billing.facts import ENDED
from ..billing.invoices import InvoicePage
from ..billing.state import Card, Discount, PortalState, SubscriptionView
from ..settings import PortalSettings
from .speech import Speech

__all__ = ["PageRenderer"]

_OWING = frozenset({"past_due", "incomplete", "unpaid"})  # a payment is asked for now
# The monthly/yearly switch's words, by Stripe's interval.
_INTERVAL_KEYS = {"day": "plans.daily", "week": "plans.weekly", "month": "plans.monthly",
                  "year": "plans.yearly"}  # fmt: skip
_DAY = 86400


class PageRenderer:
    """Renders one site's portal. Create it once (it compiles and caches the templates) and
    share it between threads."""

    def __init__(
        self,
        settings: PortalSettings,
        *,
        template_dirs: Sequence[str | os.PathLike[str]] = (),
    ) -> None:
        loaders: list[Any] = []
        if template_dirs:
            loaders.append(FileSystemLoader([os.fspath(d) for d in template_dirs]))
        loaders.append(PackageLoader("billflow_core.web", "templates"))
        self.settings = settings
        self.env = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=True,
            undefined=StrictUndefined,
            auto_reload=False,
        )
        self.env.globals["t"] = _t
        self.env.filters["money"] = _money
        self.env.filters["date"] = _date
        self.env.filters["web_url"] = _web_url

    # -- the fragments ---------------------------------------------------------------------
    def portal(
        self,
        state: PortalState,
        catalog: Catalog,
        speech: Speech,
        *,
        now: int,
        settings: PortalSettings | None = None,
    ) -> str:
        """The whole portal of `state`: subscriptions with their actions and dialogs, the
        card, the invoices' places, or the plan picker for someone who is not a customer.
        `settings`: a page's own options, when it has some (else the site's)."""
        chosen = settings or self.settings
        return self._render(
            "billflow/portal.html",
            speech,
            chosen,
            state=state,
            catalog=catalog,
            pause_window=_pause_window(chosen, now),
        )

    def preview(self, preview: ChangePreview, catalog: Catalog, speech: Speech) -> str:
        """The sentence that says what a plan or quantity change costs: now (or when it
        takes effect), then per billing period."""
        plan = catalog.plan(preview.price)
        then = ""
        if plan is not None:
            amount = speech.money(plan.amount * preview.quantity, plan.currency)
            if plan.interval_count == 1:
                then = speech.t(
                    "preview.then", amount=amount, interval=speech.interval(plan.interval, 1)
                )
            else:
                then = speech.t(
                    "preview.then_every",
                    amount=amount,
                    count=speech.number(plan.interval_count),
                    interval=speech.t(f"interval.{plan.interval}s"),
                )
        return self._render(
            "billflow/preview.html",
            speech,
            preview=preview,
            now=_preview_now(preview, speech),
            then=then,
        )

    def done(
        self, action: str, state: PortalState, subscription_id: str | None, speech: Speech
    ) -> str:
        """What the page says once `action` is done to `subscription_id`: what happened,
        with the date it happens on when that is later ("Your subscription ends on …")."""
        sub = next((s for s in state.subscriptions if s.id == subscription_id), None)
        return _Page(speech, self.settings).done(action, sub)

    def invoices(self, page: InvoicePage, speech: Speech) -> str:
        """One page of invoices, as list items."""
        return self._render("billflow/invoice_rows.html", speech, page=page)

    def sign_in(self, speech: Speech) -> str:
        """The email sign-in form, for a visitor the page cannot name."""
        return self._render("billflow/sign_in.html", speech)

    def sign_in_email(self, speech: Speech, link: str, *, minutes: int) -> tuple[str, str, str]:
        """A sign-in email's subject, plain text and HTML (`billflow/sign_in_email.txt` and
        `.html`, which a site may override), naming the company, with the link and how many
        minutes it works."""
        company = self.settings.company_name or ""
        subject = speech.t("signin.email.subject", company=company)
        text = self._render(
            "billflow/sign_in_email.txt", speech, link=link, minutes=minutes, company=company
        )
        html = self._render(
            "billflow/sign_in_email.html", speech, link=link, minutes=minutes, company=company
        )
        return subject, text, html

    def _render(
        self, name: str, speech: Speech, settings: PortalSettings | None = None, **context: Any
    ) -> str:
        settings = settings or self.settings
        page = _Page(speech, settings)
        return self.env.get_template(name).render(
            speech=speech,
            settings=settings,
            language=speech.language,
            dir=speech.dir,
            money=speech.money,
            date=speech.date,
            recurring=page.recurring,
            units=page.units,
            discount=page.discount,
            card_text=page.card,
            card_expiry=page.card_expiry,
            status_text=page.status,
            status_kind=status_kind,
            offer_text=page.offer,
            reason_text=page.reason,
            next_step=page.next_step,
            actions_of=_actions_of,
            intervals=_intervals,
            interval_keys=_INTERVAL_KEYS,
            **context,
        )


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
    if sub.status in ENDED or sub.status in _OWING:
        return sub.status
    if sub.cancel_at:
        return "canceling"
    if sub.paused and sub.status in ("active", "trialing"):
        return "paused"
    if sub.scheduled_change is not None:
        return "changing"
    return sub.status


@dataclass(frozen=True)
class _Page:
    """The texts templates build from several values, in one language."""

    speech: Speech
    settings: PortalSettings

    def recurring(self, amount: int, currency: str, interval: str, count: int) -> str:
        """A recurring price: "$29.00 per month", "$90.00 every 3 months"."""
        return self.speech.price(amount, currency, interval, count)

    def units(self, quantity: int, unit_label: str | None) -> str:
        """A quantity as the catalog writes it ("3 seats"), with the product's unit label."""
        unit = unit_label or self.speech.t("subscription.unit_default")
        return self.speech.t(
            "subscription.quantity", quantity=self.speech.number(quantity), unit=unit
        )

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

    def done(self, action: str, sub: SubscriptionView | None) -> str:
        """What the page says once `action` is done: what happened, with its date when it
        happens later (a cancellation at the period end is not a cancellation now)."""
        t, date = self.speech.t, self.speech.date
        pending = sub is not None and sub.status not in ENDED
        if action == "cancel" and pending and sub is not None and sub.cancel_at:
            return t("cancel.done_on", date=date(sub.cancel_at))
        if action in ("change_plan", "change_quantity") and pending and sub is not None:
            change = sub.scheduled_change
            if change is not None:
                plan = self._plan(change.plan, sub)
                if action == "change_quantity":
                    plan = self.units(change.quantity, sub.unit_label)
                return t("plans.done_on", plan=plan, date=date(change.at))
        if action == "pause" and pending and sub is not None and sub.paused_until:
            return t("pause.done_until", date=date(sub.paused_until))
        spec = ACTIONS.get(action)
        return t(spec.done) if spec is not None and spec.done else ""

    def next_step(self, sub: SubscriptionView) -> list[Step]:
        """What happens next to the subscription, most pressing first. A change still to
        come (a cancellation, a downgrade, a pause) is `pending`: the page shows it as news,
        not in the muted grey of "Renews on"."""
        t, date = self.speech.t, self.speech.date
        if sub.status in ENDED:
            ended = sub.ended_at or sub.canceled_at
            return [Step(t("subscription.ended_on", date=date(ended)))] if ended else []
        lines = []
        if sub.status == "incomplete":
            lines.append(Step(t("subscription.incomplete_notice"), pending=True))
        elif sub.status == "past_due":
            lines.append(Step(t("subscription.past_due_notice"), pending=True))
        held = sub.awaiting_payment
        if held is not None:
            plan = self._plan(held.plan, sub)
            lines.append(Step(t("subscription.awaiting_payment", plan=plan), pending=True))
        scheduled = sub.scheduled_change
        if scheduled is not None:
            plan = self._plan(scheduled.plan, sub)
            if scheduled.quantity != sub.quantity:  # fewer units: say how many
                units = self.units(scheduled.quantity, sub.unit_label)
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


def _preview_now(preview: ChangePreview, speech: Speech) -> str:
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


def _actions_of(sub: SubscriptionView) -> list[tuple[str, str]]:
    """The actions a subscription's card offers, in the table's order: "open" ones ask for
    more in a dialog, "run" ones do not."""
    return [
        (spec.offered, spec.name)
        for spec in ACTIONS.values()
        if spec.offered is not None and spec.name in sub.allowed
    ]


def _intervals(plans: Iterable[Plan]) -> list[str]:
    """The billing intervals among `plans`, shortest first."""
    order = ("day", "week", "month", "year")
    found = {plan.interval for plan in plans}
    return [interval for interval in order if interval in found]


@dataclass(frozen=True)
class _Window:
    first: str
    last: str
    latest: int  # the last day's start, for the page to show it


def _pause_window(settings: PortalSettings, now: int) -> _Window:
    """The resume dates a pause may pick (ISO dates, UTC): from tomorrow to the last whole
    day within `pause_max_days`. The page sends the chosen day's start, UTC."""
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    latest = dt.datetime.fromtimestamp(now + settings.pause_max_days * _DAY, dt.UTC).date()
    start = int(dt.datetime.combine(latest, dt.time(), dt.UTC).timestamp())
    return _Window((today + dt.timedelta(days=1)).isoformat(), latest.isoformat(), start)


@pass_context
def _t(context: Mapping[str, Any], key: str, **fields: Any) -> str:
    speech: Speech = context["speech"]
    return speech.t(key, **fields)


@pass_context
def _money(context: Mapping[str, Any], amount: int, currency: str) -> str:
    speech: Speech = context["speech"]
    return speech.money(amount, currency)


@pass_context
def _date(context: Mapping[str, Any], epoch: int) -> str:
    speech: Speech = context["speech"]
    return speech.date(epoch)


def _web_url(url: Any) -> bool:
    """Whether `url` may be a link's target: Stripe's http(s) pages, nothing else."""
    return isinstance(url, str) and url.startswith(("https://", "http://"))
