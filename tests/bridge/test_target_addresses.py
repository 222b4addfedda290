"""Deliveries never reach an address inside the bridge's own network unless the site allows
it: each range is refused, judged on the address the connection is made to."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest
import requests
from receivers import Receiver

from billflow_bridge.addresses import AddressRefused, address_allowed, delivery_session

REFUSED = [
    "127.0.0.1",  # loopback
    "127.255.0.7",
    "::1",
    "10.1.2.3",  # private
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # link-local: cloud metadata
    "fe80::1",
    "100.64.0.1",  # shared address space (CGNAT)
    "fd00::1",  # unique local
    "::ffff:10.0.0.1",  # IPv4-mapped
    "::ffff:8.8.8.8",
    "0.0.0.0",
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "192.0.2.1",  # documentation
    "64:ff9b::a00:5",  # NAT64 of 10.0.0.5
    "64:ff9b:1::1",
    "::10.0.0.1",  # IPv4-compatible
    "::ffff:0:a00:1",  # IPv4-translated
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "fec0::1",  # site-local
]


@pytest.mark.parametrize("address", REFUSED)
def test_an_address_outside_the_public_internet_is_refused(address: str) -> None:
    assert not address_allowed(ipaddress.ip_address(address), ())


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_a_public_address_is_allowed(address: str) -> None:
    assert address_allowed(ipaddress.ip_address(address), ())


def test_a_network_the_site_allows_is_reached() -> None:
    allowed = (ipaddress.ip_network("10.0.0.0/8"),)
    assert address_allowed(ipaddress.ip_address("10.1.2.3"), allowed)
    assert not address_allowed(ipaddress.ip_address("192.168.1.1"), allowed)


def test_a_connection_to_loopback_is_refused_before_it_is_made(receiver: Receiver) -> None:
    session = delivery_session(())
    url = receiver.url.replace("127.0.0.1", "localhost")  # a name, resolved at connect time

    with pytest.raises(requests.ConnectionError) as refused:
        session.post(url, data=b"{}", timeout=2)

    assert isinstance(_innermost(refused.value), AddressRefused)
    assert "may not reach" in str(_innermost(refused.value))
    assert receiver.received == []

    allowed = delivery_session((ipaddress.ip_network("127.0.0.0/8"),))
    assert allowed.post(url, data=b"{}", timeout=2).status_code == 200
    assert len(receiver.received) == 1


def test_a_name_is_judged_by_what_it_resolves_to_when_connecting(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name answered a public address when the URL was set, and loopback
    when the bridge connects; the connection is judged on the second answer."""
    port = int(receiver.url.split(":")[2].split("/")[0])
    answers = iter(["8.8.8.8", "127.0.0.1"])
    real = socket.getaddrinfo

    def rebinding(host: str, *args: Any, **kwargs: Any) -> Any:
        if host != "hooks.rebind.example":
            return real(host, *args, **kwargs)
        return real(next(answers), *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    assert socket.getaddrinfo("hooks.rebind.example", port)[0][4][0] == "8.8.8.8"

    with pytest.raises(requests.ConnectionError) as refused:
        delivery_session(()).post(f"http://hooks.rebind.example:{port}/", timeout=2)
    assert isinstance(_innermost(refused.value), AddressRefused)
    assert receiver.received == []


def test_proxies_in_the_environment_are_not_used(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    session = delivery_session((ipaddress.ip_network("127.0.0.0/8"),))

    assert session.post(receiver.url, data=b"{}", timeout=2).status_code == 200


def _innermost(error: BaseException) -> BaseException:
    while (error.__cause__ or error.__context__) is not None:
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return error
