"""A site's configuration beside its portal options: the secrets, the Stripe addresses and
what the hosts read, under the one list of their `BILLFLOW_*` names.

The portal options (`BILLFLOW_CHANGE_PLAN`, …) are `PortalSettings`' fields; every other
`BILLFLOW_` name is listed here with what it holds, so `PortalSettings.from_mapping` knows
which keys are not a mistyped option, the Wagtail plugin knows which belong in Django's
settings rather than the database, and a reader finds them all in one place::

    secrets = PortalSecrets.from_mapping(os.environ)   # SettingsError naming the key
    Portal(settings, **secrets.portal_arguments())

Every refusal here is a `SettingsError` whose `param` is the full `BILLFLOW_*` name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import SettingsError
from .stripe.deadline import DEADLINE, TIMEOUT

__all__ = [
    "BRIDGE_NAMES",
    "HOST_NAMES",
    "MIN_SECRET",
    "NOT_OPTIONS",
    "PREFIX",
    "SECRET_NAMES",
    "STRIPE_JS_URL",
    "TOOL_NAMES",
    "WAGTAIL_NAMES",
    "PortalSecrets",
    "check_previous_key",
    "check_secret_key",
    "checked_publishable_key",
    "checked_stripe_js_url",
]

PREFIX = "BILLFLOW_"
MIN_SECRET = 16
STRIPE_JS_URL = "https://js.stripe.com/v3/"

# What a portal is made with besides its options. Hosts keep them out of any database a
# site's editors can read (Django's settings, the environment, a Flask config file).
SECRET_NAMES: Mapping[str, str] = {
    "BILLFLOW_SECRET_KEY": "signs and checks hashes, page tokens and sign-in links",
    "BILLFLOW_SECRET_KEY_PREVIOUS": "the secret key before a rotation, still accepted",
    "BILLFLOW_STRIPE_API_KEY": "the Stripe secret (sk_) or restricted (rk_) key",
    "STRIPE_API_KEY": "read when BILLFLOW_STRIPE_API_KEY is not set",
    "BILLFLOW_STRIPE_WEBHOOK_SECRET": "the signing secret (whsec_) of Stripe's webhook",
    "BILLFLOW_STRIPE_API_BASE": "another address than Stripe's API, such as the sandbox",
    "BILLFLOW_STRIPE_PUBLISHABLE_KEY": "the pk_ key the page gives Stripe.js",
    "BILLFLOW_STRIPE_JS_URL": "where the page loads Stripe.js (or the sandbox's stand-in)",
    "BILLFLOW_STRIPE_TIMEOUT": "seconds one request to Stripe may take (8)",
    "BILLFLOW_STRIPE_DEADLINE": "seconds a page request may wait on Stripe in all (12)",
}

# What the hosts read: the mailer for email sign-in, where the API is mounted, who may frame
# the page, and the plugins' links to their framework.
HOST_NAMES: Mapping[str, str] = {
    "BILLFLOW_SMTP_HOST": "the SMTP server that sends sign-in emails",
    "BILLFLOW_SMTP_PORT": "its port (25)",
    "BILLFLOW_SMTP_USERNAME": "its user, if it asks for one",
    "BILLFLOW_SMTP_PASSWORD": "its password",
    "BILLFLOW_SMTP_STARTTLS": "true to upgrade the connection with STARTTLS",
    "BILLFLOW_SMTP_CA_FILE": "a PEM file of the authority a private relay's certificate is from",
    "BILLFLOW_URL_PREFIX": "where the portal's API is served (/billflow)",
    "BILLFLOW_FRAME_ANCESTORS": "the origins that may frame the portal's pages",
    "BILLFLOW_VERIFIED_EMAIL": "how the plugin learns that the user's email is verified",
    "BILLFLOW_REDIS_URL": "the Redis server a Flask site's processes share their state on",
}

# What only Django's settings hold, for the Wagtail plugin. They are not in `NOT_OPTIONS`:
# the plugin reads them from Django's settings itself, so elsewhere (a Flask config, the
# environment) such a name is a mistake and is refused like a mistyped option.
WAGTAIL_NAMES: Mapping[str, str] = {
    "BILLFLOW_CUSTOMER_ID": "how to find the logged-in user's Stripe customer id",
    "BILLFLOW_CLIENT_ADDRESS": "the visitor's IP address behind a proxy",
    "BILLFLOW_CACHE": "the Django cache alias that keeps the actions' answers",
}

# What the webhook bridge reads (`billflow_bridge`), beside the portal's own names.
BRIDGE_NAMES: Mapping[str, str] = {
    "BILLFLOW_BRIDGE_API_KEY": "mints identity hashes (POST /v1/hash); the site's backend's",
    "BILLFLOW_BRIDGE_HOOKS_KEY": "the automation platforms' key",
    "BILLFLOW_BRIDGE_ADMIN_KEY": "signs in to the admin page; reads and retries deliveries",
    "BILLFLOW_BRIDGE_DATABASE_URL": "the bridge's database (a SQLite file by default)",
    "BILLFLOW_BRIDGE_ORIGINS": "the site origins whose pages may call the bridge",
    "BILLFLOW_BRIDGE_SIGNING_SECRET": "the whsec_ secret(s) that sign every delivery",
    "BILLFLOW_BRIDGE_TARGETS": "the URLs that receive every event",
    "BILLFLOW_BRIDGE_ALLOW_TARGETS_IN": "networks a target may be in beyond the internet",
    "BILLFLOW_BRIDGE_RETRY_DELAYS": "seconds before each retry of a delivery",
    "BILLFLOW_BRIDGE_DISABLE_AFTER_DAYS": "days a target may keep failing before it is off",
    "BILLFLOW_BRIDGE_KEEP_DELIVERIES_DAYS": "days deliveries are kept before they are purged",
    "BILLFLOW_BRIDGE_TIMEOUT": "seconds to connect to a target, and again to hear from it",
    "BILLFLOW_BRIDGE_PROXY_HOPS": "how many proxies in front add X-Forwarded-For and -Proto",
    "BILLFLOW_BRIDGE_STRIPE_EVENTS": "the Stripe event types relayed as stripe.<type>",
    "BILLFLOW_BRIDGE_JWT_PROVIDER": "whose login tokens the page exchanges for a session",
    "BILLFLOW_BRIDGE_JWT_JWKS_URL": "where the provider's public keys are (a JWKS)",
    "BILLFLOW_BRIDGE_JWT_JWKS_FILE": "the provider's public keys in a file",
    "BILLFLOW_BRIDGE_JWT_SECRET": "an HS256 secret, or Memberstack's secret key",
    "BILLFLOW_BRIDGE_JWT_ISSUER": "the tokens' iss",
    "BILLFLOW_BRIDGE_JWT_AUDIENCE": "the tokens' aud",
    "BILLFLOW_BRIDGE_JWT_EMAIL_CLAIM": "the claim holding the email (email)",
    "BILLFLOW_BRIDGE_JWT_CUSTOMER_ID_CLAIM": "the claim holding the Stripe customer id",
    "BILLFLOW_BRIDGE_JWT_LEEWAY": "seconds of clock difference allowed (30)",
    "BILLFLOW_BRIDGE_JWT_API_BASE": "the provider's admin API (Memberstack's)",
}

# What the sandbox, the demo and the test tools read.
TOOL_NAMES: Mapping[str, str] = {
    "BILLFLOW_DEMO_EMAIL": "the customer the demo signs in as",
    "BILLFLOW_SANDBOX_SECRET_KEY": "the secret key the sandbox accepts",
    "BILLFLOW_SANDBOX_PUBLISHABLE_KEY": "the publishable key the sandbox accepts",
    "BILLFLOW_CHROMIUM": "the Chromium the browser tests launch",
}

# The same names without the prefix: keys under `BILLFLOW_` that are not portal options.
NOT_OPTIONS = frozenset(
    name[len(PREFIX) :]
    for names in (SECRET_NAMES, HOST_NAMES, BRIDGE_NAMES, TOOL_NAMES)
    for name in names
    if name.startswith(PREFIX)
)


def check_secret_key(secret_key: object) -> None:
    """Refuse a secret key too short to sign with: the portal, `billflow hash` and
    `billflow doctor` share this one rule, so none of them accepts what another refuses."""
    if not isinstance(secret_key, str) or len(secret_key) < MIN_SECRET:
        raise SettingsError(
            f"BILLFLOW_SECRET_KEY must be a random string of at least {MIN_SECRET} "
            "characters (python -c 'import secrets; print(secrets.token_urlsafe(32))')",
            param="BILLFLOW_SECRET_KEY",
        )


def check_previous_key(previous: object, secret_key: str) -> None:
    """The key before a rotation must be one that could have been the secret key, and not
    the current one (which would make the rotation a no-op nobody notices)."""
    if previous is None:
        return
    if not isinstance(previous, str) or len(previous) < MIN_SECRET or previous == secret_key:
        raise SettingsError(
            "BILLFLOW_SECRET_KEY_PREVIOUS must be the secret key before the last rotation "
            f"(at least {MIN_SECRET} characters, and not the current BILLFLOW_SECRET_KEY)",
            param="BILLFLOW_SECRET_KEY_PREVIOUS",
        )


def checked_publishable_key(key: object, *, livemode: bool) -> str | None:
    """The key the page hands to Stripe.js: a pk_ key of the same mode as the secret key,
    so a page never loads live card forms against a test account (or the reverse)."""
    if key is None:
        return None
    name = "BILLFLOW_STRIPE_PUBLISHABLE_KEY"
    if not isinstance(key, str) or not key.startswith("pk_"):
        raise SettingsError(
            f"{name} must be the pk_ key of the Stripe account (never its secret key)",
            param=name,
        )
    if key.startswith("pk_live_") != livemode:
        raise SettingsError(
            f"{name} and BILLFLOW_STRIPE_API_KEY must both be live or both be test keys",
            param=name,
        )
    return key


def checked_stripe_js_url(url: object) -> str:
    """Where the page loads Stripe.js from: an http(s) address, never a `javascript:` one."""
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise SettingsError(
            "BILLFLOW_STRIPE_JS_URL must be an http(s) URL", param="BILLFLOW_STRIPE_JS_URL"
        )
    return url


@dataclass(frozen=True)
class PortalSecrets:
    """The secrets and addresses a `Portal` is made with, as a config mapping holds them.
    Each field is the `Portal` argument of the same name."""

    secret_key: str
    stripe_api_key: str
    secret_key_previous: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    stripe_publishable_key: str | None = None
    stripe_js_url: str = STRIPE_JS_URL
    stripe_timeout: float = TIMEOUT
    stripe_deadline: float = DEADLINE

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> PortalSecrets:
        """The secrets under their `BILLFLOW_*` names in `config` (a Flask config,
        `os.environ`, Django's settings as a dict); an empty value counts as unset.
        Raises `SettingsError` when there is no Stripe key."""
        api_key = config.get("BILLFLOW_STRIPE_API_KEY") or config.get("STRIPE_API_KEY")
        if not api_key:
            raise SettingsError(
                "BILLFLOW_STRIPE_API_KEY is not set (the Stripe secret key)",
                param="BILLFLOW_STRIPE_API_KEY",
            )
        return cls(
            secret_key=config.get("BILLFLOW_SECRET_KEY", ""),
            stripe_api_key=api_key,
            secret_key_previous=config.get("BILLFLOW_SECRET_KEY_PREVIOUS") or None,
            stripe_webhook_secret=config.get("BILLFLOW_STRIPE_WEBHOOK_SECRET") or None,
            stripe_api_base=config.get("BILLFLOW_STRIPE_API_BASE") or None,
            stripe_publishable_key=config.get("BILLFLOW_STRIPE_PUBLISHABLE_KEY") or None,
            stripe_js_url=config.get("BILLFLOW_STRIPE_JS_URL") or STRIPE_JS_URL,
            stripe_timeout=_seconds(config, "BILLFLOW_STRIPE_TIMEOUT", TIMEOUT),
            stripe_deadline=_seconds(config, "BILLFLOW_STRIPE_DEADLINE", DEADLINE),
        )

    def portal_arguments(self) -> dict[str, Any]:
        """The keyword arguments of `Portal` these secrets fill."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


def _seconds(config: Mapping[str, Any], name: str, default: float) -> float:
    """A positive number of seconds under `name` (a string from the environment, or a
    number); `default` when unset or empty."""
    raw = config.get(name)
    if raw is None or raw == "":
        return default
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 < seconds <= 600 or isinstance(raw, bool):
        raise SettingsError(f"{name} must be a number of seconds above 0, at most 600",
                            param=name)  # fmt: skip
    return seconds
