"""Portal settings: careful defaults, loading from Flask-style, environment-style and
Wagtail-style mappings, and errors that name the option at fault."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from billflow_core.errors import SettingsError
from billflow_core.settings import DEFAULT_CANCELLATION_REASONS, PortalSettings, RetentionOffer


def test_defaults_are_what_a_careful_site_owner_would_choose() -> None:
    settings = PortalSettings()
    assert settings.identify_by == "email"
    assert (settings.require_hash, settings.require_expiring_hash) == (True, False)
    assert (settings.change_plan, settings.change_quantity, settings.cancel) == (True, True, True)
    assert (settings.coupons, settings.show_all_invoices, settings.debug) == (False, False, False)
    assert settings.cancel_immediately is False  # cancel at period end: the customer paid for it
    assert settings.cancellation_reasons == DEFAULT_CANCELLATION_REASONS
    assert (settings.default_language, settings.auto_translate) == ("en", True)
    assert PortalSettings.from_mapping({}) == settings


def test_flask_config_values_keep_their_types() -> None:
    settings = PortalSettings.from_mapping(
        {
            "BILLFLOW_CHANGE_PLAN": False,
            "BILLFLOW_PRICE_IDS": ["price_a", "price_b"],
            "BILLFLOW_PRORATION_BEHAVIOR": "create_prorations",
            "BILLFLOW_RETENTION_OFFER": {"coupon": "STAY20", "reasons": ["too_expensive"]},
            "BILLFLOW_TRANSLATIONS": {"fr": {"cancel": "Résilier"}},
            "BILLFLOW_SECRET_KEY": "not an option, and not read here",
            "SECRET_KEY": "Flask's own",
        }
    )
    assert settings.change_plan is False
    assert settings.price_ids == ("price_a", "price_b")
    assert settings.proration_behavior == "create_prorations"
    assert settings.retention_offer == RetentionOffer("STAY20", ("too_expensive",))
    assert settings.translations["fr"]["cancel"] == "Résilier"


def test_environment_text_is_parsed_into_each_options_type() -> None:
    settings = PortalSettings.from_mapping(
        {
            "BILLFLOW_COUPONS": "yes",
            "BILLFLOW_RESUBSCRIBE": "on",
            "BILLFLOW_COUPONS_ON_RESUBSCRIBE": "1",
            "BILLFLOW_DEBUG": "FALSE",
            "BILLFLOW_HASH_LIFETIME": "3600",
            "BILLFLOW_CANCELLATION_REASONS": "too_expensive, other",
            "BILLFLOW_SERVICE": "pro-plans",
            "BILLFLOW_RETENTION_OFFER": '{"coupon": "STAY20", "reasons": ["other"]}',
            "BILLFLOW_TRANSLATIONS": '{"de": {"cancel": "Kündigen"}}',
            "BILLFLOW_CANCEL_CONFIRMATION_MESSAGE": "",
            "PATH": "/usr/bin",
        }
    )
    assert (settings.coupons, settings.resubscribe, settings.debug) == (True, True, False)
    assert settings.coupons_on_resubscribe is True
    assert settings.hash_lifetime == 3600
    assert settings.cancellation_reasons == ("too_expensive", "other")
    assert settings.service == "pro-plans"
    assert settings.retention_offer == RetentionOffer("STAY20", ("other",))
    assert settings.translations["de"]["cancel"] == "Kündigen"
    assert settings.cancel_confirmation_message is None


def test_wagtail_rows_use_the_lower_case_names_and_ignore_their_other_fields() -> None:
    row = {"id": 1, "site_id": 2, "change_plan": False, "actions_dropdown": True,
           "default_language": "pt-BR"}  # fmt: skip
    settings = PortalSettings.from_mapping(row, prefix=None)
    assert (settings.change_plan, settings.actions_dropdown) == (False, True)
    assert settings.default_language == "pt-BR"
    assert PortalSettings.from_mapping({"BILLFLOW_DEBUG": True}, prefix=None).debug is False


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"BILLFLOW_CHANGE_PLNA": True}, "BILLFLOW_CHANGE_PLNA is not a Billflow option"),
        ({"BILLFLOW_change_plan": True}, "BILLFLOW_change_plan is not a Billflow option"),
        ({"BILLFLOW_CHANGE_PLAN": "maybe"}, "BILLFLOW_CHANGE_PLAN must be true or false"),
        ({"BILLFLOW_HASH_LIFETIME": "soon"}, "BILLFLOW_HASH_LIFETIME must be a whole number"),
        ({"BILLFLOW_HASH_LIFETIME": True}, "BILLFLOW_HASH_LIFETIME must be a whole number"),
        ({"BILLFLOW_IDENTIFY_BY": "phone"}, "BILLFLOW_IDENTIFY_BY must be one of 'email'"),
        ({"BILLFLOW_PRICE_IDS": [1, 2]}, "BILLFLOW_PRICE_IDS must be a list of text"),
        ({"BILLFLOW_TRANSLATIONS": "{oops"}, "BILLFLOW_TRANSLATIONS is not valid JSON"),
        ({"BILLFLOW_TRANSLATIONS": {"fr": "x"}}, "BILLFLOW_TRANSLATIONS must map languages"),
        ({"BILLFLOW_RETENTION_OFFER": {"reasons": []}}, "BILLFLOW_RETENTION_OFFER must be"),
        ({"BILLFLOW_COMPANY_NAME": 5}, "BILLFLOW_COMPANY_NAME must be text"),
    ],
)
def test_a_bad_value_is_refused_with_the_option_named_as_the_host_spells_it(
    mapping: dict[str, Any], message: str
) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        PortalSettings.from_mapping(mapping)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"service": "pro", "price_ids": ("price_a",)}, "service or price_ids, not both"),
        ({"change_plan_on_resubscribe": True, "change_plan": False},
         "change_plan_on_resubscribe needs change_plan and resubscribe"),
        ({"coupons_on_resubscribe": True}, "coupons_on_resubscribe needs coupons"),
        ({"email_sign_in": True}, "email_sign_in needs company_name"),
        ({"hash_lifetime": 5}, "hash_lifetime must be between"),
        ({"pause_max_days": 0}, "pause_max_days must be between 1 and 365"),
        ({"pause_limit_per_year": 0}, "pause_limit_per_year must be between 1 and 52"),
        ({"default_language": "English"}, "default_language must be a language code"),
        ({"cancellation_reasons": ("other", "other")}, "cancellation_reasons has a reason twice"),
        ({"cancellation_reasons": ("other", " ")}, "cancellation_reasons has an empty reason"),
        ({"retention_offer": RetentionOffer("STAY", ("bored",))},
         r"retention_offer reasons must be some of cancellation_reasons \(bored is not\)"),
        ({"sign_in_redirect_url": "javascript:alert(1)"}, "sign_in_redirect_url must be"),
    ],
)  # fmt: skip
def test_options_that_contradict_each_other_are_refused(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        PortalSettings(**options)


def test_settings_cannot_be_changed_once_made() -> None:
    settings = PortalSettings.from_mapping({"BILLFLOW_TRANSLATIONS": {"fr": {"a": "b"}}})
    with pytest.raises(AttributeError):
        settings.change_plan = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.translations["fr"]["a"] = "c"  # type: ignore[index]


def test_the_page_sees_every_option_it_acts_on_and_nothing_only_the_server_needs() -> None:
    settings = PortalSettings(
        retention_offer=RetentionOffer("STAY50", ("too_expensive",)),
        translations={"fr": {"cancel": "Résilier"}},
        price_ids=("price_1",),
        sign_in_redirect_url="/account",
    )
    page = settings.for_page()
    json.dumps(page)  # plain JSON
    server_only = {
        "require_hash", "require_expiring_hash", "hash_lifetime", "service", "price_ids",
        "pause_behavior", "pause_limit_per_year", "sign_in_redirect_url", "sign_in_from_address",
        "sign_in_link_lifetime", "sign_in_session_lifetime", "sign_in_per_email_per_hour",
        "sign_in_per_address_per_hour", "action_rate_limit", "preview_rate_limit",
    }  # fmt: skip
    every = {f.name for f in dataclasses.fields(PortalSettings)}
    assert set(page) == every - server_only
    assert page["retention_offer"] == {"reasons": ["too_expensive"]}  # not the coupon
    assert "STAY50" not in json.dumps(page)
    assert page["translations"] == {"fr": {"cancel": "Résilier"}}
    assert page["cancellation_reasons"][0] == "too_expensive"


@pytest.mark.parametrize(
    ("mapping", "param"),
    [
        ({"BILLFLOW_PAUSE_MAX_DAYS": "abc"}, "pause_max_days"),
        ({"BILLFLOW_PAUSE_MAX_DAYS": "400"}, "pause_max_days"),
        ({"BILLFLOW_NO_SUCH_OPTION": "1"}, "no_such_option"),
        ({"BILLFLOW_SERVICE": "a", "BILLFLOW_PRICE_IDS": "price_1"}, "price_ids"),
        ({"BILLFLOW_ACTION_RATE_LIMIT": "0"}, "action_rate_limit"),
    ],
)
def test_a_refused_setting_names_its_option_as_param(mapping: dict[str, str], param: str) -> None:
    """As stripe-python's errors carry `param`: a host places the message by it, never by
    reading the message."""
    with pytest.raises(SettingsError) as refused:
        PortalSettings.from_mapping(mapping)
    assert refused.value.param == param
