"""An attacker's requests against the portal API over real HTTP, each named for what it tries.
Each must be refused with its status and code, and leave Stripe as it was; what must leave
the server carries no site metadata."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests
import stripe
from attack_site import SECRET, Target

from billflow_core import user_hash
from billflow_core.identity.page_tokens import PageGrant, sign_page
from billflow_sandbox.seed import DEMO_EMAIL

Start = Callable[..., Target]


def _code(answer: requests.Response) -> str:
    return str(answer.json()["error"]["code"])


def _cancel(site: Target, headers: dict[str, str], key: str = "attack-cancel-0001") -> Any:
    team = site.ids["subscriptions"][0]
    return site.act("cancel", {"subscription": team, "reason": "unused"}, headers, key)


def test_dropping_the_page_token_to_escape_the_pages_options(target: Start) -> None:
    site = target()
    page = site.page(overrides={"cancel": False})
    before = site.writes()
    kept = _cancel(site, {"X-Billflow-Page": page["page"]})
    dropped = _cancel(site, {"X-Billflow-Identity": page["email"]}, "attack-cancel-0002")
    assert (kept.status_code, _code(kept)) == (403, "feature_disabled")
    assert (dropped.status_code, _code(dropped)) == (403, "hash_missing")
    assert site.writes() == before


def test_editing_the_page_token_to_switch_an_option_back_on(target: Start) -> None:
    site = target()
    page = site.page(overrides={"cancel": False})["page"]
    forged_body = sign_page(SECRET, PageGrant(DEMO_EMAIL, {"cancel": True}, None, 2**40),
                            scope="").rsplit(".", 1)[0]  # fmt: skip
    edited = forged_body + "." + page.rsplit(".", 1)[1]
    before = site.writes()
    answer = _cancel(site, {"X-Billflow-Page": edited})
    assert (answer.status_code, _code(answer)) == (403, "page_invalid")
    assert site.writes() == before


def test_a_page_token_from_another_site_sharing_the_secret(target: Start) -> None:
    site = target()
    theirs = sign_page(SECRET, PageGrant(DEMO_EMAIL, {}, None, 2**40), scope="site:other")
    before = site.writes()
    answer = _cancel(site, {"X-Billflow-Page": theirs})
    assert (answer.status_code, _code(answer)) == (403, "page_invalid")
    assert site.writes() == before


def test_widening_a_one_subscription_page_with_another_subscription_header(
    target: Start,
) -> None:
    site = target()
    team, seats = site.ids["subscriptions"][:2]
    page = site.page(subscription=seats)["page"]
    before = site.writes()
    answer = _cancel(site, {"X-Billflow-Page": page, "X-Billflow-Subscription": team})
    assert (answer.status_code, _code(answer)) == (404, "subscription_not_found")
    assert site.writes() == before


def test_naming_another_customer_beside_ones_own_page_token(target: Start) -> None:
    site = target()
    mine = site.page("grace@example.com")["page"]
    before = site.writes()
    answer = _cancel(site, {"X-Billflow-Page": mine, "X-Billflow-Identity": DEMO_EMAIL,
                            "X-Billflow-Hash": "0" * 64})  # fmt: skip
    # Grace's page acts for grace, who is no customer yet: not for ada, nor a bad hash.
    assert (answer.status_code, _code(answer)) == (404, "customer_not_found")
    assert site.writes() == before


def test_stacking_one_promotion_code_on_a_subscription(target: Start) -> None:
    site = target(coupons=True)
    page = {"X-Billflow-Page": site.page()["page"]}
    team = site.ids["subscriptions"][0]
    first = site.act("apply_coupon", {"subscription": team, "coupon": "WELCOME20"}, page)
    assert first.status_code == 200
    before = site.writes()
    again = site.act("apply_coupon", {"subscription": team, "coupon": "WELCOME20"}, page,
                     "attack-coupon-0002")  # fmt: skip
    assert (again.status_code, _code(again)) == (409, "coupon_already_applied")
    assert site.writes() == before


def test_pausing_again_and_again(target: Start) -> None:
    site = target(pause_instead_of_cancel=True)
    page = {"X-Billflow-Page": site.page()["page"]}
    team = site.ids["subscriptions"][0]
    later = {"subscription": team, "resumes_at": int(time.time()) + 10 * 86400}
    assert site.act("pause", later, page).status_code == 200
    assert site.act("resume", {"subscription": team}, page, "attack-resume-1").status_code == 200
    before = site.writes()
    again = site.act("pause", later, page, "attack-pause-0002")
    assert (again.status_code, _code(again)) == (409, "pause_limit_reached")
    assert site.writes() == before


def test_spending_the_accounts_stripe_rate_limit_with_previews(target: Start) -> None:
    site = target(preview_rate_limit=3)
    page = {"X-Billflow-Page": site.page()["page"]}
    team = site.ids["subscriptions"][0]
    body = {"subscription": team, "price": site.ids["prices"]["business_monthly"]}
    preview = f"{site.url}/billflow/api/preview"
    for _ in range(3):
        assert requests.post(preview, json=body, headers=page, timeout=10).status_code == 200
    reads = len(site.sandbox.requests)
    refused = requests.post(preview, json=body, headers=page, timeout=10)
    assert (refused.status_code, _code(refused)) == (429, "rate_limited")
    assert int(refused.headers["Retry-After"]) > 0
    assert len(site.sandbox.requests) == reads


def test_reading_the_sites_metadata_from_an_action_answer(
    target: Start, stripe_client: stripe.StripeClient
) -> None:
    site = target()
    team = site.ids["subscriptions"][0]
    stripe_client.v1.subscriptions.update(team, {"metadata": {"internal_note": "vip"}})
    page = {"X-Billflow-Page": site.page()["page"]}
    cancel = site.act("cancel", {"subscription": team, "reason": "unused"}, page)
    undo = site.act("undo_cancel", {"subscription": team}, page, "attack-undo-0001")
    for answer in (cancel, undo):
        assert answer.status_code == 200
        assert "internal_note" not in answer.text and "metadata" not in answer.json()["response"]


def test_a_plain_hash_gets_no_more_than_the_sites_own_options(target: Start) -> None:
    site = target(cancel=False)
    before = site.writes()
    answer = _cancel(site, {"X-Billflow-Identity": DEMO_EMAIL,
                            "X-Billflow-Hash": user_hash(SECRET, DEMO_EMAIL)})  # fmt: skip
    assert (answer.status_code, _code(answer)) == (403, "feature_disabled")
    assert site.writes() == before
