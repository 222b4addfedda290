"""`path("billflow/", include("billflow_wagtail.urls"))`: the portal's script, stylesheet and
HTTP API, and Stripe's webhook at `billflow/stripe/webhook`."""

from __future__ import annotations

from django.urls import path

from .views import portal_api

app_name = "billflow_wagtail"

urlpatterns = [path("<path:route>", portal_api, name="api")]
