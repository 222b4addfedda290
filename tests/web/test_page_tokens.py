"""The page token: a page's identity, own options (a Wagtail block's, a Flask view's) and
one-subscription limit, signed into its snippet and taken by the server from it alone, so a
visitor who drops, edits or swaps any part of it is left with nothing that works."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from billflow_core.errors import SettingsError
from billflow_core.identity.page_tokens import PageGrant, open_page, sign_page
from billflow_core.web.embed import embed_snippet
from billflow_sandbox.seed import DEMO_SERVICE

from .conftest import SECRET, LiveAPI


def _settings_in(snippet: str) -> dict[str, Any]:
    found = re.search(r"data-billflow-settings>(.*?)</script>", snippet)
    assert found, snippet
    settings: dict[str, Any] = json.loads(found[1])
    return settings


def _page_in(snippet: str) -> str:
    return str(_settings_in(snippet)["page"])


def _page(token: str) -> dict[str, str]:
    return {"X-Billflow-Page": token}


def _cancel(live: LiveAPI, headers: dict[str, str]) -> requests.Response:
    return requests.post(
        f"{live.url}/billflow/api/actions/cancel",
        json={"subscription": live.ids["subscriptions"][0], "reason": "unused"},
        headers={"Idempotency-Key": "page-options-0001", **headers},
        timeout=10,
    )


def test_a_page_without_cancel_is_refused_cancel_by_the_server(
    serve: Callable[..., LiveAPI],
) -> None:
    live = serve()
    settings = _settings_in(
        embed_snippet(live.portal, "ada@example.com", overrides={"cancel": False})
    )
    assert "hash" not in settings  # the visitor holds nothing that works without the options
    headers = _page(settings["page"])
    page = requests.get(f"{live.url}/billflow/api/portal", headers=headers, timeout=10)
    assert page.status_code == 200 and page.json()["currentConfig"]["cancel"] is False
    assert 'data-open="cancel"' not in page.json()["html"]

    before = len(live.sandbox.writes())
    refused = _cancel(live, headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "feature_disabled"
    # Without the token the page's identity is gone too: no hash, no customer.
    dropped = _cancel(live, {"X-Billflow-Identity": "ada@example.com"})
    assert dropped.status_code == 403 and dropped.json()["error"]["code"] == "hash_missing"
    assert len(live.sandbox.writes()) == before

    site = requests.get(f"{live.url}/billflow/api/portal", headers=live.headers(), timeout=10)
    assert site.json()["currentConfig"]["cancel"] is True  # the site's own page still may


def test_the_pages_subscription_limit_travels_in_its_token(
    serve: Callable[..., LiveAPI],
) -> None:
    live = serve()
    team, seats = live.ids["subscriptions"][:2]
    token = _page_in(embed_snippet(live.portal, "ada@example.com", subscription=seats))
    # Another subscription in the header beside the token changes nothing.
    headers = {**_page(token), "X-Billflow-Subscription": team}
    shown = requests.get(f"{live.url}/billflow/api/portal", headers=headers, timeout=10).json()
    assert [s["id"] for s in shown["billingData"]["subscriptions"]] == [seats]
    before = len(live.sandbox.writes())
    refused = _cancel(live, _page(token))  # _cancel aims at the team subscription
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "subscription_not_found"
    assert len(live.sandbox.writes()) == before


def test_the_identity_beside_a_token_is_not_the_one_acted_for(
    serve: Callable[..., LiveAPI],
) -> None:
    live = serve()
    token = _page_in(embed_snippet(live.portal, "grace@example.com"))
    headers = {**_page(token), **live.headers("ada@example.com")}
    portal = f"{live.url}/billflow/api/portal"
    shown = requests.get(portal, headers=headers, timeout=10).json()["billingData"]
    grace = requests.get(portal, headers=live.headers("grace@example.com"), timeout=10).json()
    ada = requests.get(portal, headers=live.headers("ada@example.com"), timeout=10).json()
    assert shown == grace["billingData"] != ada["billingData"]


def test_a_page_offering_one_service_shows_only_its_plans(
    serve: Callable[..., LiveAPI],
) -> None:
    live = serve(plan_picker=True)
    signed = _page_in(
        embed_snippet(live.portal, "grace@example.com", overrides={"service": DEMO_SERVICE})
    )
    site = requests.get(f"{live.url}/billflow/api/portal",
                        headers=live.headers("grace@example.com"), timeout=10).json()  # fmt: skip
    page = requests.get(
        f"{live.url}/billflow/api/portal",
        headers=_page(signed),
        timeout=10,
    ).json()
    every = {p["price_id"] for p in site["productData"]}
    offered = {p["price_id"] for p in page["productData"]}
    seats = {live.ids["prices"][k] for k in live.ids["prices"] if "seat" in k}
    assert seats and seats <= every and offered == every - seats


def test_tokens_a_visitor_made_up_edited_or_took_from_another_site_are_refused(
    serve: Callable[..., LiveAPI],
) -> None:
    live = serve()
    later = int(time.time()) + 600
    mine = PageGrant("ada@example.com", {"cancel": False}, None, later)
    made_up = sign_page("another-sites-secret-0123456789", mine, scope="")
    signed = sign_page(SECRET, mine, scope="")
    body, mac = signed.rsplit(".", 1)
    widened = PageGrant("ada@example.com", {"cancel": True}, None, later)
    edited = sign_page(SECRET, widened, scope="").rsplit(".", 1)[0] + "." + mac
    someone_else = sign_page(SECRET, PageGrant("grace@example.com", {}, None, later), scope="")
    someone_else = someone_else.rsplit(".", 1)[0] + "." + mac
    other_site = sign_page(SECRET, widened, scope="site:2")
    before = len(live.sandbox.writes())
    for wrong in (made_up, edited, someone_else, other_site, "garbage", body, "p1." + mac):
        answer = _cancel(live, _page(wrong))
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "page_invalid"
    expired = sign_page(SECRET, PageGrant("ada@example.com", {}, None, int(time.time()) - 1),
                        scope="")  # fmt: skip
    answer = _cancel(live, _page(expired))
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "page_expired"
    assert len(live.sandbox.writes()) == before
    assert open_page(SECRET, signed, scope="", now=int(time.time())) == mine


def test_a_page_turning_an_option_off_turns_off_what_the_site_built_on_it(
    serve: Callable[..., LiveAPI],
) -> None:
    live = serve(coupons=True, coupons_on_resubscribe=True)
    page = live.portal.with_overrides({"coupons": False})
    assert (page.settings.coupons, page.settings.coupons_on_resubscribe) == (False, False)
    details = serve(billing_details=True, change_billing_email=True).portal
    quiet = details.with_overrides({"billing_details": False}).settings
    assert (quiet.billing_details, quiet.change_billing_email) == (False, False)
    signed = live.portal.page_token("ada@example.com", overrides={"resubscribe": False})
    headers = _page(signed)
    answer = requests.get(f"{live.url}/billflow/api/portal", headers=headers, timeout=10)
    assert answer.status_code == 200
    config = answer.json()["currentConfig"]
    assert (config["resubscribe"], config["coupons_on_resubscribe"]) == (False, False)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"require_hash": False}, "require_hash cannot be set by a page"),
        ({"cancel": "sometimes"}, "cancel must be true or false"),
        ({"service": 42}, "service must be text"),
    ],
)
def test_options_a_page_may_not_set_are_refused_where_the_page_is_made(
    serve: Callable[..., LiveAPI], overrides: dict[str, object], message: str
) -> None:
    live = serve(coupons=True, coupons_on_resubscribe=True)
    with pytest.raises(SettingsError, match=message):
        embed_snippet(live.portal, "ada@example.com", overrides=overrides)


def test_each_set_of_options_is_one_portal_sharing_the_sites_stripe_client(
    serve: Callable[..., LiveAPI],
) -> None:
    live = serve()
    page = live.portal.with_overrides({"service": DEMO_SERVICE})
    assert live.portal.with_overrides({"service": DEMO_SERVICE}) is page
    assert page.with_overrides({"cancel": False}) is live.portal.with_overrides({"cancel": False})
    assert page.gateway is live.portal.gateway and page.answers is live.portal.answers
    assert live.portal.with_overrides({"cancel": False}).catalog is live.portal.catalog
    assert page.catalog is not live.portal.catalog  # another service: its own catalog
    page.catalog.get()
    live.portal.catalog.invalidate()  # a price webhook reaches the page's catalog too
    assert not page.catalog.is_warm()
