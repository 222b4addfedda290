"""A small Wagtail site with Billflow: the settings a real project adds are marked BILLFLOW.

The secrets come from the environment, never the database. `manage.py demo` fills the
Stripe ones with the built-in sandbox's when they are not set.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "example.urls"
WAGTAIL_SITE_NAME = "Acme Analytics"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/billing/"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"

INSTALLED_APPS = [
    "shop",
    "billflow_wagtail",  # BILLFLOW: the block, the site settings, the URLs
    "wagtail.contrib.settings",  # BILLFLOW: where each site's portal options live
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "billflow_wagtail.middleware.PrivatePortalPages",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("EXAMPLE_DATABASE", BASE_DIR / "db.sqlite3"),
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# BILLFLOW: the secrets, from the environment.
# Without one, a new random key each start: pages open across a restart must be reloaded.
BILLFLOW_SECRET_KEY = os.environ.get("BILLFLOW_SECRET_KEY") or secrets.token_urlsafe(32)
BILLFLOW_STRIPE_API_KEY = os.environ.get("BILLFLOW_STRIPE_API_KEY")
BILLFLOW_STRIPE_PUBLISHABLE_KEY = os.environ.get("BILLFLOW_STRIPE_PUBLISHABLE_KEY")
BILLFLOW_STRIPE_WEBHOOK_SECRET = os.environ.get("BILLFLOW_STRIPE_WEBHOOK_SECRET")

# BILLFLOW: the portal names a user by their email, so no user may set their own: Wagtail's
# account page would let anyone type a customer's address. Here the site's staff create the
# accounts; a site with its own signup would instead set BILLFLOW_VERIFIED_EMAIL to a
# function answering the email it verified (or BILLFLOW_CUSTOMER_ID to bind a customer id).
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
