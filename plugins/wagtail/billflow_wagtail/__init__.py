"""Billflow for Wagtail: the customer portal as a block editors drop onto any page.

Add `"billflow_wagtail"` (and `"wagtail.contrib.settings"`) to `INSTALLED_APPS`, mount
`path("billflow/", include("billflow_wagtail.urls"))`, and set `BILLFLOW_SECRET_KEY` and
`BILLFLOW_STRIPE_API_KEY` in Django's settings. Editors then add the "Billing portal" block
to a StreamField and set the portal's options under Settings → Billflow; developers use
`{% load billflow %}{% billflow_portal %}` in plain templates. Every rule is the core's:
this app only finds who is logged in and wires Django's cache, mail and settings.
"""

from __future__ import annotations

try:
    import django  # noqa: F401
    import wagtail  # noqa: F401
except ImportError as missing:  # pragma: no cover - depends on what is installed
    raise ImportError(
        f"billflow_wagtail needs Wagtail and Django ({missing.name} is not installed): "
        "pip install 'billflow[wagtail]'"
    ) from None

__all__: list[str] = []
