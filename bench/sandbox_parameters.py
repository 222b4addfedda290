"""How the sandbox answers each parameter stripe-python defines for the routes it serves.

    python bench/sandbox_parameters.py

Runs the walks of `tests/sandbox/parameter_walk.py` and prints how many (route, parameter)
pairs, and (route, nested parameter) pairs one level inside object-valued parameters, are
acted on, refused by name, dropped (accepted and never read: the tests fail on any), or
cannot be sent by stripe-python at all (an empty object), with the routes walked.
"""

from __future__ import annotations

import sys
from pathlib import Path

from billflow_sandbox import Sandbox
from billflow_sandbox.routes import all_routes

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "sandbox"))

from parameter_walk import walk, walk_nested


def main() -> None:
    routes = sum(1 for r in all_routes() if r.params is not None and r.template.startswith("/v1"))
    print(f"routes walked: {routes}")
    for title, run in (("parameters", walk), ("nested parameters", walk_nested)):
        with Sandbox() as sandbox:
            counts, unjudged = run(sandbox)
        print(f"{title}: {sum(counts.values())}")
        for verdict in ("acted", "refused", "dropped", "empty"):
            print(f"  {verdict:8} {counts[verdict]}")
        for line in unjudged:
            print(f"  not judged: {line}")


if __name__ == "__main__":
    main()
