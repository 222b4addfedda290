"""The language one request is answered in: its texts (the site's own translations first)
and money, dates and numbers written its way, bound together for the templates.

The language is the browser's (`Accept-Language`) when the site translates automatically
and speaks it, with a shipped catalog or translations of its own; else the site's
`default_language`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from .. import i18n
from ..actions import ACTIONS
from ..settings import PortalSettings

__all__ = ["Languages", "Speech"]

# The texts the script shows itself (errors by code, results of actions), sent with the page.
_SCRIPT_TEXTS = ("error.", "portal.")
_MAX_PRICES = 1024
_SCRIPT_KEYS = frozenset(
    {*(spec.done for spec in ACTIONS.values() if spec.done),
     "payment.succeeded", "preview.loading", "card.loading",
     "card.authenticating", "signin.signed_in_as", "signin.sign_out", "signin.signed_out",
     "signin.sent", "signin.retry_at", "plans.subscribe_today", "plans.start_trial"}
)  # fmt: skip


@dataclass(frozen=True)
class Speech:
    """One language's texts and formats, for one site."""

    language: str
    custom: i18n.Custom
    # Prices read the catalog each time; a site has a handful, so each is written once.
    _prices: dict[tuple[int, str, str, int], str] = field(
        default_factory=dict, compare=False, repr=False
    )

    @cached_property
    def texts(self) -> i18n.Messages:
        return i18n.translator(self.language, self.custom)

    @property
    def dir(self) -> str:
        return i18n.direction(self.language)

    def t(self, key: str, /, **fields: object) -> str:
        return self.texts.t(key, **fields)

    def has(self, key: str) -> bool:
        return self.texts.text(key) is not None

    def money(self, amount: int, currency: str) -> str:
        return i18n.format_money(amount, currency, self.language)

    def date(self, epoch: int) -> str:
        return i18n.format_date(epoch, self.language)

    def number(self, value: float) -> str:
        return i18n.format_number(value, self.language)

    def plural(self, value: float) -> str:
        """The CLDR plural category of `value` here ("one", "few", "other"…)."""
        return i18n.plural_category(value, self.language)

    def price(self, amount: int, currency: str, interval: str, count: int) -> str:
        """A recurring price: "$29.00 per month", "$90.00 every 3 months"."""
        key = (amount, currency, interval, count)
        price = self._prices.get(key)
        if price is None:
            price = i18n.format_price(amount, currency, interval, count, self.language, self.custom)
            if len(self._prices) < _MAX_PRICES:
                self._prices[key] = price
        return price

    def interval(self, interval: str, count: int) -> str:
        """A billing period: "month" for one, "3 months" for more (for `preview.then`)."""
        return i18n.format_interval(interval, count, self.language, self.custom)

    @cached_property
    def script_texts(self) -> Mapping[str, str]:
        """The texts the script shows itself, unfilled: it fills `{name}` fields alike."""
        return MappingProxyType(
            {
                key: text
                for key, text in i18n.catalog_for_page(self.language, self.custom).items()
                if key.startswith(_SCRIPT_TEXTS) or key in _SCRIPT_KEYS
            }
        )


class Languages:
    """The languages one site speaks: the shipped catalogs and any it translated itself."""

    def __init__(self, settings: PortalSettings) -> None:
        self.settings = settings
        custom = tuple(code for code in settings.translations if code not in i18n.LANGUAGES)
        self.available = (*i18n.LANGUAGES, *custom)
        self._speech: dict[str, Speech] = {}

    def for_request(self, accept_language: str | None) -> Speech:
        """The language to answer a request in (`Accept-Language` as the browser sent it)."""
        default = self.settings.default_language
        language = default
        if self.settings.auto_translate and accept_language:
            language = i18n.negotiate(
                i18n.parse_accept_language(accept_language),
                default=default,
                available=self.available,
            )
        speech = self._speech.get(language)
        if speech is None:  # a handful of languages: each made once, shared by threads
            speech = self._speech.setdefault(language, Speech(language, self.settings.translations))
        return speech
