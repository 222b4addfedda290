"""Checking the `phases[]` of a schedule update without making it: each phase's dates, items
and discounts as Stripe stores them, or Stripe's error for the first thing wrong.

Phases follow one another: each starts when the one before ends, the first carries the
`start_date` the others are counted from, and a phase without `end_date` or `duration` lasts
one billing period of its first price. The phase in effect keeps its start, and phases that
have ended stay as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import shapes
from ..context import Context
from ..errors import StripeError, invalid, not_implemented
from .periods import add_interval
from .prices import interval_of, require_price
from .subscription_checks import quantity_of, same_billing

JSON = dict[str, Any]

# What a phase and a phase's item may hold here; Stripe's other options are refused by name.
_PHASE_FIELDS = frozenset(
    {"items", "start_date", "end_date", "duration", "proration_behavior", "metadata",
     "discounts", "currency"}
)  # fmt: skip
_ITEM_FIELDS = frozenset({"price", "plan", "quantity", "metadata", "discounts"})


@dataclass
class Phases:
    """The checked phases, ready to store, and which of them is in effect now."""

    phases: list[JSON]
    current: int


def plan_phases(ctx: Context, schedule: JSON, sub: JSON, specs: list[JSON], now: int) -> Phases:
    """The schedule's phases after `phases[]`, checked against the schedule and its
    subscription at `now`; writes nothing."""
    if not specs:
        raise invalid("Missing required param: phases.", param="phases", code="parameter_missing")
    phases: list[JSON] = []
    for index, spec in enumerate(specs):
        start = _start_of(spec, index, phases[-1]["end_date"] if phases else None, now)
        phases.append(_phase(ctx, sub, spec, index, start))
    current = _in_effect(schedule, phases, now)
    # Ended phases are history: they stay as stored, and the phase in effect keeps its trial.
    stored = schedule["phases"]
    for index in range(current):
        phases[index] = next(
            p
            for p in stored
            if (p["start_date"], p["end_date"])
            == (phases[index]["start_date"], phases[index]["end_date"])
        )
    ongoing = next(p for p in stored if p["start_date"] == phases[current]["start_date"])
    phases[current]["trial_end"] = ongoing["trial_end"]
    return Phases(phases, current)


def _start_of(spec: JSON, index: int, previous_end: int | None, now: int) -> int:
    given = spec.get("start_date")
    start = now if given == "now" else given
    if previous_end is None:
        if start is None:
            raise invalid(
                "The subscription schedule update is missing at least one phase with a "
                "`start_date` to anchor end dates to.",
                param="phases",
            )
        return int(start)
    if start is not None and start != previous_end:
        raise invalid(
            f"The start_date of phase {index} must be the end_date of phase {index - 1} "
            f"({previous_end}): the phases of a schedule follow one another without gaps "
            "or overlaps.",
            param=f"phases[{index}][start_date]",
        )
    return previous_end


def _phase(ctx: Context, sub: JSON, spec: JSON, index: int, start: int) -> JSON:
    param = f"phases[{index}]"
    for field in sorted(spec.keys() - _PHASE_FIELDS):
        raise not_implemented(f"{param}[{field}]")
    items, prices = _items(ctx, sub, spec["items"], param)
    if spec.get("currency") not in (None, sub["currency"]):
        raise invalid(
            f"The currency of a phase must be the subscription's ({sub['currency']}).",
            param=f"{param}[currency]",
        )
    end = _end_of(spec, param, start, prices[0])
    return shapes.schedule_phase(
        start_date=start,
        end_date=end,
        currency=sub["currency"],
        items=items,
        discounts=_discounts(sub, spec.get("discounts"), param),
        metadata=spec.get("metadata"),
        proration_behavior=spec.get("proration_behavior", "create_prorations"),
    )


def _items(ctx: Context, sub: JSON, specs: list[JSON], param: str) -> tuple[list[JSON], list[JSON]]:
    if not specs:
        raise invalid(
            f"Missing required param: {param}[items].",
            param=f"{param}[items]",
            code="parameter_missing",
        )
    items: list[JSON] = []
    prices: list[JSON] = []
    for index, spec in enumerate(specs):
        at = f"{param}[items][{index}]"
        for field in sorted(spec.keys() - _ITEM_FIELDS):
            raise not_implemented(f"{at}[{field}]")
        if spec.get("discounts"):
            raise not_implemented(f"{at}[discounts]")
        if not (spec.get("price") or spec.get("plan")):
            raise invalid(
                f"Missing required param: {at}[price].",
                param=f"{at}[price]",
                code="parameter_missing",
            )
        price = require_price(ctx, spec.get("price") or spec["plan"], f"{at}[price]")
        if price["currency"] != sub["currency"]:
            raise invalid(
                "All prices on a subscription must have the same currency.", param=f"{at}[price]"
            )
        if any(p["id"] == price["id"] for p in prices):
            raise invalid(
                "Cannot add multiple subscription items with the same price.",
                param=f"{at}[price]",
            )
        prices.append(price)
        items.append(
            shapes.phase_item(
                price=price["id"], quantity=quantity_of(spec, at), metadata=spec.get("metadata")
            )
        )
    same_billing(prices, f"{param}[items]")
    return items, prices


def _end_of(spec: JSON, param: str, start: int, price: JSON) -> int:
    end_date, duration = spec.get("end_date"), spec.get("duration")
    if end_date is not None and duration is not None:
        raise invalid(
            "A phase takes `end_date` or `duration`, not both.", param=f"{param}[duration]"
        )
    if end_date == "now":
        raise not_implemented(f"{param}[end_date]", "now")
    if end_date is not None:
        end = int(end_date)
    elif duration is not None:
        end = add_interval(start, duration["interval"], duration.get("interval_count", 1))
    else:
        end = add_interval(start, *interval_of(price))
    if end <= start:
        raise invalid(
            "The end_date of a phase must be after its start_date.", param=f"{param}[end_date]"
        )
    return end


def _discounts(sub: JSON, specs: list[JSON] | str | None, param: str) -> list[str]:
    """Discount ids for the phase: only discounts the subscription already has can be kept
    (a phase that names none ends them when it begins, as on Stripe)."""
    kept: list[str] = []
    for index, spec in enumerate(specs if isinstance(specs, list) else []):
        at = f"{param}[discounts][{index}]"
        for field in ("coupon", "promotion_code"):
            if spec.get(field):
                raise not_implemented(f"{at}[{field}]")
        discount = spec.get("discount")
        if not discount:
            raise invalid(
                f"Missing required param: {at}[discount].",
                param=f"{at}[discount]",
                code="parameter_missing",
            )
        if discount not in sub["discounts"]:
            raise StripeError(
                f"No such discount: '{discount}'",
                status=404,
                code="resource_missing",
                param=f"{at}[discount]",
            )
        kept.append(discount)
    return kept


def _in_effect(schedule: JSON, phases: list[JSON], now: int) -> int:
    """The index of the phase in effect; it must be the schedule's current phase, with the
    same start, and phases before it must be ones that already ended."""
    current = schedule["current_phase"]
    starts = [p["start_date"] for p in phases]
    if current is None or current["start_date"] not in starts:
        at = next((i for i, p in enumerate(phases) if p["start_date"] <= now < p["end_date"]), 0)
        raise invalid(
            "You can not modify the start date of the current phase.",
            param=f"phases[{at}][start_date]",
        )
    index = starts.index(current["start_date"])
    if phases[index]["end_date"] <= now:
        raise invalid(
            "The current phase must end in the future.", param=f"phases[{index}][end_date]"
        )
    ended = {(p["start_date"], p["end_date"]) for p in schedule["phases"]}
    for past in range(index):
        if (phases[past]["start_date"], phases[past]["end_date"]) not in ended:
            raise invalid(
                "You can not modify phases that have already ended.", param=f"phases[{past}]"
            )
    return index
