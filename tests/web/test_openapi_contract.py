"""The API's OpenAPI document is true: schemathesis sends the live API requests made from it,
valid and invalid, with the identity of a customer, with none, and with made-up ones; every
answer must be one the document lists (status, content type, body), and never a 5xx.

What random requests cannot reach is asked directly, with the demo account's own ids: each
action, the preview, the invoices and Stripe's webhook answer 200 with documented bodies.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
import stripe
from hypothesis import reject
from schemathesis import Case

from billflow_core.actions import ACTIONS
from billflow_core.settings import RetentionOffer
from billflow_core.web.api import DEFAULT_PREFIX, ROUTES, STATIC_FILES
from billflow_core.web.http import MAX_BODY
from billflow_core.web.openapi import openapi_document
from billflow_core.web.static_files import served
from billflow_sandbox import sign
from billflow_sandbox.seed import DEMO_EMAIL

from .conftest import LiveAPI

WEBHOOK_SECRET = "whsec_" + "w" * 32
ACTION_FIELDS = {name: spec.fields for name, spec in ACTIONS.items()}
DOCUMENT = openapi_document(DEFAULT_PREFIX)
ACT = f"{DEFAULT_PREFIX}/api/actions/{{action}}"
PROTECTED = {ACT, *(f"{DEFAULT_PREFIX}{route}" for route in
                    ("/api/portal", "/api/preview", "/api/invoices"))}  # fmt: skip
STATIC = "|".join(name.replace(".", r"\.") for name in STATIC_FILES)


def _config(*, made_up_identity: bool = False) -> schemathesis.Config:
    """How schemathesis reads the document: bounded and seeded, so that a run takes
    seconds and a failure comes back the same on the next one."""
    return schemathesis.Config.from_dict(
        {
            "seed": 20261128,
            "generation": {
                "max-examples": 25,
                "database": "none",
                "with-security-parameters": made_up_identity,
            },
            "phases": {"stateful": {"enabled": False}},
            "checks": {
                # A request can fit the document and still be refused by a rule (a plan not
                # offered, someone else's subscription): a 4xx is not a wrong answer then.
                "positive_data_acceptance": {"enabled": False},
                # A missing identity is a 400 `identity_required`, not the 401 it expects;
                # `_refused_without_identity` below checks what matters.
                "ignored_auth": {"enabled": False},
            },
        }
    )


def _schema(*, made_up_identity: bool) -> Any:
    schema = schemathesis.openapi.from_dict(
        DOCUMENT, config=_config(made_up_identity=made_up_identity)
    )
    # The page's files take nothing that could vary; they are asked directly below.
    return schema.exclude(path_regex=f"({STATIC})$")


identified = _schema(made_up_identity=False)
anonymous = _schema(made_up_identity=False)
made_up = _schema(made_up_identity=True)
whole = schemathesis.openapi.from_dict(DOCUMENT, config=_config())  # to check answers with


@pytest.fixture(scope="module")
def live(serve_module: Callable[..., LiveAPI]) -> LiveAPI:
    # Coupons, every invoice and the webhook on: more of the API does something.
    return serve_module(coupons=True, show_all_invoices=True, webhook_secret=WEBHOOK_SECRET)


def _refused_without_identity(ctx: Any, response: Any, case: Case) -> None:
    """No customer's data and no action for a request that does not prove who it is."""
    if case.operation.path in PROTECTED:
        assert not 200 <= response.status_code < 300, (
            f"{case.operation.label} answered {response.status_code} with no proven identity"
        )


def _own(value: Any, choices: list[str]) -> Any:
    """Half the drawn values (by length) become one of the demo account's own ids."""
    if isinstance(value, str) and len(value) % 2 == 0:
        return choices[len(value) // 2 % len(choices)]
    return value


def _aim(case: Case, live: LiveAPI) -> None:
    """Aim a valid request at the demo customer's own objects, and send a body to the
    action that takes its fields, so that it reaches the rules and Stripe rather than
    stopping at "no such subscription" or "unknown field"."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    own = {
        "subscription": live.ids["subscriptions"],
        "price": sorted(live.ids["prices"].values()),
        "coupon": ["WELCOME20", "welcome20"],
        "payment_method": [live.ids["payment_method"]],
    }
    if isinstance(case.body, dict):
        for name in set(case.body) & set(own):
            case.body[name] = _own(case.body[name], own[name])
        if (
            case.operation.path == ACT
            and not set(case.body) <= ACTION_FIELDS[case.path_parameters["action"]]
        ):
            case.path_parameters["action"] = next(
                action
                for action in sorted(ACTION_FIELDS)
                if set(case.body) <= ACTION_FIELDS[action]
            )
    if case.query and "subscription" in case.query:
        case.query["subscription"] = _own(case.query["subscription"], own["subscription"])


def _exchange(case: Case, live: LiveAPI, **options: Any) -> None:
    try:
        case.call_and_validate(base_url=live.url, timeout=10, **options)
    except UnicodeEncodeError:
        reject()  # a header value beyond Latin-1, which no HTTP client can send


@identified.parametrize()
def test_answers_to_a_customer_follow_the_document(case: Case, live: LiveAPI) -> None:
    _aim(case, live)
    _exchange(case, live, headers=live.headers())


@anonymous.parametrize()
def test_answers_without_an_identity_follow_the_document(case: Case, live: LiveAPI) -> None:
    _exchange(case, live, additional_checks=[_refused_without_identity])


@made_up.parametrize()
def test_answers_to_made_up_identities_follow_the_document(case: Case, live: LiveAPI) -> None:
    _exchange(case, live, additional_checks=[_refused_without_identity])


# -- the document itself --------------------------------------------------------------------
def test_the_served_document_is_valid_openapi_and_lists_every_route(
    serve: Callable[..., LiveAPI],
) -> None:
    live = serve()
    answer = requests.get(f"{live.url}/billflow/api/openapi.json", timeout=10)
    assert answer.status_code == 200
    assert answer.json() == json.loads(json.dumps(DOCUMENT))
    schemathesis.openapi.from_url(answer.url).validate()  # the OpenAPI 3.1 meta-schema

    served = {(path, method.upper()) for path, item in DOCUMENT["paths"].items()
              for method in item}  # fmt: skip
    routes = {(DEFAULT_PREFIX + route, method) for route, methods in ROUTES.items()
              for method in methods}  # fmt: skip
    assert served == routes | {(ACT, "POST")}

    act = DOCUMENT["paths"][ACT]["post"]
    (action,) = [p for p in act["parameters"] if p.get("in") == "path"]
    assert action["schema"]["enum"] == sorted(ACTION_FIELDS)
    payloads = [ref["$ref"].rsplit("/", 1)[1] for ref in
                act["requestBody"]["content"]["application/json"]["schema"]["anyOf"]]  # fmt: skip
    schemas = DOCUMENT["components"]["schemas"]
    assert {name: set(schemas[payload]["properties"]) for name, payload in
            zip(sorted(ACTION_FIELDS), payloads, strict=True)} == ACTION_FIELDS  # fmt: skip
    assert all(schemas[payload]["additionalProperties"] is False for payload in payloads)


def test_the_document_follows_the_prefix_the_api_is_mounted_under() -> None:
    for prefix in ("/portal", ""):
        paths = openapi_document(prefix)["paths"]
        assert f"{prefix}/api/portal" in paths and f"{prefix}/stripe/webhook" in paths
        assert all(path.startswith(f"{prefix}/") for path in paths)


def test_the_options_the_page_sees_are_all_documented(serve: Callable[..., LiveAPI]) -> None:
    live = serve(retention_offer=RetentionOffer("WELCOME20", ("too_expensive",)),
                 cancel_confirmation_message="Sorry to see you go",
                 translations={"fr": {"cancel": "Résilier"}})  # fmt: skip
    answer = requests.get(f"{live.url}/billflow/api/portal", headers=live.headers(), timeout=10)
    _documented(answer, f"{DEFAULT_PREFIX}/api/portal", "GET")
    config = DOCUMENT["components"]["schemas"]["CurrentConfig"]
    assert set(config["properties"]) == set(answer.json()["currentConfig"])


# -- what random requests cannot reach ------------------------------------------------------
def _documented(answer: requests.Response, path: str, method: str, **case: Any) -> None:
    """The answer is one the document gives for the request: status, body and all."""
    whole[path][method].Case(**case).validate_response(answer)


def _act(live: LiveAPI, action: str, body: dict[str, Any], key: str) -> dict[str, Any]:
    headers = live.headers(**{"Idempotency-Key": key})
    answer = requests.post(
        f"{live.url}/billflow/api/actions/{action}", json=body, headers=headers, timeout=10
    )
    assert answer.status_code == 200, answer.text
    _documented(answer, ACT, "POST", path_parameters={"action": action})
    result: dict[str, Any] = answer.json()
    return result


def test_each_action_answers_with_the_documented_result(serve: Callable[..., LiveAPI]) -> None:
    live = serve(coupons=True)
    team, seats = live.ids["subscriptions"]
    prices = live.ids["prices"]
    _act(live, "change_quantity", {"subscription": seats, "quantity": 5}, "contract-0001")
    _act(live, "change_plan", {"subscription": team, "price": prices["business_monthly"]},
         "contract-0002")  # fmt: skip
    _act(live, "apply_coupon", {"subscription": team, "coupon": "WELCOME20"}, "contract-0003")
    _act(live, "cancel", {"subscription": team, "reason": "unused", "comment": None},
         "contract-0004")  # fmt: skip
    _act(live, "undo_cancel", {"subscription": team}, "contract-0005")
    setup = _act(live, "setup_payment_method", {}, "contract-0006")
    assert setup["confirmation"]["kind"] == "setup"
    _act(live, "update_payment_method", {"payment_method": live.ids["payment_method"]},
         "contract-0007")  # fmt: skip
    started = requests.post(
        f"{live.url}/billflow/api/actions/subscribe",
        json={"price": prices["starter_monthly"], "coupon": None},
        headers=live.headers("grace@example.com", **{"Idempotency-Key": "contract-0008"}),
        timeout=10,
    )
    assert started.status_code == 200, started.text
    _documented(started, ACT, "POST", path_parameters={"action": "subscribe"})
    assert started.json()["confirmation"]["kind"] == "payment"


def test_pausing_and_coming_back_answer_with_the_documented_result(
    serve: Callable[..., LiveAPI],
) -> None:
    live = serve(pause_instead_of_cancel=True)
    team, _ = live.ids["subscriptions"]
    resumes_at = int(time.time()) + 7 * 86400
    paused = _act(live, "pause", {"subscription": team, "resumes_at": resumes_at}, "contract-0101")
    (view,) = [s for s in paused["billingData"]["subscriptions"] if s["id"] == team]
    assert view["paused_until"] == resumes_at
    _act(live, "resume", {"subscription": team}, "contract-0102")

    live = serve(cancel_immediately=True)
    _act(live, "cancel", {"subscription": team, "reason": "other"}, "contract-0103")
    back = _act(live, "resubscribe", {"subscription": team, "price": None}, "contract-0104")
    assert any(s["status"] == "active" for s in back["billingData"]["subscriptions"])


def test_a_preview_and_the_invoices_answer_with_the_documented_bodies(
    serve: Callable[..., LiveAPI],
) -> None:
    live = serve()
    team, seats = live.ids["subscriptions"]
    preview = requests.post(f"{live.url}/billflow/api/preview",
                            json={"subscription": seats, "quantity": 7, "price": None},
                            headers=live.headers(), timeout=10)  # fmt: skip
    assert preview.status_code == 200, preview.text
    _documented(preview, f"{DEFAULT_PREFIX}/api/preview", "POST")
    assert preview.json()["lines"]

    invoices = requests.get(f"{live.url}/billflow/api/invoices", params={"subscription": team},
                            headers=live.headers(), timeout=10)  # fmt: skip
    assert invoices.status_code == 200, invoices.text
    _documented(invoices, f"{DEFAULT_PREFIX}/api/invoices", "GET")
    assert invoices.json()["invoices"]


def test_a_body_over_the_limit_is_a_documented_413(serve: Callable[..., LiveAPI]) -> None:
    live = serve()
    headers = {**live.headers(), "Content-Type": "application/json"}
    answer = requests.post(f"{live.url}/billflow/api/preview", data=b" " * (MAX_BODY + 1),
                           headers=headers, timeout=10)  # fmt: skip
    assert (answer.status_code, answer.json()["error"]["code"]) == (413, "body_too_large")
    _documented(answer, f"{DEFAULT_PREFIX}/api/preview", "POST")


def test_an_email_two_live_customers_share_is_a_documented_409(
    serve: Callable[..., LiveAPI], stripe_client: stripe.StripeClient
) -> None:
    live = serve()
    twin = stripe_client.v1.customers.create(
        {"email": DEMO_EMAIL, "payment_method": "pm_card_visa"}
    )
    stripe_client.v1.subscriptions.create(
        {
            "customer": twin.id,
            "items": [{"price": sorted(live.ids["prices"].values())[0]}],
            "default_payment_method": stripe_client.v1.payment_methods.list({"customer": twin.id})
            .data[0]
            .id,
        }
    )
    for path in ("/api/portal", "/api/invoices"):
        answer = requests.get(f"{live.url}/billflow{path}", headers=live.headers(), timeout=10)
        assert (answer.status_code, answer.json()["error"]["code"]) == (409, "customer_ambiguous")
        _documented(answer, f"{DEFAULT_PREFIX}{path}", "GET")


def test_stripe_webhooks_answer_as_documented(serve: Callable[..., LiveAPI]) -> None:
    live = serve(webhook_secret=WEBHOOK_SECRET)
    url = f"{live.url}/billflow/stripe/webhook"
    path = f"{DEFAULT_PREFIX}/stripe/webhook"
    event = {"id": "evt_contract", "object": "event", "type": "price.updated",
             "data": {"object": {"id": "price_x", "object": "price"}}}  # fmt: skip
    payload = json.dumps(event).encode()
    signed = {"Stripe-Signature": sign(payload, WEBHOOK_SECRET, int(time.time())),
              "Content-Type": "application/json"}  # fmt: skip
    outcomes = []
    for _ in range(2):
        answer = requests.post(url, data=payload, headers=signed, timeout=10)
        assert answer.status_code == 200, answer.text
        _documented(answer, path, "POST")
        outcomes.append(answer.json()["outcome"])
    assert outcomes == ["processed", "duplicate"]

    forged = requests.post(url, data=payload + b" ", headers=signed, timeout=10)
    refusal = (forged.status_code, forged.json()["error"]["code"])
    assert refusal == (400, "webhook_signature_invalid")
    _documented(forged, path, "POST")
    off = requests.post(f"{serve().url}/billflow/stripe/webhook", data=payload, headers=signed,
                        timeout=10)  # fmt: skip
    assert (off.status_code, off.json()["error"]["code"]) == (404, "webhooks_off")
    _documented(off, path, "POST")


@pytest.mark.parametrize("name", sorted(STATIC_FILES))
def test_the_page_files_are_served_as_documented(serve: Callable[..., LiveAPI], name: str) -> None:
    answer = requests.get(f"{serve().url}/billflow/{name}", timeout=10)
    assert answer.status_code == 200
    assert answer.content == served(name)[0] and answer.headers["ETag"]
    _documented(answer, f"{DEFAULT_PREFIX}/{name}", "GET")
