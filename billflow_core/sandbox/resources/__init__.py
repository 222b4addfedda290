"""Stripe's resources as the sandbox serves them, one module per family."""

from __future__ import annotations

from ..routing import Route


def all_routes() -> list[Route]:
    from . import (
        catalog,
        clocks,
        coupons,
        customers,
        events,
        intents,
        invoices,
        payments,
        search,
        subscription_updates,
        subscriptions,
    )

    # `search` first: its routes must match before the `{id}` routes of the same paths.
    modules = (
        search,
        catalog,
        clocks,
        coupons,
        customers,
        events,
        intents,
        invoices,
        payments,
        subscriptions,
        subscription_updates,
    )
    return [route for module in modules for route in module.ROUTES.routes]
