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

from ..catalog import Catalog, Plan
from ..invoices import InvoicePage
from ..previews import ChangePreview
from ..settings import PortalSettings
from ..state import Card, Discount, PortalState, SubscriptionView
from .speech import Speech

__all__ = ["PageRenderer"]

# The order actions are offered in; "open" ones ask for more in a dialog, "run" ones do not.
_ACTIONS = (
    ("open", "change_plan"),
    ("open", "change_quantity"),
    ("open", "apply_coupon"),
    ("open", "pause"),
    ("run", "resume"),
    ("run", "undo_downgrade"),
    ("run", "undo_cancel"),
    ("open", "resubscribe"),
    ("open", "cancel"),
)
_ENDED = frozenset({"canceled", "incomplete_expired"})
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
    def portal(self, state: PortalState, catalog: Catalog, speech: Speech, *, now: int) -> str:
        """The whole portal of `state`: subscriptions with their actions and dialogs, the
        card, the invoices' places, or the plan picker for someone who is not a customer."""
        return self._render(
            "billflow/portal.html",
            speech,
            state=state,
            catalog=catalog,
            pause_window=_pause_window(self.settings, now),
        )

    def preview(self, preview: ChangePreview, catalog: Catalog, speech: Speech) -> str:
        """The sentence that says what a plan or quantity change costs."""
        plan = catalog.plan(preview.price)
        then = ""
        if plan is not None:
            then = _Page(speech, self.settings).recurring(
                plan.amount * preview.quantity, plan.currency, plan.interval, plan.interval_count
            )
        return self._render("billflow/preview.html", speech, preview=preview, then=then)

    def invoices(self, page: InvoicePage, speech: Speech) -> str:
        """One page of invoices, as list items."""
        return self._render("billflow/invoice_rows.html", speech, page=page)

    def _render(self, name: str, speech: Speech, **context: Any) -> str:
        page = _Page(speech, self.settings)
        return self.env.get_template(name).render(
            speech=speech,
            settings=self.settings,
            language=speech.language,
            dir=speech.dir,
            money=speech.money,
            date=speech.date,
            recurring=page.recurring,
            units=page.units,
            discount=page.discount,
            card_text=page.card,
            reason_text=page.reason,
            next_step=page.next_step,
            actions_of=_actions_of,
            intervals=_intervals,
            **context,
        )


@dataclass(frozen=True)
class _Page:
    """The sentences templates build from several values, in one language."""

    speech: Speech
    settings: PortalSettings

    def recurring(self, amount: int, currency: str, interval: str, count: int) -> str:
        """A recurring price: "$29.00 per month", "$90.00 every 3 months"."""
        price = self.speech.money(amount, currency)
        if count == 1:
            return self.speech.t(f"price.per_{interval}", price=price)
        return self.speech.t(f"price.every_{interval}", price=price, count=count)

    def units(self, quantity: int, unit_label: str | None) -> str:
        if not unit_label:
            return self.speech.number(quantity)
        return self.speech.t(
            "subscription.units", count=self.speech.number(quantity), unit=unit_label
        )

    def discount(self, discount: Discount) -> str:
        if discount.name:
            text = discount.name
        elif discount.percent_off is not None:
            text = self.speech.t("discount.percent", percent=self.speech.percent(discount))
        else:
            amount = self.speech.money(discount.amount_off or 0, discount.currency or "usd")
            text = self.speech.t("discount.amount", amount=amount)
        if discount.ends_at:
            return self.speech.t(
                "discount.until", discount=text, date=self.speech.date(discount.ends_at)
            )
        return text

    def card(self, card: Card) -> str:
        brand = (
            self.speech.t(f"card.brand.{card.brand}")
            if self.speech.has(f"card.brand.{card.brand}")
            else card.brand.title()
        )
        return self.speech.t(
            "card.summary",
            brand=brand,
            last4=card.last4,
            expiry=f"{card.exp_month:02d}/{card.exp_year}",
        )

    def reason(self, reason: str) -> str:
        """A cancellation reason: Stripe's eight are translated; a site's own reason shows
        as the site wrote it, unless its translations name `cancel.reason.<reason>`."""
        key = f"cancel.reason.{reason}"
        return self.speech.t(key) if self.speech.has(key) else reason

    def next_step(self, sub: SubscriptionView) -> list[str]:
        """What happens next to the subscription, most pressing first."""
        t, date = self.speech.t, self.speech.date
        if sub.status in _ENDED:
            ended = sub.ended_at or sub.canceled_at
            return [t("subscription.ended_on", date=date(ended)) if ended else t("status.canceled")]
        lines = []
        if sub.status == "incomplete":
            lines.append(t("subscription.first_payment"))
        elif sub.status == "past_due":
            lines.append(t("subscription.past_due"))
        held = sub.awaiting_payment
        if held is not None:
            lines.append(
                t(
                    "subscription.change_awaiting_payment",
                    plan=self._plan(held.plan, sub),
                    date=date(held.at),
                )
            )
        scheduled = sub.scheduled_change
        if scheduled is not None:
            lines.append(
                t(
                    "subscription.scheduled_change",
                    plan=self._plan(scheduled.plan, sub),
                    quantity=self.units(scheduled.quantity, sub.unit_label),
                    date=date(scheduled.at),
                )
            )
        if sub.paused:
            lines.append(
                t("subscription.paused_until", date=date(sub.paused_until))
                if sub.paused_until
                else t("subscription.paused")
            )
        if sub.cancel_at:
            lines.append(t("subscription.ends_on", date=date(sub.cancel_at)))
        elif sub.status == "trialing":
            lines.append(t("subscription.trial_ends_on", date=date(sub.current_period_end)))
        elif sub.status in ("active", "past_due") and not sub.paused:
            lines.append(t("subscription.renews_on", date=date(sub.current_period_end)))
        return lines

    def _plan(self, plan: Plan | None, sub: SubscriptionView) -> str:
        return plan.name if plan is not None else (sub.product_name or "")


def _actions_of(sub: SubscriptionView) -> list[tuple[str, str]]:
    return [(kind, name) for kind, name in _ACTIONS if name in sub.allowed]


def _intervals(plans: Iterable[Plan]) -> list[str]:
    """The billing intervals among `plans`, shortest first."""
    order = ("day", "week", "month", "year")
    found = {plan.interval for plan in plans}
    return [interval for interval in order if interval in found]


@dataclass(frozen=True)
class _Window:
    first: str
    last: str


def _pause_window(settings: PortalSettings, now: int) -> _Window:
    """The resume dates a pause may pick (ISO dates, UTC): from tomorrow to the last whole
    day within `pause_max_days`. The page sends the chosen day's start, UTC."""
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    latest = dt.datetime.fromtimestamp(now + settings.pause_max_days * _DAY, dt.UTC).date()
    return _Window((today + dt.timedelta(days=1)).isoformat(), latest.isoformat())


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
