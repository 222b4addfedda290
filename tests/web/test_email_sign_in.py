"""Email sign-in through the live API: a link emailed (over real SMTP, on loopback) to a
customer who asks, exchanged once for a session that proves their email, ended on sign-out;
the same answer for anyone who is not a customer, and nothing secret in the logs."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from email.message import EmailMessage

import pytest
import requests

from billflow_core.portal import Portal
from billflow_core.settings import PortalSettings
from billflow_sandbox.mailbox import Mailbox
from billflow_sandbox.seed import DEMO_EMAIL

from .conftest import SECRET, LiveAPI

REDIRECT = "https://shop.example/account"
SIGN_IN = {
    "email_sign_in": True,
    "company_name": "Acme & Co",
    "sign_in_from_address": "billing@shop.example",
    "sign_in_redirect_url": REDIRECT,
}
STRANGER = "nobody-here@example.org"


@pytest.fixture
def live(serve: Callable[..., LiveAPI], smtp_mailbox: Mailbox) -> LiveAPI:
    return serve(smtp=smtp_mailbox.address, **SIGN_IN)


def _ask(live: LiveAPI, address: str, **headers: str) -> requests.Response:
    return requests.post(f"{live.url}/billflow/api/login-link", json={"email": address},
                         headers=headers, timeout=10)  # fmt: skip


def _exchange(live: LiveAPI, token: str) -> requests.Response:
    return requests.post(f"{live.url}/billflow/api/session", json={"token": token}, timeout=10)


def _token(link: str) -> str:
    found = re.search(r"billflow_token=([^\s&\"<]+)", link)
    assert found is not None, link
    return found[1]


def _link_in(message: EmailMessage) -> str:
    text = message.get_body(("plain",))
    assert text is not None
    found = re.search(r"https://\S+", text.get_content())
    assert found is not None
    return found[0]


def _messages(mailbox: Mailbox) -> list[EmailMessage]:
    return [mail.message for mail in mailbox.messages]


def _error(answer: requests.Response) -> str:
    return str(answer.json()["error"]["code"])


def test_a_customer_signs_in_by_link_and_the_session_opens_their_portal_until_sign_out(
    live: LiveAPI, smtp_mailbox: Mailbox
) -> None:
    asked = _ask(live, DEMO_EMAIL)
    assert asked.status_code == 202 and asked.json() == {"sent": True}
    live.portal.sign_in.wait()
    (message,) = _messages(smtp_mailbox)
    assert message["To"] == DEMO_EMAIL
    assert "billing@shop.example" in message["From"] and "Acme & Co" in message["Subject"]
    html = message.get_body(("html",))
    assert html is not None and "Acme &amp; Co" in html.get_content()
    link = _link_in(message)
    assert link.startswith(REDIRECT + "?billflow_token=")
    assert _token(link) in html.get_content()
    assert "15 minutes" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    exchanged = _exchange(live, _token(link))
    assert exchanged.status_code == 200
    session = exchanged.json()
    assert session["email"] == DEMO_EMAIL
    assert session["expires_at"] >= int(time.time()) + 12 * 3600 - 60

    signed_in = {"X-Billflow-Session": session["session"]}
    portal = requests.get(f"{live.url}/billflow/api/portal", headers=signed_in, timeout=10)
    assert portal.status_code == 200
    billing = portal.json()["billingData"]
    assert billing["no_user"] is False
    hashed = requests.get(f"{live.url}/billflow/api/portal", headers=live.headers(), timeout=10)
    assert billing == hashed.json()["billingData"]  # the same customer the hash proves
    assert {s["id"] for s in billing["subscriptions"]} & set(live.ids["subscriptions"])

    out = requests.delete(f"{live.url}/billflow/api/session", headers=signed_in, timeout=10)
    assert out.status_code == 200 and out.json() == {"signed_out": True}
    after = requests.get(f"{live.url}/billflow/api/portal", headers=signed_in, timeout=10)
    assert after.status_code == 403 and _error(after) == "session_expired"


def test_the_sign_in_form_comes_in_the_visitors_language_with_the_texts_the_script_shows(
    live: LiveAPI,
) -> None:
    answer = requests.get(f"{live.url}/billflow/api/sign-in",
                          headers={"Accept-Language": "fr-CA,fr;q=0.9"}, timeout=10)  # fmt: skip
    assert answer.status_code == 200
    form = answer.json()
    assert (form["language"], form["dir"]) == ("fr", "ltr")
    assert "Adresse e-mail" in form["html"] and 'name="email"' in form["html"]
    assert form["messages"]["signin.sign_out"] == "Se déconnecter"
    assert form["messages"]["error.link_used"]
    assert not any(key.startswith("signin.email.") for key in form["messages"])


def test_the_email_speaks_the_visitors_language(live: LiveAPI, smtp_mailbox: Mailbox) -> None:
    assert _ask(live, DEMO_EMAIL, **{"Accept-Language": "de-DE,de;q=0.9"}).status_code == 202
    live.portal.sign_in.wait()
    (message,) = _messages(smtp_mailbox)
    assert message["Subject"] == "Ihr Anmeldelink für Acme & Co"
    assert "15 Minuten" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_an_unknown_email_gets_the_same_answer_and_no_email(
    live: LiveAPI, smtp_mailbox: Mailbox
) -> None:
    known, unknown = _ask(live, DEMO_EMAIL), _ask(live, STRANGER)
    live.portal.sign_in.wait()
    assert (unknown.status_code, unknown.content) == (known.status_code, known.content)
    assert [m["To"] for m in _messages(smtp_mailbox)] == [DEMO_EMAIL]


def test_what_is_not_an_email_address_is_refused(live: LiveAPI) -> None:
    for wrong in ("not-an-email", "", "a@b", 42):
        answer = requests.post(f"{live.url}/billflow/api/login-link", json={"email": wrong},
                               timeout=10)  # fmt: skip
        assert answer.status_code == 400
        assert answer.json()["error"] == {
            "code": "email_invalid", "message": "Enter an email address.", "field": "email"
        }  # fmt: skip


def test_with_email_sign_in_off_every_sign_in_route_is_refused(
    serve: Callable[..., LiveAPI], smtp_mailbox: Mailbox
) -> None:
    live = serve()
    asked = _ask(live, DEMO_EMAIL)
    exchanged = _exchange(live, "x")
    form = requests.get(f"{live.url}/billflow/api/sign-in", timeout=10)
    out = requests.delete(f"{live.url}/billflow/api/session",
                          headers={"X-Billflow-Session": "x"}, timeout=10)  # fmt: skip
    session = requests.get(f"{live.url}/billflow/api/portal",
                           headers={"X-Billflow-Session": "x"}, timeout=10)  # fmt: skip
    for answer in (asked, exchanged, form, out, session):
        assert answer.status_code == 403 and _error(answer) == "feature_disabled"
    assert _messages(smtp_mailbox) == []


def test_an_expired_link_is_refused(live: LiveAPI) -> None:
    link = live.portal.sign_in.link(DEMO_EMAIL, int(time.time()) - 1)
    answer = _exchange(live, _token(link))
    assert answer.status_code == 403 and _error(answer) == "link_expired"


def test_a_link_works_once(live: LiveAPI) -> None:
    token = _token(live.portal.sign_in.link(DEMO_EMAIL, int(time.time()) + 600))
    assert _exchange(live, token).status_code == 200
    again = _exchange(live, token)
    assert again.status_code == 403 and _error(again) == "link_used"


def test_a_tampered_link_is_refused(live: LiveAPI) -> None:
    token = _token(live.portal.sign_in.link(DEMO_EMAIL, int(time.time()) + 600))
    encoded, expires, nonce, digest = token.split(".")
    other_email = "c29tZW9uZUBlbHNlLmV4YW1wbGU"  # someone@else.example
    for tampered in (
        f"{encoded}.{expires}.{nonce}.{digest[:-1]}{'0' if digest[-1] != '0' else '1'}",
        f"{other_email}.{expires}.{nonce}.{digest}",
        f"{encoded}.{int(expires) + 3600}.{nonce}.{digest}",
        "garbage",
    ):
        answer = _exchange(live, tampered)
        assert answer.status_code == 403 and _error(answer) == "link_invalid"
    assert _exchange(live, token).status_code == 200  # the real one was never spent


def test_a_link_made_for_another_redirect_url_is_refused(live: LiveAPI) -> None:
    elsewhere = Portal(
        PortalSettings(**{**SIGN_IN, "sign_in_redirect_url": "https://evil.example/account"}),
        secret_key=SECRET,
        stripe_api_key=live.sandbox.secret_key,
        stripe_api_base=live.sandbox.url,
        mailer=live.portal.sign_in.mailer,
    )
    token = _token(elsewhere.sign_in.link(DEMO_EMAIL, int(time.time()) + 600))
    answer = _exchange(live, token)
    assert answer.status_code == 403 and _error(answer) == "link_invalid"


def test_a_made_up_session_is_refused(live: LiveAPI) -> None:
    answer = requests.get(f"{live.url}/billflow/api/portal",
                          headers={"X-Billflow-Session": "made.up"}, timeout=10)  # fmt: skip
    assert answer.status_code == 403 and _error(answer) == "session_expired"
    # A link's token is not a session, though the same key signed it.
    token = _token(live.portal.sign_in.link(DEMO_EMAIL, int(time.time()) + 600))
    answer = requests.get(f"{live.url}/billflow/api/portal",
                          headers={"X-Billflow-Session": token}, timeout=10)  # fmt: skip
    assert answer.status_code == 403 and _error(answer) == "session_expired"


def test_links_per_email_are_limited_and_say_when_to_retry(
    serve: Callable[..., LiveAPI], smtp_mailbox: Mailbox
) -> None:
    live = serve(smtp=smtp_mailbox.address, sign_in_per_email_per_hour=2, **SIGN_IN)
    assert [_ask(live, DEMO_EMAIL).status_code for _ in range(2)] == [202, 202]
    refused = _ask(live, DEMO_EMAIL.upper())
    assert refused.status_code == 429 and _error(refused) == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    minutes = -(-int(refused.headers["Retry-After"]) // 60)
    assert refused.json()["error"]["message"] == (
        f"Too many sign-in links asked for; try again in {minutes} minutes."
    )
    live.portal.sign_in.wait()
    assert len(_messages(smtp_mailbox)) == 2
    assert _ask(live, STRANGER).status_code == 202  # another email still may


def test_links_per_client_address_are_limited(
    serve: Callable[..., LiveAPI], smtp_mailbox: Mailbox
) -> None:
    live = serve(smtp=smtp_mailbox.address, sign_in_per_address_per_hour=3, **SIGN_IN)
    answers = [_ask(live, f"visitor{n}@example.org").status_code for n in range(4)]
    assert answers == [202, 202, 202, 429]
    refused = _ask(live, DEMO_EMAIL)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 3600


def test_no_token_link_or_session_reaches_the_logs(
    serve: Callable[..., LiveAPI],
    smtp_mailbox: Mailbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    live = serve(smtp=smtp_mailbox.address, debug=True, **SIGN_IN)
    _ask(live, DEMO_EMAIL)
    _ask(live, STRANGER)
    live.portal.sign_in.wait()
    token = _token(_link_in(_messages(smtp_mailbox)[0]))
    session = _exchange(live, token).json()["session"]
    _exchange(live, token)
    signed_in = {"X-Billflow-Session": session}
    requests.get(f"{live.url}/billflow/api/portal", headers=signed_in, timeout=10)
    requests.delete(f"{live.url}/billflow/api/session", headers=signed_in, timeout=10)
    # The test's own mail server (aiosmtpd's "mail.log") logs what it receives; not ours.
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))
    assert "sign-in link sent" in logged  # the logs were captured
    for secret in (token, token.split(".")[2], token.split(".")[3], session,
                   session.split(".")[3], SECRET):  # fmt: skip
        assert secret not in logged


def test_a_session_is_bound_to_the_page_token_it_was_made_on(live: LiveAPI) -> None:
    """Signed in on a page without cancel, the visitor cannot take the session to the
    site's defaults by dropping the page's token, nor to another page's options."""
    no_cancel = live.portal.page_token(None, overrides={"cancel": False})
    elsewhere = live.portal.page_token(None, overrides={"coupons": False})
    token = _token(live.portal.sign_in.link(DEMO_EMAIL, int(time.time()) + 600))
    made = requests.post(f"{live.url}/billflow/api/session", json={"token": token},
                         headers={"X-Billflow-Page": no_cancel}, timeout=10)  # fmt: skip
    assert made.status_code == 200
    session = made.json()["session"]
    portal = f"{live.url}/billflow/api/portal"
    on_its_page = {"X-Billflow-Page": no_cancel, "X-Billflow-Session": session}
    shown = requests.get(portal, headers=on_its_page, timeout=10)
    assert shown.status_code == 200 and shown.json()["currentConfig"]["cancel"] is False

    before = len(live.sandbox.writes())
    for headers in ({"X-Billflow-Session": session},
                    {"X-Billflow-Page": elsewhere, "X-Billflow-Session": session}):  # fmt: skip
        cancel = requests.post(
            f"{live.url}/billflow/api/actions/cancel",
            json={"subscription": live.ids["subscriptions"][0], "reason": "unused"},
            headers={**headers, "Idempotency-Key": "bound-session-0001"},
            timeout=10,
        )
        assert cancel.status_code == 403 and _error(cancel) == "session_expired"
    assert len(live.sandbox.writes()) == before


def test_a_customer_and_a_stranger_get_the_same_answer_in_the_same_time(
    serve: Callable[..., LiveAPI], smtp_mailbox: Mailbox
) -> None:
    """Whether an address is a customer's is never in the answer, nor in how long it takes:
    the lookup and the mail happen after the answer. Timed as distributions, asked in
    alternation and compared pair by pair, so a machine's drift falls on both alike: a leak
    (the mail sent before answering) makes nearly every customer's answer the slower one."""
    live = serve(smtp=smtp_mailbox.address, sign_in_per_email_per_hour=1000,
                 sign_in_per_address_per_hour=1000, **SIGN_IN)  # fmt: skip
    session = requests.Session()
    answers: dict[str, list[tuple[int, str]]] = {"customer": [], "stranger": []}
    took: dict[str, list[float]] = {"customer": [], "stranger": []}
    turns = 60
    for turn in range(turns):
        for who, address in (("customer", DEMO_EMAIL), ("stranger", f"nobody{turn}@example.org")):
            started = time.perf_counter()
            answer = session.post(f"{live.url}/billflow/api/login-link",
                                  json={"email": address}, timeout=10)  # fmt: skip
            took[who].append(time.perf_counter() - started)
            answers[who].append((answer.status_code, answer.text))
    assert set(answers["customer"]) == set(answers["stranger"])
    assert len(set(answers["customer"])) == 1 and answers["customer"][0][0] == 202

    # How often the customer's answer was the slower of its pair: 0.5 when the two are
    # alike (0.2 and 0.8 are 4.6 standard deviations away at 60 pairs); a leak makes it 1.
    slower = sum(c > s for c, s in zip(took["customer"], took["stranger"], strict=True)) / turns
    assert 0.2 < slower < 0.8, (slower, took)
    live.portal.sign_in.wait()
    assert len(smtp_mailbox.wait_for(DEMO_EMAIL, count=turns)) == turns  # all sent after
