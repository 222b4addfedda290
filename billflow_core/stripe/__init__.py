"""Stripe itself: the gateway, the only code that calls Stripe's API, Stripe's errors as
Billflow's, and Stripe's webhooks into Billflow. Nothing else in the core imports `stripe`
when it runs; the action modules name `stripe.params` types for the type checker only.
"""
