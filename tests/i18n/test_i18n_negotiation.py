"""Choosing the customer's language from what their browser asks for."""

from __future__ import annotations

import pytest

from billflow_core.i18n import (
    LANGUAGES,
    RTL_LANGUAGES,
    direction,
    negotiate,
    parse_accept_language,
)


@pytest.mark.parametrize(
    ("preferred", "chosen"),
    [
        (["pt-BR"], "pt-BR"),
        (["pt_BR"], "pt-BR"),
        (["pt-br"], "pt-BR"),
        (["pt"], "pt-BR"),
        (["pt-PT"], "pt-BR"),
        (["zh-CN"], "zh-Hans"),
        (["zh"], "zh-Hans"),
        (["zh-SG"], "zh-Hans"),
        (["zh-Hans-CN"], "zh-Hans"),
        (["ja-JP"], "ja"),
        (["ar-EG"], "ar"),
        (["fr-CA", "en"], "fr"),
        (["de-CH"], "de"),
        (["es-419"], "es"),
        (["nl-BE"], "nl"),
        (["en-GB"], "en"),
        (["it", "fr"], "it"),
        (["sv", "fr"], "fr"),  # the first one served wins, in the customer's order
    ],
)
def test_preferences_map_to_the_nearest_catalog(preferred: list[str], chosen: str) -> None:
    assert negotiate(preferred) == chosen


@pytest.mark.parametrize(
    "preferred",
    [["zh-TW"], ["zh-HK"], ["zh-Hant"]],
)
def test_traditional_chinese_is_not_served_simplified(preferred: list[str]) -> None:
    assert negotiate(preferred) == "en"
    assert negotiate([*preferred, "ja"]) == "ja"


@pytest.mark.parametrize(
    "preferred",
    [[], ["xx"], ["sv", "fi"], ["*"], [""], ["<script>"], ["en;q=1"], [42]],  # type: ignore[list-item]
)
def test_unknown_or_malformed_preferences_give_the_default(preferred: list[str]) -> None:
    assert negotiate(preferred) == "en"
    assert negotiate(preferred, default="de") == "de"


def test_negotiation_can_use_the_sites_own_list_and_keeps_its_spelling() -> None:
    assert negotiate(["fr-CA"], available=["en", "fr_CA", "pl"]) == "fr_CA"
    assert negotiate(["pl-PL"], available=["en", "pl"]) == "pl"
    assert negotiate(["ja"], available=["en", "de"], default="de") == "de"


def test_accept_language_is_ordered_by_quality_then_position() -> None:
    header = "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"
    assert parse_accept_language(header) == ["fr-CH", "fr", "en", "de"]
    assert parse_accept_language("de;q=0.5, ja, it;q=0.9") == ["ja", "it", "de"]
    assert parse_accept_language("en;q=0.8, fr;q=0.8") == ["en", "fr"]


def test_accept_language_drops_refused_and_malformed_entries() -> None:
    header = "en;q=0, de;q=abc, ja;Q=0.5, nl;q=1.5, es;q=-1, zh-CN, it;q=0.001"
    assert parse_accept_language(header) == ["zh-CN", "ja", "it"]


@pytest.mark.parametrize(
    "header",
    ["", " ", ",,,", ";;q=", "q=1", "*", "en-", "-en", "é", "en;q", "x" * 100_000, None, 7],
)
def test_malformed_accept_language_never_raises(header: str) -> None:
    tags = parse_accept_language(header)
    assert isinstance(tags, list)
    assert negotiate(tags) == "en"


def test_accept_language_feeds_negotiation() -> None:
    header = "zh-TW;q=0.9, zh-CN;q=0.8, en;q=0.7"
    assert negotiate(parse_accept_language(header)) == "zh-Hans"
    assert negotiate(parse_accept_language("pt-PT,pt;q=0.9,en;q=0.8")) == "pt-BR"


def test_a_huge_header_is_read_only_so_far() -> None:
    header = ", ".join(["xx"] * 10_000 + ["fr"])
    assert parse_accept_language(header) == ["xx"]


def test_arabic_is_written_right_to_left_and_the_rest_left_to_right() -> None:
    assert RTL_LANGUAGES == ("ar",)
    assert [language for language in LANGUAGES if direction(language) == "rtl"] == ["ar"]
    assert direction("ar-EG") == "rtl"
    assert direction("he") == "rtl"  # a site's own language, known to CLDR
    assert direction("xx-YY") == "ltr"
    assert direction("") == "ltr"
