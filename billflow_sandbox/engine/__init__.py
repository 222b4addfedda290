"""The sandbox's billing engine: what Stripe does with the objects the routes hand it.

Invoices and what they charge, payments and their test-card outcomes, discounts, prorations
and billing periods, subscriptions as time passes, pending updates, schedules and their
phases, and the listing and search that every list endpoint shares. The engine builds its
objects with `shapes` and never imports `routes`: a route handler reads a request, calls the
engine, and answers, so anything two route modules both need lives here. An import-linter
contract in pyproject.toml keeps the rule.
"""
