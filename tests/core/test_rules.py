"""The portal's rules, each refusal with its status, code and field, and the actions a
page may offer, decided from settings, catalog and subscription alone."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from billflow_core.billing.allowed import allowed_actions
from billflow_core.billing.catalog import Catalog, Plan, QuantityRule
from billflow_core.billing.rules import (
    SubscriptionFacts,
    check_cancel,
    check_change_plan,
    check_change_quantity,
    check_owner,
    check_pause,
    check_resubscribe,
    check_resume,
    check_undo_cancel,
)
from billflow_core.errors import BadInput, BillflowError, Conflict, Forbidden, NotFound
from billflow_core.settings import PortalSettings

NOW = 1_800_000_000
DAY = 86400


def _plan(price_id: str, amount: int, service: str, quantity: QuantityRule | None = None) -> Plan:
    return Plan(price_id, f"prod_{price_id}", price_id.title(), None, None, amount, "usd",
                "month", 1, service, quantity)  # fmt: skip


CATALOG = Catalog(
    (
        _plan("starter", 900, "app"),
        _plan("team", 2900, "app"),
        _plan("seats", 800, "seats", QuantityRule(1, 50, "seat")),
        _plan("other", 500, "elsewhere"),
    )
)
TEAM = SubscriptionFacts("sub_1", "cus_ada", "active", "team", 1, False, False)
SEATS = replace(TEAM, id="sub_2", price_id="seats", quantity=3)
ENDED = replace(TEAM, status="canceled")
ON = PortalSettings()


def _refused(error: type[BillflowError], code: str, field: str | None, call: Any) -> None:
    with pytest.raises(error) as refused:
        call()
    assert (refused.value.code, refused.value.field) == (code, field)


def test_a_customer_acts_only_on_their_own_subscription_or_the_one_the_page_names() -> None:
    check_owner(TEAM, "cus_ada")
    _refused(
        NotFound, "subscription_not_found", "subscription", lambda: check_owner(TEAM, "cus_mallory")
    )
    _refused(
        NotFound,
        "subscription_not_found",
        "subscription",
        lambda: check_owner(TEAM, "cus_ada", only="sub_other"),
    )
    _refused(
        Conflict, "multiple_items", None, lambda: check_owner(replace(TEAM, items=2), "cus_ada")
    )


def test_a_new_plan_must_be_another_active_plan_of_the_same_service() -> None:
    assert check_change_plan(ON, CATALOG, TEAM, "starter").price_id == "starter"
    _refused(
        BadInput, "plan_not_offered", "price", lambda: check_change_plan(ON, CATALOG, TEAM, "other")
    )
    _refused(
        BadInput, "plan_not_offered", "price", lambda: check_change_plan(ON, CATALOG, TEAM, "seats")
    )
    _refused(
        BadInput,
        "plan_not_offered",
        "price",
        lambda: check_change_plan(ON, CATALOG, TEAM, "price_x"),
    )
    _refused(BadInput, "price_required", "price", lambda: check_change_plan(ON, CATALOG, TEAM, 7))
    _refused(Conflict, "same_plan", "price", lambda: check_change_plan(ON, CATALOG, TEAM, "team"))
    _refused(
        Conflict,
        "subscription_ended",
        None,
        lambda: check_change_plan(ON, CATALOG, ENDED, "starter"),
    )
    _refused(
        Conflict,
        "subscription_incomplete",
        None,
        lambda: check_change_plan(ON, CATALOG, replace(TEAM, status="incomplete"), "starter"),
    )
    off = PortalSettings(change_plan=False)
    _refused(
        Forbidden,
        "feature_disabled",
        None,
        lambda: check_change_plan(off, CATALOG, TEAM, "starter"),
    )


@pytest.mark.parametrize(
    ("quantity", "code"),
    [(0, "quantity_out_of_bounds"), (-1, "quantity_out_of_bounds"),
     (51, "quantity_out_of_bounds"), (10**12, "quantity_out_of_bounds"),
     (2.5, "quantity_invalid"), ("4", "quantity_invalid"), (True, "quantity_invalid"),
     (None, "quantity_invalid")],
)  # fmt: skip
def test_a_quantity_must_be_a_whole_number_within_the_products_bounds(
    quantity: Any, code: str
) -> None:
    _refused(
        BadInput, code, "quantity", lambda: check_change_quantity(ON, CATALOG, SEATS, quantity)
    )


def test_quantity_changes_only_where_the_product_and_the_site_allow_them() -> None:
    assert check_change_quantity(ON, CATALOG, SEATS, 50) == 50
    _refused(
        Conflict, "same_quantity", "quantity", lambda: check_change_quantity(ON, CATALOG, SEATS, 3)
    )
    _refused(
        Forbidden, "quantity_disabled", None, lambda: check_change_quantity(ON, CATALOG, TEAM, 2)
    )
    off = PortalSettings(change_quantity=False)
    _refused(
        Forbidden, "feature_disabled", None, lambda: check_change_quantity(off, CATALOG, SEATS, 4)
    )


def test_cancelling_needs_a_listed_reason_and_a_short_comment() -> None:
    assert check_cancel(ON, TEAM, "too_expensive", "Over budget") == (
        "too_expensive",
        "Over budget",
    )
    assert check_cancel(ON, TEAM, "other", "") == ("other", None)
    _refused(BadInput, "reason_invalid", "reason", lambda: check_cancel(ON, TEAM, "bored", None))
    _refused(BadInput, "reason_invalid", "reason", lambda: check_cancel(ON, TEAM, None, None))
    _refused(
        BadInput, "comment_invalid", "comment", lambda: check_cancel(ON, TEAM, "other", "x" * 501)
    )
    _refused(BadInput, "comment_invalid", "comment", lambda: check_cancel(ON, TEAM, "other", ["x"]))
    _refused(Conflict, "already_canceled", None, lambda: check_cancel(ON, ENDED, "other", None))
    scheduled = replace(TEAM, cancel_at_period_end=True)
    _refused(
        Conflict, "already_canceling", None, lambda: check_cancel(ON, scheduled, "other", None)
    )
    now = PortalSettings(cancel_immediately=True)
    assert check_cancel(now, scheduled, "other", None) == ("other", None)  # end it now instead
    assert check_cancel(PortalSettings(cancellation_reasons=()), TEAM, None, None) == (None, None)
    pausing = PortalSettings(pause_instead_of_cancel=True)
    _refused(
        Forbidden, "feature_disabled", None, lambda: check_cancel(pausing, TEAM, "other", None)
    )


def test_only_a_scheduled_cancellation_can_be_undone() -> None:
    check_undo_cancel(ON, replace(TEAM, cancel_at_period_end=True))
    _refused(Conflict, "not_canceling", None, lambda: check_undo_cancel(ON, TEAM))
    _refused(Conflict, "subscription_ended", None, lambda: check_undo_cancel(ON, ENDED))


def test_resubscribing_restarts_an_ended_subscription_on_the_same_or_an_allowed_plan() -> None:
    assert check_resubscribe(ON, CATALOG, ENDED, None, None) == "team"
    _refused(
        Conflict,
        "subscription_not_ended",
        None,
        lambda: check_resubscribe(ON, CATALOG, TEAM, None, None),
    )
    _refused(
        Forbidden,
        "feature_disabled",
        "price",
        lambda: check_resubscribe(ON, CATALOG, ENDED, "starter", None),
    )
    _refused(
        Forbidden,
        "feature_disabled",
        "coupon",
        lambda: check_resubscribe(ON, CATALOG, ENDED, None, "WELCOME20"),
    )
    both = PortalSettings(
        change_plan_on_resubscribe=True, coupons=True, coupons_on_resubscribe=True
    )
    assert check_resubscribe(both, CATALOG, ENDED, "starter", "WELCOME20") == "starter"
    _refused(
        BadInput,
        "plan_not_offered",
        "price",
        lambda: check_resubscribe(both, CATALOG, ENDED, "other", None),
    )
    _refused(
        BadInput,
        "price_required",
        "price",
        lambda: check_resubscribe(both, CATALOG, ENDED, ["starter"], None),
    )
    gone = replace(ENDED, price_id="retired")
    _refused(
        Conflict,
        "plan_retired",
        "price",
        lambda: check_resubscribe(ON, CATALOG, gone, None, None),
    )


def test_a_pause_needs_a_resume_date_within_the_sites_longest_pause() -> None:
    pausing = PortalSettings(pause_instead_of_cancel=True, pause_max_days=30)
    assert check_pause(pausing, TEAM, NOW + 30 * DAY, NOW) == NOW + 30 * DAY
    for bad in (NOW, NOW - 1, NOW + 30 * DAY + 1):
        _refused(
            BadInput,
            "resume_date_out_of_bounds",
            "resumes_at",
            lambda bad=bad: check_pause(pausing, TEAM, bad, NOW),
        )
    _refused(
        BadInput,
        "resume_date_invalid",
        "resumes_at",
        lambda: check_pause(pausing, TEAM, "soon", NOW),
    )
    _refused(
        Conflict,
        "already_paused",
        None,
        lambda: check_pause(pausing, replace(TEAM, paused=True), NOW + DAY, NOW),
    )
    _refused(Forbidden, "feature_disabled", None, lambda: check_pause(ON, TEAM, NOW + DAY, NOW))
    check_resume(pausing, replace(TEAM, paused=True))
    _refused(Conflict, "not_paused", None, lambda: check_resume(pausing, TEAM))


def test_the_page_is_offered_only_the_actions_that_would_pass() -> None:
    assert allowed_actions(ON, CATALOG, TEAM) == {
        "change_plan", "cancel", "update_payment_method"
    }  # fmt: skip
    assert allowed_actions(ON, CATALOG, SEATS) == {
        "change_quantity", "cancel", "update_payment_method"
    }  # fmt: skip
    assert allowed_actions(ON, CATALOG, replace(TEAM, cancel_at_period_end=True)) == {
        "change_plan", "undo_cancel", "update_payment_method"
    }  # fmt: skip
    assert allowed_actions(ON, CATALOG, ENDED) == {"resubscribe"}
    everything_off = PortalSettings(change_plan=False, change_quantity=False, cancel=False,
                                    resubscribe=False, update_payment_method=False)  # fmt: skip
    assert allowed_actions(everything_off, CATALOG, TEAM) == frozenset()
    pausing = PortalSettings(pause_instead_of_cancel=True, coupons=True)
    assert allowed_actions(pausing, CATALOG, TEAM) == {
        "change_plan", "pause", "apply_coupon", "update_payment_method"
    }  # fmt: skip
    assert "resume" in allowed_actions(pausing, CATALOG, replace(TEAM, paused=True))
    assert allowed_actions(ON, CATALOG, replace(TEAM, items=2)) == frozenset()
