"""A page's own options (a Wagtail block's, a Flask view's): signed into its snippet, applied
by the server to every request that carries them, refused when made up or edited."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

import pytest
import requests

from billflow_core.overrides import open_overrides, sign_overrides
from billflow_core.sandbox.seed import DEMO_SERVICE
from billflow_core.settings import SettingsError
from billflow_core.web.embed import embed_snippet

from .conftest import SECRET, LiveAPI


def _options_in(snippet: str) -> str:
    found = re.search(r"data-billflow-settings>(.*?)</script>", snippet)
    assert found, snippet
    return str(json.loads(found[1])["options"])


def _cancel(live: LiveAPI, **headers: str) -> requests.Response:
    return requests.post(
        f"{live.url}/billflow/api/actions/cancel",
        json={"subscription": live.ids["subscriptions"][0], "reason": "unused"},
        headers=live.headers(**{"Idempotency-Key": "page-options-0001", **headers}),
        timeout=10,
    )


def test_a_page_without_cancel_is_refused_cancel_by_the_server(
    serve: Callable[..., LiveAPI],
) -> None:
    live = serve()
    signed = _options_in(embed_snippet(live.portal, "ada@example.com", overrides={"cancel": False}))
    headers = live.headers(**{"X-Billflow-Options": signed})
    page = requests.get(f"{live.url}/billflow/api/portal", headers=headers, timeout=10)
    assert page.status_code == 200 and page.json()["currentConfig"]["cancel"] is False
    assert 'data-open="cancel"' not in page.json()["html"]

    before = len(live.sandbox.writes())
    refused = _cancel(live, **{"X-Billflow-Options": signed})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "feature_disabled"
    assert len(live.sandbox.writes()) == before

    site = requests.get(f"{live.url}/billflow/api/portal", headers=live.headers(), timeout=10)
    assert site.json()["currentConfig"]["cancel"] is True  # the site's own page still may


def test_a_page_offering_one_service_shows_only_its_plans(
    serve: Callable[..., LiveAPI],
) -> None:
    live = serve(plan_picker=True)
    signed = _options_in(
        embed_snippet(live.portal, "grace@example.com", overrides={"service": DEMO_SERVICE})
    )
    site = requests.get(f"{live.url}/billflow/api/portal",
                        headers=live.headers("grace@example.com"), timeout=10).json()  # fmt: skip
    page = requests.get(
        f"{live.url}/billflow/api/portal",
        headers=live.headers("grace@example.com", **{"X-Billflow-Options": signed}),
        timeout=10,
    ).json()
    every = {p["price_id"] for p in site["productData"]}
    offered = {p["price_id"] for p in page["productData"]}
    seats = {live.ids["prices"][k] for k in live.ids["prices"] if "seat" in k}
    assert seats and seats <= every and offered == every - seats


def test_options_a_visitor_made_up_edited_or_took_from_another_site_are_refused(
    serve: Callable[..., LiveAPI],
) -> None:
    live = serve()
    later = int(time.time()) + 600
    made_up = sign_overrides("another-sites-secret-0123456789", {"cancel": True}, expires_at=later)
    signed = sign_overrides(SECRET, {"cancel": False}, expires_at=later)
    body, mac = signed.split(".")
    edited = sign_overrides(SECRET, {"cancel": True}, expires_at=later).split(".")[0] + "." + mac
    other_site = sign_overrides(SECRET, {"cancel": True}, scope="site:2", expires_at=later)
    before = len(live.sandbox.writes())
    for wrong in (made_up, edited, other_site, "garbage", body):
        answer = _cancel(live, **{"X-Billflow-Options": wrong})
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "options_invalid"
    expired = sign_overrides(SECRET, {"cancel": False}, expires_at=int(time.time()) - 1)
    answer = _cancel(live, **{"X-Billflow-Options": expired})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "options_expired"
    assert len(live.sandbox.writes()) == before
    assert open_overrides(SECRET, signed, now=int(time.time())) == {"cancel": False}
    assert _options_in(embed_snippet(live.portal, "ada@example.com", overrides={"cancel": False}))


def test_a_page_turning_an_option_off_turns_off_what_the_site_built_on_it(
    serve: Callable[..., LiveAPI],
) -> None:
    live = serve(coupons=True, coupons_on_resubscribe=True)
    page = live.portal.with_overrides({"coupons": False})
    assert (page.settings.coupons, page.settings.coupons_on_resubscribe) == (False, False)
    signed = sign_overrides(SECRET, {"resubscribe": False}, expires_at=int(time.time()) + 600)
    headers = live.headers(**{"X-Billflow-Options": signed})
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
