"""The admin page's words in every language the portal speaks: one flat JSON catalog per
language in `catalogs/` (the same keys in each), with `{name}` fields, and the reader's
dates and times written the way their language writes them (CLDR, through Babel)."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import Literal

from babel import dates

from billflow_core.i18n import LANGUAGES, direction, negotiate, parse_accept_language
from billflow_core.i18n.catalogs import fill
from billflow_core.i18n.languages import babel_locale

__all__ = ["LANGUAGES", "AdminTexts", "admin_catalog", "choose_language", "language_name"]

SOURCE = "en"


@functools.cache
def admin_catalog(language: str) -> Mapping[str, str]:
    """The admin page's texts in `language` (one of `LANGUAGES`); `LookupError` otherwise."""
    if language not in LANGUAGES:
        raise LookupError(f"no admin catalog for {language!r}")
    raw = resources.files(__package__).joinpath("catalogs", f"{language}.json").read_text("utf-8")
    texts = json.loads(raw)
    if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
        raise ValueError(f"admin catalog {language}.json must be a JSON object of texts")
    return texts


def choose_language(chosen: object, accept_language: str) -> str:
    """The language the admin picked on the page, else the browser's, else English."""
    if isinstance(chosen, str) and chosen in LANGUAGES:
        return chosen
    return negotiate(parse_accept_language(accept_language), default=SOURCE)


@functools.cache
def language_name(language: str) -> str:
    """A language's name in itself (`Deutsch`, `日本語`), for the language picker."""
    name = babel_locale(language).get_display_name(babel_locale(language)) or language
    return name[:1].upper() + name[1:]


class AdminTexts:
    """The page's texts and formats in one language; `t` never fails (English, then the
    key, when a text is missing)."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else SOURCE
        self._texts = admin_catalog(self.language)
        self._locale = babel_locale(self.language)

    @property
    def direction(self) -> Literal["ltr", "rtl"]:
        return direction(self.language)

    def t(self, key: str, /, **fields: object) -> str:
        text = self._texts.get(key) or admin_catalog(SOURCE).get(key) or key
        if fields and self.direction == "rtl":
            # A URL or an event type in an Arabic sentence keeps its own direction.
            fields = {name: f"\u2068{value}\u2069" for name, value in fields.items()}
        return fill(text, fields)

    def when(self, epoch: float | None) -> str:
        """A moment in UTC, as a date and time in the reader's language."""
        if epoch is None:
            return ""
        moment = dt.datetime.fromtimestamp(float(epoch), dt.UTC)
        day = dates.format_date(moment, "medium", locale=self._locale)
        time = dates.format_time(moment, "short", tzinfo=dt.UTC, locale=self._locale)
        # The language's own order of the two ("{1}, {0}" in English), without seconds.
        pattern = str(self._locale.datetime_formats["medium"])
        return pattern.replace("{1}", day).replace("{0}", time)

    def until(self, epoch: float, now: float) -> str:
        """How far `epoch` is from `now`, in words (`in 5 minutes`, `vor 2 Stunden`)."""
        return dates.format_timedelta(
            dt.timedelta(seconds=float(epoch) - now),
            add_direction=True,
            threshold=1.0,
            locale=self._locale,
        )
