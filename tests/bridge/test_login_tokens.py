"""The site's login tokens exchanged for a vouched session: JWTs signed here with keys made
by `cryptography` (RS256, ES256, HS256) and checked against a JWKS served on loopback; every
forgery a login token invites is refused; Memberstack's members through a stand-in for its
admin API."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from bridge_support import SITE_ORIGIN
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask.testing import FlaskClient
from stand_ins import JsonServer, memberstack_admin

from billflow_bridge import BridgeConfig, BridgeConfigError
from billflow_sandbox.seed import DEMO_EMAIL

ISSUER = "https://login.example-site.com"
AUDIENCE = "billing-portal"


class Keys:
    """The provider's signing keys, and its JWKS."""

    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key, algorithm in (("rsa-1", self.rsa, jwt.algorithms.RSAAlgorithm),
                                    ("ec-1", self.ec, jwt.algorithms.ECAlgorithm)):  # fmt: skip
            jwk = json.loads(algorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig"})
        return {"keys": keys}


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture
def jwks_server(keys: Keys) -> Iterator[JsonServer]:
    with JsonServer({("GET", "/.well-known/jwks.json"): lambda h, b: (200, keys.jwks())}) as s:
        yield s


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    found = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user_1", "email": DEMO_EMAIL,
             "email_verified": True, "iat": now, "exp": now + 3600}  # fmt: skip
    found.update(changes)
    return {k: v for k, v in found.items() if v is not None}


def signed(keys: Keys, body: dict[str, Any], *, kid: str = "rsa-1", **headers: Any) -> str:
    key = keys.ec if kid == "ec-1" else keys.rsa
    algorithm = "ES256" if kid == "ec-1" else "RS256"
    return jwt.encode(body, key, algorithm=algorithm, headers={"kid": kid, **headers})


@pytest.fixture
def token_bridge(make_bridge: Any, jwks_server: JsonServer) -> Callable[..., FlaskClient]:
    """A bridge taking `custom` tokens from the loopback JWKS, with `changes`."""

    def make(**changes: Any) -> FlaskClient:
        settings = {
            "BILLFLOW_BRIDGE_JWT_PROVIDER": "custom",
            "BILLFLOW_BRIDGE_JWT_JWKS_URL": f"{jwks_server.url}/.well-known/jwks.json",
            "BILLFLOW_BRIDGE_JWT_ISSUER": ISSUER,
            "BILLFLOW_BRIDGE_JWT_AUDIENCE": AUDIENCE,
            **changes,
        }
        app, _ = make_bridge(**settings)
        return app.test_client()

    return make


def exchange(client: FlaskClient, token: Any) -> Any:
    return client.post("/billflow/api/token-session", json={"token": token},
                       headers={"Origin": SITE_ORIGIN})  # fmt: skip


def test_a_good_token_is_exchanged_for_a_session_that_opens_the_portal(
    token_bridge: Callable[..., FlaskClient], keys: Keys, demo: dict[str, Any]
) -> None:
    client = token_bridge()
    token = signed(keys, claims(exp=int(time.time()) + 300))

    answer = exchange(client, token)

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert set(body) == {"session", "expires_at"}
    assert body["expires_at"] <= int(time.time()) + 300  # no longer than the token
    assert answer.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    portal = client.get("/billflow/api/portal", headers={"X-Billflow-Session": body["session"]})
    assert portal.status_code == 200
    assert portal.get_json()["billingData"]["customer"]["id"] == demo["customer"]


def test_a_session_lasts_at_most_fifteen_minutes(
    token_bridge: Callable[..., FlaskClient], keys: Keys
) -> None:
    answer = exchange(token_bridge(), signed(keys, claims(exp=int(time.time()) + 86400)))

    assert answer.get_json()["expires_at"] <= int(time.time()) + 900


def test_es256_tokens_from_the_same_jwks_are_taken(
    token_bridge: Callable[..., FlaskClient], keys: Keys
) -> None:
    assert exchange(token_bridge(), signed(keys, claims(), kid="ec-1")).status_code == 200


def forgeries(keys: Keys, attacker_jwks: str) -> dict[str, tuple[str, str]]:
    now = int(time.time())
    public_pem = keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    unsigned = jwt.api_jws.base64url_encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = jwt.api_jws.base64url_encode(json.dumps(claims()).encode())
    hs_with_public_key = (
        jwt.api_jws.base64url_encode(json.dumps({"alg": "HS256", "kid": "rsa-1"}).encode())
        + b"."
        + payload
    )
    mac = hmac.new(public_pem, hs_with_public_key, hashlib.sha256).digest()
    embedded = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(keys.other.public_key()))
    return {
        "expired": (signed(keys, claims(iat=now - 7200, exp=now - 3600)), "token_expired"),
        "not yet valid": (signed(keys, claims(nbf=now + 3600)), "token_invalid"),
        "foreign issuer": (signed(keys, claims(iss="https://evil.example")), "token_invalid"),
        "wrong audience": (signed(keys, claims(aud="another-app")), "token_invalid"),
        "no expiry": (signed(keys, claims(exp=None)), "token_invalid"),
        "alg none": ((unsigned + b"." + payload + b".").decode(), "token_invalid"),
        "HS256 with the public key": (
            (hs_with_public_key + b"." + jwt.api_jws.base64url_encode(mac)).decode(),
            "token_invalid",
        ),
        "jku to the attacker's keys": (
            jwt.encode(claims(), keys.other, algorithm="RS256",
                       headers={"kid": "attacker", "jku": attacker_jwks}),
            "token_invalid",
        ),
        "embedded jwk": (
            jwt.encode(claims(), keys.other, algorithm="RS256",
                       headers={"kid": "rsa-1", "jwk": embedded}),
            "token_invalid",
        ),
        "another key, the site's kid": (
            jwt.encode(claims(), keys.other, algorithm="RS256", headers={"kid": "rsa-1"}),
            "token_invalid",
        ),
        "unverified email": (signed(keys, claims(email_verified=False)), "token_invalid"),
        "email_verified as text": (signed(keys, claims(email_verified="true")), "token_invalid"),
        "no email": (signed(keys, claims(email=None)), "token_invalid"),
        "tampered": (signed(keys, claims())[:-4] + "AAAA", "token_invalid"),
        "not a JWT": ("hello", "token_invalid"),
    }  # fmt: skip


def test_every_forgery_is_refused_and_makes_no_session(
    token_bridge: Callable[..., FlaskClient], keys: Keys
) -> None:
    client = token_bridge()
    attacker = {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(
        keys.other.public_key())), "kid": "attacker"}]}  # fmt: skip
    with JsonServer({("GET", "/jwks"): lambda h, b: (200, attacker)}) as elsewhere:
        cases = forgeries(keys, f"{elsewhere.url}/jwks")
        for name, (token, code) in cases.items():
            answer = exchange(client, token)
            assert answer.status_code == 403, name
            assert answer.get_json()["error"]["code"] == code, name
            assert "session" not in answer.get_json(), name
        assert elsewhere.asked == {}  # the jku was never followed


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 403, "token_invalid"),
        ({"token": 42}, 403, "token_invalid"),
        ({"token": "x", "email": DEMO_EMAIL}, 400, "unknown_field"),
    ],
)
def test_a_bad_body_is_refused(
    token_bridge: Callable[..., FlaskClient], body: dict[str, Any], status: int, code: str
) -> None:
    answer = token_bridge().post("/billflow/api/token-session", json=body)

    assert answer.status_code == status
    assert answer.get_json()["error"]["code"] == code
    assert "session" not in answer.get_json()


def test_a_body_that_is_not_json_is_refused(token_bridge: Callable[..., FlaskClient]) -> None:
    answer = token_bridge().post("/billflow/api/token-session", data="token=x",
                                 content_type="application/x-www-form-urlencoded")  # fmt: skip

    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "content_type_invalid"


def test_without_a_provider_no_token_is_taken(client: FlaskClient, keys: Keys) -> None:
    answer = exchange(client, signed(keys, claims()))

    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "feature_disabled"


def test_an_hs256_secret_takes_tokens_signed_with_it_only(
    token_bridge: Callable[..., FlaskClient], keys: Keys
) -> None:
    secret = "s" * 40
    client = token_bridge(BILLFLOW_BRIDGE_JWT_JWKS_URL="", BILLFLOW_BRIDGE_JWT_SECRET=secret)

    good = jwt.encode(claims(), secret, algorithm="HS256")
    assert exchange(client, good).status_code == 200
    assert exchange(client, jwt.encode(claims(), "t" * 40, algorithm="HS256")).status_code == 403
    assert exchange(client, signed(keys, claims())).status_code == 403  # RS256: not this site's


def test_clerk_tokens_are_checked_against_the_sites_origins(
    token_bridge: Callable[..., FlaskClient], keys: Keys
) -> None:
    client = token_bridge(BILLFLOW_BRIDGE_JWT_PROVIDER="clerk", BILLFLOW_BRIDGE_JWT_AUDIENCE="")
    base = claims(aud=None)

    assert exchange(client, signed(keys, {**base, "azp": SITE_ORIGIN})).status_code == 200
    refused = exchange(client, signed(keys, {**base, "azp": "https://evil.example"}))
    assert refused.status_code == 403


def test_supabase_tokens_need_the_authenticated_audience(
    token_bridge: Callable[..., FlaskClient], keys: Keys
) -> None:
    client = token_bridge(BILLFLOW_BRIDGE_JWT_PROVIDER="supabase", BILLFLOW_BRIDGE_JWT_AUDIENCE="")
    supabase = claims(aud="authenticated", email_verified=None)  # its email is its own word

    assert exchange(client, signed(keys, supabase)).status_code == 200
    assert exchange(client, signed(keys, claims(aud="anon"))).status_code == 403


def test_a_customer_id_site_takes_the_id_from_a_claim_the_provider_sets(
    token_bridge: Callable[..., FlaskClient], keys: Keys, demo: dict[str, Any]
) -> None:
    client = token_bridge(
        BILLFLOW_IDENTIFY_BY="customer_id",
        BILLFLOW_BRIDGE_JWT_CUSTOMER_ID_CLAIM="app_metadata.stripe_customer_id",
    )
    token = signed(keys, claims(app_metadata={"stripe_customer_id": demo["customer"]}))

    answer = exchange(client, token)
    assert answer.status_code == 200
    portal = client.get("/billflow/api/portal",
                        headers={"X-Billflow-Session": answer.get_json()["session"]})  # fmt: skip
    assert portal.get_json()["billingData"]["customer"]["id"] == demo["customer"]
    assert exchange(client, signed(keys, claims())).status_code == 403  # no id in it


@pytest.mark.parametrize(
    ("changes", "param"),
    [
        ({"BILLFLOW_BRIDGE_JWT_PROVIDER": "okta"}, "BILLFLOW_BRIDGE_JWT_PROVIDER"),
        ({"BILLFLOW_BRIDGE_JWT_ISSUER": ""}, "BILLFLOW_BRIDGE_JWT_ISSUER"),
        ({"BILLFLOW_BRIDGE_JWT_AUDIENCE": ""}, "BILLFLOW_BRIDGE_JWT_AUDIENCE"),
        ({"BILLFLOW_BRIDGE_JWT_EMAIL_CLAIM": "user_metadata.email"},
         "BILLFLOW_BRIDGE_JWT_EMAIL_CLAIM"),
        ({"BILLFLOW_BRIDGE_JWT_CUSTOMER_ID_CLAIM": "unsafeMetadata.customer"},
         "BILLFLOW_BRIDGE_JWT_CUSTOMER_ID_CLAIM"),
        ({"BILLFLOW_BRIDGE_JWT_SECRET": "short"}, "BILLFLOW_BRIDGE_JWT_SECRET"),
        ({"BILLFLOW_BRIDGE_JWT_LEEWAY": "3600"}, "BILLFLOW_BRIDGE_JWT_LEEWAY"),
        ({"BILLFLOW_BRIDGE_JWT_PROVIDER": "", "BILLFLOW_BRIDGE_JWT_ISSUER": ISSUER},
         "BILLFLOW_BRIDGE_JWT_PROVIDER"),
        ({"BILLFLOW_BRIDGE_JWT_PROVIDER": "memberstack", "BILLFLOW_BRIDGE_JWT_SECRET": ""},
         "BILLFLOW_BRIDGE_JWT_SECRET"),
        ({"BILLFLOW_BRIDGE_JWT_PROVIDER": "memberstack", "BILLFLOW_BRIDGE_JWT_SECRET": "sk_x",
          "BILLFLOW_BRIDGE_JWT_AUDIENCE": ""}, "BILLFLOW_BRIDGE_JWT_AUDIENCE"),
    ],
)  # fmt: skip
def test_a_token_setting_that_cannot_be_safe_is_refused_when_read(
    bridge_settings: dict[str, Any], jwks_server: JsonServer, changes: dict[str, str], param: str
) -> None:
    settings = {
        **bridge_settings,
        "BILLFLOW_BRIDGE_JWT_PROVIDER": "custom",
        "BILLFLOW_BRIDGE_JWT_JWKS_URL": f"{jwks_server.url}/.well-known/jwks.json",
        "BILLFLOW_BRIDGE_JWT_ISSUER": ISSUER,
        "BILLFLOW_BRIDGE_JWT_AUDIENCE": AUDIENCE,
        **changes,
    }
    with pytest.raises(BridgeConfigError) as refused:
        BridgeConfig.from_mapping(settings)
    assert refused.value.param == param


def test_a_jwks_file_holds_the_keys(
    token_bridge: Callable[..., FlaskClient], keys: Keys, tmp_path: Path
) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(keys.jwks()), encoding="utf-8")
    client = token_bridge(BILLFLOW_BRIDGE_JWT_JWKS_URL="", BILLFLOW_BRIDGE_JWT_JWKS_FILE=str(path))

    assert exchange(client, signed(keys, claims())).status_code == 200
    assert exchange(client, signed(keys, claims(), kid="nope")).status_code == 403


# -- Memberstack ------------------------------------------------------------------------------
MEMBERSTACK_KEY = "sk_sb_" + "m" * 24


def member(email: str, *, verified: bool = True, customer: str | None = None) -> dict[str, Any]:
    return {"id": "mem_ada", "createdAt": "2026-05-19T18:57:35.143Z", "auth": {"email": email},
            "verified": verified, "customFields": {}, "metaData": {},
            "stripeCustomerId": customer, "planConnections": []}  # fmt: skip


def memberstack_bridge(make_bridge: Any, admin: JsonServer, **changes: str) -> FlaskClient:
    app, _ = make_bridge(
        BILLFLOW_BRIDGE_JWT_PROVIDER="memberstack",
        BILLFLOW_BRIDGE_JWT_SECRET=MEMBERSTACK_KEY,
        BILLFLOW_BRIDGE_JWT_API_BASE=admin.url,
        BILLFLOW_BRIDGE_JWT_AUDIENCE="app_site",
        **changes,
    )
    return app.test_client()


def member_token(member_id: str, exp: int, app: str = "app_site") -> str:
    """A Memberstack member token's shape (its signature is Memberstack's to check)."""
    claims = {"id": member_id, "type": "member", "aud": app, "exp": exp, "iat": exp - 3600}
    return jwt.encode(claims, "memberstack's own signing key, unknown here", algorithm="HS256")


def test_a_memberstack_member_is_verified_by_its_admin_api(
    make_bridge: Any, demo: dict[str, Any]
) -> None:
    later = int(time.time()) + 600
    members = {"mem_ada": member(DEMO_EMAIL, customer=demo["customer"]),
               "mem_eve": {**member(DEMO_EMAIL, verified=False), "id": "mem_eve"}}  # fmt: skip
    ada, eve = member_token("mem_ada", later), member_token("mem_eve", later)
    forged = member_token("mem_ada", later + 1)  # not one Memberstack made: it refuses it
    other_app, old = member_token("mem_ada", later, "app_other"), member_token("mem_ada", 99)
    tokens = {ada: ("mem_ada", later, "app_site"), eve: ("mem_eve", later, "app_site")}
    with memberstack_admin(MEMBERSTACK_KEY, members, tokens) as admin:
        client = memberstack_bridge(make_bridge, admin)

        good = exchange(client, ada)
        assert good.status_code == 200, good.get_json()
        session = good.get_json()["session"]
        portal = client.get("/billflow/api/portal", headers={"X-Billflow-Session": session})
        assert portal.get_json()["billingData"]["customer"]["id"] == demo["customer"]

        refusals = {eve: "token_invalid", forged: "token_invalid",
                    other_app: "token_invalid", old: "token_expired",
                    "not-a-token": "token_invalid"}  # fmt: skip
        for token, code in refusals.items():
            answer = exchange(client, token)
            assert answer.status_code == 403, token
            assert answer.get_json()["error"]["code"] == code, token
        # Only tokens of this app, not yet expired, were worth asking Memberstack about.
        assert admin.asked["/members/verify-token"] == 3

        by_id = memberstack_bridge(make_bridge, admin, BILLFLOW_IDENTIFY_BY="customer_id")
        assert exchange(by_id, ada).status_code == 200


def test_a_wrong_memberstack_key_or_a_busy_memberstack_says_so(make_bridge: Any) -> None:
    later = int(time.time()) + 600
    ada = member_token("mem_ada", later)
    with memberstack_admin("sk_sb_the_real_key_000000000", {"mem_ada": member(DEMO_EMAIL)},
                           {ada: ("mem_ada", later, "app_site")}) as admin:  # fmt: skip
        answer = exchange(memberstack_bridge(make_bridge, admin), ada)

    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "token_keys_unavailable"  # not "bad login"


def test_an_address_exchanging_tokens_without_end_is_held_back(
    token_bridge: Callable[..., FlaskClient], keys: Keys
) -> None:
    client = token_bridge()
    answers = [exchange(client, "junk").status_code for _ in range(31)]

    assert answers[:30] == [403] * 30
    assert answers[30] == 429


def test_a_key_of_another_type_than_the_tokens_algorithm_is_refused(
    token_bridge: Callable[..., FlaskClient], keys: Keys
) -> None:
    # Signed RS256 but naming the EC key: a 403, not a crash.
    token = jwt.encode(claims(), keys.rsa, algorithm="RS256", headers={"kid": "ec-1"})

    answer = exchange(token_bridge(), token)

    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "token_invalid"
