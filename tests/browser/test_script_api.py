"""`Billflow.mount(element, settings)`, the script's API for pages that show and hide the
portal (single-page apps), in Chromium: a handle that updates and unmounts, refusing a
second portal on one element, and leaving no listener, timer or dialog behind."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect
from portal_site import SECRET, PortalSite

from billflow_core import i18n, user_hash
from billflow_core.mail import SMTPMailer
from billflow_sandbox.mailbox import Mailbox
from billflow_sandbox.seed import DEMO_EMAIL

Site = Callable[..., PortalSite]
Browse = Callable[..., Page]
NEWCOMER = "grace@example.com"

# Every timer the page starts and has not yet seen run or cleared, in `window.pendingTimers`.
COUNT_TIMERS = """
window.pendingTimers = new Set();
const start = window.setTimeout.bind(window), stop = window.clearTimeout.bind(window);
window.setTimeout = (fn, ms, ...rest) => {
  const id = start((...a) => { window.pendingTimers.delete(id); fn(...a); }, ms, ...rest);
  window.pendingTimers.add(id);
  return id;
};
window.clearTimeout = (id) => { window.pendingTimers.delete(id); stop(id); };
"""
# How many Stripe instances the page makes (each adds a frame of Stripe's that stays).
COUNT_STRIPES = """
let made = 0, real = null;
Object.defineProperty(window, 'Stripe', {configurable: true,
  get: () => real && ((...args) => { made += 1; return real(...args); }),
  set: (value) => { real = value; }});
window.stripesMade = () => made;
"""


# What a component does: mount the portal in its element, hearing its events.
MOUNT = """(who) => Billflow.mount(document.getElementById('app'), Object.assign({
  handleResponse: (e) => { window.billflowEvents.push(e.event); },
}, who))"""


def _who(identity: str) -> dict[str, str]:
    return {"email": identity, "hash": user_hash(SECRET, identity)}


def _listeners(page: Page, selector: str) -> list[str]:
    """The event listeners on the element, as Chromium's DevTools protocol lists them."""
    client = page.context.new_cdp_session(page)
    found = client.send("Runtime.evaluate", {"expression": f"document.querySelector({selector!r})"})
    listed = client.send("DOMDebugger.getEventListeners", {"objectId": found["result"]["objectId"]})
    client.detach()
    return sorted(listener["type"] for listener in listed["listeners"])


def test_a_mounted_portal_updates_and_unmounts_without_leftovers(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse(width=1280)
    page.add_init_script(COUNT_TIMERS)
    page.add_init_script(COUNT_STRIPES)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(site.page("/app"))

    keep = f"(who) => {{ window.handle = ({MOUNT})(who); return !!window.handle; }}"
    mounted = page.evaluate(keep, _who(DEMO_EMAIL))
    assert mounted
    app = page.locator("#app")
    expect(app.locator("article.bf-sub")).to_have_count(2)
    assert _listeners(page, "#app") == ["change", "click", "close", "input", "submit", "toggle"]
    page.wait_for_function("window.billflowEvents.includes('post_load')")

    # A second portal on the same element is refused, and the console says why.
    again = page.evaluate("(who) => Billflow.mount(document.getElementById('app'), who)",
                          _who(DEMO_EMAIL))  # fmt: skip
    assert again is None
    assert any("already shows a portal" in e for e in errors), errors
    expect(app.locator(".bf")).to_have_count(1)

    # Another identity after sign-in, then another language: the same handle.
    page.evaluate("(who) => window.handle.update(who)", _who(NEWCOMER))
    expect(app.get_by_role("region", name="Choose a plan")).to_be_visible()
    expect(app.locator("article.bf-sub")).to_have_count(0)
    page.evaluate("() => window.handle.update({language: 'de'})")
    german = i18n.translator("de")
    expect(app.get_by_role("region", name=german.t("plans.title"))).to_be_visible()
    assert _listeners(page, "#app") == ["change", "click", "close", "input", "submit", "toggle"]

    # Unmounted with a dialog open and a card field mounted: nothing of it stays.
    page.evaluate("(who) => window.handle.update(Object.assign({language: 'en'}, who))",
                  _who(DEMO_EMAIL))  # fmt: skip
    app.get_by_role("button", name="Update payment method").click()
    card = page.get_by_role("dialog", name="Update card").get_by_label("Card number")
    expect(card).to_be_visible()
    page.evaluate("() => window.handle.unmount()")
    expect(app.locator("*")).to_have_count(0)
    expect(page.locator("dialog")).to_have_count(0)
    assert _listeners(page, "#app") == []
    assert page.evaluate("window.pendingTimers.size") == 0
    heard = page.evaluate("window.billflowEvents.length")

    # Routed back: one portal again, one stylesheet, and the old handle does nothing.
    page.evaluate(f"(who) => {{ window.second = ({MOUNT})(who); window.handle.unmount(); }}",
                  _who(DEMO_EMAIL))  # fmt: skip
    expect(app.locator("article.bf-sub")).to_have_count(2)
    expect(app.locator(".bf")).to_have_count(1)
    expect(page.locator("link[data-billflow-css]")).to_have_count(1)
    app.get_by_role("button", name="Update payment method").click()
    expect(card).to_be_visible()
    assert page.evaluate("window.stripesMade()") == 1  # the first mount's, shared
    expect(page.locator("script[src*='/v3/']")).to_have_count(1)
    page.wait_for_function(f"window.billflowEvents.length > {heard}")  # the new one's own


def test_a_mount_with_no_element_or_a_foreign_api_is_refused_with_a_reason(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse()
    said: list[Any] = []
    page.on("console", lambda m: said.append((m.type, m.text)))
    page.goto(site.page("/app"))

    assert page.evaluate("() => Billflow.mount(null, {})") is None
    assert ("error", "Billflow.mount: the first argument must be the element to show the "
            "portal in.") in said  # fmt: skip
    # Markup cannot send an identity elsewhere, and a data attribute is markup.
    refused = page.evaluate(
        "(who) => { const el = document.getElementById('app');"
        " el.dataset.api = 'https://elsewhere.example/billflow';"
        " return Billflow.mount(el, who); }",
        _who(DEMO_EMAIL),
    )
    assert refused is None
    assert any(kind == "warning" and "elsewhere.example" in text for kind, text in said), said
    assert page.evaluate("document.getElementById('app').billflow") is None  # may mount later


def test_an_answer_that_arrives_after_unmount_is_dropped(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    page = browse()
    page.goto(site.page("/app"))
    answered: list[str] = []
    page.on("response", lambda r: answered.append(r.url) if "/api/portal" in r.url else None)

    page.evaluate(f"(who) => ({MOUNT})(who).unmount()", _who(DEMO_EMAIL))  # at once

    page.wait_for_load_state("networkidle")  # the answers are in
    assert answered, "the portal was asked for"
    assert page.evaluate("window.billflowEvents") == ["pre_load"]  # no post_load
    expect(page.locator("#app *")).to_have_count(0)


def test_a_sign_in_link_survives_a_mount_undone_and_made_again_at_once(
    portal_site: Site, browse: Browse, smtp_mailbox: Mailbox
) -> None:
    """A framework may mount, unmount and mount again in one go (React's StrictMode does):
    the link's single use is exchanged once and the second mount shows its portal."""
    site = portal_site(email_sign_in=True, company_name="Acme",
                       sign_in_from_address="billing@acme.example",
                       sign_in_redirect_url="http://127.0.0.1/app",
                       mailer=SMTPMailer(*smtp_mailbox.address))  # fmt: skip
    link = site.portal.sign_in.link(DEMO_EMAIL, int(time.time()) + 600)
    token = link.split("billflow_token=", 1)[1]
    page = browse()
    exchanged: list[str] = []
    page.on("request", lambda r: exchanged.append(r.url) if "/api/session" in r.url else None)
    page.goto(site.page("/app", billflow_token=token))

    page.evaluate(
        "() => { const el = document.getElementById('app');"
        " Billflow.mount(el, {}).unmount(); window.handle = Billflow.mount(el, {}); }"
    )

    expect(page.locator("article.bf-sub")).to_have_count(2)
    assert "billflow_token" not in page.url
    assert len(exchanged) == 1
