"""Who the portal is for: the Django user's email, or the Stripe customer id a site's
callable finds (teams and tenants sharing one customer)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.test import Client

from billflow_wagtail.models import BillflowSettings

from .conftest import root


def test_a_customer_id_callable_names_the_customer_for_every_user_of_a_team(
    sandbox: dict[str, Any], publish: Callable[..., Any], settings: Any,
    django_user_model: Any,
) -> None:  # fmt: skip
    team_customer = sandbox["customer"]
    asked: list[str] = []

    def customer_of(request: HttpRequest) -> str | None:
        asked.append(request.user.get_username())
        return team_customer if request.user.get_username().startswith("team-") else None

    settings.BILLFLOW_CUSTOMER_ID = customer_of
    row = BillflowSettings.for_site(root().get_site())
    row.identify_by = "customer_id"
    row.save()
    page = publish("Billing")
    for name in ("team-ada", "team-grace"):
        client = Client()
        client.force_login(django_user_model.objects.create_user(name, f"{name}@x.example"))
        html = client.get(page.url).content.decode()
        found = json.loads(re.search(r"data-billflow-settings>(.*?)</script>", html)[1])  # type: ignore[index]
        assert found["customer_id"] == team_customer and "email" not in found
        assert found["customer_id"] == team_customer and "hash" not in found
        headers = {"HTTP_X_BILLFLOW_PAGE": found["page"]}
        portal = client.get("/billflow/api/portal", **headers).json()
        assert portal["billingData"]["customer"]["id"] == team_customer
    assert asked[:2] == ["team-ada", "team-grace"]

    loner = Client()
    loner.force_login(django_user_model.objects.create_user("solo", "solo@x.example"))
    assert "data-billflow-settings" not in loner.get(page.url).content.decode()
