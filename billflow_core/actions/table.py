"""Every action a page may ask for, in one table: the payload it takes, the site option that
switches it off, the events the page sends around it, what the page says once it is done
and how the page offers it.

The dispatcher, the feature checks, the renderer, the OpenAPI schemas and the page script
all read this table (the script through the portal's JSON), so adding an action is one
entry here plus its run function in `dispatch.RUNS`; tests/core/test_action_table.py fails
when a consumer disagrees with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

__all__ = ["ACTIONS", "ActionSpec", "page_actions"]


@dataclass(frozen=True)
class ActionSpec:
    """One action. `option` names the `PortalSettings` field that switches it off (None:
    nothing does; the rules still decide when it applies). `offered`: how a subscription's
    card offers it, "open" (a dialog asks for more) or "run" (a button does it), in the
    table's order; None for actions the page takes as steps of others. `done`: the catalog
    key of what the page says once it is done, when the answer brings no sentence of its
    own. `refused`: what the server answers when `option` switches it off, where "This site
    does not allow <name>." would not read well."""

    name: str
    fields: frozenset[str]
    required: tuple[str, ...] = ()
    nullable: frozenset[str] = frozenset()
    option: str | None = None
    offered: Literal["open", "run"] | None = None
    done: str | None = None
    event: str = ""  # hosted Billflow's event name; the action's own name when empty
    pre_event: str = ""  # `pre_<event>` when empty
    refused: str = ""

    @property
    def refusal(self) -> str:
        """The message of the `feature_disabled` refusal when the site switched it off."""
        return self.refused or f"This site does not allow {self.name.replace('_', ' ')}."

    @property
    def events(self) -> tuple[str, str]:
        """The events the page sends before it asks and once it is done."""
        done = self.event or self.name
        return (self.pre_event or f"pre_{self.name}", done)


def _spec(name: str, fields: str, required: str = "", **more: Any) -> ActionSpec:
    return ActionSpec(name, frozenset(fields.split()), tuple(required.split()), **more)


# In the order a subscription's card offers them.
ACTIONS: Mapping[str, ActionSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            _spec("change_plan", "subscription price", "subscription price",
                  option="change_plan", offered="open", done="plans.done"),
            _spec("change_quantity", "subscription quantity", "subscription quantity",
                  option="change_quantity", offered="open", done="quantity.done"),
            _spec("apply_coupon", "subscription coupon", "subscription coupon",
                  option="coupons", offered="open", done="coupon.applied"),
            _spec("pause", "subscription resumes_at", "subscription resumes_at",
                  option="pause_instead_of_cancel", offered="open", done="pause.done"),
            _spec("resume", "subscription", "subscription",
                  option="pause_instead_of_cancel", offered="run", done="resume.done"),
            _spec("undo_downgrade", "subscription", "subscription",
                  offered="run", done="undo_downgrade.done"),
            _spec("undo_cancel", "subscription", "subscription",
                  option="cancel", offered="run", done="undo_cancel.done"),
            _spec("resubscribe", "subscription price coupon", "subscription",
                  nullable=frozenset({"price", "coupon"}), option="resubscribe",
                  offered="open", done="resubscribe.done"),
            _spec("cancel", "subscription reason comment", "subscription",
                  nullable=frozenset({"comment"}), option="cancel", offered="open",
                  done="cancel.done"),
            _spec("accept_retention_offer", "subscription reason", "subscription reason",
                  option="retention_offer", done="offer.done",
                  refused="This site makes no retention offer."),
            _spec("subscribe", "price coupon quantity", "price",
                  nullable=frozenset({"coupon", "quantity"}),
                  done="subscribe.done", event="create_subscription",
                  pre_event="pre_subscribe"),
            # A new card's setup, for the card form of either option (`check_feature`).
            _spec("setup_payment_method", "",
                  refused="This site does not let customers change their card here."),
            _spec("update_payment_method", "payment_method setup_intent", "payment_method",
                  nullable=frozenset({"setup_intent"}),
                  option="update_payment_method", done="card.saved",
                  refused="This site does not let customers change their card here."),
            _spec("finish_payment", "subscription setup_intent", "subscription",
                  nullable=frozenset({"setup_intent"})),
            _spec("update_billing_details",
                  "name email phone line1 line2 city state postal_code country",
                  option="billing_details", done="details.saved",
                  refused="This site does not let customers change their billing details here."),
            _spec("add_tax_id", "type value", "type value", option="tax_ids",
                  done="tax_id.added",
                  refused="This site does not let customers add tax IDs here."),
            _spec("remove_tax_id", "tax_id", "tax_id", option="tax_ids",
                  done="tax_id.removed",
                  refused="This site does not let customers remove tax IDs here."),
            _spec("add_payment_method", "payment_method", "payment_method",
                  option="payment_methods", done="card.added",
                  refused="This site does not let customers save several cards here."),
            _spec("set_default_payment_method", "payment_method", "payment_method",
                  option="payment_methods", done="card.made_default",
                  refused="This site does not let customers choose their default card here."),
            _spec("remove_payment_method", "payment_method", "payment_method",
                  option="payment_methods", done="card.removed",
                  refused="This site does not let customers remove cards here."),
            _spec("pay_invoice", "invoice", "invoice", option="pay_invoices",
                  done="invoices.paid",
                  refused="This site does not take invoice payments here."),
        )
    }
)  # fmt: skip


def page_actions() -> dict[str, dict[str, Any]]:
    """What the page script needs of each action: the fields its forms send, its two
    events and the text it says once done (sent with the portal's JSON)."""
    return {
        spec.name: {
            "fields": sorted(spec.fields),
            "pre_event": spec.events[0],
            "event": spec.events[1],
            "done": spec.done,
        }
        for spec in ACTIONS.values()
    }
