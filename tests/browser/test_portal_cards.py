"""Cards and payments in the portal page: Stripe.js (the sandbox's stand-in) loads only when
the card form opens, takes the card, and confirms what needs the customer, in the page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, Request, Route, expect
from portal_site import PortalSite

from billflow_core import i18n

Site = Callable[..., PortalSite]
Browse = Callable[..., Page]
Axe = Callable[[Page], list[str]]

VISA = "4242 4242 4242 4242"
MASTERCARD = "5555 5555 5555 4444"
DECLINED = "4000 0000 0000 0002"
NEEDS_AUTHENTICATION = "4000 0027 6000 3184"
INSUFFICIENT_FUNDS = "4000 0000 0000 9995"
NEWCOMER = "grace@example.com"
DE = i18n.translator("de")


def enter_card(scope: Any, number: str) -> None:
    scope.get_by_label("Card number").fill(number)
    scope.get_by_label("Expiration date (MM / YY)").fill("12 / 34")
    scope.get_by_label("CVC").fill("123")


def default_card(site: PortalSite) -> tuple[str, str]:
    customer = site.sandbox.client().v1.customers.retrieve(
        site.ids["customer"], {"expand": ["invoice_settings.default_payment_method"]}
    )
    method = customer.invoice_settings.default_payment_method
    return method.id, method.card.last4


def open_checkout(site: PortalSite, page: Page, texts: i18n.Messages | None = None) -> Any:
    """Someone new picks the monthly Team plan (in the language of `texts`): the payment
    dialog opens for its first payment."""
    say = texts or i18n.translator("en")
    page.goto(site.page(**{"as": NEWCOMER}))
    picker = page.get_by_role("region", name=say.t("plans.title"))
    picker.get_by_role("radio", name=re.compile(r"^Team")).first.check()
    picker.get_by_role("button", name=say.t("action.subscribe")).click()
    pay = page.get_by_role("dialog", name=say.t("subscription.complete_payment"))
    expect(pay.get_by_label("Card number")).to_be_visible()
    return pay


def newcomer(site: PortalSite) -> tuple[Any, Any]:
    """The customer someone new became, and their one subscription, as Stripe has them."""
    client = site.sandbox.client()
    (customer,) = client.v1.customers.list({"email": NEWCOMER}).data
    (subscription,) = client.v1.subscriptions.list({"customer": customer.id}).data
    return customer, subscription


def open_card_form(page: Page) -> Any:
    page.get_by_role("button", name="Update payment method").click()
    dialog = page.get_by_role("dialog", name="Update card")
    expect(dialog.get_by_label("Card number")).to_be_visible()
    return dialog


def test_stripe_js_loads_only_when_the_card_form_opens(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    page = browse()
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto(site.page())
    expect(page.get_by_role("button", name="Update payment method")).to_be_visible()
    assert not [url for url in scripts if "/v3/" in url]

    open_card_form(page)
    assert [url for url in scripts if "/v3/" in url] == [f"{site.sandbox.url}/v3/"]


def test_a_new_card_replaces_the_default(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    page = browse()
    page.goto(site.page())
    dialog = open_card_form(page)
    enter_card(dialog, MASTERCARD)
    dialog.get_by_role("button", name="Save card").click()

    expect(page.get_by_role("status")).to_have_text("Your card has been saved.")
    expect(page.get_by_text(re.compile("Mastercard ending in 4444"))).to_be_visible()
    assert default_card(site)[1] == "4444"
    events = [e["event"] for e in page.evaluate("() => window.billflowEvents")]
    # One pre_ event, before Stripe.js confirms the card; the inner steps send none.
    assert events == ["pre_load", "post_load", "pre_update_payment_method", "update_payment_method"]


def test_a_declined_card_says_so_and_keeps_the_old_card(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    before = default_card(site)
    page = browse()
    page.goto(site.page())
    dialog = open_card_form(page)
    enter_card(dialog, DECLINED)
    dialog.get_by_role("button", name="Save card").click()

    expect(dialog.get_by_role("alert").last).to_have_text(
        "Your card was declined. Try another card."
    )
    expect(dialog).to_be_visible()
    assert default_card(site) == before
    assert page.get_by_text("Visa ending in 4242").is_visible()


def test_a_card_that_needs_authentication_is_confirmed_in_the_page(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse()
    page.goto(site.page())
    dialog = open_card_form(page)
    enter_card(dialog, NEEDS_AUTHENTICATION)
    dialog.get_by_role("button", name="Save card").click()
    page.get_by_role("dialog", name="3D Secure 2 Test Page").get_by_role(
        "button", name="Complete"
    ).click()
    expect(page.get_by_role("status")).to_have_text("Your card has been saved.")
    assert default_card(site)[1] == "3184"

    # The next change is paid with that card: its bank asks again, in the page.
    page.get_by_role("article", name="Team").get_by_role("button", name="Change plan").click()
    change = page.get_by_role("dialog", name="Change plan")
    change.get_by_role("radio", name=re.compile("^Business")).check()
    expect(change.get_by_role("row", name=re.compile("^Due today"))).to_contain_text("$50.00")
    change.get_by_role("button", name="Change plan").click()
    challenge = page.get_by_role("dialog", name="3D Secure 2 Test Page")
    expect(challenge).to_be_visible()
    assert site.subscription(site.team)["items"].data[0].price.id == site.price("team_monthly")
    events = [e["event"] for e in page.evaluate("() => window.billflowEvents")]
    assert events[-1] == "pre_change_plan"  # not told of a change that is not paid yet
    challenge.get_by_role("button", name="Complete").click()

    expect(page.get_by_role("status")).to_have_text("Your plan has been changed.")
    expect(page.get_by_role("article", name="Business")).to_contain_text("$79.00 per month")
    assert site.subscription(site.team)["items"].data[0].price.id == site.price("business_monthly")
    events = [e["event"] for e in page.evaluate("() => window.billflowEvents")]
    assert events[-2:] == ["pre_change_plan", "change_plan"]


def test_a_waiting_payment_can_be_paid_with_another_card(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    client = site.sandbox.client()
    declining = client.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", {"customer": site.ids["customer"]}
    )
    client.v1.customers.update(
        site.ids["customer"], {"invoice_settings": {"default_payment_method": declining.id}}
    )
    page = browse()
    page.goto(site.page())
    page.get_by_role("article", name="Team").get_by_role("button", name="Change plan").click()
    change = page.get_by_role("dialog", name="Change plan")
    change.get_by_role("radio", name=re.compile("^Business")).check()
    change.get_by_role("button", name="Change plan").click()

    pay = page.get_by_role("dialog", name="Complete payment")
    expect(pay.get_by_label("Card number")).to_be_visible()
    expect(page.get_by_role("article", name="Team")).to_contain_text("is waiting for payment")
    enter_card(pay, VISA)
    pay.get_by_role("button", name="Pay $50.00").click()

    expect(page.get_by_role("status")).to_have_text("Your plan has been changed.")
    expect(page.get_by_role("article", name="Business")).to_be_visible()
    assert site.subscription(site.team)["items"].data[0].price.id == site.price("business_monthly")


def test_requests_carry_the_page_token_and_a_fresh_key_per_intent(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse()
    seen: list[Request] = []
    page.on("request", lambda r: seen.append(r) if "/billflow/api/" in r.url else None)
    page.goto(site.page())
    expect(page.get_by_role("button", name="Update payment method")).to_be_visible()
    for request in seen:
        assert re.fullmatch(r"p1\.[A-Za-z0-9_-]+\.[0-9a-f]{64}", request.headers["x-billflow-page"])
        assert "x-billflow-hash" not in request.headers  # the page holds no hash

    dialog = open_card_form(page)
    enter_card(dialog, VISA)
    dialog.get_by_role("button", name="Save card").click()
    expect(page.get_by_role("status")).to_have_text("Your card has been saved.")
    keys = [r.headers["idempotency-key"] for r in seen if "/api/actions/" in r.url]
    assert len(keys) == 2 and len(set(keys)) == 2


def test_a_payment_left_waiting_is_completed_later_from_the_subscription(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse()
    page.goto(site.page(**{"as": "grace@example.com"}))
    picker = page.get_by_role("region", name="Choose a plan")
    picker.get_by_role("radio", name=re.compile(r"^Team.*\$29\.00 per month")).check()
    picker.get_by_role("button", name="Subscribe").click()
    pay = page.get_by_role("dialog", name="Complete payment")
    expect(pay.get_by_label("Card number")).to_be_visible()
    pay.get_by_role("button", name="Close").click()

    team = page.get_by_role("article", name="Team")
    expect(team).to_contain_text("Your subscription starts once the first payment goes through.")
    team.get_by_role("button", name="Pay $29.00").click()  # it names what it asks
    enter_card(pay, VISA)
    pay.get_by_role("button", name="Pay $29.00").click()

    expect(page.get_by_role("status")).to_have_text("Payment successful.")
    expect(page.get_by_role("article", name="Team")).to_contain_text("Active")
    (customer,) = site.sandbox.client().v1.customers.list({"email": "grace@example.com"}).data
    (subscription,) = site.sandbox.client().v1.subscriptions.list({"customer": customer.id}).data
    assert subscription.status == "active"


def test_the_card_paid_at_checkout_is_shown_and_becomes_the_default(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse()
    pay = open_checkout(site, page)
    enter_card(pay, VISA)
    pay.get_by_role("button", name="Pay $29.00").click()

    expect(page.get_by_role("status")).to_have_text("Thank you! Your subscription is active.")
    card = page.get_by_role("region", name="Payment method")
    expect(card).to_contain_text("Visa ending in 4242")
    expect(card).not_to_contain_text("No payment method on file")
    customer, subscription = newcomer(site)
    assert subscription.default_payment_method is not None  # where Stripe saved it
    assert customer.invoice_settings.default_payment_method == subscription.default_payment_method

    # A reload reads the card with the customer and the subscriptions, and writes nothing.
    site.sandbox.reset()
    with page.expect_response(re.compile(r"/billflow/api/portal$")) as answer:
        page.reload()
    expect(card).to_contain_text("Visa ending in 4242")
    billing = answer.value.json()["billingData"]
    assert billing["card"]["last4"] == "4242"
    assert [s["card"]["last4"] for s in billing["subscriptions"]] == ["4242"]
    reads = site.sandbox.counts()
    assert reads["GET /v1/subscriptions"] == 1  # the cards came expanded in it
    assert not [r for r in reads if "payment_method" in r or r.startswith("POST")], reads
    events = [e["event"] for e in page.evaluate("() => window.billflowEvents")]
    assert "finish_payment" not in events  # an inner step: the site hears of none


def test_a_card_checkout_saved_shows_before_it_is_the_default(
    portal_site: Site, browse: Browse
) -> None:
    """The customer left as soon as Stripe.js confirmed: Stripe charges the subscription's
    card, and the page says so."""
    site = portal_site()
    page = browse()
    open_checkout(site, page)
    customer, subscription = newcomer(site)
    client = site.sandbox.client()
    invoice = client.v1.invoices.retrieve(
        subscription.latest_invoice, {"expand": ["confirmation_secret"]}
    )
    intent = invoice.confirmation_secret.client_secret.split("_secret_")[0]
    client.v1.payment_intents.confirm(intent, {"payment_method": "pm_card_visa"})
    assert client.v1.customers.retrieve(customer.id).invoice_settings.default_payment_method is None

    page.reload()
    expect(page.get_by_role("article", name="Team")).to_contain_text("Active")
    expect(page.get_by_role("region", name="Payment method")).to_contain_text("Visa ending in 4242")


def test_the_payment_dialog_names_the_amount_due(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    page = browse()
    pay = open_checkout(site, page)
    expect(pay.get_by_role("heading", name="Complete payment")).to_be_visible()
    expect(pay).to_contain_text("$29.00 due today")
    expect(pay.get_by_role("button", name="Pay $29.00")).to_be_visible()


def test_the_payment_dialog_names_the_amount_in_the_customers_language(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse(locale="de-DE")
    pay = open_checkout(site, page, DE)
    amount = i18n.format_money(2900, "usd", "de")
    expect(pay).to_contain_text(DE.t("payment.due_today", amount=amount))
    expect(pay.get_by_role("button", name=DE.t("payment.pay", amount=amount))).to_be_visible()

    pay.get_by_label("Card number").fill("4242 4242")
    pay.get_by_role("button", name=DE.t("payment.pay", amount=amount)).click()
    expect(pay.get_by_role("alert").last).to_have_text(DE.t("error.incomplete_number"))


def test_a_card_error_gives_stripes_reason(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    page = browse()
    pay = open_checkout(site, page)
    button = pay.get_by_role("button", name="Pay $29.00")
    alert = pay.get_by_role("alert").last

    pay.get_by_label("Card number").fill("4242 4242")
    button.click()
    expect(alert).to_have_text("Your card number is incomplete.")

    enter_card(pay, INSUFFICIENT_FUNDS)
    button.click()
    expect(alert).to_have_text("Your card has insufficient funds. Try another card.")

    enter_card(pay, DECLINED)
    button.click()
    expect(alert).to_have_text("Your card was declined. Try another card.")
    assert newcomer(site)[1].status == "incomplete"


def test_a_card_error_the_portal_has_no_text_for_shows_stripes_message(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse()
    pay = open_checkout(site, page)
    said = (
        "This card has been declined too many times. You can try to charge this card again "
        "after 24 hours. We suggest reaching out to your customer to make sure they have "
        "entered all of their information correctly and that there are no issues with their card."
    )

    def refuse(route: Route) -> None:
        error = {"type": "card_error", "code": "card_decline_rate_limit_exceeded", "message": said}
        route.fulfill(status=402, json={"error": error})

    page.route(re.compile(r"/v1/payment_intents/[^/]+/confirm$"), refuse)
    enter_card(pay, VISA)
    pay.get_by_role("button", name="Pay $29.00").click()
    expect(pay.get_by_role("alert").last).to_have_text(said)


def test_the_picker_is_a_pricing_table_that_says_what_today_costs(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse(width=1280)
    page.goto(site.page(**{"as": NEWCOMER}))
    picker = page.get_by_role("region", name="Choose a plan")
    subscribe = picker.locator("[data-subscribe]")
    expect(subscribe).to_have_text("Subscribe")
    # A year of Team costs 290.00 against 12 × 29.00: the switch says what it saves.
    expect(picker.get_by_text("Save 17%")).to_be_visible()
    team = picker.locator(".bf-plan", has_text="Team").filter(visible=True)
    expect(team).to_contain_text("Shared dashboards")  # the product's marketing features
    team.get_by_role("radio").check()
    expect(subscribe).to_have_text("Subscribe — $29.00 today")

    # Seats are an add-on apart from the tiers, bought by the number the customer picks.
    addons = picker.get_by_role("group", name="Add-ons")
    addons.get_by_role("radio", name=re.compile("^Seats")).check()
    quantity = picker.get_by_role("spinbutton", name="Quantity")
    expect(quantity).to_have_value("1")
    expect(subscribe).to_have_text("Subscribe — $8.00 today")
    quantity.fill("4")
    expect(subscribe).to_have_text("Subscribe — $32.00 today")
    subscribe.click()
    pay = page.get_by_role("dialog", name="Complete payment")
    expect(pay).to_contain_text("$32.00")
    _, subscription = newcomer(site)
    assert subscription["items"].data[0].quantity == 4


def _trial_plan(site: PortalSite) -> None:
    """A Pro tier whose monthly price starts with two weeks free."""
    client = site.sandbox.client()
    product = client.v1.products.create(
        {"name": "Pro", "metadata": {"sb_service": site.ids["service"]}}
    )
    client.v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": 4900,
         "recurring": {"interval": "month", "trial_period_days": 14}}
    )  # fmt: skip
    site.portal.catalog.invalidate()


@pytest.mark.parametrize(
    ("locale", "width"), [("en-US", 360), ("en-US", 1280), ("ar", 360), ("ar", 1280)]
)
def test_a_trial_starts_without_a_payment_and_asks_for_the_card_it_will_be_charged_to(
    portal_site: Site, browse: Browse, accessibility_problems: Axe, locale: str, width: int
) -> None:
    language = "ar" if locale == "ar" else "en"
    say = i18n.translator(language)
    site = portal_site()
    _trial_plan(site)
    page = browse(locale=locale, width=width, axe=True)
    page.goto(site.page(**{"as": NEWCOMER}))
    picker = page.get_by_role("region", name=say.t("plans.title"))
    pro = picker.locator(".bf-plan", has_text=re.compile(r"^\s*Pro\b"))
    expect(pro).to_contain_text(say.t("plans.trial", days=14))
    pro.get_by_role("radio").check()
    subscribe = picker.locator("[data-subscribe]")
    expect(subscribe).to_have_text(say.t("plans.start_trial", days=14))
    subscribe.click()

    # Started: nothing paid; the card the trial will be charged to is asked at once.
    dialog = page.get_by_role("dialog", name=say.t("trial.add_card"))
    expect(dialog.get_by_label("Card number")).to_be_visible()
    _, subscription = newcomer(site)
    assert subscription.status == "trialing"
    ends = i18n.format_date(subscription["items"].data[0].current_period_end, language)
    expect(dialog).to_contain_text(say.t("trial.card_due", date=ends))
    expect(page.get_by_role("status")).to_have_text(say.t("subscribe.trial_done", date=ends))
    assert accessibility_problems(page) == [], "the trial's card dialog"

    # Walked away from: the card says what happens without one, and asks again.
    page.keyboard.press("Escape")
    article = page.get_by_role("article", name="Pro")
    expect(article).to_contain_text(say.t("subscription.trial_ends", date=ends))
    expect(article.get_by_role("note")).to_contain_text(say.t("trial.card_notice", date=ends))
    expect(article.locator(".bf-primary").filter(visible=True)).to_have_count(1)  # the card's
    assert accessibility_problems(page) == [], "a trial with no card"
    article.get_by_role("button", name=say.t("trial.add_card")).click()
    enter_card(dialog, VISA)
    dialog.get_by_role("button", name=say.t("card.save")).click()

    expect(page.get_by_role("status")).to_have_text(say.t("card.saved"))
    expect(article.get_by_role("note")).to_have_count(0)
    customer, subscription = newcomer(site)
    assert subscription.status == "trialing" and subscription.default_payment_method
    assert customer.invoice_settings.default_payment_method == subscription.default_payment_method


def test_saving_a_card_leaves_the_customer_where_they_were(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse(width=360, height=700)
    page.goto(site.page())
    section = page.get_by_role("region", name="Payment method")
    section.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 100  # the section is below the first screen at 360 × 700
    dialog = open_card_form(page)
    enter_card(dialog, MASTERCARD)
    dialog.get_by_role("button", name="Save card").click()
    expect(page.get_by_role("status")).to_have_text("Your card has been saved.")
    title = section.get_by_role("heading", name="Payment method")
    expect(title).to_be_focused()  # not the page's first heading, at its top
    assert page.evaluate("window.scrollY") >= scrolled - 50  # still there, not at the top
    expect(title).to_be_in_viewport()
