"""The Django app: where each site's portal lives while the process runs."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from billflow_core.portal import Portal
    from billflow_core.web import PortalAPI


class BillflowWagtailConfig(AppConfig):
    name = "billflow_wagtail"
    label = "billflow_wagtail"
    verbose_name = "Billflow"
    default_auto_field = "django.db.models.BigAutoField"

    def __init__(self, app_name: str, app_module: Any) -> None:
        super().__init__(app_name, app_module)
        # Per site, its portal and API, with the configuration they were made from: made on
        # first use, made again when an editor changes the site's settings.
        self.portals: dict[int, tuple[str, Portal, PortalAPI]] = {}
        self.portals_lock = threading.Lock()

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .forms import BillflowSettingsForm
        from .models import BillflowSettings

        # Set here, not in models.py: the form asks the site's portal, which reads the model.
        BillflowSettings.base_form_class = BillflowSettingsForm
