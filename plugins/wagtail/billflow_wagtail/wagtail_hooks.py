"""The admin side: the block's icon, and "Billflow doctor" under Settings, which checks the
current site's configuration against its Stripe account."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.models import Site

from billflow_core.doctor import Finding, run_checks

from .portals import BillflowNotConfigured, portal_for_site

_PERMISSION = "billflow_wagtail.change_billflowsettings"


@hooks.register("register_icons")
def register_icons(icons: list[str]) -> list[str]:
    return [*icons, "billflow_wagtail/icons/billflow-card.svg"]


def doctor(request: HttpRequest) -> HttpResponse:
    """What `billflow doctor` finds for the site this admin is served on."""
    if not request.user.has_perm(_PERMISSION):
        raise PermissionDenied
    site = Site.find_for_request(request) or Site.objects.filter(is_default_site=True).first()
    findings: list[Finding]
    if site is None:
        findings = [Finding("problem", "No Wagtail site: add one under Settings → Sites.")]
    else:
        try:
            portal = portal_for_site(site)
        except BillflowNotConfigured as error:
            findings = [Finding("problem", str(error))]
        else:
            findings = run_checks(
                portal.gateway,
                portal.settings,
                webhook_secret=getattr(settings, "BILLFLOW_STRIPE_WEBHOOK_SECRET", None),
            )
    return render(
        request,
        "billflow_wagtail/admin/doctor.html",
        {
            "site": site,
            "findings": findings,
            "problems": sum(f.level == "problem" for f in findings),
        },
    )


@hooks.register("register_admin_urls")
def register_admin_urls() -> list[Any]:
    return [path("billflow/doctor/", doctor, name="billflow_doctor")]


class _DoctorMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(_PERMISSION))


@hooks.register("register_settings_menu_item")
def register_doctor_menu_item() -> MenuItem:
    return _DoctorMenuItem(
        "Billflow doctor", reverse("billflow_doctor"), icon_name="billflow-card", order=10_000
    )
