"""The portal's HTTP API over a real socket: identity headers, actions with their
Idempotency-Key, the error shape and statuses every route answers with."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import requests

from billflow_sandbox import sign
from billflow_sandbox.seed import DEMO_EMAIL


def test_the_portal_answers_with_billing_and_product_data(serve: Callable[..., Any]) -> None:
    live = serve()
    answer = requests.get(f"{live.url}/billflow/api/portal", headers=live.headers(), timeout=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["billingData"]["no_user"] is False
    assert {s["id"] for s in body["billingData"]["subscriptions"]} == set(live.ids["subscriptions"])
    assert body["productData"] and body["currentConfig"]["change_plan"] is True
    assert answer.headers["Cache-Control"] == "no-store"

    stranger = requests.get(f"{live.url}/billflow/api/portal",
                            headers=live.headers("nobody@example.com"), timeout=10)  # fmt: skip
    assert stranger.json()["billingData"]["no_user"] is True


def test_an_action_changes_the_subscription_once_per_key(serve: Callable[..., Any]) -> None:
    live = serve()
    seats = live.ids["subscriptions"][1]
    url = f"{live.url}/billflow/api/actions/change_quantity"
    headers = live.headers(**{"Idempotency-Key": "web-intent-0001"})
    for _ in range(2):
        answer = requests.post(url, json={"subscription": seats, "quantity": 4},
                               headers=headers, timeout=10)  # fmt: skip
        assert answer.status_code == 200, answer.text
        view = next(s for s in answer.json()["billingData"]["subscriptions"] if s["id"] == seats)
        assert view["quantity"] == 4
    writes = [w for w in live.sandbox.writes() if w.path == f"/v1/subscriptions/{seats}"]
    assert len(writes) == 1


def test_errors_have_the_documented_shape_and_status(serve: Callable[..., Any]) -> None:
    live = serve(change_plan=False)
    base = f"{live.url}/billflow"
    team = live.ids["subscriptions"][0]
    cases = [
        ("get", "/api/portal", {"X-Billflow-Identity": DEMO_EMAIL, "X-Billflow-Hash": "0" * 64},
         None, 403, "hash_mismatch"),
        ("post", "/api/actions/change_plan", live.headers(**{"Idempotency-Key": "web-key-0002"}),
         {"subscription": team, "price": "price_x"}, 403, "feature_disabled"),
        ("post", "/api/actions/cancel", live.headers(**{"Idempotency-Key": "web-key-0003"}),
         {"subscription": "sub_nope", "reason": "unused"}, 404, "subscription_not_found"),
        ("post", "/api/actions/cancel", live.headers(), {"subscription": team}, 400,
         "idempotency_key_required"),
        ("post", "/api/actions/explode", live.headers(**{"Idempotency-Key": "web-key-0004"}),
         {}, 404, "unknown_action"),
        ("get", "/api/actions/cancel", live.headers(), None, 405, "method_not_allowed"),
        ("get", "/api/nothing", live.headers(), None, 404, "route_not_found"),
    ]  # fmt: skip
    for method, path, headers, body, status, code in cases:
        answer = requests.request(method, base + path, json=body, headers=headers, timeout=10)
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), path
        assert set(answer.json()["error"]) <= {"code", "message", "field"}

    form = requests.post(f"{base}/api/actions/cancel", data={"subscription": team},
                         headers=live.headers(**{"Idempotency-Key": "web-key-0005"}),
                         timeout=10)  # fmt: skip
    assert (form.status_code, form.json()["error"]["code"]) == (400, "content_type_invalid")
    broken = requests.post(f"{base}/api/actions/cancel", data=b"{not json",
                           headers={**live.headers(**{"Idempotency-Key": "web-key-0006"}),
                                    "Content-Type": "application/json"}, timeout=10)  # fmt: skip
    assert (broken.status_code, broken.json()["error"]["code"]) == (400, "body_invalid")


def test_a_method_a_route_does_not_take_is_a_405_naming_those_it_takes(
    serve: Callable[..., Any],
) -> None:
    live = serve()
    base = f"{live.url}/billflow"
    for method, path, allowed in [
        ("put", "/api/portal", "GET"),
        ("get", "/api/actions/cancel", "POST"),
        ("delete", "/stripe/webhook", "POST"),
        ("trace", "/api/openapi.json", "GET"),
    ]:
        answer = requests.request(method, base + path, headers=live.headers(), timeout=10)
        assert (answer.status_code, answer.json()["error"]["code"]) == (405, "method_not_allowed")
        assert answer.headers["Allow"] == allowed, path


def test_json_nested_deeper_than_the_stack_is_bad_input(serve: Callable[..., Any]) -> None:
    live = serve()
    headers = {**live.headers(**{"Idempotency-Key": "web-key-0101"}),
               "Content-Type": "application/json"}  # fmt: skip
    writes = len(live.sandbox.writes())
    for path, body in [
        ("/api/actions/cancel", b"[" * 5000 + b"]" * 5000),
        ("/api/preview", b'{"a":' * 5000 + b"1" + b"}" * 5000),
    ]:
        answer = requests.post(f"{live.url}/billflow{path}", data=body, headers=headers,
                               timeout=10)  # fmt: skip
        assert (answer.status_code, answer.json()["error"]["code"]) == (400, "body_invalid")
    assert len(live.sandbox.writes()) == writes


def test_text_that_is_not_unicode_is_bad_input(serve: Callable[..., Any]) -> None:
    live = serve(coupons=True)
    team = live.ids["subscriptions"][0]
    writes = len(live.sandbox.writes())
    for number, body in enumerate(
        [
            b'{"subscription": "%s", "coupon": "\\ud83d"}' % team.encode(),
            b'{"subscription": "%s", "\\ud800": 1}' % team.encode(),
        ]
    ):
        headers = {**live.headers(**{"Idempotency-Key": f"web-key-020{number}"}),
                   "Content-Type": "application/json"}  # fmt: skip
        answer = requests.post(f"{live.url}/billflow/api/actions/apply_coupon", data=body,
                               headers=headers, timeout=10)  # fmt: skip
        assert (answer.status_code, answer.json()["error"]["code"]) == (400, "text_invalid")
    assert len(live.sandbox.writes()) == writes


def test_a_body_that_is_not_a_json_object_is_bad_input(serve: Callable[..., Any]) -> None:
    live = serve()
    writes = len(live.sandbox.writes())
    for number, body in enumerate([b"null", b"[]", b'"{}"', b"7"]):
        for path in ("/api/actions/setup_payment_method", "/api/preview"):
            headers = {**live.headers(**{"Idempotency-Key": f"web-key-030{number}"}),
                       "Content-Type": "application/json"}  # fmt: skip
            answer = requests.post(f"{live.url}/billflow{path}", data=body, headers=headers,
                                   timeout=10)  # fmt: skip
            assert (answer.status_code, answer.json()["error"]["code"]) == (400, "body_invalid")
    assert len(live.sandbox.writes()) == writes


def test_a_signed_payload_that_is_not_an_event_is_a_400_with_a_code(
    serve: Callable[..., Any],
) -> None:
    secret = "whsec_" + "w" * 32
    live = serve(webhook_secret=secret)
    writes = len(live.sandbox.writes())
    for body in [
        b"not json at all",
        b"[]",
        json.dumps({"id": "evt_1", "object": "event"}).encode(),
        json.dumps({"id": "evt_2", "type": "price.updated"}).encode(),
        json.dumps(
            {"id": "evt_3", "type": "price.updated", "data": {"object": "price_x"}}
        ).encode(),
        json.dumps({"id": "evt_4", "type": "price.updated", "data": []}).encode(),
    ]:
        answer = requests.post(f"{live.url}/billflow/stripe/webhook", data=body,
                               headers={"Stripe-Signature": sign(body, secret, int(time.time())),
                                        "Content-Type": "application/json"},
                               timeout=10)  # fmt: skip
        refusal = (answer.status_code, answer.json()["error"]["code"])
        assert refusal == (400, "webhook_payload_invalid"), body
    assert len(live.sandbox.writes()) == writes


def test_every_json_answer_says_nosniff(serve: Callable[..., Any]) -> None:
    live = serve()
    base = f"{live.url}/billflow"
    answers = [
        requests.get(f"{base}/api/portal", headers=live.headers(), timeout=10),
        requests.get(f"{base}/api/nothing", timeout=10),
        requests.get(f"{base}/api/actions/cancel", headers=live.headers(), timeout=10),
        requests.get(f"{base}/api/openapi.json", timeout=10),
        requests.get(f"{base}/embed.js", timeout=10),
        requests.post(f"{base}/stripe/webhook", data=b"{}", timeout=10),
        requests.post(f"{base}/api/preview", data=b"x" * (65 * 1024), timeout=10,
                      headers={**live.headers(), "Content-Type": "application/json"}),
    ]  # fmt: skip
    for answer in answers:
        assert answer.headers["X-Content-Type-Options"] == "nosniff", answer.url
    assert answers[-1].status_code == 413
