"""Authentication: an identity is accepted only when its hash proves it, live keys always
check, and each refusal says why with a stable code."""

from __future__ import annotations

from typing import Any

import pytest

from billflow_core.errors import BadInput, Forbidden
from billflow_core.identity.hashing import expiring_hash, user_hash
from billflow_core.identity.visitors import authenticate
from billflow_core.settings import PortalSettings

SECRET = "site secret"
NOW = 1_800_000_000
ADA = "ada@example.com"


def test_a_matching_hash_of_either_form_proves_the_identity() -> None:
    settings = PortalSettings()
    assert authenticate(settings, SECRET, ADA, user_hash(SECRET, ADA), livemode=False) == ADA
    token = expiring_hash(SECRET, ADA, NOW + 60)
    assert authenticate(settings, SECRET, ADA, token, livemode=False, now=NOW) == ADA


@pytest.mark.parametrize(
    ("hash", "code", "options"),
    [
        (None, "hash_missing", {}),
        ("", "hash_missing", {}),
        ("zz", "hash_malformed", {}),
        (user_hash(SECRET, "grace@example.com"), "hash_mismatch", {}),
        (user_hash("another secret", ADA), "hash_mismatch", {}),
        (expiring_hash(SECRET, ADA, NOW - 1), "hash_expired", {}),
        (user_hash(SECRET, ADA), "hash_expiring_required", {"require_expiring_hash": True}),
    ],
)
def test_a_hash_that_does_not_prove_the_identity_is_refused_with_its_reason(
    hash: Any, code: str, options: dict[str, Any]
) -> None:
    with pytest.raises(Forbidden) as refused:
        authenticate(PortalSettings(**options), SECRET, ADA, hash, livemode=False, now=NOW)
    assert (refused.value.status, refused.value.code, refused.value.field) == (403, code, "hash")


def test_live_keys_check_the_hash_even_when_the_site_switched_it_off() -> None:
    relaxed = PortalSettings(require_hash=False)
    assert authenticate(relaxed, SECRET, ADA, None, livemode=False) == ADA
    with pytest.raises(Forbidden) as refused:
        authenticate(relaxed, SECRET, ADA, None, livemode=True)
    assert refused.value.code == "hash_missing"


@pytest.mark.parametrize(
    "identity", [None, "", "   ", 42, "x" * 513, "ada@example.com\x00cus_1", "a\nb"]
)
def test_an_unusable_identity_is_bad_input(identity: Any) -> None:
    with pytest.raises(BadInput) as refused:
        authenticate(PortalSettings(), SECRET, identity, "h", livemode=False)
    assert (refused.value.code, refused.value.field) == ("identity_required", "identity")
