"""The portal's languages: message catalogs, choosing a customer's language, and money,
dates and numbers written the way that language writes them (CLDR, through Babel).

    language = negotiate(parse_accept_language(request_header), default="en")
    messages = translator(language, settings.translations)
    messages.t("subscription.renews_on", date=format_date(period_end, language))
    format_money(2900, "usd", language)            # "$29.00"
    catalog_for_page(language, settings.translations)  # every text, for the page's script

Texts are plain text with `{name}` fields (never HTML): templates escape them as any other
value. The keys and the English texts are in `catalogs/en.json`; every other catalog has
exactly the same keys.
"""

from __future__ import annotations

from .catalogs import catalog
from .formatting import (
    INTERVALS,
    format_date,
    format_interval,
    format_money,
    format_number,
    format_percent,
    format_price,
    minor_unit_digits,
    plural_category,
)
from .languages import (
    LANGUAGES,
    RTL_LANGUAGES,
    direction,
    negotiate,
    parse_accept_language,
)
from .messages import Custom, Messages, catalog_for_page, translator

__all__ = [
    "INTERVALS",
    "LANGUAGES",
    "RTL_LANGUAGES",
    "Custom",
    "Messages",
    "catalog",
    "catalog_for_page",
    "direction",
    "format_date",
    "format_interval",
    "format_money",
    "format_number",
    "format_percent",
    "format_price",
    "minor_unit_digits",
    "negotiate",
    "parse_accept_language",
    "plural_category",
    "translator",
]
