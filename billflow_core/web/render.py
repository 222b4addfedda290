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
import functools
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from babel import dates as babel_dates
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    pass_context,
)

from .. import i18n
from ..actions import ACTIONS
from ..actions.previews import ChangePreview
from ..billing.billing_details import countries
from ..billing.catalog import Catalog, Plan
from ..billing.invoices import InvoicePage
from ..billing.state import PortalState, SubscriptionView
from ..billing.wallet import SavedCard, TaxIdView
from ..i18n.languages import babel_locale
from ..settings import PortalSettings
from ..stripe.tax_id_types import TAX_ID_TYPES
from .page_texts import PageTexts, preview_now, preview_total, status_kind
from .request_language import Speech

__all__ = ["PageRenderer"]

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
            now=preview_now(preview, speech),
            lines=PageTexts(speech, self.settings).preview_lines(preview, catalog),
            total=preview_total(preview, speech),
            then=then,
            then_line=then[:1].upper() + then[1:],
        )

    def done(
        self, action: str, state: PortalState, subscription_id: str | None, speech: Speech
    ) -> str:
        """What the page says once `action` is done to `subscription_id`: what happened,
        with the date it happens on when that is later ("Your subscription ends on …")."""
        sub = next((s for s in state.subscriptions if s.id == subscription_id), None)
        return PageTexts(speech, self.settings).done(action, sub)

    def invoices(self, page: InvoicePage, speech: Speech, catalog: Catalog | None = None) -> str:
        """One page of invoices, as list items: each names the plan it bills (from the
        catalog), else its description, and the period it covers."""
        return self._render(
            "billflow/invoice_rows.html",
            speech,
            page=page,
            plan_name=lambda price: _plan_name(catalog, price),
            period=lambda start, end: i18n_period(start, end, speech.language),
        )

    def cards(
        self, cards: Sequence[SavedCard], speech: Speech, *, settings: PortalSettings | None = None
    ) -> str:
        """The saved cards, as list items."""
        return self._render("billflow/card_rows.html", speech, settings, cards=cards)

    def tax_ids(self, found: Sequence[TaxIdView], speech: Speech) -> str:
        """The customer's tax IDs, as list items."""
        return self._render("billflow/tax_id_rows.html", speech, tax_ids=found)

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
        page = PageTexts(speech, settings)
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
            offer_price=page.offer_price,
            reason_text=page.reason,
            next_step=page.next_step,
            actions_of=offered_actions,
            intervals=_intervals,
            yearly_saving=lambda plans: _yearly_saving(plans, speech),
            interval_keys=_INTERVAL_KEYS,
            countries=_countries(speech.language),
            country_name=lambda code: _country_names(speech.language).get(code, code),
            tax_id_kind=lambda kind: _tax_id_kind(kind, speech.language),
            tax_id_kinds=_tax_id_kinds(speech.language),
            **context,
        )


def offered_actions(sub: SubscriptionView) -> list[tuple[str, str]]:
    """The actions a subscription's card offers, in the table's order: "open" ones ask for
    more in a dialog, "run" ones do not."""
    return [
        (spec.offered, spec.name)
        for spec in ACTIONS.values()
        if spec.offered is not None and spec.name in sub.allowed
    ]


def _yearly_saving(plans: Iterable[Plan], speech: Speech) -> str:
    """The most a year saves over twelve months of the same product ("17 %" as the language
    writes a percent), or "" when no product has both."""
    monthly = {(p.product_id, p.currency): p.amount for p in plans
               if p.interval == "month" and p.interval_count == 1}  # fmt: skip
    best = 0.0
    for plan in plans:
        month = monthly.get((plan.product_id, plan.currency))
        if plan.interval == "year" and plan.interval_count == 1 and month:
            best = max(best, 1 - plan.amount / (12 * month))
    whole = int(best * 100 + 0.5)
    return i18n.format_percent(whole, speech.language) if whole >= 1 else ""


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


def _plan_name(catalog: Catalog | None, price: str | None) -> str | None:
    plan = catalog.plan(price) if catalog is not None and price else None
    return plan.name if plan is not None else None


def i18n_period(start: int | None, end: int | None, language: str) -> str:
    """A billed period as the language writes a range of days ("Jan 4 – Feb 4, 2027"),
    from its start to its end day, as Stripe's own invoices write it."""
    if not start or not end or end <= start:
        return ""
    first = dt.datetime.fromtimestamp(start, dt.UTC).date()
    last = dt.datetime.fromtimestamp(end, dt.UTC).date()
    if first == last:
        return i18n.format_date(start, language)
    return str(babel_dates.format_interval(first, last, "yMMMd", locale=babel_locale(language)))


@functools.cache
def _countries(language: str) -> tuple[tuple[str, str], ...]:
    return tuple(countries(language))


@functools.cache
def _country_names(language: str) -> dict[str, str]:
    return dict(_countries(language))


def _tax_id_kind(kind: str, language: str) -> str:
    """A tax ID type as a customer reads it: "EU VAT", "United Kingdom VAT", "Canada GST
    HST" (the country in the page's language, the kind as Stripe abbreviates it)."""
    prefix, _, rest = kind.partition("_")
    words = rest.replace("_", " ").upper()
    if prefix == "eu":
        return f"EU {words}"
    return f"{_country_names(language).get(prefix.upper(), prefix.upper())} {words}"


@functools.cache
def _tax_id_kinds(language: str) -> tuple[tuple[str, str], ...]:
    """Every tax ID type Stripe takes, by the name the page shows."""
    named = ((kind, _tax_id_kind(kind, language)) for kind in TAX_ID_TYPES)
    return tuple(sorted(named, key=lambda pair: pair[1]))


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
