"""Builders for charges: the record of each attempt to take a payment intent's amount from a
card, succeeded or failed."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .common import JSON, copy_metadata

# What Stripe's `outcome` says of an authorized payment and of a card the issuer declined.
_AUTHORIZED = {
    "network_status": "approved_by_network",
    "reason": None,
    "seller_message": "Payment complete.",
    "type": "authorized",
}


def declined_outcome(decline_code: str) -> JSON:
    """The `outcome` of a charge the issuer declined with `decline_code`."""
    detail = (
        "The bank did not return any further details with this decline."
        if decline_code == "generic_decline"
        else f"The bank returned the decline code `{decline_code}`."
    )
    return {
        "network_status": "declined_by_network",
        "reason": decline_code,
        "seller_message": detail,
        "type": "issuer_declined",
    }


def three_d_secure_result(transaction_id: str) -> JSON:
    """`payment_method_details.card.three_d_secure` after the cardholder passed a challenge."""
    return {
        "authentication_flow": "challenge",
        "electronic_commerce_indicator": "05",
        "exemption_indicator": None,
        "result": "authenticated",
        "result_reason": None,
        "transaction_id": transaction_id,
        "version": "2.2.0",
    }


def charge(
    *,
    id: str,
    created: int,
    amount: int,
    currency: str,
    payment_method: Mapping[str, Any],
    payment_intent: str,
    customer: str | None,
    description: str | None = None,
    metadata: Mapping[str, str] | None = None,
    receipt_email: str | None = None,
    failure: tuple[str, str, str] | None = None,
    network_transaction_id: str | None = None,
    three_d_secure: Mapping[str, Any] | None = None,
) -> JSON:
    """A card charge made by a payment intent. `failure` is (code, decline_code, message) for a
    declined attempt; without it the charge succeeded and was captured at once."""
    card = payment_method["card"]
    succeeded = failure is None
    failure_code, decline_code, failure_message = failure or (None, None, None)
    outcome = declined_outcome(decline_code) if decline_code else dict(_AUTHORIZED)
    return {
        "id": id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if succeeded else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": copy.deepcopy(dict(payment_method["billing_details"])),
        "calculated_statement_descriptor": None,
        "captured": succeeded,
        "created": created,
        "currency": currency,
        "customer": customer,
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": failure_code,
        "failure_message": failure_message,
        "fraud_details": {},
        "livemode": False,
        "metadata": copy_metadata(metadata),
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            **outcome,
        },
        "paid": succeeded,
        "payment_intent": payment_intent,
        "payment_method": payment_method["id"],
        "payment_method_details": {
            "card": {
                "amount_authorized": amount if succeeded else None,
                "authorization_code": None,
                "brand": card["brand"],
                "checks": copy.deepcopy(dict(card["checks"])),
                "country": card["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "extended_authorization": {"status": "disabled"},
                "fingerprint": card["fingerprint"],
                "funding": card["funding"],
                "incremental_authorization": {"status": "unavailable"},
                "installments": None,
                "last4": card["last4"],
                "mandate": None,
                "multicapture": {"status": "unavailable"},
                "network": card["brand"],
                "network_token": {"used": False},
                "network_transaction_id": network_transaction_id,
                "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
                "regulated_status": card["regulated_status"],
                "three_d_secure": copy.deepcopy(dict(three_d_secure)) if three_d_secure else None,
                "transaction_link_id": None,
                "wallet": None,
            },
            "type": "card",
        },
        "receipt_email": receipt_email,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if succeeded else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }
