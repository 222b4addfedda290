"""Email sign-in in Chromium, on the demo's page with no login: a visitor enters their email,
the link arrives at the demo's SMTP server, opening it shows their portal, and signing out
ends the session. Refused links say why and offer a new one."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from playwright.sync_api import Page, expect

from billflow_core import i18n
from billflow_core.identity.signin import MemorySignInStore
from billflow_demo.site import Demo, start_demo
from billflow_sandbox.mailbox import Mail

ADA = "ada@example.com"

# Every console.log call, its arguments as JSON, so a test reads the objects it was given.
KEEP_CONSOLE = """
window.consoleKept = JSON.parse(sessionStorage.getItem('consoleKept') || '[]');
const keep = console.log.bind(console);
console.log = (...args) => {
  window.consoleKept.push(args.map((a) => JSON.stringify(a)).join(' '));
  sessionStorage.setItem('consoleKept', JSON.stringify(window.consoleKept));
  keep(...args);
};
"""


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    running = start_demo("127.0.0.1", 0, environ={})
    assert running.mailbox is not None, "the demo's mail server did not start"
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _fresh(demo: Demo) -> None:
    demo.mailbox.clear()
    demo.portal.sign_in.store = MemorySignInStore()  # no rate limit carried over


def _link(mail: Mail) -> str:
    found = re.search(r"https?://\S+", mail.text())
    assert found is not None, mail.text()
    return found[0]


def _ask_for_link(page: Page, demo: Demo, email: str) -> None:
    page.goto(f"{demo.url}/billing")
    expect(page.get_by_role("heading", name="Sign in to manage your billing")).to_be_visible()
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_focused()


def _session_in(page: Page, demo: Demo) -> str | None:
    found = page.evaluate("(key) => sessionStorage.getItem(key)", "billflow.session:/billflow")
    return None if found is None else str(json.loads(found)["session"])


def test_a_visitor_signs_in_by_email_sees_their_portal_and_signs_out(
    demo: Demo, page: Page
) -> None:
    _ask_for_link(page, demo, ADA)
    (mail,) = demo.mailbox.wait_for(ADA)
    assert mail.subject == "Your sign-in link for Acme Analytics"
    link = _link(mail)
    assert link.startswith(f"{demo.url}/billing?billflow_token=")

    page.goto(link)
    expect(page.locator(".bf-sub")).to_have_count(2)
    expect(page.locator(".bf-signed-in")).to_contain_text(f"Signed in as {ADA}")
    assert "billflow_token" not in page.url  # taken out of the address bar
    assert page.url == f"{demo.url}/billing"

    page.reload()  # the session outlives a reload in this tab
    expect(page.locator(".bf-sub")).to_have_count(2)
    session = _session_in(page, demo)
    assert session is not None

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to manage your billing")).to_be_focused()
    expect(page.get_by_role("status")).to_have_text("You've signed out.")
    expect(page.locator(".bf-signed-in")).to_have_count(0)
    assert _session_in(page, demo) is None
    ended = requests.get(f"{demo.url}/billflow/api/portal",
                         headers={"X-Billflow-Session": session}, timeout=10)  # fmt: skip
    assert ended.status_code == 403 and ended.json()["error"]["code"] == "session_expired"

    page.goto(link)  # a link works once
    expect(page.get_by_role("alert")).to_have_text(
        "This sign-in link was already used. Ask for a new one."
    )
    expect(page.get_by_label("Email address")).to_be_visible()


def test_an_expired_link_is_explained_and_a_new_one_can_be_asked_for(
    demo: Demo, page: Page
) -> None:
    expired = demo.portal.sign_in.link(ADA, int(time.time()) - 1)
    page.goto(expired)
    expect(page.get_by_role("alert")).to_have_text(
        "This sign-in link has expired. Ask for a new one."
    )
    assert "billflow_token" not in page.url
    page.get_by_label("Email address").fill(ADA)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    demo.mailbox.wait_for(ADA)


def test_a_stranger_sees_the_same_page_and_gets_no_mail(demo: Demo, page: Page) -> None:
    _ask_for_link(page, demo, "stranger@example.org")
    page.get_by_role("button", name="Send another link").click()
    expect(page.get_by_label("Email address")).to_be_focused()
    demo.portal.sign_in.wait()
    assert demo.mailbox.messages == []


def test_what_is_not_an_email_is_refused_in_the_form(demo: Demo, page: Page) -> None:
    page.goto(f"{demo.url}/billing")
    page.get_by_label("Email address").fill("not an email")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("alert")).to_have_text("Enter a valid email address.")
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_hidden()


def test_too_many_links_say_when_to_try_again(demo: Demo, page: Page) -> None:
    limit = demo.portal.settings.sign_in_per_email_per_hour
    for _ in range(limit):
        answer = requests.post(f"{demo.url}/billflow/api/login-link", json={"email": ADA},
                               timeout=10)  # fmt: skip
        assert answer.status_code == 202
    page.goto(f"{demo.url}/billing")
    page.get_by_label("Email address").fill(ADA)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("alert")).to_have_text(
        re.compile(r"Too many sign-in links were asked for\. Try again after \d{1,2}:\d\d")
    )


def test_a_session_that_ended_elsewhere_brings_back_the_form(demo: Demo, page: Page) -> None:
    tokens: list[str] = []
    page.on("request", lambda r: tokens.append(r.headers.get("x-billflow-page", "")))
    _ask_for_link(page, demo, ADA)
    page.goto(_link(demo.mailbox.wait_for(ADA)[0]))
    expect(page.locator(".bf-sub")).to_have_count(2)
    # Signed out in another tab: ended as that tab's request ends it, with the page's token.
    token = [t for t in tokens if t][-1]  # the page's token, sent with each of its requests
    binding = demo.portal.session_binding(demo.portal.open_page(token))
    demo.portal.sign_in.end(_session_in(page, demo), binding=binding)
    page.reload()
    expect(page.get_by_role("alert")).to_have_text("You've been signed out. Sign in again.")
    expect(page.get_by_label("Email address")).to_be_visible()


def test_in_debug_mode_the_console_shows_no_token_or_session(page: Page) -> None:
    debugging = start_demo("127.0.0.1", 0, environ={"BILLFLOW_DEBUG": "true"})
    try:
        page.add_init_script(KEEP_CONSOLE)
        _ask_for_link(page, debugging, ADA)
        link = _link(debugging.mailbox.wait_for(ADA)[0])
        page.goto(link)
        expect(page.locator(".bf-sub")).to_have_count(2)
        session = _session_in(page, debugging)
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status")).to_have_text("You've signed out.")
        console = "\n".join(page.evaluate("() => window.consoleKept"))
    finally:
        debugging.stop()
    assert '"request" "POST" "/billflow/api/session" {"token":"…"}' in console  # debug was on
    assert '"response" 200 {"session":"…"' in console
    token = link.split("billflow_token=")[1]
    assert session is not None
    for secret in (token, token.split(".")[3], session, session.split(".")[3]):
        assert secret not in console


def test_a_link_opened_in_a_signed_in_tab_replaces_its_session(demo: Demo, page: Page) -> None:
    _ask_for_link(page, demo, ADA)
    page.goto(_link(demo.mailbox.wait_for(ADA)[0]))
    expect(page.locator(".bf-sub")).to_have_count(2)
    first = _session_in(page, demo)

    page.goto(demo.portal.sign_in.link(ADA, int(time.time()) + 600))
    expect(page.locator(".bf-sub")).to_have_count(2)
    assert page.url == f"{demo.url}/billing"
    second = _session_in(page, demo)
    assert second is not None and second != first

    page.goto(demo.portal.sign_in.link(ADA, int(time.time()) - 1))  # refused: still signed in
    expect(page.locator(".bf-sub")).to_have_count(2)
    expect(page.get_by_role("status")).to_have_text(
        "This sign-in link has expired. Ask for a new one."
    )
    assert page.url == f"{demo.url}/billing" and _session_in(page, demo) == second


@pytest.mark.parametrize(
    ("locale", "width"), [("en-US", 360), ("en-US", 1280), ("ar", 360), ("ar", 1280)]
)
def test_each_state_of_the_sign_in_form_passes_axe(
    demo: Demo,
    browse: Callable[..., Page],
    accessibility_problems: Callable[[Page], list[str]],
    locale: str,
    width: int,
) -> None:
    """axe-core finds nothing wrong with the form, an email it refuses, the link sent, and a
    link that expired, in English and Arabic, on a phone and a wide screen."""
    say = i18n.translator("ar" if locale == "ar" else "en")
    page = browse(locale=locale, width=width, axe=True)
    page.goto(f"{demo.url}/billing")
    expect(page.get_by_role("heading", name=say.t("signin.title"))).to_be_visible()
    assert accessibility_problems(page) == [], "the form"

    field = page.get_by_label(say.t("signin.email_label"))
    field.fill("not an email")
    page.get_by_role("button", name=say.t("signin.submit")).click()
    expect(page.get_by_role("alert")).to_have_text(say.t("error.email_invalid"))
    assert accessibility_problems(page) == [], "an email refused"

    field.fill(ADA)
    page.get_by_role("button", name=say.t("signin.submit")).click()
    expect(page.get_by_role("heading", name=say.t("signin.check_inbox"))).to_be_focused()
    assert accessibility_problems(page) == [], "the link sent"

    page.goto(demo.portal.sign_in.link(ADA, int(time.time()) - 1))
    expect(page.get_by_role("alert")).to_have_text(say.t("error.link_expired"))
    assert accessibility_problems(page) == [], "an expired link"
