"""`manage.py demo`: the sample site, ready to try, in one command.

It starts Billflow's Stripe sandbox with the demo account (unless BILLFLOW_STRIPE_API_KEY
names a Stripe test account), migrates the SQLite database, makes an editor (admin /
admin-demo-password) and a customer (ada / ada-demo-password, ada@example.com), puts a
Billing page with the Billing portal block on the site, and serves it on 127.0.0.1:8000
(`--port` another port). With the sandbox, a webhook endpoint at the site tells it of
catalog changes at once.
"""

from __future__ import annotations

import socket
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Site

from billflow_core.doctor import NEEDED_EVENTS

ADMIN = ("admin", "admin@example.com", "admin-demo-password")
CUSTOMER = ("ada", "ada@example.com", "ada-demo-password")
HOST = "127.0.0.1"

# What the portal acts on, so the sandbox tells the demo of every catalog change at once.
WEBHOOK_EVENTS = list(NEEDED_EVENTS)


class Command(BaseCommand):
    help = "Run the sample site with the Stripe sandbox behind it."
    requires_system_checks: list[str] = []  # run once the sandbox's keys are in place

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--port", type=int, default=8000, help="port to serve the site on (default 8000)"
        )

    def handle(self, *args: Any, port: int = 8000, **options: Any) -> None:
        _check_free(port)  # before anything is printed or started
        sandbox = None
        if not settings.BILLFLOW_STRIPE_API_KEY:
            sandbox = _sandbox(port)
        self.check(display_num_errors=False)
        call_command("migrate", interactive=False, verbosity=0)
        self._accounts()
        self._billing_page()
        where = f"the Stripe sandbox at {sandbox.url}" if sandbox else "your Stripe test account"
        self.stdout.write(
            f"Billflow on Wagtail: open http://{HOST}:{port}/billing/ and sign in as "
            f"{CUSTOMER[0]} / {CUSTOMER[2]}\n"
            f"  Wagtail admin  http://{HOST}:{port}/admin/ as {ADMIN[0]} / {ADMIN[2]} "
            "(Settings → Billflow, Settings → Billflow doctor)\n"
            f"  Stripe         {where}\n"
        )
        try:
            call_command("runserver", f"{HOST}:{port}", use_reloader=False)
        finally:
            if sandbox is not None:
                sandbox.stop()

    def _accounts(self) -> None:
        users = get_user_model()
        if not users.objects.filter(username=ADMIN[0]).exists():
            users.objects.create_superuser(*ADMIN)
        if not users.objects.filter(username=CUSTOMER[0]).exists():
            users.objects.create_user(*CUSTOMER)

    def _billing_page(self) -> None:
        from shop.models import ContentPage

        site = Site.objects.get(is_default_site=True)
        if ContentPage.objects.filter(slug="billing").exists():
            return
        page = ContentPage(
            title="Billing",
            slug="billing",
            body=[
                (
                    "billing_portal",
                    {
                        # The page's title heads it, the portal titles its sections: no
                        # heading of the block's own between the two.
                        "heading": "",
                        "intro": "<p>Change plan, update your card, read your invoices.</p>",
                        "options": {},
                    },
                )
            ],
        )
        site.root_page.add_child(instance=page)
        page.save_revision().publish()


def _check_free(port: int) -> None:
    """Refuse a busy port in one sentence, before the banner: runserver would print the
    addresses first and only then say the port is taken."""
    with socket.socket() as probe:
        # As runserver binds: a port left in TIME_WAIT by the last run is free to it.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            raise CommandError(
                f"cannot listen on {HOST}:{port} ({error.strerror}): pass --port with a free "
                "port, such as --port 8001"
            ) from None


def _sandbox(port: int) -> Any:
    """The sandbox with the demo account, and the settings that point the site at it: its
    keys, and a webhook endpoint at the site, so catalog changes reach the portal at once
    (and the site's own system check has no webhook secret to miss)."""
    from billflow_sandbox import Sandbox

    sandbox = Sandbox(HOST, 0)
    sandbox.start()
    sandbox.seed("demo")
    endpoint = sandbox.client().v1.webhook_endpoints.create(
        {"url": f"http://{HOST}:{port}/billflow/stripe/webhook", "enabled_events": WEBHOOK_EVENTS}
    )
    settings.BILLFLOW_STRIPE_API_KEY = sandbox.secret_key
    settings.BILLFLOW_STRIPE_API_BASE = sandbox.url
    settings.BILLFLOW_STRIPE_PUBLISHABLE_KEY = sandbox.publishable_key
    settings.BILLFLOW_STRIPE_JS_URL = f"{sandbox.url}/v3/"
    settings.BILLFLOW_STRIPE_WEBHOOK_SECRET = endpoint.secret
    return sandbox
