"""A quantity and its unit in the form the language's plural rules ask: "1 seat", "3 seats",
and the forms a product names in its metadata for languages with more forms than two."""

from __future__ import annotations

import pytest

from billflow_core.billing.catalog import _unit_forms
from billflow_core.settings import PortalSettings
from billflow_core.web.page_texts import PageTexts, english_plural
from billflow_core.web.request_language import Languages


def units(language: str, quantity: int, label: str | None, metadata: dict[str, str]) -> str:
    speech = Languages(PortalSettings()).for_request(language)
    return PageTexts(speech, PortalSettings()).units(quantity, label, _unit_forms(metadata))


def test_one_seat_and_three_seats_without_any_metadata() -> None:
    assert units("en", 1, "seat", {}) == "1 seat"
    assert units("en", 3, "seat", {}) == "3 seats"
    assert units("en", 0, "seat", {}) == "0 seats"
    assert units("en", 1, None, {}) == "1 unit"
    assert units("en", 2, None, {}) == "2 units"


@pytest.mark.parametrize(
    ("word", "plural"),
    [("seat", "seats"), ("entry", "entries"), ("day", "days"), ("box", "boxes"),
     ("class", "classes"), ("credits", "credits"), ("GB", "GBs"), ("m²", "m²")],
)  # fmt: skip
def test_an_english_label_gets_its_regular_plural(word: str, plural: str) -> None:
    assert english_plural(word) == plural


def test_the_products_own_plural_wins_and_may_be_given_per_language() -> None:
    metadata = {"sb_unit_label_plural": "people", "sb_unit_label_plural_fr": "personnes",
                "sb_unit_label_one_fr": "personne"}  # fmt: skip
    assert units("en", 4, "person", metadata) == "4 people"
    assert units("en", 1, "person", metadata) == "1 person"
    assert units("fr", 1, "person", metadata) == "1 personne"
    assert units("fr", 4, "person", metadata) == "4 personnes"
    # French counts 0 and 1 as "one"; 1,5 is not a quantity here.
    assert units("fr", 0, "person", metadata) == "0 personne"


def test_arabic_takes_the_form_its_plural_rules_name() -> None:
    metadata = {"sb_unit_label_one_ar": "مقعد", "sb_unit_label_two_ar": "مقعدان",
                "sb_unit_label_few_ar": "مقاعد", "sb_unit_label_other_ar": "مقعدًا"}  # fmt: skip
    assert units("ar", 2, "seat", metadata).endswith("مقعدان")
    assert units("ar", 3, "seat", metadata).endswith("مقاعد")  # few: 3 to 10
    assert units("ar", 11, "seat", metadata).endswith("مقعدًا")  # many falls back to other


def test_japanese_has_one_form_for_every_number() -> None:
    metadata = {"sb_unit_label_other_ja": "席"}
    assert units("ja", 1, "seat", metadata).endswith("席")
    assert units("ja", 5, "seat", metadata).endswith("席")
