"""Every parameter stripe-python defines for a route the sandbox serves is either acted on or
refused by name: none is accepted and dropped (`parameter_walk.py` says how each is judged;
`bench/sandbox_parameters.py` prints the counts)."""

from __future__ import annotations

from parameter_walk import walk

from billflow_sandbox import Sandbox


def test_every_parameter_of_every_served_route_is_acted_on_or_refused(
    stripe_sandbox: Sandbox,
) -> None:
    counts, unjudged = walk(stripe_sandbox)
    assert unjudged == [], counts
    assert counts["dropped"] == 0
    assert sum(counts.values()) > 500  # every served route's parameters, not a few
    assert counts["acted"] > counts["refused"]
