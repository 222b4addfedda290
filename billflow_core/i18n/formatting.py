"""Money, dates and numbers as the customer's language writes them (CLDR, through Babel).

Money arrives as Stripe gives it, an integer in the currency's minor unit, and time as UTC
epoch seconds; both stay that way until one of these functions shows them.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Final

from babel import dates, numbers

from .languages import babel_locale
from .messages import Custom, Messages

__all__ = [
    "INTERVALS",
    "format_date",
    "format_interval",
    "format_money",
    "format_number",
    "format_percent",
    "format_price",
    "minor_unit_digits",
]

INTERVALS: Final = ("day", "week", "month", "year")

# How many decimals Stripe's minor unit has, which is not always CLDR's: Stripe counts ISK,
# for one, in hundredths though CLDR shows it whole. Stripe's lists
# (https://docs.stripe.com/currencies#zero-decimal, #three-decimal); every other currency is
# two-decimal. How many decimals to *show* is CLDR's (Babel's currency digits).
_ZERO_DECIMAL: Final = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
_THREE_DECIMAL: Final = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

# CLDR's currency spacing, which Babel does not apply: a symbol that is letters (a code such
# as `ISK`, for currencies the language has no sign for) is kept apart from the digits by a
# no-break space, so `ISK500` reads `ISK 500`.
_LETTER_BY_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def minor_unit_digits(currency: str) -> int:
    """How many decimals Stripe's integer amounts of `currency` carry: 0 for JPY (500 is
    ¥500), 3 for KWD, 2 for the rest (2900 USD is $29.00)."""
    code = currency.upper()
    return 0 if code in _ZERO_DECIMAL else 3 if code in _THREE_DECIMAL else 2


def format_money(amount_minor: int, currency: str, language: str) -> str:
    """`amount_minor` of `currency` (ISO 4217, any case, as Stripe's `usd`) written for
    `language`: 2900 USD is `$29.00` in `en` and `29,00 $` in `de`; 500 JPY is `￥500` in
    `ja`. Decimals shown follow CLDR, so zero-decimal currencies show none. Raises
    `TypeError` unless `amount_minor` is an int: a float here means a unit mix-up."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise TypeError(f"amount_minor must be an int in minor units, not {amount_minor!r}")
    code = currency.upper()
    amount = Decimal(amount_minor).scaleb(-minor_unit_digits(code))
    text = numbers.format_currency(amount, code, locale=babel_locale(language))
    return _LETTER_BY_DIGIT.sub("\u00a0", text)


def format_date(epoch_seconds: int, language: str, *, tz: dt.tzinfo = dt.UTC) -> str:
    """The day of `epoch_seconds` (UTC epoch seconds, as Stripe's timestamps) as CLDR's
    medium date of `language`: `Mar 5, 2025` in `en`, `05.03.2025` in `de`, `2025/03/05`
    in `ja`. The day is taken in `tz`, UTC unless the page knows the customer's zone."""
    day = dt.datetime.fromtimestamp(epoch_seconds, tz).date()
    return dates.format_date(day, format="medium", locale=babel_locale(language))


def plural_category(n: int | float | Decimal, language: str) -> str:
    """CLDR's plural category of `n` in `language`: "one" for 1 in English, "few" for 3 in
    Arabic, "other" for 3 in English, always "other" in Japanese and Chinese."""
    return str(babel_locale(language).plural_form(n))


def format_number(n: int | float | Decimal, language: str) -> str:
    """`n` with `language`'s digit grouping and decimal mark (`1,234.5`, `1.234,5`)."""
    return numbers.format_decimal(n, locale=babel_locale(language))


def format_percent(percent: int | float | Decimal, language: str) -> str:
    """`percent` given in percent, as Stripe's `percent_off` (25 means 25 %), written with
    `language`'s percent pattern and every decimal it has: `12.5%`, `12,5 %` in `fr`."""
    fraction = Decimal(str(percent)) / 100
    locale = babel_locale(language)
    return numbers.format_percent(fraction, locale=locale, decimal_quantization=False)


def format_interval(interval: str, count: int, language: str, custom: Custom | None = None) -> str:
    """A billing period in words from the catalog: `month` for one, `3 months` for more
    (`3か月` in `ja`). `interval` is Stripe's `day`, `week`, `month` or `year`; another
    raises `ValueError`. `custom` is the site's own translations, as for `Messages`."""
    messages = Messages(language, custom)
    if count == 1:
        return messages.t(_interval_key(interval))
    return messages.t(
        "interval.count",
        count=format_number(count, language),
        interval=messages.t(_interval_key(interval) + "s"),
    )


def format_price(
    amount_minor: int,
    currency: str,
    interval: str,
    count: int,
    language: str,
    custom: Custom | None = None,
) -> str:
    """A recurring price in words: `$29.00 per month`, `$29.00 every 3 months`. Units and
    errors as `format_money` and `format_interval`."""
    messages = Messages(language, custom)
    amount = format_money(amount_minor, currency, language)
    if count == 1:
        return messages.t(
            "subscription.price_per_interval",
            amount=amount,
            interval=messages.t(_interval_key(interval)),
        )
    return messages.t(
        "subscription.price_every",
        amount=amount,
        count=format_number(count, language),
        interval=messages.t(_interval_key(interval) + "s"),
    )


def _interval_key(interval: str) -> str:
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}, not {interval!r}")
    return f"interval.{interval}"
