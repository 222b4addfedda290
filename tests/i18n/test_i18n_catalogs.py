"""The shipped catalogs: every language complete, with English's fields, in plain text."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib import resources

import pytest

from billflow_core.i18n import LANGUAGES, catalog
from billflow_core.i18n.catalogs import FIELD

ENGLISH = catalog("en")
TRANSLATIONS = [language for language in LANGUAGES if language != "en"]

# Keys the portal page relies on by name (the page's brief); a catalog may hold more.
_REQUIRED_KEYS = """
portal.title portal.loading portal.error.generic portal.retry portal.close
portal.cancel_button portal.confirm portal.back portal.actions portal.working portal.done
customer.none customer.none_with_plans
subscription.status.active subscription.status.trialing subscription.status.past_due
subscription.status.incomplete subscription.status.incomplete_expired
subscription.status.canceled subscription.status.unpaid subscription.status.paused
subscription.price_per_interval subscription.price_every
interval.day interval.week interval.month interval.year
interval.days interval.weeks interval.months interval.years
subscription.quantity subscription.unit_default subscription.discount_percent
subscription.discount_amount subscription.discount_until subscription.renews_on
subscription.cancels_on subscription.status.cancels_on subscription.ended_on
subscription.paused_until subscription.paused
subscription.trial_ends subscription.scheduled_change subscription.awaiting_payment
subscription.complete_payment
action.change_plan action.change_quantity action.cancel action.undo_cancel
action.undo_downgrade action.resubscribe action.apply_coupon action.pause action.resume
action.update_payment_method action.subscribe
plans.title plans.monthly plans.yearly plans.current plans.choose plans.per_interval
preview.charge_today preview.credit_today preview.then preview.nothing_today
preview.from_date preview.loading
quantity.title quantity.label quantity.decrease quantity.increase quantity.bounds
cancel.title cancel.reason_label cancel.reason.too_expensive cancel.reason.missing_features
cancel.reason.switched_service cancel.reason.unused cancel.reason.customer_service
cancel.reason.too_complex cancel.reason.low_quality cancel.reason.other
cancel.comment_label cancel.at_period_end cancel.now cancel.confirm cancel.done
offer.title offer.text offer.worth offer.once offer.for_a_month offer.for_months
offer.for_good offer.accept offer.decline cancel.done_on plans.done_on pause.done_until
pause.title pause.until_label pause.confirm pause.done resume.done
coupon.label coupon.apply coupon.applied
resubscribe.title resubscribe.plan_label resubscribe.done subscribe.title subscribe.done
card.title card.none card.summary card.expires card.update card.save card.saved
card.authenticating payment.needs_authentication payment.confirm payment.succeeded
payment.failed
invoices.title invoices.date invoices.number invoices.amount invoices.status
invoices.status.paid invoices.status.open invoices.status.void
invoices.status.uncollectible invoices.status.draft invoices.view invoices.pdf
invoices.more invoices.none
error.card_declined error.payment_failed error.feature_disabled
error.subscription_not_found error.customer_not_found error.customer_ambiguous
error.plan_not_offered error.currency_mismatch
error.same_plan error.quantity_out_of_bounds error.plan_quantity_mismatch
error.quantity_invalid error.same_quantity
error.coupon_invalid error.coupon_expired error.coupon_already_applied error.coupon_required
error.reason_invalid
error.comment_invalid error.already_canceled error.already_canceling error.not_canceling
error.subscription_ended error.subscription_incomplete error.already_subscribed
error.payment_pending error.change_pending error.no_change_pending
error.managed_by_schedule error.resume_date_invalid error.resume_date_out_of_bounds
error.already_paused error.not_paused error.pause_limit_reached error.offer_already_taken
error.offer_unavailable
error.no_offer error.hash_mismatch error.hash_expired error.hash_missing
error.rate_limited error.stripe_unavailable error.idempotency_conflict error.action_in_progress
error.handler_stopped error.network
"""
REQUIRED = _REQUIRED_KEYS.split()

# Texts that are rightly the same as English: the same word in that language.
SAME_AS_ENGLISH = {
    "es": {"resubscribe.plan_label", "preview.sentence"},  # Plan, {now}, {then}.
    # Actions, Date, Type
    "fr": {"portal.actions", "invoices.date", "preview.sentence", "tax_id.type_label"},
    "de": {"invoices.status", "preview.sentence", "details.name"},  # Status, Name
    "it": {"preview.sentence", "details.email"},  # Email
    "pt-BR": {"preview.sentence"},
    "nl": {
        "preview.sentence",  # {now}, {then}.
        "subscription.price_per_interval",  # {amount} per {interval}
        "plans.per_interval",  # per {interval}
        "interval.week",  # week
        "invoices.status",  # Status
    },
}


def _problems(texts: Mapping[str, str], source: Mapping[str, str]) -> list[str]:
    """What keeps `texts` from being a complete translation of `source`."""
    problems = [f"missing {key}" for key in source if key not in texts]
    problems += [f"unknown {key}" for key in texts if key not in source]
    problems += [f"empty {key}" for key, text in texts.items() if not text.strip()]
    for key, text in texts.items():
        if key in source and _fields(text) != _fields(source[key]):
            problems.append(f"{key} has fields {_fields(text)}, English {_fields(source[key])}")
    return problems


def _fields(text: str) -> list[str]:
    return sorted(FIELD.findall(text))


def test_the_language_list_matches_the_shipped_files() -> None:
    shipped = {
        entry.name.removesuffix(".json")
        for entry in resources.files("billflow_core.i18n").joinpath("catalogs").iterdir()
        if entry.name.endswith(".json")
    }
    assert shipped == set(LANGUAGES)
    assert LANGUAGES[0] == "en"


def test_english_has_every_key_the_page_needs() -> None:
    assert [key for key in REQUIRED if key not in ENGLISH] == []
    assert all(text.strip() for text in ENGLISH.values())


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_each_language_has_exactly_the_english_keys_with_the_same_fields(language: str) -> None:
    assert _problems(catalog(language), ENGLISH) == []


def test_a_missing_key_an_empty_text_or_a_lost_field_is_reported() -> None:
    broken = dict(catalog("fr"))
    del broken["portal.title"]
    broken["portal.close"] = " "
    broken["card.summary"] = "{brand} se terminant par {last_four}"
    assert _problems(broken, ENGLISH) == [
        "missing portal.title",
        "empty portal.close",
        "card.summary has fields ['brand', 'last_four'], English ['brand', 'last4']",
    ]


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_no_english_is_left_in_a_translation(language: str) -> None:
    texts = catalog(language)
    untranslated = {
        key
        for key, text in ENGLISH.items()
        if texts[key] == text and FIELD.sub("", text).strip()  # a text made of fields only
    }
    assert untranslated == SAME_AS_ENGLISH.get(language, set())


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_holds_html_or_a_stray_brace(language: str) -> None:
    for key, text in catalog(language).items():
        assert not re.search(r"<[a-zA-Z/!]|&[a-zA-Z#]+;", text), (key, text)
        assert "{" not in FIELD.sub("", text) and "}" not in FIELD.sub("", text), (key, text)
        assert text == text.strip(), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_files_are_flat_objects_without_duplicate_keys(language: str) -> None:
    raw = resources.files("billflow_core.i18n").joinpath("catalogs", f"{language}.json")
    pairs = json.loads(raw.read_text(encoding="utf-8"), object_pairs_hook=lambda p: p)
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys))
    assert all(isinstance(text, str) for _, text in pairs)


def test_catalogs_are_read_only_and_loaded_once() -> None:
    first = catalog("de")
    assert catalog("de") is first
    with pytest.raises(TypeError):
        first["portal.title"] = "changed"  # type: ignore[index]


def test_a_code_without_a_catalog_is_refused_by_name() -> None:
    with pytest.raises(LookupError, match="'pt'"):
        catalog("pt")


# A control's visible words and the fuller name screen readers hear (WCAG 2.5.3, "label in
# name"): the name holds the words, so a voice user can say what they see.
LABELLED = [
    ("invoices.view", "invoices.view_label"),
    ("invoices.pdf", "invoices.pdf_label"),
    ("invoices.pay", "invoices.pay_label"),
    ("cards.make_default", "cards.make_default_label"),
    ("cards.remove", "cards.remove_label"),
    ("tax_id.remove", "tax_id.remove_label"),
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_buttons_full_name_holds_its_visible_words(language: str) -> None:
    texts = catalog(language)
    assert [
        (shown, named)
        for shown, named in LABELLED
        if texts[shown].lower() not in texts[named].lower()
    ] == []
