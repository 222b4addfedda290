"""REST hooks as Zapier uses them, with the hooks key: the auth test, subscribe, list,
deliveries signed like every other, unsubscribe by DELETE or by answering 410, and samples
shaped exactly as the real events are."""

from __future__ import annotations

from typing import Any

import pytest
from bridge_support import ADMIN_KEY, API_KEY, HOOKS_KEY, SECRET
from flask.testing import FlaskClient
from receivers import Answer, Receiver

from billflow_bridge._state import BridgeState
from billflow_core import user_hash
from billflow_core.events import DATA_FIELDS, STRIPE_DATA_FIELDS
from billflow_sandbox.seed import DEMO_EMAIL

HOOKS = {"Authorization": f"Bearer {HOOKS_KEY}"}


def act(client: FlaskClient, action: str, payload: dict[str, Any], key: str) -> Any:
    headers = {"X-Billflow-Identity": DEMO_EMAIL, "X-Billflow-Hash": user_hash(SECRET, DEMO_EMAIL),
               "Idempotency-Key": key}  # fmt: skip
    answer = client.post(f"/billflow/api/actions/{action}", json=payload, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer


def subscribe(client: FlaskClient, url: str, event: str) -> dict[str, Any]:
    answer = client.post("/v1/hooks", json={"target_url": url, "event": event}, headers=HOOKS)
    assert answer.status_code == 201, answer.get_json()
    found: dict[str, Any] = answer.get_json()
    return found


def test_the_auth_test_takes_the_hooks_key_only(client: FlaskClient) -> None:
    assert client.get("/v1/me", headers=HOOKS).status_code == 200
    for key in (API_KEY, ADMIN_KEY, "nope"):
        assert client.get("/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_a_subscribed_hook_gets_its_event_signed_and_is_listed(
    client: FlaskClient, state: BridgeState, receiver: Receiver, plan_change: dict[str, str],
    verify: Any,
) -> None:  # fmt: skip
    zap = receiver.url.replace("/hooks/billflow", "/zap/123")
    hook = subscribe(client, zap, "change_plan")
    assert hook["id"].startswith("hook_") and hook["event"] == "change_plan"
    assert client.get("/v1/hooks", headers=HOOKS).get_json()["data"] == [hook]

    act(client, "change_plan", plan_change, "intent-hook-1")
    assert state.deliverer.run_once() == 2  # the configured target and the hook

    by_path = {r.path: verify(r) for r in receiver.received}
    assert by_path["/zap/123"]["type"] == "change_plan"
    assert by_path["/zap/123"] == by_path["/hooks/billflow"]


def test_a_hook_deleted_or_answering_410_gets_nothing_more(
    client: FlaskClient, state: BridgeState, receiver: Receiver, plan_change: dict[str, str]
) -> None:
    deleted = subscribe(client, receiver.url.replace("/hooks/billflow", "/zap/deleted"), "cancel")
    gone = subscribe(client, receiver.url.replace("/hooks/billflow", "/zap/gone"), "cancel")
    kept = subscribe(client, receiver.url.replace("/hooks/billflow", "/zap/kept"), "cancel")
    assert client.delete(f"/v1/hooks/{deleted['id']}", headers=HOOKS).status_code == 204
    assert client.delete(f"/v1/hooks/{deleted['id']}", headers=HOOKS).status_code == 404

    # Deliveries go in the order they were kept: the configured target, then the hooks.
    receiver.answer(Answer(200), Answer(410), Answer(200))
    act(client, "cancel", {"subscription": plan_change["subscription"], "reason": "unused"},
        "intent-hook-2")  # fmt: skip
    assert state.deliverer.run_once() == 3
    assert [r.path for r in receiver.received] == ["/hooks/billflow", "/zap/gone", "/zap/kept"]

    assert client.get("/v1/hooks", headers=HOOKS).get_json()["data"] == [kept]
    act(client, "undo_cancel", {"subscription": plan_change["subscription"]}, "intent-hook-4")
    subscribe(client, gone["target_url"], "undo_cancel")  # subscribed again: it receives again
    state.deliverer.run_once()
    assert [r.path for r in receiver.received[3:]] == ["/hooks/billflow"]  # kept before it


def test_a_hook_needs_a_known_event_and_a_plain_url(client: FlaskClient) -> None:
    for body, field in (
        ({"target_url": "https://hooks.zapier.com/1", "event": "nothing"}, "event"),
        ({"target_url": "ftp://files.example/", "event": "cancel"}, "target_url"),
        ({"target_url": "https://u:p@hooks.example/", "event": "cancel"}, "target_url"),
        ({"target_url": ["https://hooks.example/"], "event": "cancel"}, "target_url"),
        ({"target_url": "https://hooks.example/", "event": "cancel", "x": 1}, "x"),
    ):
        answer = client.post("/v1/hooks", json=body, headers=HOOKS)
        assert answer.status_code == 400, body
        assert answer.get_json()["error"]["field"] == field
    assert client.post("/v1/hooks", json={}, headers={"Authorization": f"Bearer {API_KEY}"}
                       ).status_code == 401  # fmt: skip


def test_a_sample_has_the_real_events_shape(
    client: FlaskClient, state: BridgeState, receiver: Receiver, plan_change: dict[str, str],
    verify: Any,
) -> None:  # fmt: skip
    act(client, "change_plan", plan_change, "intent-hook-3")
    state.deliverer.run_once()
    real = verify(receiver.received[0])

    [sample] = client.get("/v1/samples/change_plan", headers=HOOKS).get_json()

    assert set(sample) == set(real) == {"type", "timestamp", "data"}
    assert tuple(sample["data"]) == tuple(real["data"]) == DATA_FIELDS
    for name, value in real["data"].items():
        if value is not None:
            assert type(sample["data"][name]) is type(value), name


@pytest.mark.parametrize("event", ["cancel", "create_subscription", "stripe.invoice.paid",
                                   "stripe.customer.subscription.deleted"])  # fmt: skip
def test_every_listed_type_has_a_sample(client: FlaskClient, event: str) -> None:
    listed = client.get("/v1/samples", headers=HOOKS).get_json()["data"]
    assert event in listed

    [sample] = client.get(f"/v1/samples/{event}", headers=HOOKS).get_json()

    assert sample["type"] == event
    expected = STRIPE_DATA_FIELDS if event.startswith("stripe.") else DATA_FIELDS
    assert tuple(sample["data"]) == expected
    assert client.get("/v1/samples/nothing", headers=HOOKS).status_code == 404
