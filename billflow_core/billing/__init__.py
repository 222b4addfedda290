"""What the portal knows of a customer's billing: the plan catalog and promotion codes (cached),
the facts the rules read off a subscription, every rule, the state a page shows, and the
invoices.
"""
