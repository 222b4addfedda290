"""The bridge's configuration: the environment, or a TOML file with the same names in lower
case, read once into a frozen `BridgeConfig`.

Everything the portal itself reads (`BILLFLOW_SECRET_KEY`, `BILLFLOW_STRIPE_API_KEY`, every
`BILLFLOW_<OPTION>`) passes through to the portal unchanged; the `BILLFLOW_BRIDGE_*` names
are the bridge's own. A name set in the environment wins over the file, so a deployment can
keep its secrets out of the file. Every refusal is a `BridgeConfigError` naming the setting.

A target is where events go. `BILLFLOW_BRIDGE_TARGETS` lists URLs that receive every event;
the file may describe each instead, with the events it wants, its own signing secret and
extra headers (for platforms that cannot check a signature on the raw body)::

    [[billflow_bridge_targets]]
    name = "Make: cancellations"          # what the admin page calls it
    url = "https://hooks.example.com/billflow"
    events = ["cancel", "change_plan"]
    signing_secret = "whsec_…"
    headers = { Authorization = "Bearer 2f9c…" }
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import BridgeConfigError
from .login_tokens import LoginTokens, login_tokens_from

__all__ = [
    "DEFAULT_RETRY_DELAYS",
    "DEFAULT_STRIPE_EVENTS",
    "BridgeConfig",
    "BridgeConfigError",
    "Target",
    "checked_url",
    "load_config",
]

PREFIX = "BILLFLOW_BRIDGE_"
DATABASE_FILE = "billflow-bridge.sqlite3"

# Seconds before each attempt after the first, as Svix spaces them: 5 s, 5 min, 30 min, 2 h,
# 5 h, 10 h, 10 h. The first attempt is made at once; after the last, a delivery has failed.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)

# Stripe's events relayed by default as `stripe.<type>`: money in and out, and ends, which a
# site's automations act on; a portal action's own event already says what the portal did.
DEFAULT_STRIPE_EVENTS = frozenset(
    {"invoice.paid", "invoice.payment_failed", "customer.subscription.deleted",
     "customer.subscription.trial_will_end"}
)  # fmt: skip

# Headers a target may not set: the signature's own, and what HTTP itself decides.
_RESERVED_HEADERS = frozenset(
    {"webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "content-length",
     "host", "transfer-encoding", "connection"}
)  # fmt: skip


@dataclass(frozen=True)
class Target:
    """One receiver of events. `events`: the event types it wants (empty: all).
    `signing_secrets`: its own `whsec_` secrets, else the bridge's. `headers`: sent with
    every delivery, such as a shared bearer token for a platform that cannot verify.
    `name`: what the admin page calls it (its host when unnamed)."""

    url: str
    events: frozenset[str] = frozenset()
    signing_secrets: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    name: str = ""

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


@dataclass(frozen=True)
class BridgeConfig:
    """The bridge's settings. `portal`: the `BILLFLOW_*` names the portal reads, as given.
    Keys are None when unset: the routes they guard then refuse every request."""

    portal: Mapping[str, Any]
    api_key: str | None
    hooks_key: str | None
    admin_key: str | None
    database_url: str
    origins: tuple[str, ...]
    signing_secrets: tuple[str, ...]
    targets: tuple[Target, ...]
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    login_tokens: LoginTokens | None = None
    stripe_events: frozenset[str] = DEFAULT_STRIPE_EVENTS
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
    disable_after: float = 5 * 86400.0
    keep_deliveries: float = 30 * 86400.0
    timeout: float = 10.0
    proxy_hops: int = 0  # proxies in front whose X-Forwarded-For and -Proto are believed

    @classmethod
    def from_mapping(
        cls, mapping: Mapping[str, Any], *, base_dir: Path | None = None
    ) -> BridgeConfig:
        """The configuration in `mapping`, under the environment's upper-case names.
        `base_dir`: where the default SQLite file goes (the config file's folder, else the
        working directory). Raises `BridgeConfigError`."""
        bridge = {k[len(PREFIX) :]: v for k, v in mapping.items() if k.startswith(PREFIX)}
        portal = {k: v for k, v in mapping.items() if not k.startswith(PREFIX)}
        signing = _secrets(bridge.get("SIGNING_SECRET"), f"{PREFIX}SIGNING_SECRET")
        targets = _targets(bridge.get("TARGETS"))
        if targets and not signing and not all(t.signing_secrets for t in targets):
            raise BridgeConfigError(
                f"{PREFIX}SIGNING_SECRET is not set, and deliveries are signed: set it to a "
                "whsec_ secret (billflow bridge secret makes one)",
                param=f"{PREFIX}SIGNING_SECRET",
            )
        origins = _origins(bridge.get("ORIGINS"))
        database = bridge.get("DATABASE_URL") or (
            f"sqlite:///{(base_dir or Path.cwd()) / DATABASE_FILE}"
        )
        return cls(
            portal=portal,
            api_key=_key(bridge.get("API_KEY"), "API_KEY"),
            hooks_key=_key(bridge.get("HOOKS_KEY"), "HOOKS_KEY"),
            admin_key=_key(bridge.get("ADMIN_KEY"), "ADMIN_KEY"),
            database_url=str(database),
            origins=origins,
            login_tokens=login_tokens_from(bridge, origins),
            stripe_events=_stripe_events(bridge.get("STRIPE_EVENTS")),
            signing_secrets=signing,
            targets=targets,
            allowed_networks=_networks(bridge.get("ALLOW_TARGETS_IN")),
            retry_delays=_delays(bridge.get("RETRY_DELAYS")),
            disable_after=_days(bridge.get("DISABLE_AFTER_DAYS"), "DISABLE_AFTER_DAYS", 5),
            keep_deliveries=_days(bridge.get("KEEP_DELIVERIES_DAYS"), "KEEP_DELIVERIES_DAYS", 30),
            timeout=_seconds(bridge.get("TIMEOUT"), "TIMEOUT", 10.0),
            proxy_hops=_hops(bridge.get("PROXY_HOPS")),
        )


def load_config(
    config_file: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> BridgeConfig:
    """The configuration from `config_file` (TOML, names in lower case) overlaid with the
    `BILLFLOW_*` names of `environ` (the process's environment by default)."""
    environ = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    base_dir = None
    if config_file is not None:
        path = Path(config_file)
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise BridgeConfigError(f"cannot read {path}: {error.strerror}") from None
        except tomllib.TOMLDecodeError as error:
            raise BridgeConfigError(f"{path} is not valid TOML: {error}") from None
        for name, value in document.items():
            if name != name.lower() or not name.startswith("billflow_"):
                raise BridgeConfigError(
                    f"{path}: {name!r} is not a Billflow setting (names are the environment's "
                    "in lower case, such as billflow_secret_key)",
                    param=name,
                )
            merged[name.upper()] = value
        base_dir = path.resolve().parent
    merged.update({k: v for k, v in environ.items() if k.startswith("BILLFLOW_")})
    if "STRIPE_API_KEY" in environ and "BILLFLOW_STRIPE_API_KEY" not in merged:
        merged["STRIPE_API_KEY"] = environ["STRIPE_API_KEY"]
    return BridgeConfig.from_mapping(merged, base_dir=base_dir)


# -- each kind of value ---------------------------------------------------------------------
def _key(value: Any, name: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) < 24:
        raise BridgeConfigError(
            f"{PREFIX}{name} must be a random string of at least 24 characters "
            "(billflow bridge secret makes one)",
            param=f"{PREFIX}{name}",
        )
    return value


def _secrets(value: Any, param: str) -> tuple[str, ...]:
    """`whsec_` secrets, space- or comma-separated: the first signs, each one is sent (a
    rotation signs with both until receivers have the new one)."""
    if value in (None, ""):
        return ()
    items = value if isinstance(value, list) else str(value).replace(",", " ").split()
    for secret in items:
        _check_secret(secret, param)
    return tuple(items)


def _check_secret(secret: Any, param: str) -> None:
    body = secret[len("whsec_") :] if isinstance(secret, str) else ""
    try:
        decoded = base64.b64decode(body, validate=True) if body else b""
    except (binascii.Error, ValueError):
        decoded = b""
    if not isinstance(secret, str) or not secret.startswith("whsec_") or len(decoded) < 24:
        raise BridgeConfigError(
            f"{param} must be whsec_ followed by at least 24 random bytes in base64 "
            "(billflow bridge secret makes one)",
            param=param,
        )


def _stripe_events(value: Any) -> frozenset[str]:
    if value in (None, ""):
        return DEFAULT_STRIPE_EVENTS
    found = frozenset(_list(value))
    for name in found:
        if not re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", name):
            raise BridgeConfigError(
                f"{PREFIX}STRIPE_EVENTS holds {name!r}, which is not a Stripe event type such "
                "as invoice.paid",
                param=f"{PREFIX}STRIPE_EVENTS",
            )
    return found


def _origins(value: Any) -> tuple[str, ...]:
    items = _list(value)
    for origin in items:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise BridgeConfigError(
                f"{PREFIX}ORIGINS holds {origin!r}, which is not an origin such as "
                "https://www.example.com (a scheme and a host, no path)",
                param=f"{PREFIX}ORIGINS",
            )
    return tuple(origin.lower() for origin in items)


def _targets(value: Any) -> tuple[Target, ...]:
    param = f"{PREFIX}TARGETS"
    if value in (None, ""):
        return ()
    found = _target_list(value, param)
    urls = [target.url for target in found]
    if len(set(urls)) != len(urls):
        raise BridgeConfigError(f"{param} names one URL twice", param=param)
    return tuple(found)


def _target_list(value: Any, param: str) -> list[Target]:
    if isinstance(value, str):
        return [Target(checked_url(url, param)) for url in _list(value)]
    if not isinstance(value, list):
        raise BridgeConfigError(f"{param} must be URLs or a list of tables", param=param)
    found = []
    for index, entry in enumerate(value):
        where = f"{param}[{index}]"
        if isinstance(entry, str):
            found.append(Target(checked_url(entry, where)))
            continue
        if not isinstance(entry, dict):
            raise BridgeConfigError(f"{where} must be a URL or a table", param=param)
        unknown = set(entry) - {"name", "url", "events", "signing_secret", "headers"}
        if unknown:
            raise BridgeConfigError(
                f"{where} has {sorted(unknown)}; a target takes name, url, events, "
                "signing_secret and headers",
                param=param,
            )
        name = entry.get("name", "")
        if not isinstance(name, str) or len(name) > 80 or any(c < " " for c in name):
            raise BridgeConfigError(f"{where}.name must be one line of at most 80 characters",
                                    param=param)  # fmt: skip
        headers = entry.get("headers") or {}
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise BridgeConfigError(f"{where}.headers must be a table of text", param=param)
        reserved = {k for k in headers if k.lower() in _RESERVED_HEADERS}
        if reserved:
            raise BridgeConfigError(
                f"{where}.headers may not set {sorted(reserved)}: the bridge sets them",
                param=param,
            )
        events = entry.get("events") or []
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise BridgeConfigError(f"{where}.events must be a list of event types", param=param)
        found.append(
            Target(
                checked_url(entry.get("url"), where),
                frozenset(events),
                _secrets(entry.get("signing_secret"), f"{where}.signing_secret"),
                dict(headers),
                name.strip(),
            )
        )
    return found


def checked_url(value: Any, param: str) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise BridgeConfigError(
            f"{param} holds {value!r}, which is not an http(s) URL", param=param
        )
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in str(value)):
        # A control or direction character (U+202E) would make one URL look like another.
        raise BridgeConfigError(f"{param}: a URL may not hold control characters", param=param)
    if parts.username or parts.password:
        raise BridgeConfigError(
            f"{param}: put credentials in the target's headers, not in its URL", param=param
        )
    return str(value)


def shown_url(url: str, *, scheme: bool = True) -> str:
    """`url` as people are shown it (the admin page, a delivery's error): its scheme and
    host, the host in ASCII (`xn--…` for a look-alike), and an ellipsis for the path, where
    Make, Zapier and n8n keep the secret part."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = host.encode("ascii", "backslashreplace").decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    start = f"{parts.scheme}://" if scheme else ""
    where = f"{start}{host}{f':{port}' if port else ''}" if host else ""
    rest = parts.path.strip("/") or parts.query
    return f"{where}/…" if rest else where or "/"


def _networks(value: Any) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    found = []
    for item in _list(value):
        try:
            found.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise BridgeConfigError(
                f"{PREFIX}ALLOW_TARGETS_IN holds {item!r}, which is not a network such as "
                "10.0.0.0/8",
                param=f"{PREFIX}ALLOW_TARGETS_IN",
            ) from None
    return tuple(found)


def _delays(value: Any) -> tuple[float, ...]:
    if value in (None, ""):
        return DEFAULT_RETRY_DELAYS
    items = value if isinstance(value, list) else _list(value)
    try:
        delays = tuple(float(item) for item in items)
    except (TypeError, ValueError):
        delays = (-1.0,)
    if any(delay < 0 for delay in delays):
        raise BridgeConfigError(
            f"{PREFIX}RETRY_DELAYS must be seconds (0 or more) between attempts, such as "
            "5,300,1800",
            param=f"{PREFIX}RETRY_DELAYS",
        )
    return delays


def _hops(value: Any) -> int:
    """How many proxies stand in front (0 to 5): each adds to X-Forwarded-For, and only
    that many entries from the right are believed, so a visitor cannot claim an address."""
    if value in (None, ""):
        return 0
    text = str(value).strip()
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or int(text) > 5:
        raise BridgeConfigError(
            f"{PREFIX}PROXY_HOPS must be how many proxies are in front of the bridge, 0 to 5",
            param=f"{PREFIX}PROXY_HOPS",
        )
    return int(text)


def _days(value: Any, name: str, default: float) -> float:
    return _seconds(value, name, default, unit=86400.0)


def _seconds(value: Any, name: str, default: float, *, unit: float = 1.0) -> float:
    if value in (None, ""):
        return default * unit
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if number <= 0:
        raise BridgeConfigError(f"{PREFIX}{name} must be a positive number", param=PREFIX + name)
    return number * unit


def _list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    return [item.strip() for item in str(value).split(",") if item.strip()]
