"""Every parameter stripe-python defines for a route the sandbox serves, and every key one level
inside an object-valued one, is either acted on or refused by name: none is accepted and
dropped (`parameter_walk.py` says how each is judged; `bench/sandbox_parameters.py` prints the
counts)."""

from __future__ import annotations

from parameter_walk import walk, walk_nested

from billflow_sandbox import Sandbox
from billflow_sandbox.read_params import RequestParams


def test_every_parameter_of_every_served_route_is_acted_on_or_refused(
    stripe_sandbox: Sandbox,
) -> None:
    counts, unjudged = walk(stripe_sandbox)
    assert unjudged == [], counts
    assert counts["dropped"] == 0
    assert sum(counts.values()) > 500  # every served route's parameters, not a few
    assert counts["acted"] > counts["refused"]


def test_every_key_inside_an_object_parameter_is_acted_on_or_refused(
    stripe_sandbox: Sandbox,
) -> None:
    counts, unjudged = walk_nested(stripe_sandbox)
    assert unjudged == [], counts
    assert counts["dropped"] == 0
    assert sum(counts.values()) > 600  # `items[0][price]`, `restrictions[minimum_amount]`, ...
    assert counts["acted"] > 100


def test_nested_reads_are_named_as_stripe_names_them() -> None:
    params = RequestParams(
        {"items": [{"price": "p", "quantity": 2}], "restrictions": {"minimum_amount": 5}}
    )
    assert params["items"][0]["price"] == "p"
    assert "restrictions" in params
    assert params.unread() == {"items[0][quantity]", "restrictions[minimum_amount]"}
    assert sorted(params["restrictions"].items()) == [("minimum_amount", 5)]  # read whole
    assert params.unread() == {"items[0][quantity]"}
