"""The HTML the API sends with each answer: rendered on the server, escaped, in the
customer's language, and overridable template by template by the site."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import requests

from billflow_core.billing.catalog import Catalog
from billflow_core.billing.state import PortalState, SubscriptionView
from billflow_core.settings import PortalSettings
from billflow_core.web.render import PageRenderer
from billflow_core.web.request_language import Languages

Serve = Callable[..., Any]


def portal_answer(live: Any, **headers: str) -> dict[str, Any]:
    answer = requests.get(
        f"{live.url}/billflow/api/portal", headers=live.headers(**headers), timeout=10
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_portal_answer_carries_its_html_language_and_the_scripts_texts(
    serve: Serve,
) -> None:
    live = serve()
    body = portal_answer(live)
    assert body["language"] == "en" and body["dir"] == "ltr"
    assert 'data-sub="{}"'.format(live.ids["subscriptions"][0]) in body["html"]
    assert body["messages"]["error.network"]
    assert body["stripe"] == {"publishable_key": None, "js_url": "https://js.stripe.com/v3/"}


def test_names_from_stripe_are_escaped(serve: Serve) -> None:
    live = serve()
    live.sandbox.client().v1.products.update(
        live.ids["products"]["team"], {"name": "<img src=x onerror=alert(1)>"}
    )
    live.portal.catalog.invalidate()
    html = portal_answer(live)["html"]
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_site_template_replaces_billflows(serve: Serve, tmp_path: Path) -> None:
    folder = tmp_path / "billflow"
    folder.mkdir()
    (folder / "invoices.html").write_text('<p class="site-invoices">{{ t("invoices.title") }}</p>')
    live = serve(template_dirs=[tmp_path])
    html = portal_answer(live)["html"]
    assert html.count('<p class="site-invoices">Invoices</p>') == 1  # the one history
    assert "data-invoices" not in html
    assert "data-sub=" in html  # the templates it did not replace are Billflow's


def test_preview_and_invoices_come_with_their_html(serve: Serve) -> None:
    live = serve()
    team = live.ids["subscriptions"][0]
    preview = requests.post(
        f"{live.url}/billflow/api/preview",
        json={"subscription": team, "price": live.ids["prices"]["business_monthly"]},
        headers=live.headers(),
        timeout=10,
    ).json()
    assert (preview["price"], preview["quantity"]) == (live.ids["prices"]["business_monthly"], 1)
    assert "$50.00" in preview["html"] and "$79.00" in preview["html"]
    invoices = requests.get(
        f"{live.url}/billflow/api/invoices",
        params={"subscription": team},
        headers=live.headers(),
        timeout=10,
    ).json()
    assert invoices["html"].count("<li") == len(invoices["invoices"]) > 0


def test_a_subscription_charged_to_another_card_than_the_customers_names_it(
    serve: Serve,
) -> None:
    live = serve()
    team, seats = live.ids["subscriptions"]
    client = live.sandbox.client()
    own = client.v1.payment_methods.attach("pm_card_mastercard", {"customer": live.ids["customer"]})
    client.v1.subscriptions.update(team, {"default_payment_method": own.id})
    body = portal_answer(live)
    html = body["html"]
    articles = {part.split('"', 1)[0]: part for part in html.split('data-sub="')[1:]}
    assert "<dt>Card</dt><dd>Mastercard ending in 4444</dd>" in articles[team]
    assert html.count("<dt>Card</dt>") == 1  # the other is charged to the card on file
    cards = {s["id"]: s["card"]["last4"] for s in body["billingData"]["subscriptions"]}
    assert cards == {team: "4444", seats: "4242"}
    assert body["billingData"]["card"]["last4"] == "4242"


def test_a_payment_owed_now_outranks_a_cancellation_to_come_in_the_badge() -> None:
    """Past due and set to end: the red "Payment failed" badge stays, and the line names the end
    without promising that no more payments are taken (the open invoice is retried)."""
    settings = PortalSettings()
    renderer = PageRenderer(settings)
    speech = Languages(settings).for_request("en")
    ends = 1_798_761_600  # 2027-01-01
    owing = SubscriptionView(
        id="sub_owing", status="past_due", price_id="price_x", product_name="Team", plan=None,
        amount=2900, currency="usd", interval="month", interval_count=1, quantity=1,
        unit_label=None, discount=None, current_period_end=ends, cancel_at=ends,
        canceled_at=None, ended_at=None, paused_until=None, paused=False,
        allowed=frozenset(),
    )  # fmt: skip
    paying = replace(owing, id="sub_paying", status="active")
    state = PortalState("ada@example.com", "cus_x", "Ada", None, (owing, paying), ())
    html = renderer.portal(state, Catalog(()), speech, now=ends - 86400)
    articles = {part.split('"', 1)[0]: part for part in html.split('data-sub="')[1:]}

    assert 'bf-badge-past_due">Payment failed<' in articles["sub_owing"]
    assert "Cancels on Jan 1, 2027<" in articles["sub_owing"]
    assert "no more payments" not in articles["sub_owing"]
    assert 'bf-badge-canceling">Cancels on Jan 1, 2027<' in articles["sub_paying"]
    assert "Cancels on Jan 1, 2027: no more payments will be taken." in articles["sub_paying"]


def test_each_subscription_has_one_primary_action(serve: Serve) -> None:
    """Change plan for a plan with others beside it, change quantity for seats; a card
    with neither (here, the site switched both off) has no primary button at all."""
    live = serve()
    html = portal_answer(live)["html"]
    for article in html.split("<article")[1:]:
        actions = article[article.index('class="bf-actions"') :].split("</div>")[0]
        assert actions.count("bf-button bf-primary") == 1, actions
    plain = serve(change_plan=False, change_quantity=False)
    for article in portal_answer(plain)["html"].split("<article")[1:]:
        actions = article[article.index('class="bf-actions"') :]
        assert "bf-primary" not in actions.split("</div>")[0]
