"""The message catalogs shipped in `catalogs/<code>.json`: one flat JSON object per language,
`"key": "text"`, with `{name}` fields filled in when a text is shown."""

from __future__ import annotations

import functools
import json
import re
import types
from collections.abc import Mapping
from importlib import resources
from typing import Any

from .languages import LANGUAGES

__all__ = ["FIELD", "catalog", "fill"]

SOURCE = "en"

# A field in a text: `{name}` as str.format names it, with no conversion or format spec, so
# the page's script fills the same texts the same way with one regular expression.
FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


# Cached for the life of the process: the files are part of the installed package and the
# mappings handed out are read-only, so no app or test can change what another one reads.
@functools.cache
def catalog(language: str) -> Mapping[str, str]:
    """The shipped texts of `language`, one of `LANGUAGES` exactly as spelled there (use
    `negotiate` to get one). Raises `LookupError` for another code, and `ValueError` for
    a catalog file that is not a flat object of texts (a packaging mistake)."""
    if language not in LANGUAGES:
        raise LookupError(f"no catalog for {language!r}; the languages are {', '.join(LANGUAGES)}")
    name = f"{language}.json"
    raw = resources.files(__package__).joinpath("catalogs", name).read_text(encoding="utf-8")
    texts = json.loads(raw, object_pairs_hook=functools.partial(_unique_texts, name))
    if not isinstance(texts, dict):
        raise ValueError(f"catalog {name} must be a JSON object of texts")
    return types.MappingProxyType(texts)


def _unique_texts(name: str, pairs: list[tuple[str, Any]]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for key, text in pairs:
        if not isinstance(text, str):
            raise ValueError(f"catalog {name}: {key!r} must be text, not {type(text).__name__}")
        if key in texts:
            raise ValueError(f"catalog {name}: {key!r} is given twice")
        texts[key] = text
    return texts


def fill(text: str, fields: Mapping[str, object]) -> str:
    """`text` with each `{name}` it holds replaced by `str(fields[name])`. A field the text
    names but `fields` lacks stays as written, and anything that is not a field (a lone
    brace in a site's own text) is left alone: showing a text never fails."""
    if not fields or "{" not in text:
        return text

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(fields[name]) if name in fields else match.group(0)

    return FIELD.sub(value, text)
