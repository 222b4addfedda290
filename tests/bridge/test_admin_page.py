"""The admin page as the server answers it: switched off without an admin key, a sign-in
that only the admin key passes (a few tries a minute), every form refused without this
session's CSRF token or from another site, and what the forms do: retry, switch back on,
send a sample, each delivered signed. (`tests/browser/test_bridge_admin_page.py` drives the
same page in Chromium.)"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from bridge_support import ADMIN_KEY, HOOKS_KEY, Clock
from flask import Flask
from flask.testing import FlaskClient
from receivers import Answer, Receiver

from billflow_bridge._state import BridgeState
from billflow_bridge.admin.overview import receivers, shown_url
from billflow_bridge.admin.texts import LANGUAGES, admin_catalog
from billflow_bridge.samples import sample
from billflow_bridge.schema import deliveries
from billflow_core.i18n.catalogs import FIELD

Bridge = tuple[Flask, BridgeState]


def token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def signed_in(client: FlaskClient) -> str:
    """Sign `client` in; this session's CSRF token."""
    token = token_of(client.get("/admin/").text)
    answer = client.post("/admin/sign-in", data={"csrf_token": token, "key": ADMIN_KEY})
    assert answer.status_code == 303, answer.text
    return token_of(client.get("/admin/").text)


def delivery_rows(state: BridgeState) -> list[dict[str, Any]]:
    with state.engine.connect() as connection:
        rows = connection.execute(deliveries.select().order_by(deliveries.c.id)).all()
    return [dict(row._mapping) for row in rows]


def submit(client: FlaskClient, path: str, token: str, **fields: str) -> str:
    """Post one of the page's forms with this session's token; the page it lands on."""
    return client.post(path, data={"csrf_token": token, **fields}, follow_redirects=True).text


def ref_of(state: BridgeState, url: str, event: str | None = None) -> str:
    """What the page's forms call the receiver at `url` (the hook for `event`, if given)."""
    return next(r.ref for r in receivers(state)
                if r.url == url and (event is None or event in r.events))  # fmt: skip


def keep_event(state: BridgeState, event_id: str = "evt_admin_1", kind: str = "cancel") -> None:
    state.outbox.add(event_id, kind, {"type": kind, "timestamp": 1, "data": {"n": 1}})


# -- switched off, headers -----------------------------------------------------------------
def test_without_an_admin_key_every_admin_route_is_not_found(
    make_bridge: Any,
) -> None:
    app, _ = make_bridge(BILLFLOW_BRIDGE_ADMIN_KEY="")
    client = app.test_client()
    assert client.get("/admin/").status_code == 404
    for path in ("/admin/", "/admin/sign-in", "/admin/deliveries/1/retry", "/admin/language",
                 "/admin/static/admin.css"):  # fmt: skip
        assert client.post(path, data={"key": ""}).status_code == 404
        assert client.get(path).status_code == 404
    assert "billflow_bridge_admin" not in (client.get("/admin/").headers.get("Set-Cookie") or "")


def test_the_page_may_not_be_framed_cached_or_leak_its_address(client: FlaskClient) -> None:
    answer = client.get("/admin/")
    policy = answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert "script-src" not in policy  # the page runs no script at all
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert "<script" not in answer.text


def test_the_session_cookie_is_http_only_lax_scoped_to_admin_and_secure_over_https(
    bridge: Bridge,
) -> None:
    app, _ = bridge
    plain = app.test_client().get("/admin/").headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Path=/admin" in plain
    assert "Secure" not in plain
    secure = app.test_client().get("/admin/", base_url="https://bridge.example.com")
    assert "Secure" in secure.headers["Set-Cookie"]


# -- signing in ----------------------------------------------------------------------------
def test_only_the_admin_key_signs_in(client: FlaskClient) -> None:
    token = token_of(client.get("/admin/").text)
    for wrong in ("", "admin", ADMIN_KEY + "x", ADMIN_KEY[:-1]):
        answer = client.post("/admin/sign-in", data={"csrf_token": token, "key": wrong})
        assert answer.status_code == 401
        assert "That is not this bridge&#39;s admin key." in answer.text
    assert 'id="deliveries-heading"' not in client.get("/admin/").text

    answer = client.post("/admin/sign-in", data={"csrf_token": token, "key": ADMIN_KEY})
    assert answer.status_code == 303 and answer.headers["Location"] == "/admin/"
    page = client.get("/admin/").text
    assert 'id="deliveries-heading"' in page
    assert token_of(page) != token  # signing in starts a fresh session


def test_guessing_is_stopped_after_ten_tries_a_minute(client: FlaskClient, clock: Clock) -> None:
    token = token_of(client.get("/admin/").text)
    for _ in range(10):
        client.post("/admin/sign-in", data={"csrf_token": token, "key": "guess"})
    refused = client.post("/admin/sign-in", data={"csrf_token": token, "key": ADMIN_KEY})
    assert refused.status_code == 429 and "Too many attempts" in refused.text
    clock.advance(60)
    allowed = client.post("/admin/sign-in", data={"csrf_token": token, "key": ADMIN_KEY})
    assert allowed.status_code == 303


def test_a_session_ends_after_twelve_hours(client: FlaskClient, clock: Clock) -> None:
    signed_in(client)
    clock.advance(12 * 3600 - 1)
    assert 'id="deliveries-heading"' in client.get("/admin/").text
    clock.advance(1)
    assert 'id="sign-in-heading"' in client.get("/admin/").text


def test_a_new_admin_key_signs_everyone_out(make_bridge: Any) -> None:
    app, _ = make_bridge()
    client = app.test_client()
    signed_in(client)
    cookie = client.get_cookie("billflow_bridge_admin", path="/admin")
    assert cookie is not None
    other, _ = make_bridge(BILLFLOW_BRIDGE_ADMIN_KEY="another-admin-key-" + "c" * 24)
    stranger = other.test_client()
    stranger.set_cookie("billflow_bridge_admin", cookie.value, path="/admin")
    assert 'id="sign-in-heading"' in stranger.get("/admin/").text


def test_signing_out_ends_the_session(client: FlaskClient) -> None:
    token = signed_in(client)
    answer = submit(client, "/admin/sign-out", token)
    assert "You are signed out." in answer and 'id="sign-in-heading"' in answer


def test_a_right_key_costs_no_try(client: FlaskClient) -> None:
    for _ in range(12):
        signed_in(client)


def test_a_copy_of_the_cookie_is_no_good_once_signed_out(bridge: Bridge) -> None:
    app, _ = bridge
    client = app.test_client()
    token = signed_in(client)
    cookie = client.get_cookie("billflow_bridge_admin", path="/admin")
    assert cookie is not None
    client.post("/admin/sign-out", data={"csrf_token": token})
    thief = app.test_client()
    thief.set_cookie("billflow_bridge_admin", cookie.value, path="/admin")
    assert 'id="sign-in-heading"' in thief.get("/admin/").text


def test_behind_proxies_the_forwarded_address_and_scheme_are_believed(
    make_bridge: Any,
) -> None:
    app, _ = make_bridge(BILLFLOW_BRIDGE_PROXY_HOPS="1")
    client = app.test_client()
    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    answer = client.get("/admin/", headers=forwarded)
    assert "Secure" in answer.headers["Set-Cookie"]
    token = token_of(answer.text)
    for _ in range(10):
        client.post("/admin/sign-in", data={"csrf_token": token, "key": "guess"},
                    headers=forwarded)  # fmt: skip
    refused = client.post("/admin/sign-in", data={"csrf_token": token, "key": ADMIN_KEY},
                          headers=forwarded)  # fmt: skip
    assert refused.status_code == 429
    # Another visitor behind the same proxy is not held back by the guesser.
    other = {"X-Forwarded-For": "198.51.100.2", "X-Forwarded-Proto": "https"}
    allowed = client.post("/admin/sign-in", data={"csrf_token": token, "key": ADMIN_KEY},
                          headers=other)  # fmt: skip
    assert allowed.status_code == 303


def test_wrong_keys_on_the_json_routes_are_stopped_too(client: FlaskClient) -> None:
    wrong = {"Authorization": "Bearer guess"}
    for _ in range(30):
        assert client.get("/v1/deliveries", headers=wrong).status_code == 401
    right = {"Authorization": f"Bearer {ADMIN_KEY}"}
    refused = client.get("/v1/deliveries", headers=right)
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"


# -- forms refused -------------------------------------------------------------------------
def test_a_form_without_the_sessions_token_does_nothing(
    client: FlaskClient, bridge: Bridge, state: BridgeState, clock: Clock
) -> None:
    keep_event(state)
    clock.advance(3600)
    before = delivery_rows(state)
    token = signed_in(client)
    other = bridge[0].test_client()
    others_token = token_of(other.get("/admin/").text)
    for data in ({}, {"csrf_token": ""}, {"csrf_token": "forged"},
                 {"csrf_token": others_token}):  # fmt: skip
        answer = client.post("/admin/deliveries/1/retry", data=data)
        assert answer.status_code == 400, data
        assert "Nothing was done" in answer.text
    assert delivery_rows(state) == before
    assert client.post("/admin/deliveries/1/retry", data={"csrf_token": token}).status_code == 303


def test_a_form_posted_from_another_site_does_nothing_even_with_the_token(
    client: FlaskClient, state: BridgeState, receiver: Receiver
) -> None:
    receiver.answer(Answer(410))
    keep_event(state)
    state.deliverer.run_once()
    token = signed_in(client)
    ref = ref_of(state, receiver.url)
    for site in ("cross-site", "same-site"):
        answer = client.post(f"/admin/receivers/{ref}/enable", data={"csrf_token": token},
                             headers={"Sec-Fetch-Site": site})  # fmt: skip
        assert answer.status_code == 400
    assert state.deliverer.claim() is None  # still switched off


def test_a_form_from_a_session_not_signed_in_does_nothing(
    client: FlaskClient, state: BridgeState, clock: Clock
) -> None:
    keep_event(state)
    clock.advance(3600)
    before = delivery_rows(state)
    token = token_of(client.get("/admin/").text)  # a session, never signed in
    answer = client.post("/admin/deliveries/1/retry", data={"csrf_token": token})
    assert answer.status_code == 401 and "Sign in again" in answer.text
    assert delivery_rows(state) == before


# -- what the forms do ---------------------------------------------------------------------
def test_retry_now_makes_a_failed_delivery_due_and_it_is_delivered_signed(
    client: FlaskClient, state: BridgeState, receiver: Receiver, clock: Clock, verify: Any
) -> None:
    receiver.answer(Answer(500, body=b"the scenario is off"))
    keep_event(state)
    state.deliverer.run_once()
    assert state.deliverer.run_once() == 0  # the next attempt is minutes away
    token = signed_in(client)
    page = client.get("/admin/").text
    assert "the scenario is off" in page and "Retry now" in page

    answer = submit(client, "/admin/deliveries/1/retry", token)
    assert "Delivery 1 is due again now." in answer
    assert state.deliverer.run_once() == 1
    assert verify(receiver.received[-1]) == {"type": "cancel", "timestamp": 1, "data": {"n": 1}}
    assert delivery_rows(state)[0]["status"] == "delivered"
    again = submit(client, "/admin/deliveries/1/retry", token)
    assert "Delivery 1 cannot be retried" in again


def test_switch_back_on_sends_what_waited(
    client: FlaskClient, state: BridgeState, receiver: Receiver, verify: Any
) -> None:
    receiver.answer(Answer(410))
    keep_event(state)
    state.deliverer.run_once()
    token = signed_in(client)
    page = client.get("/admin/").text
    assert "Switched off" in page and "It answered 410 Gone" in page and "Held" in page

    ref = ref_of(state, receiver.url)
    answer = submit(client, f"/admin/receivers/{ref}/enable", token)
    assert "is switched back on" in answer
    assert state.deliverer.run_once() == 1
    assert verify(receiver.received[-1])["type"] == "cancel"
    unknown = submit(client, "/admin/receivers/0000/enable", token)
    assert "That target or hook is no longer here." in unknown


def test_a_sample_goes_to_the_chosen_target_only_signed_and_shaped_as_the_real_event(
    make_bridge: Any, receiver: Receiver, clock: Clock, verify: Any
) -> None:
    make_url = receiver.url.replace("/hooks/billflow", "/make/cancellations")
    app, state = make_bridge(BILLFLOW_BRIDGE_TARGETS=[
        {"url": receiver.url},
        {"name": "Make: cancellations", "url": make_url, "events": ["cancel", "undo_cancel"]},
    ])  # fmt: skip
    client = app.test_client()
    token = signed_in(client)
    ref = ref_of(state, make_url)
    answer = submit(client, f"/admin/receivers/{ref}/sample", token, event="undo_cancel")
    assert "A sample undo_cancel event is on its way to Make: cancellations." in answer
    assert state.deliverer.run_once() == 1
    [got] = receiver.received
    assert got.path == "/make/cancellations"
    assert got.headers["webhook-id"].startswith("evt_sample_")
    assert verify(got) == {**sample("undo_cancel"), "timestamp": int(clock.now)}
    page = client.get("/admin/").text
    assert "undo_cancel" in page and ">sample<" in page


def test_a_sample_of_an_event_the_target_does_not_take_is_refused(
    make_bridge: Any, receiver: Receiver
) -> None:
    app, state = make_bridge(BILLFLOW_BRIDGE_TARGETS=[{"url": receiver.url, "events": ["cancel"]}])
    client = app.test_client()
    token = signed_in(client)
    answer = submit(client, f"/admin/receivers/{ref_of(state, receiver.url)}/sample", token,
                    event="change_plan")  # fmt: skip
    assert "does not take change_plan events" in answer
    assert delivery_rows(state) == []


def test_a_hooks_sample_goes_to_its_url(
    client: FlaskClient, state: BridgeState, receiver: Receiver, verify: Any
) -> None:
    zap = receiver.url.replace("/hooks/billflow", "/hooks/catch/123/secretpart/")
    state.hooks.subscribe(zap, "stripe.invoice.payment_failed")
    token = signed_in(client)
    client.post(f"/admin/receivers/{ref_of(state, zap)}/sample",
                data={"csrf_token": token, "event": "stripe.invoice.payment_failed"})  # fmt: skip
    assert state.deliverer.run_once() == 1
    assert verify(receiver.received[0])["data"]["status"] == "open"
    page = client.get("/admin/").text
    assert "secretpart" not in page and shown_url(zap) in page


def test_two_hooks_on_one_url_each_send_their_own_sample(
    client: FlaskClient, state: BridgeState, receiver: Receiver, verify: Any
) -> None:
    zap = receiver.url.replace("/hooks/billflow", "/hooks/catch/9/")
    state.hooks.subscribe(zap, "cancel")
    state.hooks.subscribe(zap, "change_plan")
    token = signed_in(client)
    for event in ("cancel", "change_plan"):
        answer = submit(client, f"/admin/receivers/{ref_of(state, zap, event)}/sample", token,
                        event=event)  # fmt: skip
        assert "is on its way" in answer, event
    assert state.deliverer.run_once() == 2
    assert [verify(r)["type"] for r in receiver.received] == ["cancel", "change_plan"]


def test_the_page_shows_no_secret_path_even_when_a_receiver_repeats_it(
    make_bridge: Any, receiver: Receiver
) -> None:
    secret = receiver.url.replace("/hooks/billflow", "/make/Sec7etPath")
    moved = receiver.url.replace("/hooks/billflow", "/make/Sec7etPath/")
    app, state = make_bridge(BILLFLOW_BRIDGE_TARGETS=secret)
    receiver.answer(Answer(308, headers={"Location": moved}),
                    Answer(404, body=b"no scenario at /make/Sec7etPath"))  # fmt: skip
    keep_event(state, "evt_secret_1")
    keep_event(state, "evt_secret_2")
    assert state.deliverer.run_once() == 2
    client = app.test_client()
    signed_in(client)
    page = client.get("/admin/").text
    assert "redirects to http://127.0.0.1:" in page and "not followed" in page
    assert "no scenario at /…" in page
    listed = client.get("/v1/deliveries", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    errors = [delivery["last_error"] for delivery in listed.get_json()["data"]]
    assert "Sec7etPath" not in page and not any("Sec7etPath" in error for error in errors)


def test_a_look_alike_host_is_shown_as_what_it_is(client: FlaskClient, state: BridgeState) -> None:
    state.hooks.subscribe("https://hooks.zap\u0131er.com/hooks/catch/1/", "cancel")
    signed_in(client)
    page = client.get("/admin/").text
    assert "hooks.xn--zaper-p4a.com/…" in page and "zap\u0131er" not in page
    hooks = {"Authorization": "Bearer " + HOOKS_KEY}
    refused = client.post("/v1/hooks", headers=hooks, json={
        "target_url": "https://\u202emoc.reipaz.skooh/x", "event": "cancel"})  # fmt: skip
    assert refused.status_code == 400


def test_deliveries_are_filtered_by_status_and_paged(
    client: FlaskClient, state: BridgeState, receiver: Receiver
) -> None:
    for n in range(30):
        keep_event(state, f"evt_page_{n:02d}")
    receiver.answer(*[Answer(200)] * 20)
    state.deliverer.run_once()  # twenty delivered, ten waiting
    signed_in(client)
    first = client.get("/admin/").text
    assert first.count('class="row-action"') == 25 and "Older deliveries" in first
    waiting = client.get("/admin/?status=pending").text
    assert waiting.count('class="row-action"') == 10 and "Older deliveries" not in waiting
    older = re.search(r'href="(/admin/\?before=\d+)"', first)
    assert older
    second = client.get(older.group(1)).text
    assert second.count('class="row-action"') == 5 and "Newest deliveries" in second
    for odd in ("9" * 40, "-1", "x", "１２"):  # not an id: the first page
        assert client.get(f"/admin/?before={odd}").text.count('class="row-action"') == 25


# -- languages -----------------------------------------------------------------------------
def test_every_catalog_has_the_english_keys_and_fields() -> None:
    english = admin_catalog("en")
    for language in LANGUAGES:
        texts = admin_catalog(language)
        assert set(texts) == set(english), language
        for key, text in texts.items():
            assert text.strip(), (language, key)
            assert set(FIELD.findall(text)) == set(FIELD.findall(english[key])), (language, key)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_speaks_each_language(client: FlaskClient, language: str) -> None:
    texts = admin_catalog(language)
    sign_in = client.get("/admin/", headers={"Accept-Language": f"{language};q=0.9"}).text
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in sign_in
    assert f">{texts['sign_in.heading']}<" in sign_in
    signed_in(client)
    page = client.get("/admin/", headers={"Accept-Language": language}).text
    for key in ("targets.heading", "hooks.heading", "deliveries.heading", "sign_out"):
        assert f">{texts[key]}<" in page, key


def test_the_language_picked_on_the_page_wins_over_the_browsers(client: FlaskClient) -> None:
    token = token_of(client.get("/admin/").text)
    client.post("/admin/language", data={"csrf_token": token, "language": "ja"})
    page = client.get("/admin/", headers={"Accept-Language": "de"}).text
    assert '<html lang="ja"' in page
    client.post("/admin/language", data={"csrf_token": token, "language": "xx"})
    assert '<html lang="ja"' in client.get("/admin/").text  # an unknown code changes nothing
    refused = client.post("/admin/language", data={"language": "fr"})
    assert refused.status_code == 400


def test_the_json_admin_routes_still_answer_beside_the_page(
    client: FlaskClient, state: BridgeState
) -> None:
    keep_event(state)
    answer = client.get("/v1/deliveries", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert answer.status_code == 200
    assert json.loads(answer.text)["data"][0]["event_type"] == "cancel"
