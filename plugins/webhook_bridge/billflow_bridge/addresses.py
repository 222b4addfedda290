"""Which addresses a delivery may connect to, checked when it connects.

A target's URL is the site owner's to set, but whoever can change it (or the DNS name in it)
must not turn the bridge into a way into the network it runs in. So every connection is made
to an address checked at that moment: the name is resolved, each address is judged, and the
socket is opened to the address judged, never resolved a second time (which a DNS rebinding
answer would exploit). Refused unless allowed by `BILLFLOW_BRIDGE_ALLOW_TARGETS_IN`: loopback,
private, link-local, shared (CGNAT), unique-local, IPv4-mapped, multicast, reserved and
unspecified addresses — anything that is not a public internet address.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["AddressRefused", "Network", "address_allowed", "delivery_session"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(OSError):
    """The target's host resolved only to addresses the bridge may not reach."""


# IPv6 ranges that carry an IPv4 address inside, or are not the internet, which
# `ipaddress` counts as global on some Python versions: NAT64 (64:ff9b::a00:5 reaches
# 10.0.0.5 where a DNS64 resolver is in use), IPv4-compatible and -translated addresses,
# 6to4 and the old site-local range. None of them is ever a webhook receiver's.
_NEVER = tuple(
    ipaddress.ip_network(network)
    for network in ("64:ff9b::/96", "64:ff9b:1::/48", "::/96", "::ffff:0:0:0/96",
                    "2002::/16", "fec0::/10")
)  # fmt: skip


def address_allowed(address: Address, allowed: Sequence[Network]) -> bool:
    """Whether a delivery may connect to `address`: a public internet address, or one inside
    a network the site allowed."""
    if any(address in network for network in allowed if network.version == address.version):
        return True
    if isinstance(address, ipaddress.IPv6Address) and (
        address.ipv4_mapped is not None or any(address in network for network in _NEVER)
    ):
        return False  # ::ffff:10.0.0.1 reaches 10.0.0.1; judged by its IPv4 form only if listed
    return address.is_global and not address.is_multicast


def _checked_connection(
    host: str,
    port: int,
    timeout: Any,
    allowed: Sequence[Network],
    *,
    source_address: Any = None,
    socket_options: Any = None,
) -> socket.socket:
    """A socket to the first address of `host` the rules allow."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise OSError(f"cannot resolve {host}: {error.strerror}") from None
    refused: list[str] = []
    last_error: OSError | None = None
    for family, kind, proto, _, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0])
        if not address_allowed(address, allowed):
            refused.append(str(address))
            continue
        sock = socket.socket(family, kind, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            if isinstance(timeout, int | float):  # else urllib3's "default" sentinel
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as error:
            sock.close()
            last_error = error
    if last_error is not None:
        raise last_error
    raise AddressRefused(
        f"{host} resolves to {', '.join(refused)}, which deliveries may not reach "
        "(allow it with BILLFLOW_BRIDGE_ALLOW_TARGETS_IN)"
    )


def _guarded(base: type[HTTPConnection], allowed: Sequence[Network]) -> type[HTTPConnection]:
    class Guarded(base):  # type: ignore[valid-type, misc]
        def _new_conn(self) -> socket.socket:
            return _checked_connection(
                self._dns_host,
                self.port,
                self.timeout,
                allowed,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )

    return Guarded


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, allowed: Sequence[Network]) -> None:
        self._allowed = tuple(allowed)
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        plain = type(
            "Pool",
            (HTTPConnectionPool,),
            {"ConnectionCls": _guarded(HTTPConnection, self._allowed)},
        )
        secure = type(
            "SecurePool",
            (HTTPSConnectionPool,),
            {"ConnectionCls": _guarded(HTTPSConnection, self._allowed)},
        )
        self.poolmanager.pool_classes_by_scheme = {"http": plain, "https": secure}


def delivery_session(allowed: Sequence[Network]) -> requests.Session:
    """A `requests` session whose every connection is checked (`address_allowed`), that
    ignores the environment's proxies (a proxy would connect for it, unchecked) and never
    retries by itself (the bridge's schedule does)."""
    session = requests.Session()
    session.trust_env = False
    adapter = _GuardedAdapter(allowed)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
