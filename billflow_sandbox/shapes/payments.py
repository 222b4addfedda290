"""Builders for card payment methods, SetupIntents and PaymentIntents."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .common import JSON, blank_address, copy_metadata


def _copy(value: Mapping[str, Any] | None) -> JSON | None:
    return copy.deepcopy(dict(value)) if value else None


def _billing_details(given: Mapping[str, Any] | None) -> JSON:
    """Stripe renders every billing detail, null where unset, with a full address."""
    given = given or {}
    return {
        "address": {**blank_address(), **(given.get("address") or {})},
        "email": given.get("email"),
        "name": given.get("name"),
        "phone": given.get("phone"),
        "tax_id": given.get("tax_id"),
    }


def payment_method(
    *,
    id: str,
    created: int,
    brand: str,
    last4: str,
    exp_month: int,
    exp_year: int,
    funding: str = "credit",
    country: str = "US",
    fingerprint: str,
    customer: str | None = None,
    metadata: Mapping[str, str] | None = None,
    billing_details: Mapping[str, Any] | None = None,
    cvc_check: str | None = "pass",
    allow_redisplay: str = "unspecified",
) -> JSON:
    """A `card` payment method as a test token (pm_card_visa, ...) produces it."""
    return {
        "id": id,
        "object": "payment_method",
        "allow_redisplay": allow_redisplay,
        "billing_details": _billing_details(billing_details),
        "card": {
            "brand": brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": cvc_check,
            },
            "country": country,
            "display_brand": brand,
            "exp_month": exp_month,
            "exp_year": exp_year,
            "fingerprint": fingerprint,
            "funding": funding,
            "generated_from": None,
            "last4": last4,
            "networks": {"available": [brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": created,
        "customer": customer,
        "customer_account": None,
        "livemode": False,
        "metadata": copy_metadata(metadata),
        "type": "card",
    }


def setup_intent(
    *,
    id: str,
    created: int,
    client_secret: str,
    customer: str | None = None,
    payment_method: str | None = None,
    status: str = "requires_payment_method",
    usage: str = "off_session",
    metadata: Mapping[str, str] | None = None,
    description: str | None = None,
    latest_attempt: str | None = None,
    mandate: str | None = None,
    cancellation_reason: str | None = None,
    last_setup_error: Mapping[str, Any] | None = None,
    next_action: Mapping[str, Any] | None = None,
) -> JSON:
    """A card SetupIntent. Stripe lists the card options under `payment_method_options`."""
    return {
        "id": id,
        "object": "setup_intent",
        "application": None,
        "automatic_payment_methods": None,
        "cancellation_reason": cancellation_reason,
        "client_secret": client_secret,
        "created": created,
        "customer": customer,
        "description": description,
        "excluded_payment_method_types": None,
        "flow_directions": None,
        "last_setup_error": _copy(last_setup_error),
        "latest_attempt": latest_attempt,
        "livemode": False,
        "mandate": mandate,
        "metadata": copy_metadata(metadata),
        "next_action": _copy(next_action),
        "on_behalf_of": None,
        "payment_method": payment_method,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": ["card"],
        "single_use_mandate": None,
        "status": status,
        "usage": usage,
    }


def payment_intent(
    *,
    id: str,
    created: int,
    amount: int,
    currency: str,
    client_secret: str,
    customer: str | None = None,
    payment_method: str | None = None,
    status: str = "requires_payment_method",
    description: str | None = None,
    metadata: Mapping[str, str] | None = None,
    setup_future_usage: str | None = None,
    amount_received: int = 0,
    latest_charge: str | None = None,
    receipt_email: str | None = None,
    canceled_at: int | None = None,
    cancellation_reason: str | None = None,
    last_payment_error: Mapping[str, Any] | None = None,
    next_action: Mapping[str, Any] | None = None,
) -> JSON:
    """A card PaymentIntent with automatic capture and confirmation."""
    return {
        "id": id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": amount_received,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": canceled_at,
        "cancellation_reason": cancellation_reason,
        "capture_method": "automatic",
        "client_secret": client_secret,
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": customer,
        "customer_account": None,
        "description": description,
        "excluded_payment_method_types": None,
        "last_payment_error": _copy(last_payment_error),
        "latest_charge": latest_charge,
        "livemode": False,
        "managed_payments": None,
        "metadata": copy_metadata(metadata),
        "next_action": _copy(next_action),
        "on_behalf_of": None,
        "payment_method": payment_method,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": receipt_email,
        "review": None,
        "setup_future_usage": setup_future_usage,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }
