"""A customer's texts: the site's own translations over the shipped catalog of their
language, over English, over the key itself."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Literal

from .catalogs import SOURCE, catalog, fill
from .languages import LANGUAGES, direction, negotiate

__all__ = ["Custom", "Messages", "catalog_for_page", "translator"]

log = logging.getLogger(__name__)

# What `PortalSettings.translations` holds: language → key → text.
Custom = Mapping[str, Mapping[str, str]]


class Messages:
    """The texts of one language, for one page. `custom` is the site's own translations
    (`PortalSettings.translations`); they win over the shipped catalog. A key missing in
    the language falls back to the site's English, then the shipped English, then to the
    key itself (logged once per `Messages` at warning level). Cheap to make: catalogs are
    loaded once per process."""

    def __init__(self, language: str, custom: Custom | None = None) -> None:
        self.language = language.strip().replace("_", "-") if isinstance(language, str) else ""
        # The catalog nearest the language (`fr-CA` reads `fr`); English if there is none.
        self.catalog_language = negotiate([self.language], default=SOURCE, available=LANGUAGES)
        self._layers = _layers(self.language, self.catalog_language, custom or {})
        self._warned: set[str] = set()
        self._found: dict[str, str | None] = {}

    @property
    def direction(self) -> Literal["ltr", "rtl"]:
        """`ltr` or `rtl`, for the page's `dir` attribute."""
        return direction(self.language or SOURCE)

    def t(self, key: str, /, **fields: object) -> str:
        """The text of `key` with its `{name}` fields filled from `fields` (a field not
        given stays as written). Never raises."""
        text = self.text(key)
        if text is None:
            if key not in self._warned:
                self._warned.add(key)
                log.warning("no text for %r in %s or English; showing the key", key, self.language)
            return key
        return fill(text, fields)

    __call__ = t

    def text(self, key: str) -> str | None:
        """The unfilled text of `key`, or None when no layer has it. Looked up once per key:
        a page asks for the same few hundred texts on every answer."""
        try:
            return self._found[key]
        except KeyError:
            pass
        found = None
        for layer in self._layers:
            text = layer.get(key)
            if isinstance(text, str) and text.strip():
                found = text
                break
        self._found[key] = found
        return found

    def texts(self) -> dict[str, str]:
        """Every key with its unfilled text: the shipped English keys and any key the
        site added, each resolved as `t` would."""
        keys = dict.fromkeys(catalog(SOURCE))
        for layer in self._layers:
            keys.update(dict.fromkeys(layer))
        return {key: text for key in keys if (text := self.text(key)) is not None}


def translator(language: str, custom: Custom | None = None) -> Messages:
    """The `Messages` of `language` (from `negotiate`) with the site's `custom` texts."""
    return Messages(language, custom)


def catalog_for_page(language: str, custom: Custom | None = None) -> dict[str, str]:
    """Every text the portal's script may show, resolved for `language` (site's texts
    first, then the catalog, then English), unfilled: the script fills `{name}` fields
    itself. Plain JSON; small enough to send with each page."""
    return Messages(language, custom).texts()


def _layers(language: str, catalog_language: str, custom: Custom) -> list[Mapping[str, str]]:
    """Where to look, in order: the site's texts for the language (as asked, then as the
    catalog is named), the catalog, the site's English, the shipped English."""
    layers = [
        *_custom(custom, language),
        *_custom(custom, catalog_language),
        catalog(catalog_language),
        *_custom(custom, SOURCE),
        catalog(SOURCE),
    ]
    unique: list[Mapping[str, str]] = []
    for layer in layers:
        if not any(layer is seen for seen in unique):
            unique.append(layer)
    return unique


def _custom(custom: Custom, language: str) -> list[Mapping[str, str]]:
    """The site's texts filed under `language`, however the site spelled the code."""
    wanted = language.lower()
    return [
        texts
        for code, texts in custom.items()
        if isinstance(code, str)
        and isinstance(texts, Mapping)
        and code.strip().replace("_", "-").lower() == wanted
    ]
