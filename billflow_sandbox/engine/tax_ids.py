"""Customer tax IDs: whether a value has its type's format, which country it belongs to, and
how its verification stands.

Stripe checks every value against its type's format and refuses a malformed one with
`tax_id_invalid`. The sandbox knows the formats of the types a subscription business meets
most (European and British VAT, the US EIN, Australian, Canadian, Swiss, Norwegian, Indian,
New Zealand, Japanese and Brazilian numbers) and checks those; a value of another type is only
required to be non-blank. Stripe verifies European VAT numbers with VIES, British ones with
HMRC and Australian ABNs with the ABR, asynchronously; in test mode a number whose digits are
all `0` is verified, all `1` is unverified, and any other stays pending, as here. Other types
carry `verification.status` `unavailable`.
"""

from __future__ import annotations

import re
from typing import Any

from .. import shapes
from ..context import Context
from ..errors import StripeError

JSON = dict[str, Any]

# European VAT numbers by their two-letter prefix (Greece is EL, Northern Ireland XI).
_EU_VAT = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}",
    "FR": r"[A-HJ-NP-Z0-9]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W]",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
}
_COUNTRY_OF_PREFIX = {"EL": "GR", "XI": "GB"}

# Formats of other types, matched against the value without spaces, dots and hyphens.
_FORMATS = {
    "gb_vat": r"GB(\d{9}|\d{12}|GD\d{3}|HA\d{3})",
    "eu_oss_vat": r"EU\d{9}",
    "us_ein": r"\d{9}",
    "au_abn": r"\d{11}",
    "au_arn": r"\d{12}",
    "ca_bn": r"\d{9}",
    "ca_gst_hst": r"\d{9}RT\d{4}",
    "ch_vat": r"CHE\d{9}(MWST|TVA|IVA)?",
    "no_vat": r"\d{9}MVA",
    "in_gst": r"\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]",
    "nz_gst": r"\d{8,9}",
    "jp_cn": r"\d{13}",
    "br_cnpj": r"\d{14}",
    "br_cpf": r"\d{11}",
}

_VERIFIED_TYPES = frozenset({"eu_vat", "gb_vat", "au_abn"})
_SEPARATORS = re.compile(r"[\s.\-/]")


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", value).upper()


def _invalid(kind: str, param: str) -> StripeError:
    return StripeError(f"Invalid value for {kind}.", code="tax_id_invalid", param=param)


def check_value(kind: str, value: str, *, param: str = "value") -> str:
    """The value as kept (trimmed), or Stripe's `tax_id_invalid` naming `param`."""
    value = value.strip()
    compact = _compact(value)
    if not compact:
        raise _invalid(kind, param)
    if kind == "eu_vat":
        pattern = _EU_VAT.get(compact[:2])
        if pattern is None or not re.fullmatch(f"(?:{pattern})", compact[2:]):
            raise _invalid(kind, param)
    elif kind in _FORMATS and not re.fullmatch(_FORMATS[kind], compact):
        raise _invalid(kind, param)
    return value


def country_of(kind: str, value: str) -> str | None:
    """The ISO country a tax ID belongs to: a European VAT number's prefix, else the type's."""
    if kind == "eu_vat":
        prefix = _compact(value)[:2]
        return _COUNTRY_OF_PREFIX.get(prefix, prefix)
    if kind == "eu_oss_vat":
        return None
    return kind.partition("_")[0].upper()


def verification_status(kind: str, value: str) -> str:
    if kind not in _VERIFIED_TYPES:
        return "unavailable"
    digits = re.sub(r"\D", "", value)
    if digits and set(digits) == {"0"}:
        return "verified"
    if digits and set(digits) == {"1"}:
        return "unverified"
    return "pending"


def add_tax_id(ctx: Context, customer: JSON, kind: str, value: str, *, param: str) -> JSON:
    """Keep a new tax ID on `customer` and send `customer.tax_id.created`. `param` names the
    value in errors (`value`, or `tax_id_data[0][value]` when a customer is created)."""
    value = check_value(kind, value, param=param)
    tax_id = shapes.tax_id(
        id=ctx.state.new_id("tax_id"),
        created=ctx.now(customer["id"]),
        customer=customer["id"],
        type=kind,
        value=value,
        country=country_of(kind, value),
        verification_status=verification_status(kind, value),
    )
    ctx.state.put(tax_id)
    ctx.emit("customer.tax_id.created", tax_id)
    return tax_id


def owned_tax_id(ctx: Context, customer: JSON, tax_id_id: str) -> JSON:
    """The customer's tax ID, or Stripe's 404 (another customer's is no such tax ID here)."""
    found = ctx.state.find("tax_id", tax_id_id)
    if found is None or found["customer"] != customer["id"]:
        raise StripeError(
            f"No such tax_id: '{tax_id_id}'", status=404, code="resource_missing", param="id"
        )
    return found


def remove_tax_ids(ctx: Context, customer: JSON) -> None:
    """A deleted customer's tax IDs go with it."""
    for tax_id in list(ctx.state.all("tax_id")):
        if tax_id["customer"] == customer["id"]:
            ctx.state.delete("tax_id", tax_id["id"])
