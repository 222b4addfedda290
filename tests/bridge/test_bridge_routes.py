"""The bridge's own routes: minting a hash with the API key, the admin's deliveries, health,
and CORS for the portal's API, each refusing the wrong key or origin."""

from __future__ import annotations

from typing import Any

import pytest
from bridge_support import ADMIN_KEY, API_KEY, HOOKS_KEY, SECRET, SITE_ORIGIN
from flask.testing import FlaskClient

from billflow_bridge._state import BridgeState
from billflow_core import user_hash, verify_hash
from billflow_sandbox.seed import DEMO_EMAIL


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# -- POST /v1/hash --------------------------------------------------------------------------
def test_a_hash_is_minted_for_the_api_key_with_a_snippet_that_opens_the_portal(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    answer = client.post("/v1/hash", json={"email": DEMO_EMAIL}, headers=bearer(API_KEY))

    assert answer.status_code == 200
    body = answer.get_json()
    assert set(body) == {"identity", "hash", "expires_at", "embed_html"}
    assert body["identity"] == DEMO_EMAIL
    assert verify_hash(SECRET, DEMO_EMAIL, body["hash"])
    assert body["hash"].startswith(f"{body['expires_at']}.")
    assert 'src="http://localhost/billflow/embed.js"' in body["embed_html"]
    assert '"api":"http://localhost/billflow"' in body["embed_html"]

    # The snippet's page token opens Ada's portal, as the page will.
    token = body["embed_html"].split('"page":"')[1].split('"')[0]
    portal = client.get("/billflow/api/portal", headers={"X-Billflow-Page": token})
    assert portal.status_code == 200
    assert portal.get_json()["billingData"]["customer"]["id"] == demo["customer"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "key_invalid"),
        (bearer("wrong-" + API_KEY), "key_invalid"),
        (bearer(ADMIN_KEY), "key_invalid"),
        (bearer(HOOKS_KEY), "key_invalid"),
        ({"Authorization": API_KEY}, "key_invalid"),
    ],
)
def test_a_hash_needs_the_api_key(client: FlaskClient, headers: dict[str, str], code: str) -> None:
    answer = client.post("/v1/hash", json={"email": DEMO_EMAIL}, headers=headers)

    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == code
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert API_KEY not in answer.get_data(as_text=True)


def test_a_body_over_4_kib_is_refused_as_json(client: FlaskClient) -> None:
    """A hash asks for one email: a large body is refused, and only 4 KiB of it is read."""
    answer = client.post("/v1/hash", data=b'{"email": "' + b"a" * 1_000_000 + b'"}',
                         content_type="application/json", headers=bearer(API_KEY))  # fmt: skip
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "body_too_large"


def test_without_an_api_key_configured_no_hash_is_minted(make_bridge: Any) -> None:
    app, _ = make_bridge(BILLFLOW_BRIDGE_API_KEY="")

    answer = app.test_client().post("/v1/hash", json={"email": DEMO_EMAIL}, headers=bearer(""))

    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "key_not_configured"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, "identity_required", "email"),
        ({"email": DEMO_EMAIL, "customer_id": "cus_123"}, "identity_required", "email"),
        ({"customer_id": "cus_123"}, "identity_kind", "customer_id"),
        ({"email": "not an email"}, "email_invalid", "email"),
        ({"email": " " + DEMO_EMAIL}, "email_invalid", "email"),
        ({"email": ["ada@example.com"]}, "email_invalid", "email"),
        ({"name": "Ada"}, "unknown_field", "name"),
    ],
)
def test_a_bad_identity_is_refused_naming_the_field(
    client: FlaskClient, body: dict[str, Any], code: str, field: str
) -> None:
    answer = client.post("/v1/hash", json=body, headers=bearer(API_KEY))

    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == code
    assert answer.get_json()["error"]["field"] == field


def test_a_body_that_is_not_a_json_object_is_refused(client: FlaskClient) -> None:
    for raw in (b"nope", b"[1]", b"x" * 5000):
        answer = client.post(
            "/v1/hash", data=raw, headers={**bearer(API_KEY), "Content-Type": "application/json"}
        )
        assert answer.status_code == 400


def test_a_site_that_identifies_by_customer_id_mints_for_one(
    make_bridge: Any, demo: dict[str, Any]
) -> None:
    app, _ = make_bridge(BILLFLOW_IDENTIFY_BY="customer_id")

    answer = app.test_client().post(
        "/v1/hash", json={"customer_id": demo["customer"]}, headers=bearer(API_KEY)
    )

    assert answer.status_code == 200
    assert verify_hash(SECRET, demo["customer"], answer.get_json()["hash"])


# -- deliveries -----------------------------------------------------------------------------
def test_the_admin_lists_deliveries_by_status_and_retries_one(
    client: FlaskClient, state: BridgeState, plan_change: dict[str, str]
) -> None:
    headers = {
        "X-Billflow-Identity": DEMO_EMAIL,
        "X-Billflow-Hash": user_hash(SECRET, DEMO_EMAIL),
        "Idempotency-Key": "intent-admin-1",
    }
    assert client.post("/billflow/api/actions/change_plan", json=plan_change,
                       headers=headers).status_code == 200  # fmt: skip

    listed = client.get("/v1/deliveries?status=pending", headers=bearer(ADMIN_KEY))
    assert listed.status_code == 200
    [row] = listed.get_json()["data"]
    assert (row["event_type"], row["status"], row["attempts"]) == ("change_plan", "pending", 0)
    assert (
        client.get("/v1/deliveries?status=delivered", headers=bearer(ADMIN_KEY)).get_json()["data"]
        == []
    )

    state.deliverer.run_once()
    [done] = client.get("/v1/deliveries", headers=bearer(ADMIN_KEY)).get_json()["data"]
    assert (done["status"], done["last_status_code"], done["next_attempt_at"]) == (
        "delivered", 200, None
    )  # fmt: skip
    again = client.post(f"/v1/deliveries/{done['id']}/retry", headers=bearer(ADMIN_KEY))
    assert again.status_code == 404  # delivered: nothing to retry
    assert again.get_json()["error"]["code"] == "delivery_not_found"


def test_deliveries_need_the_admin_key_and_good_filters(client: FlaskClient) -> None:
    for key in (API_KEY, HOOKS_KEY, "nope"):
        assert client.get("/v1/deliveries", headers=bearer(key)).status_code == 401
        assert client.post("/v1/deliveries/1/retry", headers=bearer(key)).status_code == 401
    for query in ("status=lost", "limit=0", "limit=101", "limit=x", "starting_after=-1"):
        answer = client.get(f"/v1/deliveries?{query}", headers=bearer(ADMIN_KEY))
        assert answer.status_code == 400, query


def test_deliveries_are_paged_newest_first(client: FlaskClient, state: BridgeState) -> None:
    for number in range(5):
        state.outbox.add(f"evt_page_{number}", "cancel", {"type": "cancel", "data": {}})

    first = client.get("/v1/deliveries?limit=2", headers=bearer(ADMIN_KEY)).get_json()
    assert [row["event_id"] for row in first["data"]] == ["evt_page_4", "evt_page_3"]
    assert first["has_more"] is True
    after = first["data"][-1]["id"]
    rest = client.get(f"/v1/deliveries?limit=5&starting_after={after}",
                      headers=bearer(ADMIN_KEY)).get_json()  # fmt: skip
    assert [row["event_id"] for row in rest["data"]] == ["evt_page_2", "evt_page_1", "evt_page_0"]
    assert rest["has_more"] is False


def test_a_switched_off_target_is_switched_on_by_the_admin(
    client: FlaskClient, state: BridgeState, receiver: Any
) -> None:
    unknown = client.post("/v1/targets/enable", json={"url": "https://elsewhere.example/"},
                          headers=bearer(ADMIN_KEY))  # fmt: skip
    assert unknown.status_code == 404

    answer = client.post("/v1/targets/enable", json={"url": receiver.url},
                         headers=bearer(ADMIN_KEY))  # fmt: skip
    assert answer.status_code == 200 and answer.get_json() == {"url": receiver.url,
                                                                "disabled": False}  # fmt: skip


# -- health ---------------------------------------------------------------------------------
def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready"}


# -- CORS -----------------------------------------------------------------------------------
def test_a_preflight_from_the_site_is_answered_and_any_other_refused(client: FlaskClient) -> None:
    asked = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, idempotency-key, x-billflow-page",
    }
    allowed = client.options(
        "/billflow/api/actions/cancel", headers={"Origin": SITE_ORIGIN, **asked}
    )
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert "idempotency-key" in allowed.headers["Access-Control-Allow-Headers"]
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in allowed.headers

    for origin in ("https://evil.example", "null", SITE_ORIGIN + ".evil.example", ""):
        refused = client.options(
            "/billflow/api/actions/cancel", headers={"Origin": origin, **asked}
        )
        assert refused.status_code == 403, origin
        assert refused.get_json()["error"]["code"] == "origin_not_allowed"
        assert "Access-Control-Allow-Origin" not in refused.headers


def test_the_portals_answers_are_readable_by_the_site_only(client: FlaskClient) -> None:
    page = {"X-Billflow-Identity": DEMO_EMAIL, "X-Billflow-Hash": user_hash(SECRET, DEMO_EMAIL)}

    mine = client.get("/billflow/api/portal", headers={"Origin": SITE_ORIGIN, **page})
    other = client.get("/billflow/api/portal", headers={"Origin": "https://evil.example", **page})

    assert mine.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert "Origin" in mine.headers["Vary"]
    assert "Access-Control-Allow-Origin" not in other.headers
