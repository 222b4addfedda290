"""Stripe itself: the gateway, the only code that calls Stripe's API, and Stripe's webhooks
into Billflow. Nothing else in the core imports `stripe`.
"""
