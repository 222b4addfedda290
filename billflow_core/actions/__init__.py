"""What a customer may do, and how each is done.

`table` lists every action (its payload, the option that switches it off, its events, what
the page says once it is done); `dispatch` runs one, after the checks every payload and
Idempotency-Key pass; `context` is what an action works with (the customer, their
subscriptions read once, the action's key); `answers` keeps each answer so a retried request
gets it again instead of a second write. The rest is one module per family of actions.

Only the table is imported here: the rules read it to refuse a switched-off action, and the
action modules import the rules.
"""

from .table import ACTIONS, ActionSpec, page_actions

__all__ = ["ACTIONS", "ActionSpec", "page_actions"]
