"""The version of the billflow distribution, which stripe-python also reports to Stripe in
each request's user agent (as an app's name and version)."""

__version__ = "0.1.0"
