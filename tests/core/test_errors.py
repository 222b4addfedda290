"""The core's error hierarchy: each error carries its status and a stable code, and turns
into the portal API's JSON body the same way everywhere."""

from __future__ import annotations

import pytest

from billflow_core.errors import (
    BadInput,
    BillflowError,
    Conflict,
    Forbidden,
    NotFound,
    PaymentFailed,
    RateLimited,
    StripeUnavailable,
)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (BadInput, 400, "bad_input"),
        (PaymentFailed, 402, "payment_failed"),
        (Forbidden, 403, "forbidden"),
        (NotFound, 404, "not_found"),
        (Conflict, 409, "conflict"),
        (RateLimited, 429, "rate_limited"),
        (StripeUnavailable, 503, "stripe_unavailable"),
    ],
)
def test_each_error_has_its_status_and_default_code(
    error: type[BillflowError], status: int, code: str
) -> None:
    raised = error("Something went wrong.")
    assert isinstance(raised, BillflowError)
    assert (raised.status, raised.code) == (status, code)
    assert raised.to_dict() == {"error": {"code": code, "message": "Something went wrong."}}


def test_a_specific_code_and_the_field_at_fault_reach_the_body() -> None:
    error = BadInput(
        "Quantity must be between 1 and 50.", code="quantity_out_of_bounds", field="quantity"
    )
    assert error.to_dict() == {
        "error": {
            "code": "quantity_out_of_bounds",
            "message": "Quantity must be between 1 and 50.",
            "field": "quantity",
        }
    }
    assert str(error) == "Quantity must be between 1 and 50."
