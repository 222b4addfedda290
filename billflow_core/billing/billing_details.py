"""What goes on a customer's invoices: their name, email, phone and billing address, read from
the customer the portal already holds, and checked, field by field, before Stripe is asked to
change them.

An address is checked as its country writes one: a postal code where the country has them, in
its country's shape for the countries whose shape is well known; a state or province where
the country's addresses need one (a US state is its two-letter USPS code). Countries are ISO
3166 codes that Babel's CLDR data names, so the page's list and the server's check agree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import babel

from ..errors import BadInput

__all__ = [
    "ADDRESS_FIELDS",
    "DETAIL_FIELDS",
    "MAX_DETAIL",
    "BillingDetails",
    "checked_details",
    "countries",
    "details_of",
]

ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country")
DETAIL_FIELDS = ("name", "email", "phone", *ADDRESS_FIELDS)

MAX_DETAIL = {"name": 256, "email": 512, "phone": 32, "line1": 200, "line2": 200, "city": 100,
        "state": 100, "postal_code": 20, "country": 2}  # fmt: skip
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9 ()./-]{6,31}")


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Countries whose addresses carry no postal code (CLDR's address data, as Stripe's address
# element follows it).
_NO_POSTAL_CODE = _codes(
    "AE AG AN AO AW BF BI BJ BO BS BW BZ CD CF CG CI CK CM DJ DM ER FJ GA GD GH GM GQ GY "
    "HK HM JM KE KI KM KN KP LY ML MO MR MW NR NU QA RW SB SC SL SO SR SS ST SY TD TF TG "
    "TK TL TO TT TV UG VU YE ZW"
)
# Postal codes in their country's shape, where it is one and well known.
_POSTAL_CODE = {
    "US": r"\d{5}(-?\d{4})?",
    "CA": r"[A-Z]\d[A-Z] ?\d[A-Z]\d",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}",
    "DE": r"\d{5}",
    "FR": r"\d{5}",
    "IT": r"\d{5}",
    "ES": r"\d{5}",
    "NL": r"\d{4} ?[A-Z]{2}",
    "BE": r"\d{4}",
    "AT": r"\d{4}",
    "CH": r"\d{4}",
    "AU": r"\d{4}",
    "JP": r"\d{3}-?\d{4}",
    "BR": r"\d{5}-?\d{3}",
    "IN": r"\d{6}",
    "CN": r"\d{6}",
}
# Countries whose addresses need a state, province or prefecture.
_NEEDS_STATE = frozenset({"US", "CA", "AU", "BR", "MX", "IN", "JP"})
_US_STATES = _codes(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE "
    "NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI "
    "UM AA AE AP"
)


@dataclass(frozen=True)
class BillingDetails:
    """The customer's invoice details as the page shows them (empty text for none)."""

    name: str
    email: str
    phone: str
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    country: str

    @property
    def has_address(self) -> bool:
        return bool(self.line1 or self.city or self.postal_code or self.country)


def details_of(customer: Any) -> BillingDetails:
    """The details of a customer read from Stripe (no request: they come with it)."""
    address = getattr(customer, "address", None)

    def part(name: str) -> str:
        return str(getattr(address, name, None) or "") if address is not None else ""

    return BillingDetails(
        name=str(getattr(customer, "name", None) or ""),
        email=str(getattr(customer, "email", None) or ""),
        phone=str(getattr(customer, "phone", None) or ""),
        **{name: part(name) for name in ADDRESS_FIELDS},
    )


def countries(language: str) -> list[tuple[str, str]]:
    """Every country an address may name, as (code, name in `language`), by name."""
    try:
        names = babel.Locale.parse(language.replace("-", "_")).territories
    except (ValueError, babel.UnknownLocaleError):
        names = babel.Locale("en").territories
    found = [(code, name) for code, name in names.items() if _is_country(code)]
    return sorted(found, key=lambda pair: pair[1])


# Two-letter regions CLDR names that are not ISO 3166-1 countries: groupings, "Unknown",
# and reserved codes for islands and territories Stripe does not take as a country.
_NOT_COUNTRIES = _codes("EU EZ UN ZZ QO AC CP CQ DG EA IC TA XA XB")


def _is_country(code: str) -> bool:
    """A two-letter region CLDR names that is an ISO 3166-1 country."""
    return len(code) == 2 and code.isalpha() and code.isupper() and code not in _NOT_COUNTRIES


def checked_details(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The Stripe customer update the page's form asks for: each field trimmed and checked,
    the address whole (Stripe replaces it as one). A field left out keeps its value; an
    empty one clears it. Raises `BadInput` naming the first field that is wrong."""
    values = {name: _text(name, payload[name]) for name in DETAIL_FIELDS if name in payload}
    update: dict[str, Any] = {}
    if "name" in values:
        update["name"] = values["name"]
    if "email" in values:
        if not _EMAIL.fullmatch(values["email"]):
            raise BadInput("Enter an email address.", code="email_invalid", field="email")
        update["email"] = values["email"]
    if "phone" in values:
        if values["phone"] and not _PHONE.fullmatch(values["phone"]):
            raise BadInput("Enter a phone number.", code="phone_invalid", field="phone")
        update["phone"] = values["phone"]
    address = {name: values[name] for name in ADDRESS_FIELDS if name in values}
    if address:
        update["address"] = _checked_address(address)
    if not update:
        raise BadInput("Nothing to change.", code="details_required")
    return update


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise BadInput(f"{name} must be text.", code="text_invalid", field=name)
    text = " ".join(value.split())
    if len(text) > MAX_DETAIL[name]:
        raise BadInput(
            f"{name} is longer than {MAX_DETAIL[name]} characters.", code="too_long", field=name
        )
    return text


def _checked_address(address: dict[str, str]) -> dict[str, str]:
    """The address, whole, in its country's shape; all empty clears it."""
    if not any(address.values()):
        return {name: "" for name in ADDRESS_FIELDS}
    country = address.get("country", "").upper()
    if not country:
        raise BadInput("Choose a country.", code="country_required", field="country")
    if not _is_country(country) or country not in babel.Locale("en").territories:
        raise BadInput("Choose a country from the list.", code="country_invalid", field="country")
    for name in ("line1", "city"):
        if not address.get(name):
            raise BadInput("Enter the address.", code="address_incomplete", field=name)
    postal = address.get("postal_code", "").upper()
    if country not in _NO_POSTAL_CODE:
        if not postal:
            raise BadInput("Enter the postal code.", code="postal_code_required",
                           field="postal_code")  # fmt: skip
        shape = _POSTAL_CODE.get(country)
        if shape is not None and not re.fullmatch(shape, postal):
            raise BadInput("That postal code is not one of this country's.",
                           code="postal_code_invalid", field="postal_code")  # fmt: skip
    state = address.get("state", "")
    if country in _NEEDS_STATE and not state:
        raise BadInput("Enter the state or province.", code="state_required", field="state")
    if country == "US" and state.upper() not in _US_STATES:
        raise BadInput("Enter the state's two-letter code.", code="state_invalid",
                       field="state")  # fmt: skip
    if country == "US":
        state = state.upper()
    return {
        "line1": address.get("line1", ""),
        "line2": address.get("line2", ""),
        "city": address.get("city", ""),
        "state": state,
        "postal_code": postal,
        "country": country,
    }
