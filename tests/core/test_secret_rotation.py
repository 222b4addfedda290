"""Rotating BILLFLOW_SECRET_KEY: with the old key as BILLFLOW_SECRET_KEY_PREVIOUS, what the
old key made (hashes, page tokens, sign-in links and sessions) keeps working until it
expires, everything new is made with the new key, and a key that is neither proves nothing."""

from __future__ import annotations

from typing import Any

import pytest

from billflow_core import expiring_hash, user_hash
from billflow_core.errors import Forbidden, SettingsError
from billflow_core.identity.signin import SignIn
from billflow_core.portal import Portal
from billflow_core.settings import PortalSettings
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

OLD = "the-old-secret-key-0123456789"
NEW = "the-new-secret-key-0123456789"
OTHER = "someone-elses-secret-0123456789"
NOW = 1_800_000_000

SIGN_IN = PortalSettings(
    email_sign_in=True,
    company_name="Acme",
    sign_in_from_address="billing@acme.example",
    sign_in_redirect_url="https://acme.example/billing",
)


def _portal(sandbox: Sandbox, secret: str, **extra: Any) -> Portal:
    return Portal(
        PortalSettings(),
        secret_key=secret,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
        clock=lambda: NOW,
        **extra,
    )


def _hash_code(portal: Portal, hash_: str) -> str | None:
    try:
        portal.visitor(DEMO_EMAIL, hash_)
    except Forbidden as refused:
        return refused.code
    return None


def test_hashes_made_with_the_previous_key_work_until_they_expire(
    stripe_sandbox: Sandbox,
) -> None:
    rotated = _portal(stripe_sandbox, NEW, secret_key_previous=OLD)
    assert _hash_code(rotated, user_hash(OLD, DEMO_EMAIL)) is None
    assert _hash_code(rotated, expiring_hash(OLD, DEMO_EMAIL, NOW + 60)) is None
    assert _hash_code(rotated, expiring_hash(OLD, DEMO_EMAIL, NOW - 1)) == "hash_expired"
    assert _hash_code(rotated, user_hash(NEW, DEMO_EMAIL)) is None
    assert _hash_code(rotated, user_hash(OTHER, DEMO_EMAIL)) == "hash_mismatch"
    # New hashes are the new key's; once the old key is dropped, its hashes stop working.
    assert rotated.identity_hash(DEMO_EMAIL).endswith(
        expiring_hash(NEW, DEMO_EMAIL, NOW + rotated.settings.hash_lifetime)
    )
    assert _hash_code(_portal(stripe_sandbox, NEW), user_hash(OLD, DEMO_EMAIL)) == "hash_mismatch"


def test_a_page_token_signed_with_the_previous_key_still_works(
    stripe_sandbox: Sandbox,
) -> None:
    token = _portal(stripe_sandbox, OLD).page_token(DEMO_EMAIL, overrides={"cancel": False})
    rotated = _portal(stripe_sandbox, NEW, secret_key_previous=OLD)
    visitor, page = rotated.for_page(token)
    assert visitor.identity == DEMO_EMAIL and page.settings.cancel is False
    with pytest.raises(Forbidden) as refused:
        _portal(stripe_sandbox, NEW).for_page(token)
    assert refused.value.code == "page_invalid"


def test_sign_in_links_and_sessions_of_the_previous_key_work_until_they_expire() -> None:
    def sign_in(secret: str, previous: str | None = None) -> SignIn:
        return SignIn(SIGN_IN, secret, find=lambda _: True, mailer=None,
                      clock=lambda: NOW, previous=previous)  # fmt: skip

    old = sign_in(OLD)
    link = old.link(DEMO_EMAIL, NOW + 600).split("billflow_token=", 1)[1]
    session = old.exchange(old.link(DEMO_EMAIL, NOW + 600).split("billflow_token=", 1)[1])
    rotated = sign_in(NEW, previous=OLD)
    assert rotated.email_of(session.session) == DEMO_EMAIL
    fresh = rotated.exchange(link)
    assert fresh.email == DEMO_EMAIL
    # The new session is the new key's alone: it outlives a later drop of the old key.
    assert sign_in(NEW).email_of(fresh.session) == DEMO_EMAIL
    with pytest.raises(Forbidden) as refused:
        sign_in(NEW).email_of(session.session)
    assert refused.value.code == "session_expired"


@pytest.mark.parametrize("previous", ["short", NEW])
def test_a_previous_key_that_is_short_or_the_current_one_is_refused_by_name(
    stripe_sandbox: Sandbox, previous: str
) -> None:
    config = {
        "BILLFLOW_SECRET_KEY": NEW,
        "BILLFLOW_SECRET_KEY_PREVIOUS": previous,
        "BILLFLOW_STRIPE_API_KEY": stripe_sandbox.secret_key,
        "BILLFLOW_STRIPE_API_BASE": stripe_sandbox.url,
    }
    with pytest.raises(SettingsError, match="BILLFLOW_SECRET_KEY_PREVIOUS") as refused:
        Portal.from_config(config)
    assert previous not in str(refused.value)
