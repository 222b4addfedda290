"""The retention offer said in money beside its terms: what the subscription would cost with
it, against what it costs now, in the subscription's currency and language."""

from __future__ import annotations

import pytest

from billflow_core.billing.catalog import OfferTerms
from billflow_core.billing.state import SubscriptionView
from billflow_core.settings import PortalSettings
from billflow_core.web.page_texts import PageTexts
from billflow_core.web.request_language import Languages


def _seats(currency: str = "eur", quantity: int = 3) -> SubscriptionView:
    return SubscriptionView(
        id="sub_1", status="active", price_id="price_1", product_name="Seats", plan=None,
        amount=800, currency=currency, interval="month", interval_count=1, quantity=quantity,
        unit_label="seat", discount=None, current_period_end=0, cancel_at=None,
        canceled_at=None, ended_at=None, paused_until=None, paused=False,
        allowed=frozenset(),
    )  # fmt: skip


def _terms(percent: float | None = None, amount: int | None = None) -> OfferTerms:
    return OfferTerms("coupon_1", percent, amount, "eur" if amount else None, "repeating", 3)


def _texts(language: str) -> PageTexts:
    speech = Languages(PortalSettings()).for_request(language)
    return PageTexts(speech, PortalSettings())


@pytest.mark.parametrize(
    ("language", "terms", "said"),
    [
        ("en", _terms(percent=25), "That's €18.00 per month instead of €24.00."),
        ("en", _terms(amount=500), "That's €19.00 per month instead of €24.00."),
        ("en", _terms(amount=5000), "That's €0.00 per month instead of €24.00."),
        ("de", _terms(percent=12.5), "Das sind 21,00\xa0€ pro Monat statt 24,00\xa0€."),
    ],
)
def test_the_offer_says_what_the_subscription_would_cost(
    language: str, terms: OfferTerms, said: str
) -> None:
    assert _texts(language).offer_price(terms, _seats()) == said


def test_an_amount_off_in_another_currency_is_not_said_in_money() -> None:
    assert _texts("en").offer_price(_terms(amount=500), _seats(currency="usd")) == ""
