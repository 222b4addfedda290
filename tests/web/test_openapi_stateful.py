"""The document's links are true: every one names an operation and a parameter or body field
it takes, and points into the answer's schema; and schemathesis' stateful phase, which
follows them from answer to request over the live API (the sandbox behind), with the demo
customer's identity, gets no 5xx and no answer the document does not list.

Two steps of a flow happen outside the API, so the machine plays them: the customer reading
the sign-in email (a real link, asked for and read from the mailbox, for `POST /api/session`)
and Stripe.js confirming the card of a setup intent `setup_payment_method` made (for
`update_payment_method`).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis import Case

from billflow_core.actions import ACTIONS
from billflow_core.settings import DEFAULT_CANCELLATION_REASONS, RetentionOffer
from billflow_core.web.api import DEFAULT_PREFIX
from billflow_core.web.openapi import openapi_document
from billflow_sandbox.mailbox import Mailbox
from billflow_sandbox.seed import DEMO_EMAIL

from .conftest import LiveAPI

DOCUMENT = openapi_document(DEFAULT_PREFIX)
ACT = f"{DEFAULT_PREFIX}/api/actions/{{action}}"
SESSION = f"{DEFAULT_PREFIX}/api/session"
SCENARIOS, STEPS = 20, 20  # bounded and seeded: the same few hundred requests each run
SIGN_IN = {
    "email_sign_in": True,
    "company_name": "Acme",
    "sign_in_from_address": "billing@shop.example",
    "sign_in_redirect_url": "https://shop.example/account",
    "sign_in_per_email_per_hour": 1000,
    "sign_in_per_address_per_hour": 1000,
}

schema = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            "generation": {"database": "none", "with-security-parameters": False},
            # The document's own links only, none schemathesis would guess.
            "phases": {"stateful": {"max-steps": STEPS, "inference": {"algorithms": []}}},
            # As in test_openapi_contract.py: a 4xx for a request a rule refuses is no wrong
            # answer, and a missing identity is a 400 there, not the 401 this check expects.
            "checks": {
                "positive_data_acceptance": {"enabled": False},
                "ignored_auth": {"enabled": False},
            },
        }
    ),
)


# -- the links, read ------------------------------------------------------------------------
def _links() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, link, the operation whose answer it is on) for every link of the document."""
    for item in DOCUMENT["paths"].values():
        for operation in item.values():
            for response in operation["responses"].values():
                for name, link in response.get("links", {}).items():
                    yield name, link, operation


def _operation(operation_id: str) -> dict[str, Any]:
    (found,) = [op for item in DOCUMENT["paths"].values() for op in item.values()
                if op["operationId"] == operation_id]  # fmt: skip
    return found


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _at(schema: dict[str, Any], pointer: str) -> list[dict[str, Any]]:
    """The schemas a JSON pointer into a value of `schema` may land on (none: it cannot)."""
    schemas = [_resolve(schema)]
    for part in filter(None, pointer.split("/")):
        found = []
        for one in schemas:
            for branch in one.get("anyOf", one.get("oneOf", [one])):
                branch = _resolve(branch)
                if part.isdigit() and "items" in branch:
                    found.append(_resolve(branch["items"]))
                elif part in branch.get("properties", {}):
                    found.append(_resolve(branch["properties"][part]))
        schemas = found
    return schemas


def _names(operation: dict[str, Any]) -> set[str]:
    """The `location.name` of each parameter and security header the operation takes."""
    security = DOCUMENT["components"]["securitySchemes"]
    parameters = [DOCUMENT["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
                  if "$ref" in p else p for p in operation.get("parameters", [])]  # fmt: skip
    headers = {security[name]["name"] for need in operation.get("security", [])
               for name in need}  # fmt: skip
    return {f"{p['in']}.{p['name']}" for p in parameters} | {f"header.{h}" for h in headers}


def _expressions(link: dict[str, Any]) -> list[str]:
    body = link.get("requestBody", {})
    return [*link.get("parameters", {}).values(), *body.values()]


def test_every_link_names_what_its_target_takes_and_points_into_the_answer() -> None:
    links = list(_links())
    assert len(links) >= 20
    for name, link, source in links:
        target = _operation(link["operationId"])
        assert set(link.get("parameters", {})) <= _names(target), name
        for parameter, value in link.get("parameters", {}).items():
            if not value.startswith("$"):  # a constant: one the parameter allows
                (declared,) = [p for p in target["parameters"] if p.get("in") == "path"]
                assert parameter == "path.action" and value in declared["schema"]["enum"]
        if "requestBody" in link:
            payloads = target["requestBody"]["content"]["application/json"]["schema"]
            action = link.get("parameters", {}).get("path.action")
            fields = ACTIONS[action].fields if action else set(_at(payloads, "")[0]["properties"])
            assert set(link["requestBody"]) <= fields, name
        for expression in _expressions(link):
            if expression.startswith("$response.body#"):
                answer = source["responses"]["200"]["content"]["application/json"]["schema"]
                assert _at(answer, expression.split("#", 1)[1]), f"{name}: {expression}"
            elif expression.startswith("$request.query."):
                assert f"query.{expression.rsplit('.', 1)[1]}" in _names(source), name
        assert link["description"]


# -- the stateful run -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with Mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def live(serve_module: Callable[..., LiveAPI], mailbox: Mailbox) -> LiveAPI:
    # Every action the demo account can take, and limits a few hundred requests stay under.
    live = serve_module(coupons=True, show_all_invoices=True, billing_details=True,
                        tax_ids=True, smtp=mailbox.address,
                        retention_offer=RetentionOffer("WELCOME20", ("too_expensive",)),
                        action_rate_limit=1000, preview_rate_limit=1000, **SIGN_IN)  # fmt: skip
    # The links name the first subscription listed, the newest. The demo's two were made in
    # the same second, and Stripe orders those by id, which the sandbox draws at random: a
    # newer one makes the first the same on every run, and so the run itself.
    starter = {"price": live.ids["prices"]["starter_monthly"]}
    live.sandbox.client().v1.subscriptions.create(
        {"customer": live.ids["customer"], "items": [starter]}
    )
    return live


def _sign_in_token(live: LiveAPI, mailbox: Mailbox) -> str:
    """What the customer does outside the API: ask for a link and read it in their email."""
    before = len(mailbox.messages)
    asked = requests.post(f"{live.url}/billflow/api/login-link", json={"email": DEMO_EMAIL},
                          timeout=10)  # fmt: skip
    assert asked.status_code == 202, asked.text
    live.portal.sign_in.wait()
    found = re.search(r"billflow_token=([^\s&\"<]+)", mailbox.messages[before:][-1].text())
    assert found is not None
    return found[1]


def _own(case: Case, own: dict[str, list[str]], *, half: bool = True) -> None:
    """The drawn values of the fields `own` names become one of its own (by their length);
    with `half`, only those of even length."""
    for values in (case.body, case.query):
        if isinstance(values, dict):
            for name in set(values) & set(own):
                value = values[name]
                if isinstance(value, str) and not (half and len(value) % 2):
                    values[name] = own[name][len(value) // 2 % len(own[name])]


def test_following_the_links_over_the_live_api_gets_documented_answers_only(
    live: LiveAPI, mailbox: Mailbox
) -> None:
    stripe = live.sandbox.client(max_network_retries=0)
    # What a customer picks (no link brings it), and, for half the requests no link made,
    # the demo account's own ids, in a fixed order: so that some of them go through.
    picks = {"reason": list(DEFAULT_CANCELLATION_REASONS), "coupon": ["WELCOME20"]}
    ids = {
        "subscription": live.ids["subscriptions"],
        "price": [live.ids["prices"][name] for name in sorted(live.ids["prices"])],
    }
    answers: Counter[tuple[str, int, bool]] = Counter()  # (operation, status, a link's?)
    followed: Counter[str] = Counter()
    scenarios: list[int] = []

    class Portal(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            scenarios.append(0)
            self.setup_intents: list[str] = []  # made in this scenario, not confirmed yet
            self.linked = False

        def step(self, input: Any) -> Any:
            self.linked = input.transition is not None and input.is_applied
            if self.linked:
                followed[input.transition.id] += 1
            elif input.case.meta is not None and input.case.meta.generation.mode.is_positive:
                _own(input.case, ids)
            scenarios[-1] += 1
            return super().step(input)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"base_url": live.url, "headers": live.headers(), "timeout": 10}

        def before_call(self, case: Case) -> None:
            for name, value in list((case.headers or {}).items()):
                if isinstance(value, str) and not value.isascii():
                    # No HTTP client can send a header beyond Latin-1; keep its ASCII part.
                    case.headers[name] = value.encode("ascii", "ignore").decode()
            if case.meta is None or not case.meta.generation.mode.is_positive:
                return
            _own(case, picks, half=False)
            if case.headers and case.headers.get("X-Billflow-Subscription"):
                # A drawn one narrows the view to a subscription nobody has: every id a link
                # brings would then be a 404. The contract test sends it; here, none.
                del case.headers["X-Billflow-Subscription"]
            if case.operation.path == SESSION and case.method.upper() == "POST":
                case.body = {"token": _sign_in_token(live, mailbox)}
            if case.operation.path != ACT or not isinstance(case.body, dict):
                return
            # The body was drawn from any action's payload: keep what this action takes.
            action = case.path_parameters["action"]
            case.body = {k: v for k, v in case.body.items() if k in ACTIONS[action].fields}
            if action == "update_payment_method" and self.setup_intents:
                intent = stripe.v1.setup_intents.confirm(  # Stripe.js, in the browser
                    self.setup_intents.pop(), {"payment_method": "pm_card_visa"}
                )
                case.body = {"payment_method": intent.payment_method}

        def after_call(self, response: Any, case: Case) -> None:
            super().after_call(response, case)
            label = case.operation.label
            if case.operation.path == ACT:
                label = f"{label} {case.path_parameters.get('action')}"
            answers[(label, response.status_code, self.linked)] += 1
            if response.status_code == 200 and case.operation.path == ACT:
                answer = response.json()
                if answer["action"] == "setup_payment_method":
                    self.setup_intents.append(answer["response"]["id"])

    settings = hypothesis.settings(
        max_examples=SCENARIOS,
        stateful_step_count=STEPS,
        deadline=None,
        database=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    started = time.monotonic()
    hypothesis.seed(20261129)(Portal).run(settings=settings)  # raises on any failed check
    elapsed = time.monotonic() - started

    steps = sum(scenarios)
    table = "\n".join(
        f"  {n:4} {status} {label}{' (link)' if linked else ''}"
        for (label, status, linked), n in sorted(answers.items())
    )
    summary = (
        f"{len(scenarios)} scenarios, {steps} steps in {elapsed:.1f} s; "
        f"{sum(followed.values())} links followed, {len(followed)} of them:\n{table}"
    )
    print(f"\n{summary}")  # noqa: T201 - what the run did, with -s
    # Runs differ with the sandbox's random ids: seen, 344 to 829 scenarios, 1,896 to 4,455
    # steps, 31 to 35 kinds of link followed, 4 to 7 actions that went through. The bounds
    # sit below the least of those.
    assert len(scenarios) >= SCENARIOS and steps >= 1000, summary
    assert not [key for key in answers if key[1] >= 500], summary
    # Not vacuous: most links were followed, and what they asked for went through.
    assert len(followed) >= 25 and sum(followed.values()) >= steps // 6, summary
    linked_ok = {label for (label, status, linked) in answers if linked and status == 200}
    paths = ("/api/portal", "/api/invoices", "/api/preview", "/api/session")
    assert {label.split()[1] for label in linked_ok} >= {DEFAULT_PREFIX + p for p in paths}, summary
    actions_ok = {label for (label, status, _) in answers if status == 200 and ACT in label}
    assert len(actions_ok & linked_ok) >= 3 and len(actions_ok) >= 4, summary
