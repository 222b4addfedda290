"""The bridge's admin page: a small server-rendered page, signed in with the admin key, where
a site owner sees each target and REST hook with its state and the recent deliveries, sends
a sample event, retries a delivery and switches a target back on. In every language the
portal speaks; no script, one stylesheet."""

from .views import blueprint

__all__ = ["blueprint"]
