"""`manage.py prepare_served_site '{"email_sign_in": true, ...}'`: make the tables of a new
database and set the default site's Billflow settings, before app servers serve it. One
command, so the tests pay for one Django start-up rather than one per step."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Site

from billflow_wagtail.models import BillflowSettings


class Command(BaseCommand):
    help = "Migrate, then set the default site's Billflow settings from a JSON object."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("site_settings", help="a JSON object of BillflowSettings fields")

    def handle(self, *args: Any, site_settings: str, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        row = BillflowSettings.for_site(Site.objects.get(is_default_site=True))
        fields = {field.name for field in BillflowSettings._meta.get_fields()}
        for name, value in json.loads(site_settings).items():
            if name not in fields:
                raise CommandError(f"BillflowSettings has no field {name!r}")
            setattr(row, name, value)
        row.full_clean()  # the admin's own checks: a bad value is said, not saved
        row.save()
