"""Money, dates and numbers as each language writes them (CLDR through Babel)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billflow_core.i18n import (
    LANGUAGES,
    format_date,
    format_interval,
    format_money,
    format_number,
    format_percent,
    format_price,
    minor_unit_digits,
)

NBSP = "\u00a0"
MARCH_5_2025 = 1_741_132_800  # 2025-03-05T00:00:00Z


@pytest.mark.parametrize(
    ("amount", "currency", "language", "shown"),
    [
        (2900, "USD", "en", "$29.00"),
        (2900, "usd", "en", "$29.00"),  # as Stripe spells it
        (2900, "USD", "de", f"29,00{NBSP}$"),
        (2900, "EUR", "fr", f"29,00{NBSP}€"),
        (2900, "EUR", "nl", f"€{NBSP}29,00"),
        (2900, "BRL", "pt-BR", f"R${NBSP}29,00"),
        (500, "JPY", "ja", "￥500"),
        (500, "jpy", "en", "¥500"),
        (123456, "USD", "en", "$1,234.56"),
        (-1550, "USD", "en", "-$15.50"),  # a credit
        (0, "EUR", "de", f"0,00{NBSP}€"),
        (15000, "KRW", "en", "₩15,000"),
        (12345, "KWD", "en", "KWD 12.345"),
        (50000, "ISK", "en", "ISK 500"),  # Stripe counts ISK in hundredths, CLDR shows none
    ],
)
def test_money_in_minor_units_is_written_per_language(
    amount: int, currency: str, language: str, shown: str
) -> None:
    assert format_money(amount, currency, language).replace(NBSP, " ") == shown.replace(NBSP, " ")


def test_money_keeps_the_locales_own_spacing() -> None:
    assert format_money(2900, "USD", "de") == f"29,00{NBSP}$"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_formats_money(language: str) -> None:
    text = format_money(2900, "EUR", language)
    assert "29" in text
    assert "€" in text


def test_zero_three_and_two_decimal_currencies_follow_stripe() -> None:
    assert [minor_unit_digits(c) for c in ("jpy", "KRW", "ugx", "KWD", "usd", "isk")] == [
        0,
        0,
        0,
        3,
        2,
        2,
    ]


@pytest.mark.parametrize("amount", [29.0, Decimal("29"), "2900", True])
def test_money_must_be_an_integer_of_minor_units(amount: object) -> None:
    with pytest.raises(TypeError):
        format_money(amount, "USD", "en")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", "Mar 5, 2025"),
        ("de", "05.03.2025"),
        ("fr", "5 mars 2025"),
        ("es", "5 mar 2025"),
        ("ja", "2025/03/05"),
        ("zh-Hans", "2025年3月5日"),
        ("pt-BR", "5 de mar. de 2025"),
    ],
)
def test_dates_are_medium_dates_of_the_language(language: str, shown: str) -> None:
    assert format_date(MARCH_5_2025, language) == shown


def test_the_day_is_taken_in_utc_unless_a_zone_is_given() -> None:
    late_on_the_4th = MARCH_5_2025 - 3600
    assert format_date(late_on_the_4th, "en") == "Mar 4, 2025"
    berlin_winter = dt.timezone(dt.timedelta(hours=1))
    assert format_date(late_on_the_4th, "en", tz=berlin_winter) == "Mar 5, 2025"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_formats_dates(language: str) -> None:
    assert "2025" in format_date(MARCH_5_2025, language)


def test_numbers_and_percents_use_the_languages_marks() -> None:
    assert format_number(1234567.5, "en") == "1,234,567.5"
    assert format_number(1234567.5, "de") == "1.234.567,5"
    assert format_number(3, "ar") == "3"
    assert format_percent(25, "en") == "25%"
    assert format_percent(12.5, "en") == "12.5%"
    assert format_percent(12.5, "fr") == f"12,5{NBSP}%"
    assert format_percent(Decimal("33.33"), "de") == f"33,33{NBSP}%"


def test_an_odd_language_code_formats_in_the_nearest_language_known() -> None:
    assert format_money(2900, "USD", "de_AT") == format_money(2900, "USD", "de-AT")
    assert format_money(2900, "USD", "xx-YY") == "$29.00"
    assert format_date(MARCH_5_2025, "") == "Mar 5, 2025"


@pytest.mark.parametrize(
    ("interval", "count", "language", "shown"),
    [
        ("month", 1, "en", "month"),
        ("month", 3, "en", "3 months"),
        ("week", 2, "de", "2 Wochen"),
        ("year", 1, "fr", "an"),
        ("month", 3, "ja", "3か月"),
        ("month", 6, "zh-Hans", "6个月"),
        ("day", 10, "es", "10 días"),
    ],
)
def test_intervals_are_built_from_the_catalog(
    interval: str, count: int, language: str, shown: str
) -> None:
    assert format_interval(interval, count, language) == shown


def test_an_interval_stripe_does_not_have_is_refused() -> None:
    with pytest.raises(ValueError, match="fortnight"):
        format_interval("fortnight", 1, "en")


@pytest.mark.parametrize(
    ("count", "language", "shown"),
    [
        (1, "en", "$29.00 per month"),
        (3, "en", "$29.00 every 3 months"),
        (1, "de", f"29,00{NBSP}$ pro Monat"),
        (3, "ja", "3か月ごとに$29.00"),
        (1, "nl", f"US${NBSP}29,00 per maand"),
    ],
)
def test_prices_read_per_interval(count: int, language: str, shown: str) -> None:
    assert format_price(2900, "usd", "month", count, language) == shown


def test_prices_use_the_sites_texts() -> None:
    custom = {"en": {"subscription.price_per_interval": "{amount} a {interval}"}}
    assert format_price(900, "usd", "month", 1, "en", custom) == "$9.00 a month"
