"""Builders for what hangs off a customer besides its subscriptions: its tax IDs."""

from __future__ import annotations

from .common import JSON


def tax_id(
    *,
    id: str,
    created: int,
    customer: str,
    type: str,
    value: str,
    country: str | None,
    verification_status: str | None,
) -> JSON:
    """A customer's tax ID. `verification_status` is None for types Stripe does not verify
    (then `verification` is null)."""
    return {
        "id": id,
        "object": "tax_id",
        "country": country,
        "created": created,
        "customer": customer,
        "customer_account": None,
        "livemode": False,
        "owner": {"customer": customer, "customer_account": None, "type": "customer"},
        "type": type,
        "value": value,
        "verification": None
        if verification_status is None
        else {"status": verification_status, "verified_address": None, "verified_name": None},
    }
