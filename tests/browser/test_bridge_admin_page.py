"""The bridge's admin page in Chromium, as a site owner uses it: sign in with the admin key,
see each target and hook with its state, retry a delivery, switch a target back on and
send a sample, each delivery checked with `standardwebhooks`; forms tampered with or posted
from another site do nothing; every language at 360 px and 1280 px, judged by axe-core."""

from __future__ import annotations

import base64
import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from standardwebhooks.webhooks import Webhook
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bridge"))
from bridge_support import Clock
from receivers import Answer, Receiver

from billflow_bridge import BridgeConfig, connect, create_app, migrate
from billflow_bridge._state import BridgeState, get_state
from billflow_bridge.admin.texts import LANGUAGES, admin_catalog
from billflow_bridge.retries import RetrySchedule
from billflow_bridge.schema import deliveries

ADMIN_KEY = "admin-page-key-" + "k" * 32
SIGNING = "whsec_" + base64.b64encode(b"admin-page-signing-secret-32-by!").decode()


@dataclass
class AdminBridge:
    url: str
    state: BridgeState
    make: Receiver  # "Make: cancellations", cancel and undo_cancel only
    bubble: Receiver  # "Bubble backend workflow", every event
    clock: Clock

    def deliver(self) -> int:
        return self.state.deliverer.run_once()

    def status_of(self, delivery_id: int) -> str:
        with self.state.engine.connect() as connection:
            query = deliveries.select().where(deliveries.c.id == delivery_id)
            return str(connection.execute(query).one().status)


@pytest.fixture
def admin_bridge(tmp_path: Path) -> Iterator[AdminBridge]:
    with Receiver() as make, Receiver() as bubble:
        config = BridgeConfig.from_mapping(
            {
                "BILLFLOW_SECRET_KEY": "admin-page-secret-0123456789abcdef",
                "BILLFLOW_STRIPE_API_KEY": "sk_test_admin_page",
                "BILLFLOW_BRIDGE_ADMIN_KEY": ADMIN_KEY,
                "BILLFLOW_BRIDGE_SIGNING_SECRET": SIGNING,
                "BILLFLOW_BRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'bridge.sqlite3'}",
                "BILLFLOW_BRIDGE_ALLOW_TARGETS_IN": "127.0.0.0/8",
                "BILLFLOW_BRIDGE_TIMEOUT": "2",
                "BILLFLOW_BRIDGE_TARGETS": [
                    {"name": "Make: cancellations", "url": make.url,
                     "events": ["cancel", "undo_cancel"]},
                    {"name": "Bubble backend workflow", "url": bubble.url},
                ],
            }
        )  # fmt: skip
        migrate(connect(config.database_url))
        clock = Clock()
        app = create_app(config, clock=clock, schedule=RetrySchedule(config.retry_delays, 0.0))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield AdminBridge(f"http://127.0.0.1:{server.server_port}", get_state(app), make,
                          bubble, clock)  # fmt: skip
        server.shutdown()


def keep(bridge: AdminBridge, event_id: str, kind: str, to: Receiver) -> None:
    payload = {"type": kind, "timestamp": int(bridge.clock.now), "data": {"customer_id": "cus_1"}}
    bridge.state.outbox.add(event_id, kind, payload, to=[to.url])


def verified(received: Any) -> dict[str, Any]:
    """A delivery's payload, once `standardwebhooks` accepts its signature."""
    found: dict[str, Any] = Webhook(SIGNING).verify(received.body, received.headers)
    return found


def sign_in(page: Page, bridge: AdminBridge, key: str = ADMIN_KEY) -> None:
    page.goto(bridge.url + "/admin/")
    page.get_by_label("Admin key").fill(key)
    with page.expect_navigation():  # the next page, whatever it says, before the test goes on
        page.get_by_role("button", name="Sign in").click()


def card(page: Page, name: str) -> Any:
    return page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=name))


def row(page: Page, delivery_id: int) -> Any:
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=str(delivery_id),
                                                                exact=True))  # fmt: skip


# -- signing in ----------------------------------------------------------------------------
def test_only_the_admin_key_signs_in(
    admin_bridge: AdminBridge, browse: Callable[..., Page]
) -> None:
    page = browse()
    sign_in(page, admin_bridge, key="not-the-key")
    expect(page.get_by_role("alert")).to_have_text("That is not this bridge's admin key.")
    expect(page.get_by_role("heading", name="Targets")).to_have_count(0)

    page.get_by_label("Admin key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Targets")).to_be_visible()
    expect(card(page, "Make: cancellations").get_by_text("Active")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(admin_bridge.url + "/admin/")
    expect(page.get_by_role("heading", name="Sign in to the bridge")).to_be_visible()


# -- what the page does ----------------------------------------------------------------------
def test_retry_now_sends_a_failed_delivery_again(
    admin_bridge: AdminBridge, browse: Callable[..., Page]
) -> None:
    bridge = admin_bridge
    bridge.bubble.answer(Answer(500, body=b"workflow is not live"))
    keep(bridge, "evt_admin_retry", "change_plan", bridge.bubble)
    assert bridge.deliver() == 1
    page = browse()
    sign_in(page, bridge)
    bubble = card(page, "Bubble backend workflow")
    expect(bubble.get_by_text("Failing", exact=True)).to_be_visible()
    expect(bubble.get_by_text(re.compile("^Failing since"))).to_be_visible()
    expect(row(page, 1)).to_contain_text("workflow is not live")
    expect(row(page, 1)).to_contain_text(re.compile(r"in \d+ seconds"))  # the next attempt

    row(page, 1).get_by_role("button", name="Retry now").click()
    expect(page.get_by_role("status")).to_have_text("Delivery 1 is due again now.")
    assert bridge.deliver() == 1
    assert verified(bridge.bubble.received[-1])["type"] == "change_plan"
    page.reload()
    expect(row(page, 1).get_by_text("Delivered")).to_be_visible()
    expect(row(page, 1).get_by_role("button", name="Retry now")).to_have_count(0)
    expect(card(page, "Bubble backend workflow").get_by_text("Active")).to_be_visible()


def test_switch_back_on_delivers_what_waited(
    admin_bridge: AdminBridge, browse: Callable[..., Page]
) -> None:
    bridge = admin_bridge
    bridge.make.answer(Answer(410))
    keep(bridge, "evt_admin_gone", "cancel", bridge.make)
    assert bridge.deliver() == 1
    page = browse()
    sign_in(page, bridge)
    make = card(page, "Make: cancellations")
    expect(make.get_by_text("Switched off", exact=True)).to_be_visible()
    expect(make).to_contain_text("It answered 410 Gone, which asks for no more events.")
    expect(row(page, 1).get_by_text("Held")).to_be_visible()
    expect(make.get_by_role("button", name="Send a sample")).to_have_count(0)

    make.get_by_role("button", name="Switch back on").click()
    expect(page.get_by_role("status")).to_contain_text("Make: cancellations is switched back on")
    assert bridge.deliver() == 1
    assert verified(bridge.make.received[-1])["type"] == "cancel"
    page.reload()
    expect(card(page, "Make: cancellations").get_by_text("Active")).to_be_visible()
    expect(row(page, 1).get_by_text("Delivered")).to_be_visible()


def test_a_sample_of_the_chosen_event_reaches_that_target_signed(
    admin_bridge: AdminBridge, browse: Callable[..., Page]
) -> None:
    bridge = admin_bridge
    page = browse()
    sign_in(page, bridge)
    make = card(page, "Make: cancellations")
    offered = make.get_by_label("Sample event").locator("option").all_inner_texts()
    assert sorted(offered) == ["cancel", "undo_cancel"]  # the events this target takes
    make.get_by_label("Sample event").select_option("undo_cancel")
    make.get_by_role("button", name="Send a sample").click()
    expect(page.get_by_role("status")).to_have_text(
        "A sample undo_cancel event is on its way to Make: cancellations."
    )
    assert bridge.deliver() == 1
    [got] = bridge.make.received
    assert got.headers["webhook-id"].startswith("evt_sample_")
    payload = verified(got)
    assert payload["type"] == "undo_cancel" and payload["data"]["customer_email"]
    assert bridge.bubble.received == []
    page.reload()
    expect(row(page, 1)).to_contain_text("undo_cancel")
    expect(row(page, 1)).to_contain_text("sample")


# -- forms refused ---------------------------------------------------------------------------
def signed_in_beside_a_waiting_delivery(bridge: AdminBridge, browse: Callable[..., Page]) -> Page:
    """The page, signed in, with delivery 1 waiting five seconds for its next attempt."""
    bridge.bubble.answer(Answer(503))
    keep(bridge, "evt_admin_waiting", "change_plan", bridge.bubble)
    assert bridge.deliver() == 1
    page = browse()
    sign_in(page, bridge)
    return page


def test_a_form_whose_token_was_tampered_with_does_nothing(
    admin_bridge: AdminBridge, browse: Callable[..., Page]
) -> None:
    bridge = admin_bridge
    page = signed_in_beside_a_waiting_delivery(bridge, browse)
    page.evaluate(
        "() => document.querySelectorAll('input[name=csrf_token]').forEach(i => i.value = 'x')"
    )
    row(page, 1).get_by_role("button", name="Retry now").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was done")
    bridge.clock.advance(2)  # its next attempt is five seconds after the first
    assert bridge.deliver() == 0
    assert bridge.status_of(1) == "pending"


class _OtherSite:
    """A page on another site (`localhost` against the bridge's `127.0.0.1`) that posts the
    admin page's own retry form, with a token it somehow has, as soon as it loads."""

    def __init__(self, action: str, token: str) -> None:
        html = (f'<!doctype html><title>Win a prize</title><form method="post" action="{action}">'
                f'<input name="csrf_token" value="{token}"></form>'
                "<script>document.forms[0].submit()</script>").encode()  # fmt: skip

        class Page(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(html)))
                self.end_headers()
                self.wfile.write(html)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
        self.url = f"http://localhost:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


def test_a_form_posted_from_another_site_does_nothing(
    admin_bridge: AdminBridge, browse: Callable[..., Page]
) -> None:
    bridge = admin_bridge
    page = signed_in_beside_a_waiting_delivery(bridge, browse)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    other = _OtherSite(f"{bridge.url}/admin/deliveries/1/retry", token)
    try:
        with page.expect_navigation(url=re.compile(r"/admin/deliveries/1/retry$")) as sent:
            page.goto(other.url)
        answer = sent.value
        assert answer is not None and answer.status in (400, 401)
    finally:
        other.server.shutdown()
        other.server.server_close()
    bridge.clock.advance(2)
    assert bridge.deliver() == 0
    assert bridge.status_of(1) == "pending"


# -- every language, narrow and wide -------------------------------------------------------
def _every_state(bridge: AdminBridge) -> None:
    """A target switched off, one failing, a hook, and deliveries in each status."""
    zap = bridge.bubble.url.replace("/hooks/billflow", "/hooks/catch/123/abc/")
    bridge.state.hooks.subscribe(zap, "stripe.invoice.payment_failed")
    bridge.make.answer(Answer(410))
    bridge.bubble.answer(Answer(200), Answer(500, body=b"Internal Server Error"))
    keep(bridge, "evt_all_1", "cancel", bridge.make)
    keep(bridge, "evt_all_2", "change_plan", bridge.bubble)
    keep(bridge, "evt_all_3", "stripe.invoice.payment_failed", bridge.bubble)
    bridge.deliver()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_fits_360_px_in_every_language(
    admin_bridge: AdminBridge, browse: Callable[..., Page], language: str
) -> None:
    _every_state(admin_bridge)
    texts = admin_catalog(language)
    page = browse(locale=language, width=360)
    page.goto(admin_bridge.url + "/admin/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_label(texts["sign_in.key_label"]).fill(ADMIN_KEY)
    page.get_by_role("button", name=texts["sign_in.submit"]).click()
    expect(page.get_by_role("heading", name=texts["deliveries.heading"])).to_be_visible()
    expect(page.get_by_role("button", name=texts["action.enable"])).to_be_visible()
    page.wait_for_load_state("load")  # the stylesheet applied: a layout made before it is wide
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        sideways = page.evaluate("document.documentElement.scrollWidth")
        assert sideways <= width, f"{language} at {width} px is {sideways} px wide"


@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("en", 360), ("ar", 360)])
def test_axe_finds_nothing_wrong_with_the_page(
    admin_bridge: AdminBridge,
    browser: Browser,
    accessibility_problems: Callable[[Page], list[str]],
    language: str,
    width: int,
) -> None:
    _every_state(admin_bridge)
    texts = admin_catalog(language)
    context = browser.new_context(locale=language, viewport={"width": width, "height": 800},
                                  bypass_csp=True)  # fmt: skip
    try:
        page = context.new_page()
        page.goto(admin_bridge.url + "/admin/")
        assert accessibility_problems(page) == []
        page.get_by_label(texts["sign_in.key_label"]).fill("wrong")
        page.get_by_role("button", name=texts["sign_in.submit"]).click()
        expect(page.get_by_role("alert")).to_be_visible()
        assert accessibility_problems(page) == []
        page.get_by_label(texts["sign_in.key_label"]).fill(ADMIN_KEY)
        page.get_by_role("button", name=texts["sign_in.submit"]).click()
        expect(page.get_by_role("heading", name=texts["deliveries.heading"])).to_be_visible()
        assert accessibility_problems(page) == []
    finally:
        context.close()
