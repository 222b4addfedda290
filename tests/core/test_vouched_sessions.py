"""Vouched sessions: an identity a host's verifier vouched for, as a short session the page
sends, working without email sign-in, never longer than what vouched for it, and never
mistaken for another token the secret key signs."""

from __future__ import annotations

from typing import Any

import pytest

from billflow_core import BadInput, Forbidden, user_hash
from billflow_core.portal import Portal
from billflow_core.settings import PortalSettings
from billflow_core.web import PortalAPI, Request
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

SECRET = "vouched-test-secret-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


def make_portal(sandbox: Sandbox, clock: Clock, **options: Any) -> Portal:
    return Portal(
        PortalSettings(**options),
        secret_key=SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
        clock=clock,
    )


def test_a_vouched_session_opens_the_portal_without_email_sign_in(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    clock = Clock()
    portal = make_portal(stripe_sandbox, clock)
    assert portal.settings.email_sign_in is False

    session, ends = portal.vouched_session(DEMO_EMAIL, expires_at=int(clock.now) + 3600)

    assert ends == int(clock.now) + 900  # at most 15 minutes, whatever the token said
    visitor = portal.session_visitor(session)
    assert visitor.identity == DEMO_EMAIL
    assert portal.state(visitor).customer_id == demo["customer"]
    answer = PortalAPI(portal).handle(
        Request("GET", "/billflow/api/portal", {"X-Billflow-Session": session}, "", b"")
    )
    assert answer.status == 200


def test_it_ends_with_the_token_that_vouched_for_it(stripe_sandbox: Sandbox) -> None:
    clock = Clock()
    portal = make_portal(stripe_sandbox, clock)
    session, ends = portal.vouched_session(DEMO_EMAIL, expires_at=int(clock.now) + 120)
    assert ends == int(clock.now) + 120

    clock.now += 119
    assert portal.session_visitor(session).identity == DEMO_EMAIL
    clock.now += 1
    with pytest.raises(Forbidden) as ended:
        portal.session_visitor(session)
    assert ended.value.code == "session_expired"

    with pytest.raises(Forbidden) as late:
        portal.vouched_session(DEMO_EMAIL, expires_at=int(clock.now))
    assert late.value.code == "token_expired"


def test_a_tampered_or_foreign_session_is_refused(stripe_sandbox: Sandbox) -> None:
    clock = Clock()
    portal = make_portal(stripe_sandbox, clock)
    session, _ = portal.vouched_session(DEMO_EMAIL, expires_at=int(clock.now) + 600)
    prefix, who, ends, signature = session.split(".")
    other = Portal(
        PortalSettings(),
        secret_key="another-site-secret-0123456789",
        stripe_api_key=stripe_sandbox.secret_key,
        stripe_api_base=stripe_sandbox.url,
        clock=clock,
    )
    foreign, _ = other.vouched_session(DEMO_EMAIL, expires_at=int(clock.now) + 600)
    longer = f"{prefix}.{who}.{int(ends) + 3600}.{signature}"
    someone_else = session.replace(who, "Ym9iQGV4YW1wbGUuY29t")  # bob@example.com

    for forged in (foreign, longer, someone_else, session[:-1] + "0", "vouched.", "vouched.x.1.2"):
        with pytest.raises(Forbidden) as refused:
            portal.session_visitor(forged)
        assert refused.value.code == "session_expired"
    # Nor is an identity hash, signed with the same key, a session.
    with pytest.raises(Forbidden):
        portal.session_visitor(user_hash(SECRET, DEMO_EMAIL))


def test_only_an_identity_of_the_sites_kind_is_vouched_for(stripe_sandbox: Sandbox) -> None:
    clock = Clock()
    by_email = make_portal(stripe_sandbox, clock)
    by_id = make_portal(stripe_sandbox, clock, identify_by="customer_id")
    later = int(clock.now) + 600

    for portal, identity in ((by_email, "cus_123"), (by_id, DEMO_EMAIL)):
        with pytest.raises(BadInput) as refused:
            portal.vouched_session(identity, expires_at=later)
        assert refused.value.code == "identity_kind"
    for bad in ("", " ", "ada\x00@example.com", "x" * 600):
        with pytest.raises(BadInput):
            by_email.vouched_session(bad, expires_at=later)
    assert by_id.vouched_session("cus_123", expires_at=later)[0].startswith("vouched.")


def test_a_rotated_secret_keeps_open_sessions_working(stripe_sandbox: Sandbox) -> None:
    clock = Clock()
    before = make_portal(stripe_sandbox, clock)
    session, _ = before.vouched_session(DEMO_EMAIL, expires_at=int(clock.now) + 600)
    after = Portal(
        PortalSettings(),
        secret_key="the-new-secret-key-0123456789",
        secret_key_previous=SECRET,
        stripe_api_key=stripe_sandbox.secret_key,
        stripe_api_base=stripe_sandbox.url,
        clock=clock,
    )

    assert after.session_visitor(session).identity == DEMO_EMAIL


def test_a_session_works_only_on_the_site_it_was_made_for(stripe_sandbox: Sandbox) -> None:
    clock = Clock()
    shop, blog = (
        Portal(PortalSettings(), secret_key=SECRET, stripe_api_key=stripe_sandbox.secret_key,
               stripe_api_base=stripe_sandbox.url, clock=clock, scope=scope)
        for scope in ("shop", "blog")
    )  # fmt: skip
    session, _ = shop.vouched_session(DEMO_EMAIL, expires_at=int(clock.now) + 600)

    assert shop.session_visitor(session).identity == DEMO_EMAIL
    with pytest.raises(Forbidden):
        blog.session_visitor(session)  # the same secret key, another site
