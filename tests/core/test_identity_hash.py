"""The identity hash: hosted Billflow's plain HMAC-SHA256, and Billflow's expiring form."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from billflow_core import expiring_hash, hash_problem, user_hash, verify_hash

SECRET = "sk_billflow_demo_secret"
NOW = 1_800_000_000


def test_plain_hash_is_hex_hmac_sha256_of_the_identity_as_hosted_billflow_makes_it() -> None:
    # RFC 4231, test case 2: an independent check that this is standard HMAC-SHA256 in hex.
    assert user_hash("Jefe", "what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    assert (
        user_hash(SECRET, "Ada@Example.com")
        == hmac.new(SECRET.encode(), b"Ada@Example.com", hashlib.sha256).hexdigest()
    )


def test_plain_hash_verifies_only_for_the_same_secret_and_exact_identity() -> None:
    good = user_hash(SECRET, "ada@example.com")
    assert verify_hash(SECRET, "ada@example.com", good)
    assert verify_hash(SECRET, "ada@example.com", good.upper())  # hex case does not matter
    assert hash_problem(SECRET, "Ada@example.com", good) == "mismatch"  # identities are exact
    assert hash_problem("another secret", "ada@example.com", good) == "mismatch"
    assert hash_problem(SECRET, "cus_123", user_hash(SECRET, "cus_1234")) == "mismatch"


def test_identities_are_utf8_so_non_ascii_emails_hash_as_other_languages_do() -> None:
    identity = "zoë@exämple.com"
    assert (
        user_hash(SECRET, identity)
        == hmac.new(SECRET.encode(), identity.encode("utf-8"), hashlib.sha256).hexdigest()
    )


def test_expiring_hash_has_the_documented_byte_layout() -> None:
    message = b"billflow-expiring-v1\x00ada@example.com\x00" + str(NOW + 60).encode()
    digest = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    assert expiring_hash(SECRET, "ada@example.com", NOW + 60) == f"{NOW + 60}.{digest}"


def test_expiring_hash_works_until_its_expiry_and_not_after() -> None:
    token = expiring_hash(SECRET, "ada@example.com", NOW + 60)
    assert verify_hash(SECRET, "ada@example.com", token, now=NOW)
    assert verify_hash(SECRET, "ada@example.com", token, now=NOW + 59)
    assert hash_problem(SECRET, "ada@example.com", token, now=NOW + 60) == "expired"


def test_tampering_with_the_expiry_or_moving_it_to_another_identity_fails() -> None:
    token = expiring_hash(SECRET, "ada@example.com", NOW + 60)
    _, digest = token.split(".")
    assert hash_problem(SECRET, "ada@example.com", f"{NOW + 9999}.{digest}", now=NOW) == (
        "mismatch"
    )
    assert hash_problem(SECRET, "grace@example.com", token, now=NOW) == "mismatch"
    # Neither form can stand for the other.
    assert hash_problem(SECRET, "ada@example.com", digest, now=NOW) == "mismatch"


def test_a_site_can_require_the_expiring_form() -> None:
    plain = user_hash(SECRET, "cus_QXg1o8vcGmoR32")
    token = expiring_hash(SECRET, "cus_QXg1o8vcGmoR32", NOW + 60)
    assert hash_problem(SECRET, "cus_QXg1o8vcGmoR32", plain, require_expiring=True) == (
        "expiring_required"
    )
    assert verify_hash(SECRET, "cus_QXg1o8vcGmoR32", token, now=NOW, require_expiring=True)


@pytest.mark.parametrize(
    "hash", ["", "abc", "g" * 64, "0" * 63, "12.34", f"-5.{'0' * 64}", f"{'9' * 13}.{'0' * 64}"]
)
def test_malformed_hashes_are_refused_without_error(hash: str) -> None:
    assert hash_problem(SECRET, "ada@example.com", hash, now=NOW) == "malformed"


def test_an_empty_secret_is_an_error_not_a_weak_hash() -> None:
    with pytest.raises(ValueError, match="BILLFLOW_SECRET_KEY"):
        user_hash("", "ada@example.com")


def test_identities_with_control_characters_get_no_hash_and_prove_nothing() -> None:
    # Otherwise the site's plain hash of "label NUL victim NUL expiry", for a visitor who
    # registered that as their email, would pass as the victim's expiring hash.
    spliced = "billflow-expiring-v1\x00victim@example.com\x009999999999"
    with pytest.raises(ValueError, match="control characters"):
        user_hash(SECRET, spliced)
    assert hash_problem(SECRET, "ada@example.com\n", user_hash(SECRET, "ada@example.com")) == (
        "malformed"
    )
