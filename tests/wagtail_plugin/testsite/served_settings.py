"""`testsite` as a site with several app servers runs it: every process on one PostgreSQL
database and one Redis cache (Django's `RedisCache`, the plugin's `BILLFLOW_CACHE`), so the
used sign-in links and rate-limit counts (in the database), the answers to retried actions
and the portal's shared cache (in Redis) are the same for all of them. The addresses and
secrets come from the environment, as a deploy sets them; `test_two_gunicorn_servers.py`
serves this under gunicorn."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from .settings import *  # noqa: F403

_database = urlsplit(os.environ["TESTSITE_DATABASE_URL"])  # postgresql://user@host:port/name
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _database.path.lstrip("/"),
        "HOST": _database.hostname,
        "PORT": str(_database.port),
        "USER": _database.username,
        "PASSWORD": _database.password or "",
    }
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["TESTSITE_REDIS_URL"],
    }
}
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ["TESTSITE_SMTP_HOST"]
EMAIL_PORT = int(os.environ["TESTSITE_SMTP_PORT"])

BILLFLOW_SECRET_KEY = os.environ["BILLFLOW_SECRET_KEY"]
BILLFLOW_STRIPE_API_KEY = os.environ["BILLFLOW_STRIPE_API_KEY"]
BILLFLOW_STRIPE_API_BASE = os.environ["BILLFLOW_STRIPE_API_BASE"]
BILLFLOW_STRIPE_WEBHOOK_SECRET = os.environ["BILLFLOW_STRIPE_WEBHOOK_SECRET"]

# A failing request's traceback in the server's log (with DEBUG off Django only mails it).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR"},
        "billflow_core": {"handlers": ["console"], "level": "WARNING"},
        "billflow_wagtail": {"handlers": ["console"], "level": "WARNING"},
    },
}
