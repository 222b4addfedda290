"""Login tokens from the site's identity provider, checked before the bridge vouches for the
visitor they name (`POST /billflow/api/token-session`).

A page on a no-code site has no server to make a hash, but its login provider hands the
page a signed token: Outseta's `getAccessToken()`, Memberstack's member cookie, Clerk's
`session.getToken()`, an Auth0, Supabase or Firebase token. The bridge checks it:

- keys come only from the configured JWKS (a URL, a file) or shared secret, never from the
  token (`jku`, `x5u`, `jwk` and `x5c` headers are refused outright);
- the algorithm must be one the provider uses: `none`, and an HMAC signed with a public
  key, never pass;
- `iss`, `aud`, `exp` and `nbf` are checked with a small leeway, and `azp` against the
  site's origins where the provider sets it (Clerk);
- an email is believed only with `email_verified: true`, or where the provider itself
  stands behind it (Outseta's account email, Supabase's confirmed email, Memberstack's
  admin API saying the member is verified); a claim inside user-writable metadata is
  refused when the configuration is read.

Memberstack's member token names only the member: the bridge asks Memberstack's admin REST
API (with the site's secret key) to verify it and to give the member's email and
`stripeCustomerId`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jwt
import requests

from billflow_core import Forbidden

from .errors import BridgeConfigError

__all__ = ["PROVIDERS", "LoginTokens", "TokenChecker", "Vouched", "login_tokens_from"]

PREFIX = "BILLFLOW_BRIDGE_JWT_"
ASYMMETRIC = ("RS256", "ES256")
_UNTRUSTED_HEADERS = ("jku", "x5u", "jwk", "x5c")
# Metadata a user can write themselves (Supabase and Auth0 `user_metadata`, Clerk
# `unsafeMetadata`): no claim in it may name who they are.
_USER_WRITABLE = ("user_metadata", "unsafe_metadata", "unsafemetadata")


@dataclass(frozen=True)
class Provider:
    """What one identity provider's tokens are like. `jwks`: where its keys are, from its
    issuer (`{issuer}` is replaced) unless a URL or file is configured. `email_trusted`:
    the provider stands behind the email claim without `email_verified`."""

    algorithms: tuple[str, ...]
    jwks: str | None
    needs_audience: bool = False
    audience: str | None = None
    email_trusted: bool = False
    checks_azp: bool = False
    admin_api: str | None = None  # Memberstack: verified by its REST API instead


PROVIDERS: Mapping[str, Provider] = {
    "outseta": Provider(("RS256",), "{issuer}/.well-known/jwks", email_trusted=True),
    "clerk": Provider(("RS256",), "{issuer}/.well-known/jwks.json", checks_azp=True),
    "auth0": Provider(("RS256",), "{issuer}.well-known/jwks.json", needs_audience=True),
    "supabase": Provider(ASYMMETRIC, "{issuer}/.well-known/jwks.json",
                         audience="authenticated", email_trusted=True),
    "firebase": Provider(
        ("RS256",),
        "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com",
        needs_audience=True,
    ),
    "memberstack": Provider((), None, admin_api="https://admin.memberstack.com"),
    "custom": Provider(ASYMMETRIC, None, needs_audience=True),
}  # fmt: skip


@dataclass(frozen=True)
class Vouched:
    """Who a good token names, and until when it is good."""

    identity: str
    expires_at: int


def _refused(why: str) -> Forbidden:
    return Forbidden(f"The login token was refused: {why}.", code="token_invalid", field="token")


@dataclass(frozen=True)
class LoginTokens:
    """The checks for one site's login tokens, read from `BILLFLOW_BRIDGE_JWT_*`."""

    provider: str
    algorithms: tuple[str, ...]
    issuer: str | None
    audience: str | None
    jwks_url: str | None
    jwks_file: str | None
    secret: str | None
    email_claim: str
    customer_id_claim: str | None
    leeway: float
    api_base: str | None
    origins: tuple[str, ...]

    def checker(
        self, *, clock: Callable[[], float] = time.time, session: requests.Session | None = None
    ) -> TokenChecker:
        return TokenChecker(self, clock=clock, session=session)


def login_tokens_from(bridge: Mapping[str, Any], origins: tuple[str, ...]) -> LoginTokens | None:
    """The login-token checks `bridge` (the `BILLFLOW_BRIDGE_*` settings without their
    prefix) describes, or None when no provider is set. Raises `BridgeConfigError`."""
    setting = {k[len("JWT_") :]: v for k, v in bridge.items() if k.startswith("JWT_") and v != ""}
    name = setting.pop("PROVIDER", None)
    if name is None:
        if setting:
            first = sorted(setting)[0]
            raise BridgeConfigError(f"{PREFIX}{first} is set but {PREFIX}PROVIDER is not",
                                    param=f"{PREFIX}PROVIDER")  # fmt: skip
        return None
    provider = PROVIDERS.get(str(name).lower())
    if provider is None:
        raise BridgeConfigError(
            f"{PREFIX}PROVIDER must be one of {', '.join(PROVIDERS)}", param=f"{PREFIX}PROVIDER"
        )
    name = str(name).lower()
    unknown = set(setting) - {"JWKS_URL", "JWKS_FILE", "SECRET", "ISSUER", "AUDIENCE",
                              "EMAIL_CLAIM", "CUSTOMER_ID_CLAIM", "LEEWAY", "API_BASE"}  # fmt: skip
    if unknown:
        raise BridgeConfigError(f"{PREFIX}{sorted(unknown)[0]} is not a bridge setting",
                                param=f"{PREFIX}{sorted(unknown)[0]}")  # fmt: skip
    issuer = setting.get("ISSUER")
    audience = setting.get("AUDIENCE") or provider.audience
    if name == "firebase" and audience and not issuer:
        issuer = f"https://securetoken.google.com/{audience}"
    secret = setting.get("SECRET")
    jwks_url, jwks_file = setting.get("JWKS_URL"), setting.get("JWKS_FILE")
    algorithms = provider.algorithms
    if provider.admin_api is not None:
        if not secret:
            raise BridgeConfigError(
                f"{PREFIX}SECRET must hold Memberstack's secret key (sk_…) to ask its admin API",
                param=f"{PREFIX}SECRET",
            )
        if not audience:
            raise BridgeConfigError(
                f"{PREFIX}AUDIENCE must hold your Memberstack app id (app_…): tokens of other "
                "apps are refused before Memberstack is asked",
                param=f"{PREFIX}AUDIENCE",
            )
    else:
        if not issuer:
            raise BridgeConfigError(f"{PREFIX}ISSUER is needed for {name} tokens",
                                    param=f"{PREFIX}ISSUER")  # fmt: skip
        if provider.needs_audience and not audience:
            raise BridgeConfigError(f"{PREFIX}AUDIENCE is needed for {name} tokens",
                                    param=f"{PREFIX}AUDIENCE")  # fmt: skip
        if secret and (jwks_url or jwks_file):
            raise BridgeConfigError(
                f"{PREFIX}SECRET and a JWKS name two kinds of key: set one",
                param=f"{PREFIX}SECRET",
            )
        if secret:
            if name not in ("supabase", "custom"):
                raise BridgeConfigError(
                    f"{name} signs its tokens with its own keys: set no {PREFIX}SECRET",
                    param=f"{PREFIX}SECRET",
                )
            if len(secret) < 32:
                raise BridgeConfigError(f"{PREFIX}SECRET must be at least 32 characters",
                                        param=f"{PREFIX}SECRET")  # fmt: skip
            algorithms = ("HS256",)
        elif not (jwks_url or jwks_file):
            if provider.jwks is None:
                raise BridgeConfigError(
                    f"{name} tokens need {PREFIX}JWKS_URL, {PREFIX}JWKS_FILE or {PREFIX}SECRET",
                    param=f"{PREFIX}JWKS_URL",
                )
            # Auth0's issuer ends with "/" and its JWKS path follows it directly.
            base = str(issuer) if provider.jwks.startswith("{issuer}.") else str(issuer).rstrip("/")
            jwks_url = provider.jwks.replace("{issuer}", base)
    for claim_name in ("EMAIL_CLAIM", "CUSTOMER_ID_CLAIM"):
        claim = setting.get(claim_name)
        if claim and any(part.lower() in _USER_WRITABLE for part in str(claim).split(".")):
            raise BridgeConfigError(
                f"{PREFIX}{claim_name} names {claim!r}, which the user can write themselves: "
                "use a claim only the provider or the site's server sets",
                param=f"{PREFIX}{claim_name}",
            )
    try:
        leeway = float(setting.get("LEEWAY", 30))
    except (TypeError, ValueError):
        leeway = -1.0
    if not 0 <= leeway <= 300:
        raise BridgeConfigError(f"{PREFIX}LEEWAY must be seconds from 0 to 300",
                                param=f"{PREFIX}LEEWAY")  # fmt: skip
    return LoginTokens(
        provider=name,
        algorithms=algorithms,
        issuer=str(issuer) if issuer else None,
        audience=str(audience) if audience else None,
        jwks_url=str(jwks_url) if jwks_url else None,
        jwks_file=str(jwks_file) if jwks_file else None,
        secret=str(secret) if secret else None,
        email_claim=str(setting.get("EMAIL_CLAIM") or "email"),
        customer_id_claim=str(setting["CUSTOMER_ID_CLAIM"])
        if setting.get("CUSTOMER_ID_CLAIM")
        else None,
        leeway=leeway,
        api_base=str(setting.get("API_BASE") or provider.admin_api or "") or None,
        origins=origins,
    )


class TokenChecker:
    """Checks tokens for one site; keeps the JWKS it fetched for five minutes (PyJWT's
    cache), so a key the provider withdraws stops working within that time."""

    def __init__(
        self,
        rules: LoginTokens,
        *,
        clock: Callable[[], float] = time.time,
        session: requests.Session | None = None,
    ) -> None:
        self.rules = rules
        self.clock = clock
        self.session = session or requests.Session()
        self._jwks_client = (
            jwt.PyJWKClient(rules.jwks_url, cache_keys=False, lifespan=300, timeout=10)
            if rules.jwks_url
            else None
        )
        self._jwks_set = (
            jwt.PyJWKSet.from_json(Path(rules.jwks_file).read_text(encoding="utf-8"))
            if rules.jwks_file
            else None
        )

    def check(self, token: Any, *, identify_by: str) -> Vouched:
        """Who `token` names, as an identity of the site's kind (`identify_by`). Raises
        `Forbidden` (`token_invalid`, `token_expired`)."""
        if not isinstance(token, str) or not token or len(token) > 8192:
            raise _refused("it is missing")
        if PROVIDERS[self.rules.provider].admin_api is not None:
            return self._memberstack(token, identify_by)
        claims = self._claims(token)
        return Vouched(self._identity(claims, identify_by), int(claims["exp"]))

    # -- JWTs checked here ------------------------------------------------------------------
    def _claims(self, token: str) -> dict[str, Any]:
        rules = self.rules
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _refused("it is not a JWT") from None
        if any(name in header for name in _UNTRUSTED_HEADERS):
            raise _refused("it names its own keys")
        if header.get("alg") not in rules.algorithms:
            raise _refused(f"it is signed with {header.get('alg')!r}")
        key = self._key(token, header)
        options = {"require": ["exp"], "verify_aud": rules.audience is not None}
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(rules.algorithms),
                issuer=rules.issuer,
                audience=rules.audience,
                leeway=rules.leeway,
                options=options,  # type: ignore[arg-type]
            )
        except (TypeError, ValueError):  # a key of another type than the header's alg
            raise _refused("its key does not fit its algorithm") from None
        except jwt.ExpiredSignatureError:
            raise Forbidden("The login has expired; sign in again.", code="token_expired",
                            field="token") from None  # fmt: skip
        except jwt.ImmatureSignatureError:
            raise _refused("it is not valid yet") from None
        except jwt.InvalidIssuerError:
            raise _refused("another issuer made it") from None
        except jwt.InvalidAudienceError:
            raise _refused("it is for another audience") from None
        except jwt.PyJWTError:
            raise _refused("its signature or claims are not valid") from None
        azp = claims.get("azp")
        made_elsewhere = azp is not None and str(azp).rstrip("/").lower() not in rules.origins
        if PROVIDERS[rules.provider].checks_azp and made_elsewhere:
            raise _refused("it was made for another site")
        return claims

    def _key(self, token: str, header: Mapping[str, Any]) -> Any:
        if self.rules.secret is not None:
            return self.rules.secret
        try:
            if self._jwks_set is not None:
                kid = header.get("kid")
                found = [k for k in self._jwks_set.keys if kid is None or k.key_id == kid]
                if not found:
                    raise _refused("its key is not among the site's")
                return found[0].key
            assert self._jwks_client is not None
            return self._jwks_client.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError:
            raise Forbidden("The login provider's keys could not be fetched; try again.",
                            code="token_keys_unavailable", field="token") from None  # fmt: skip
        except jwt.PyJWTError:
            raise _refused("its key is not among the site's") from None

    def _identity(self, claims: Mapping[str, Any], identify_by: str) -> str:
        rules = self.rules
        if identify_by == "customer_id":
            found = _claim(claims, rules.customer_id_claim) if rules.customer_id_claim else None
            if not isinstance(found, str) or not found.startswith("cus_"):
                raise _refused("it carries no Stripe customer id")
            return found
        email = _claim(claims, rules.email_claim)
        if not isinstance(email, str) or "@" not in email:
            raise _refused("it carries no email")
        if not (PROVIDERS[rules.provider].email_trusted or claims.get("email_verified") is True):
            raise _refused("its email is not verified")
        return email

    # -- Memberstack: its admin API vouches -----------------------------------------------------
    def _memberstack(self, token: str, identify_by: str) -> Vouched:
        # Read (not trusted) first, so a string that is no member token of this app, or one
        # already expired, costs no call to Memberstack with the site's key.
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise _refused("it is not a JWT") from None
        if unverified.get("aud") != self.rules.audience:
            raise _refused("it is for another Memberstack app")
        if not isinstance(unverified.get("exp"), int) or unverified["exp"] <= self.clock():
            raise Forbidden("The login has expired; sign in again.", code="token_expired",
                            field="token")  # fmt: skip
        base = str(self.rules.api_base).rstrip("/")
        headers = {"X-API-KEY": str(self.rules.secret)}
        verified = self._ask("POST", f"{base}/members/verify-token", headers, {"token": token})
        if not verified or not isinstance(verified.get("id"), str):
            raise _refused("Memberstack did not verify it")
        if self.rules.audience and verified.get("aud") != self.rules.audience:
            raise _refused("it is for another Memberstack app")
        expires_at = int(verified.get("exp") or 0)
        if expires_at <= self.clock():
            raise Forbidden("The login has expired; sign in again.", code="token_expired",
                            field="token")  # fmt: skip
        member = self._ask("GET", f"{base}/members/{quote(verified['id'], safe='')}", headers)
        if not member:
            raise _refused("Memberstack knows no such member")
        if identify_by == "customer_id":
            customer = member.get("stripeCustomerId")
            if not isinstance(customer, str) or not customer.startswith("cus_"):
                raise _refused("the member has no Stripe customer")
            return Vouched(customer, expires_at)
        email = (member.get("auth") or {}).get("email")
        if not isinstance(email, str) or "@" not in email:
            raise _refused("the member has no email")
        if member.get("verified") is not True:
            raise _refused("the member's email is not verified")
        return Vouched(email, expires_at)

    def _ask(
        self, method: str, url: str, headers: Mapping[str, str], body: Any = None
    ) -> dict[str, Any] | None:
        """`data` of a Memberstack admin API answer; None when it says the token or member
        is not one (400, 404)."""
        try:
            response = self.session.request(method, url, headers=dict(headers), json=body,
                                            timeout=10, allow_redirects=False)  # fmt: skip
        except requests.RequestException:
            raise Forbidden("Memberstack could not be reached; try again.",
                            code="token_keys_unavailable", field="token") from None  # fmt: skip
        if response.status_code in (400, 404):  # not a token, or no such member
            return None
        if response.status_code in (401, 403, 429) or response.status_code >= 500:
            raise Forbidden(
                "Memberstack refused the bridge or is busy; try again.",
                code="token_keys_unavailable",
                field="token",
            )
        try:
            data = response.json().get("data") if response.ok else None
        except (ValueError, AttributeError):
            data = None
        if not isinstance(data, dict):
            raise Forbidden("Memberstack answered unexpectedly; try again.",
                            code="token_keys_unavailable", field="token")  # fmt: skip
        return data


def _claim(claims: Mapping[str, Any], path: str | None) -> Any:
    """A claim by its dotted path (`app_metadata.stripe_customer_id`)."""
    found: Any = claims
    for part in (path or "").split("."):
        found = found.get(part) if isinstance(found, Mapping) else None
    return found
