"""The email sign-in's tokens and store on their own, on a clock the test moves: links and
sessions stop working when they should, and nothing signed for one purpose serves another."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import pytest
from single_use import assert_one_sign_in_per_link

from billflow_core.errors import BadInput, Forbidden
from billflow_core.identity.signin import FULL, MemorySignInStore, SignIn, TooMany, check_email
from billflow_core.settings import PortalSettings

_OPTIONS = {
    "email_sign_in": True,
    "company_name": "Acme",
    "sign_in_from_address": "billing@acme.example",
    "sign_in_redirect_url": "https://acme.example/account?tab=billing",
}
SETTINGS = PortalSettings(**_OPTIONS)  # type: ignore[arg-type]
SECRET = "core-test-secret-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _sign_in(clock: Clock, secret: str = SECRET) -> SignIn:
    return SignIn(SETTINGS, secret, find=lambda _: True, mailer=None, clock=clock)


def _token(link: str) -> str:
    return link.split("billflow_token=", 1)[1]


def _code(call: object) -> str:
    with pytest.raises(Forbidden) as refused:
        call()  # type: ignore[operator]
    return refused.value.code


def test_the_link_keeps_the_redirect_urls_own_query() -> None:
    link = _sign_in(Clock()).link("ada@example.com", 1_800_000_900)
    assert link.startswith("https://acme.example/account?tab=billing&billflow_token=")


def test_a_link_expires_after_its_lifetime_and_a_session_after_its_own() -> None:
    clock = Clock()
    sign_in = _sign_in(clock)
    token = _token(sign_in.link("ada@example.com", int(clock.now) + 900))
    clock.now += 900
    assert _code(lambda: sign_in.exchange(token)) == "link_expired"

    fresh = _token(sign_in.link("ada@example.com", int(clock.now) + 900))
    session = sign_in.exchange(fresh).session
    clock.now += SETTINGS.sign_in_session_lifetime - 1
    assert sign_in.email_of(session) == "ada@example.com"
    clock.now += 1
    assert _code(lambda: sign_in.email_of(session)) == "session_expired"


def test_another_secret_key_and_a_session_as_a_link_are_refused() -> None:
    clock = Clock()
    ours, theirs = _sign_in(clock), _sign_in(clock, "another-secret-0123456789")
    foreign = _token(theirs.link("ada@example.com", int(clock.now) + 900))
    assert _code(lambda: ours.exchange(foreign)) == "link_invalid"
    session = ours.exchange(_token(ours.link("ada@example.com", int(clock.now) + 900))).session
    assert _code(lambda: ours.exchange(session)) == "link_invalid"


def test_an_ended_session_stays_ended() -> None:
    clock = Clock()
    sign_in = _sign_in(clock)
    session = sign_in.exchange(_token(sign_in.link("ada@example.com", int(clock.now) + 60)))
    sign_in.end(session.session)
    assert _code(lambda: sign_in.email_of(session.session)) == "session_expired"
    assert _code(lambda: sign_in.end(session.session)) == "session_expired"


def test_the_memory_store_forgets_each_key_after_its_time() -> None:
    clock = Clock()
    store = MemorySignInStore(clock=clock)
    assert store.add("k", 10) and not store.add("k", 10) and store.has("k")
    assert [store.incr("n", 10) for _ in range(3)] == [1, 2, 3]
    clock.now += 10
    assert not store.has("k") and store.add("k", 10)
    assert store.incr("n", 10) == 1


def test_a_full_memory_store_keeps_every_mark_and_counts_everyone_over_the_limit() -> None:
    clock = Clock()
    store = MemorySignInStore(size=2, clock=clock)
    for key in ("used-a", "used-b", "used-c"):  # a used link must never work again
        assert store.add(key, 60)
    assert [store.has(k) for k in ("used-a", "used-b", "used-c")] == [True, True, True]
    assert [store.incr("x", 60), store.incr("y", 60), store.incr("z", 60)] == [1, 1, FULL]
    assert (store.count("x"), store.count("z")) == (1, 0)  # no count was dropped for z
    clock.now += 60
    assert store.incr("z", 60) == 1 and not store.has("used-a")  # room once they expire


def _asks(sign_in: SignIn, email: str, address: str | None = "192.0.2.7") -> str:
    try:
        sign_in.request_link(email, address, _compose)
    except TooMany:
        return "429"
    return "202"


def _compose(email: str, link: str, expires_at: int) -> EmailMessage:
    return EmailMessage()


def test_a_refused_request_uses_up_no_allowance() -> None:
    settings = PortalSettings(
        **{**_OPTIONS, "sign_in_per_email_per_hour": 1, "sign_in_per_address_per_hour": 3}
    )
    sign_in = SignIn(settings, SECRET, find=lambda _: False, mailer=None, clock=Clock())
    same = [_asks(sign_in, "ada@example.com") for _ in range(3)]
    others = [_asks(sign_in, f"visitor{n}@example.com") for n in range(3)]
    assert (same, others) == (["202", "429", "429"], ["202", "202", "429"])


def test_an_ipv6_network_counts_as_one_asker() -> None:
    settings = PortalSettings(**{**_OPTIONS, "sign_in_per_address_per_hour": 2})
    sign_in = SignIn(settings, SECRET, find=lambda _: False, mailer=None, clock=Clock())
    asked = [_asks(sign_in, f"v{n}@example.com", f"2001:db8:1:2::{n + 1:x}") for n in range(3)]
    assert asked == ["202", "202", "429"]
    assert _asks(sign_in, "w@example.com", "2001:db8:1:3::1") == "202"  # another /64
    assert _asks(sign_in, "x@example.com", "::ffff:192.0.2.7") == "202"  # IPv4, mapped
    assert _asks(sign_in, "y@example.com", "192.0.2.7") == "202"
    assert _asks(sign_in, "z@example.com", "192.0.2.7") == "429"  # the same IPv4 asker


def test_a_link_works_once_when_many_open_it_at_the_same_moment() -> None:
    clock = Clock()
    sign_in = _sign_in(clock)
    token = _token(sign_in.link("ada@example.com", int(clock.now) + 600))
    start = threading.Barrier(16)

    def exchange() -> str:
        start.wait()
        try:
            sign_in.exchange(token)
        except Forbidden as refused:
            return refused.code
        return "ok"

    with ThreadPoolExecutor(16) as pool:
        outcomes = sorted(pool.map(lambda _: exchange(), range(16)))
    assert outcomes == ["link_used"] * 15 + ["ok"]


def test_a_link_opened_twice_at_once_signs_in_once_with_the_interleaving_forced() -> None:
    assert_one_sign_in_per_link(MemorySignInStore())


@pytest.mark.parametrize(
    "address",
    ["a,b@example.com", "g:v@example.com;", '"a b"@example.com', "a<b>@example.com",
     "ada@example.com\r\nBcc: x@example.com", "(x)ada@example.com", "a\\b@example.com"],
)  # fmt: skip
def test_addresses_that_could_name_other_mailboxes_are_refused(address: str) -> None:
    with pytest.raises(BadInput) as refused:
        check_email(address)
    assert refused.value.code == "email_invalid"


def test_a_mailer_failure_is_logged_without_the_link(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def send(self, message: EmailMessage) -> None:
            raise ConnectionRefusedError(str(message))

    clock = Clock()
    sign_in = SignIn(SETTINGS, SECRET, find=lambda _: True, mailer=Broken(), clock=clock)
    links: list[str] = []

    def compose(email: str, link: str, expires_at: int) -> EmailMessage:
        links.append(link)
        message = EmailMessage()
        message.set_content(link)
        return message

    sign_in.request_link("ada@example.com", "127.0.0.1", compose)
    sign_in.wait()
    assert links and "ConnectionRefusedError" in caplog.text
    assert _token(links[0]) not in caplog.text
