"""A customer's texts: the site's own over the catalog over English over the key."""

from __future__ import annotations

import json
import logging
import types

import pytest

from billflow_core.i18n import LANGUAGES, Messages, catalog, catalog_for_page, translator
from billflow_core.settings import PortalSettings


def test_texts_come_from_the_customers_language_with_fields_filled() -> None:
    fr = translator("fr")
    assert fr.t("portal.title") == "Facturation"
    assert fr.t("card.summary", brand="Visa", last4="4242") == "Visa se terminant par 4242"
    assert translator("ja").t("subscription.renews_on", date="2025/03/05") == "2025/03/05に更新"


def test_the_sites_translations_win_over_the_catalog() -> None:
    settings = PortalSettings.from_mapping(
        {"BILLFLOW_TRANSLATIONS": json.dumps({"fr": {"portal.title": "Votre compte"}})}
    )
    fr = translator("fr", settings.translations)
    assert fr.t("portal.title") == "Votre compte"
    assert fr.t("portal.close") == "Fermer"  # the rest still from the catalog


def test_the_sites_codes_match_however_they_are_spelled() -> None:
    custom = {"PT_br": {"portal.title": "Minha conta"}, "zh-hans": {"portal.title": "我的账户"}}
    assert translator("pt-BR", custom).t("portal.title") == "Minha conta"
    assert translator("zh-Hans", custom).t("portal.title") == "我的账户"


def test_a_key_missing_in_the_language_falls_back_to_english() -> None:
    custom = {"en": {"site.greeting": "Hello {name}"}}
    assert translator("de", custom).t("site.greeting", name="Ada") == "Hello Ada"
    assert translator("de").text("portal.title") == "Abrechnung"


def test_the_sites_english_comes_before_the_shipped_english() -> None:
    custom = {"en": {"portal.title": "Your account", "site.only": "Site text"}}
    assert translator("pl", custom).t("portal.title") == "Your account"
    assert translator("de", custom).t("portal.title") == "Abrechnung"
    assert translator("de", custom).t("site.only") == "Site text"


def test_a_language_without_a_catalog_uses_the_sites_texts_then_english() -> None:
    custom = {"pl": {"portal.title": "Płatności"}}
    polish = translator("pl", custom)
    assert polish.t("portal.title") == "Płatności"
    assert polish.t("portal.close") == "Close"


def test_a_regional_code_reads_its_languages_catalog_and_site_texts() -> None:
    custom = {"fr": {"portal.title": "Votre compte"}, "fr-CA": {"portal.close": "Fermer ça"}}
    canadian = translator("fr_CA", custom)
    assert canadian.catalog_language == "fr"
    assert canadian.t("portal.title") == "Votre compte"
    assert canadian.t("portal.close") == "Fermer ça"
    assert canadian.t("portal.back") == "Retour"


def test_an_empty_site_text_does_not_blank_the_page() -> None:
    assert translator("it", {"it": {"portal.close": "  "}}).t("portal.close") == "Chiudi"


def test_an_unknown_key_shows_the_key_and_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    messages = translator("es")
    with caplog.at_level(logging.WARNING, logger="billflow_core.i18n"):
        assert messages.t("no.such.key") == "no.such.key"
        assert messages.t("no.such.key", name="x") == "no.such.key"
    warnings = [r for r in caplog.records if "no.such.key" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


def test_a_field_the_call_does_not_give_never_raises() -> None:
    messages = translator("en")
    assert messages.t("card.summary", brand="Visa") == "Visa ending in {last4}"
    assert messages.t("card.summary") == "{brand} ending in {last4}"


@pytest.mark.parametrize(
    "text",
    ["{", "}", "{0}", "{}", "{a.b}", "{a[0]}", "{a!r}", "{a:>9}", "50% {"],
)
def test_a_site_text_that_is_no_format_string_is_shown_as_written(text: str) -> None:
    messages = translator("en", {"en": {"x": text}})
    assert messages.t("x", a="A") == text


def test_field_values_are_put_in_once_and_not_read_as_fields() -> None:
    messages = translator("en")
    text = messages.t("card.summary", brand="{last4}", last4="4242")
    assert text == "{last4} ending in 4242"


def test_messages_is_callable_for_templates_and_knows_its_direction() -> None:
    arabic = Messages("ar")
    assert arabic("portal.close") == "إغلاق"
    assert arabic.direction == "rtl"
    assert Messages("de").direction == "ltr"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_gets_every_key_resolved_for_its_language(language: str) -> None:
    page = catalog_for_page(language)
    assert page == dict(catalog(language))
    json.dumps(page)  # plain JSON for the script


def test_the_page_gets_the_sites_texts_and_its_extra_keys() -> None:
    custom = types.MappingProxyType(
        {"nl": {"portal.title": "Mijn account", "site.banner": "Welkom"}, "en": {"x.y": "Z"}}
    )
    page = catalog_for_page("nl", custom)
    assert page["portal.title"] == "Mijn account"
    assert page["site.banner"] == "Welkom"
    assert page["x.y"] == "Z"
    assert page["portal.close"] == "Sluiten"
    assert set(catalog("en")) <= set(page)
