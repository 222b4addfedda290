"""Stripe's documented test payment methods and what each one does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["succeed", "decline", "fail_charges", "authenticate"]


@dataclass(frozen=True)
class TestCard:
    brand: str
    last4: str
    outcome: Outcome
    funding: str = "credit"
    country: str = "US"
    decline_code: str = "generic_decline"


# By test PaymentMethod id (`pm_card_visa`) and by the card number Stripe.js would send.
BY_ID: dict[str, TestCard] = {
    "pm_card_visa": TestCard("visa", "4242", "succeed"),
    "pm_card_visa_debit": TestCard("visa", "5556", "succeed", funding="debit"),
    "pm_card_mastercard": TestCard("mastercard", "4444", "succeed"),
    "pm_card_amex": TestCard("amex", "8431", "succeed"),
    # Declined when attached, as Stripe's docs say of 4000000000000002.
    "pm_card_visa_chargeDeclined": TestCard(
        "visa", "0002", "decline", decline_code="generic_decline"
    ),
    "pm_card_visa_chargeDeclinedInsufficientFunds": TestCard(
        "visa", "9995", "decline", decline_code="insufficient_funds"
    ),
    # Attaches, then every charge fails: the card for testing renewals that go past due.
    "pm_card_chargeCustomerFail": TestCard("visa", "0341", "fail_charges"),
    # Every payment and setup needs 3D Secure authentication.
    "pm_card_authenticationRequired": TestCard("visa", "3184", "authenticate"),
}

BY_NUMBER: dict[str, str] = {
    "4242424242424242": "pm_card_visa",
    "4000056655665556": "pm_card_visa_debit",
    "5555555555554444": "pm_card_mastercard",
    "378282246310005": "pm_card_amex",
    "4000000000000002": "pm_card_visa_chargeDeclined",
    "4000000000009995": "pm_card_visa_chargeDeclinedInsufficientFunds",
    "4000000000000341": "pm_card_chargeCustomerFail",
    "4000002760003184": "pm_card_authenticationRequired",
}

BY_TOKEN: dict[str, str] = {
    "tok_visa": "pm_card_visa",
    "tok_mastercard": "pm_card_mastercard",
    "tok_amex": "pm_card_amex",
    "tok_chargeDeclined": "pm_card_visa_chargeDeclined",
    "tok_chargeCustomerFail": "pm_card_chargeCustomerFail",
    "tok_authenticationRequired": "pm_card_authenticationRequired",
}
