"""The admin form of a site's Billflow settings: "Service" offers the services the Stripe
account has (the `sb_service` values of its active products), so an editor picks one rather
than types it; a site whose Stripe account cannot be read right now keeps the text field.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from billflow_core import BillflowError

from .portals import BillflowNotConfigured, portal_for_site

log = logging.getLogger(__name__)

__all__ = ["BillflowSettingsForm", "account_services"]


def account_services(site: Any) -> list[str]:
    """The services of the site's Stripe account, by name."""
    return portal_for_site(site).services()


class BillflowSettingsForm(WagtailAdminModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site = getattr(self.instance, "site", None)
        if site is None or "service" not in self.fields:
            return
        try:
            services = account_services(site)
        except (BillflowError, BillflowNotConfigured) as error:
            log.info("the service list is not available: %s", error)
            return
        current = self.instance.service
        choices = [("", "Every service")] + [(name, name) for name in services]
        if current and current not in services:
            choices.append((current, f"{current} (no active product has it)"))
        field = self.fields["service"]
        field.widget = forms.Select(choices=choices)
