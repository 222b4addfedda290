"""Stripe's tax ID types (`eu_vat`, `gb_vat`, `us_ein`…), as stripe-python's own request
types list them, so a new type Stripe adds arrives with the library."""

from __future__ import annotations

import typing

from stripe import params as sp

__all__ = ["TAX_ID_TYPES"]

TAX_ID_TYPES: frozenset[str] = frozenset(
    typing.get_args(typing.get_args(sp.CustomerTaxIdCreateParams.__annotations__["type"])[0])
)
