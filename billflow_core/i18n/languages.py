"""The languages the portal speaks, and choosing one for a customer.

Codes are BCP 47 tags as a browser sends them (`pt-BR`, `zh-Hans`). Choosing follows CLDR
through Babel: an exact tag first, then the tag's language (`fr-CA` → `fr`), then a tag of
the same language written in the same script (`zh-CN` → `zh-Hans`, `pt-PT` → `pt-BR`), so
nobody who reads Traditional Chinese is handed Simplified as if it were theirs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

from babel.core import Locale, UnknownLocaleError, get_global, negotiate_locale, parse_locale

__all__ = [
    "LANGUAGES",
    "RTL_LANGUAGES",
    "babel_locale",
    "direction",
    "negotiate",
    "parse_accept_language",
]

LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de", "it", "pt-BR", "nl", "ja", "zh-Hans", "ar")
RTL_LANGUAGES: tuple[str, ...] = ("ar",)

# A language tag as far as negotiation cares: letters, then subtags. Anything else (`*`,
# stray punctuation, script injection) is not a language and is skipped, never an error.
_TAG = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*")
# Headers are client input: read a sane amount of them and no more.
_MAX_HEADER = 4096
_MAX_ENTRIES = 50


def parse_accept_language(header: str) -> list[str]:
    """The language tags of an `Accept-Language` header, most wanted first (by q-value,
    then by order). Tags with `q=0`, a malformed q-value, or no language (`*`) are left
    out; malformed input gives fewer tags or none, never an error."""
    if not isinstance(header, str):
        return []
    entries: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:_MAX_HEADER].split(",")[:_MAX_ENTRIES]):
        tag, *params = part.split(";")
        tag = tag.strip()
        if not _TAG.fullmatch(tag):
            continue
        quality: float | None = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                quality = _quality(value.strip())
        if quality is not None and quality > 0:
            entries.append((quality, index, tag))
    entries.sort(key=lambda entry: (-entry[0], entry[1]))
    tags: list[str] = []
    seen: set[str] = set()
    for _, _, tag in entries:
        if tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    return tags


def _quality(value: str) -> float | None:
    """An RFC 9110 q-value (0 to 1, at most three decimals), or None when it is not one."""
    if not re.fullmatch(r"0(?:\.\d{0,3})?|1(?:\.0{0,3})?", value):
        return None
    return float(value)


def negotiate(
    preferred: Sequence[str], *, default: str = "en", available: Sequence[str] = LANGUAGES
) -> str:
    """The entry of `available` that best serves a customer who prefers `preferred` (most
    wanted first, as `parse_accept_language` gives them; `_` or `-` separated, any case),
    spelled as in `available`; `default` when none fits. Each preference is tried in turn:
    its exact tag, its language alone, then the same language in the same script."""
    spelled = {_normal(code).lower(): code for code in available if isinstance(code, str)}
    for wanted in preferred:
        if not isinstance(wanted, str) or not _TAG.fullmatch(wanted.strip()):
            continue
        tag = _normal(wanted)
        found = negotiate_locale([tag], list(spelled), sep="-", aliases={})
        if found is not None:
            return spelled[found.lower()]
        found = _same_script(tag, spelled)
        if found is not None:
            return found
    return default


def direction(language: str) -> Literal["ltr", "rtl"]:
    """Which way `language` is written, for the page's `dir` attribute; `ltr` for a code
    Babel does not know."""
    return "rtl" if babel_locale(language).text_direction == "rtl" else "ltr"


def babel_locale(language: str) -> Locale:
    """Babel's locale for `language`, or for the nearest language it knows (English at
    worst): formatting a customer's page must not fail on an odd code."""
    tag = _normal(language) if isinstance(language, str) else ""
    for candidate in (tag, tag.split("-")[0]):
        if not _TAG.fullmatch(candidate):
            continue
        try:
            return Locale.parse(candidate, sep="-")
        except (ValueError, TypeError, UnknownLocaleError):
            continue
    return Locale.parse("en")


def _normal(tag: str) -> str:
    return tag.strip().replace("_", "-")


def _same_script(tag: str, spelled: dict[str, str]) -> str | None:
    """The available code of `tag`'s language written in `tag`'s likely script."""
    wanted = _language_and_script(tag)
    if wanted is None:
        return None
    for normal, code in spelled.items():
        if _language_and_script(normal) == wanted:
            return code
    return None


def _language_and_script(tag: str) -> tuple[str, str | None] | None:
    """The language of `tag` and the script it is written in, filling in the script CLDR
    says is likely (`zh-TW` is Hant, `zh` and `zh-CN` Hans, `pt-PT` Latn)."""
    try:
        language, territory, script, _variant = parse_locale(tag, sep="-")[:4]
    except ValueError:
        return None
    if script is None:
        likely: Mapping[str, str] = get_global("likely_subtags")
        full = (territory and likely.get(f"{language}_{territory}")) or likely.get(language)
        if full:
            try:
                script = parse_locale(full)[2]
            except ValueError:
                script = None
    return language.lower(), script
