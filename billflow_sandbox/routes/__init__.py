"""Stripe's resources as the sandbox serves them: one module per resource family, each with
its `ROUTES`.

A route module reads a request's parameters, calls the engine and answers with the object.
Route modules import the engine, the shapes and the sandbox's top-level modules, never one
another: what two of them need is engine code. Import-linter contracts in pyproject.toml keep
the routes independent and the engine free of them.
"""

from __future__ import annotations

from ..routing import Route
from . import (
    catalog,
    charges,
    clocks,
    coupons,
    customers,
    events,
    intents,
    invoices,
    payments,
    schedules,
    search,
    subscription_updates,
    subscriptions,
    tax_ids,
)

# Routes match in this order: `search` comes first so that `/v1/subscriptions/search` is not
# taken for the subscription with id "search".
_MODULES = (
    search,
    catalog,
    charges,
    clocks,
    coupons,
    customers,
    tax_ids,
    events,
    intents,
    invoices,
    payments,
    subscriptions,
    subscription_updates,
    schedules,
)


def all_routes() -> list[Route]:
    """Every route the sandbox serves, in matching order."""
    return [route for module in _MODULES for route in module.ROUTES.routes]
