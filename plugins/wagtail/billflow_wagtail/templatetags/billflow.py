"""`{% load billflow %}{% billflow_portal %}` for plain Django templates.

    {% billflow_portal heading="Billing" service="pro" cancel=False subscription=sub_id %}

Keyword arguments: `heading`, `intro`, `subscription` (limit the portal to it), and any of
the page's own options (`service`, `plan_picker`, `cancel`, ... as the block offers them).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from ..rendering import render_portal

register = template.Library()


@register.simple_tag(takes_context=True)
def billflow_portal(
    context: template.Context,
    heading: str = "",
    intro: str = "",
    subscription: str | None = None,
    **overrides: Any,
) -> SafeString:
    return render_portal(
        context.get("request"),
        heading=heading,
        intro=intro,
        overrides=overrides,
        subscription=subscription,
    )
