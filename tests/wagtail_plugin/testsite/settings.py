"""A small Wagtail project for the plugin's tests: a page type with a StreamField that takes
the Billing portal block, Django's login, and the portal's URLs. The Stripe keys are the
sandbox's, set per test."""

from __future__ import annotations

SECRET_KEY = "django-test-secret-not-for-production"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "testsite.urls"
WAGTAIL_SITE_NAME = "Billflow test site"
WAGTAILADMIN_BASE_URL = "http://localhost"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
LOGIN_URL = "/accounts/login/"
STATIC_URL = "/static/"

INSTALLED_APPS = [
    "testsite",
    "billflow_wagtail",
    "wagtail.contrib.settings",
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
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ]
        },
    }
]

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# The portal's secrets; the tests point the Stripe ones at a sandbox.
BILLFLOW_SECRET_KEY = "wagtail-test-secret-0123456789"
BILLFLOW_STRIPE_API_KEY = "sk_test_set_by_each_test"
BILLFLOW_STRIPE_WEBHOOK_SECRET = None

# Users' emails are set by the site (here, by each test), never by the user at
# /admin/account/: so an email names the user it belongs to, and the portal may trust it.
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
