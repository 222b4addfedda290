"""`billflow hash`: prints or checks a hash, taking the secret from the environment only."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from billflow_core import expiring_hash, user_hash, verify_hash

BILLFLOW = Path(sys.executable).parent / "billflow"
SECRET = "a site's secret, long enough"


def billflow_hash(
    *args: str, secret: str | None = SECRET, **environment: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BILLFLOW_")}
    env.update(environment)
    if secret is not None:
        env["BILLFLOW_SECRET_KEY"] = secret
    return subprocess.run(
        [str(BILLFLOW), "hash", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )


def test_prints_the_plain_hash_of_the_identity() -> None:
    result = billflow_hash("ada@example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == user_hash(SECRET, "ada@example.com")


def test_prints_an_expiring_hash_that_verifies_for_its_lifetime() -> None:
    before = int(time.time())
    result = billflow_hash("cus_QXg1o8vcGmoR32", "--expires-in", "600")
    token = result.stdout.strip()
    expires = int(token.split(".")[0])
    assert before + 600 <= expires <= int(time.time()) + 600
    assert token == expiring_hash(SECRET, "cus_QXg1o8vcGmoR32", expires)
    assert verify_hash(SECRET, "cus_QXg1o8vcGmoR32", token)


def test_check_says_why_a_hash_is_refused_and_exits_non_zero() -> None:
    good = user_hash(SECRET, "ada@example.com")
    accepted = billflow_hash("ada@example.com", "--check", good)
    assert (accepted.returncode, accepted.stdout.strip()) == (0, "valid for 'ada@example.com'")

    other_case = billflow_hash("Ada@example.com", "--check", good)
    assert other_case.returncode == 1
    assert "another identity" in other_case.stdout

    expired = expiring_hash(SECRET, "ada@example.com", int(time.time()) - 1)
    assert "expired" in billflow_hash("ada@example.com", "--check", expired).stdout


def test_check_follows_the_sites_expiring_hash_setting() -> None:
    plain = user_hash(SECRET, "ada@example.com")
    strict = {"BILLFLOW_REQUIRE_EXPIRING_HASH": "true"}
    refused = billflow_hash("ada@example.com", "--check", plain, **strict)
    assert refused.returncode == 1
    assert "requires the expiring form" in refused.stdout
    fresh = expiring_hash(SECRET, "ada@example.com", int(time.time()) + 600)
    assert billflow_hash("ada@example.com", "--check", fresh, **strict).returncode == 0
    typo = billflow_hash("ada@example.com", "--check", plain, BILLFLOW_REQUIRE_EXPIRING="1")
    assert typo.returncode == 2 and "BILLFLOW_REQUIRE_EXPIRING" in typo.stderr


def test_the_secret_never_comes_from_the_command_line() -> None:
    missing = billflow_hash("ada@example.com", secret=None)
    assert missing.returncode == 2
    assert "BILLFLOW_SECRET_KEY" in missing.stderr
    assert missing.stdout == ""
    flag = billflow_hash("ada@example.com", "--secret", "oops")
    assert flag.returncode == 2  # argparse refuses the unknown option
    assert "oops" not in flag.stdout


def test_a_secret_the_portal_would_refuse_makes_no_hash() -> None:
    short = billflow_hash("ada@example.com", secret="abcde")
    assert short.returncode == 2 and short.stdout == ""
    assert "BILLFLOW_SECRET_KEY must be a random string of at least 16 characters" in short.stderr


def test_an_empty_identity_makes_no_hash() -> None:
    for identity in ("", "   "):
        empty = billflow_hash(identity)
        assert empty.returncode == 2 and empty.stdout == ""
        assert "billflow hash: the identity is empty: give the customer's email" in empty.stderr


def test_a_lifetime_that_is_not_a_number_of_seconds_is_refused_in_a_sentence() -> None:
    for given in ("abc", "0", "-5"):
        wrong = billflow_hash("ada@example.com", "--expires-in", given)
        assert wrong.returncode == 2 and wrong.stdout == ""
        assert (
            f"argument --expires-in: must be a whole number of seconds above zero, such as "
            f"3600, not '{given}'"
        ) in wrong.stderr
        assert "_positive" not in wrong.stderr
