"""The walk over every parameter stripe-python defines for a route the sandbox serves.

It sends each route's top-level parameters one at a time (a sample value made from
stripe-python's own TypedDict for it), through stripe-python, against a fresh scene, and
sorts each answer:

- **acted**: the sandbox's request log shows the handler read the parameter, and the
  request succeeded or was refused for that parameter's value;
- **refused**: refused with the sandbox's "does not implement" error naming it;
- **empty**: stripe-python sends nothing for it (an object with no fields, `affirm={}`);
- **dropped**: accepted and never read;
- anything else (an error about another parameter, a server error) cannot be judged: the
  sample or the base request needs mending.
"""

from __future__ import annotations

import typing
from collections import Counter
from decimal import Decimal
from typing import Any, Literal

import requests
import stripe

from billflow_sandbox import Sandbox
from billflow_sandbox.params import _hints, _is_typeddict, _members, _strip_required
from billflow_sandbox.routes import all_routes

DAY = 86400


def _sample(tp: Any, depth: int = 0) -> Any:
    """A value of type `tp` that stripe-python would send, preferring structured members
    (a TypedDict over a string) so a nested parameter is reached."""
    tp, _ = _strip_required(tp)
    members = _members(tp)
    if len(members) == 1:
        tp = members[0]  # an enum, once the bare `str` stripe-python adds is set aside
    else:
        order = sorted(
            members,
            key=lambda m: (
                0
                if _is_typeddict(m)
                else 1
                if typing.get_origin(m) is Literal
                else 2
                if m in (bool, int)
                else 3
            ),
        )
        tp = order[0]
    origin = typing.get_origin(tp)
    if origin is Literal:
        return next((a for a in typing.get_args(tp) if a != ""), "")
    if tp is bool:
        return True
    if tp is int:
        return 1
    if tp in (float, Decimal):
        return "1.5"
    if origin in (list, typing.List):  # noqa: UP006 - stripe-python's spelling
        return [_sample(typing.get_args(tp)[0], depth + 1)]
    if _is_typeddict(tp):
        hints = _hints(tp)
        if depth >= 4:
            return {}
        required = {k: _sample(h, depth + 1) for k, h in hints.items() if _strip_required(h)[1]}
        if required:
            return required
        # No field is required: the first that makes a value stripe-python sends at all.
        for key, hint in hints.items():
            value = _sample(hint, depth + 1)
            if value not in ({}, [], [{}], ""):
                return {key: value}
        return {}
    if origin in (dict, typing.Dict) or "StripeObject" in getattr(tp, "__name__", ""):  # noqa: UP006
        return {"sample": "1"}
    return "sample"


def _scene(client: stripe.StripeClient) -> dict[str, str]:
    """One object of each kind the routes' paths name, and what their bases need."""
    v1 = client.v1
    product = v1.products.create({"name": "Walk"})
    price = v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": 500,
         "recurring": {"interval": "month"}}
    )  # fmt: skip
    clock = v1.test_helpers.test_clocks.create({"frozen_time": 1767225600})
    customer = v1.customers.create({"email": "walk@example.com", "test_clock": clock.id})
    card = v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": card.id}})
    coupon = v1.coupons.create({"percent_off": 10, "duration": "once"})
    promo = v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "WALK10"}
    )
    paid = v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    waiting = v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}],
         "payment_behavior": "default_incomplete",
         "expand": ["latest_invoice.confirmation_secret"]}
    )  # fmt: skip
    secret = waiting.latest_invoice.confirmation_secret.client_secret  # type: ignore[union-attr]
    schedule = v1.subscription_schedules.create({"from_subscription": paid.id})
    loose = v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    setup = v1.setup_intents.create({"customer": customer.id})
    endpoint = v1.webhook_endpoints.create({"url": "https://example.com/hook",
                                            "enabled_events": ["*"]})  # fmt: skip
    event = v1.events.list({"limit": 1}).data[0]
    tax_id = v1.customers.tax_ids.create(customer.id, {"type": "eu_vat", "value": "DE123456789"})
    charge = v1.charges.list({"customer": customer.id, "limit": 1}).data[0]
    return {
        "product": product.id, "price": price.id, "clock": clock.id, "customer": customer.id,
        "card": card.id, "coupon": coupon.id, "promo": promo.id, "subscription": paid.id,
        "waiting": waiting.id, "loose": loose.id, "item": paid["items"].data[0].id,
        "schedule": schedule.id,
        "invoice": str(paid.latest_invoice), "open_invoice": waiting.latest_invoice.id,  # type: ignore[union-attr]
        "payment_intent": secret.split("_secret_")[0], "setup_intent": setup.id,
        "endpoint": endpoint.id, "event": event.id, "tax_id": tax_id.id, "charge": charge.id,
    }  # fmt: skip


# Which scene object a route's `{id}` is, by the path's resource.
_PATH_OBJECT = {
    "products": "product", "prices": "price", "test_clocks": "clock", "coupons": "coupon",
    "promotion_codes": "promo", "customers": "customer", "events": "event",
    "webhook_endpoints": "endpoint", "setup_intents": "setup_intent",
    "payment_intents": "payment_intent", "invoices": "invoice", "payment_methods": "card",
    "subscriptions": "subscription", "subscription_items": "item",
    "subscription_schedules": "schedule", "charges": "charge",
}  # fmt: skip

# Which scene object a path's other placeholder is.
_PLACEHOLDER_OBJECT = {"{tax_id}": "tax_id", "{payment_method}": "card"}

# Objects a route needs in another state than the scene's first of its kind.
_PATH_OVERRIDE = {
    "POST /v1/invoices/{id}/pay": "open_invoice",
    "POST /v1/invoices/{id}/void": "open_invoice",
}


def _base(name: str, scene: dict[str, str]) -> dict[str, Any]:
    """The required parameters of a route, with values the scene makes valid."""
    bases: dict[str, dict[str, Any]] = {
        "POST /v1/products": {"name": "Walk"},
        "POST /v1/prices": {"currency": "usd", "product": scene["product"], "unit_amount": 100},
        "POST /v1/test_helpers/test_clocks": {"frozen_time": 1767225600},
        "POST /v1/test_helpers/test_clocks/{id}/advance": {"frozen_time": 1767225600 + DAY},
        "POST /v1/promotion_codes": {"promotion": {"type": "coupon", "coupon": scene["coupon"]}},
        "POST /v1/webhook_endpoints": {"url": "https://example.com/h", "enabled_events": ["*"]},
        "POST /v1/payment_methods/{id}/attach": {"customer": scene["customer"]},
        "POST /v1/subscriptions": {"customer": scene["customer"],
                                   "items": [{"price": scene["price"]}]},
        "POST /v1/subscription_schedules": {"from_subscription": scene["loose"]},
        "GET /v1/subscriptions/search": {"query": "status:'active'"},
        "GET /v1/products/search": {"query": "active:'true'"},
        "GET /v1/prices/search": {"query": "active:'true'"},
        "GET /v1/customers/search": {"query": "email:'walk@example.com'"},
        "POST /v1/invoices/create_preview": {"subscription": scene["subscription"]},
        "POST /v1/coupons": {"percent_off": 10, "duration": "once"},
        "POST /v1/payment_methods": {"type": "card", "card": {"token": "tok_visa"}},
        "GET /v1/subscription_items": {"subscription": scene["subscription"]},
        "POST /v1/payment_intents/{id}/confirm": {"payment_method": scene["card"]},
        "POST /v1/setup_intents/{id}/confirm": {"payment_method": scene["card"]},
        "POST /v1/customers/{id}/tax_ids": {"type": "eu_vat", "value": "DE123456789"},
    }  # fmt: skip
    return bases.get(name, {})


# Where one parameter needs more than its type to be judged: the whole request for it.
def _special(name: str, param: str, scene: dict[str, str]) -> dict[str, Any] | None:
    special: dict[tuple[str, str], dict[str, Any]] = {
        ("POST /v1/products", "default_price_data"): {
            "name": "Walk", "default_price_data": {"currency": "usd", "unit_amount": 100}},
        ("POST /v1/coupons", "amount_off"): {
            "amount_off": 100, "currency": "usd", "duration": "once"},
        ("POST /v1/coupons", "currency"): {
            "amount_off": 100, "currency": "usd", "duration": "once"},
        ("POST /v1/coupons", "currency_options"): {
            "amount_off": 100, "currency": "usd", "duration": "once",
            "currency_options": {"eur": {"amount_off": 90}}},
        ("POST /v1/subscription_schedules", "customer"): {"customer": scene["customer"]},
        ("POST /v1/subscription_schedules", "phases"): {
            "from_subscription": scene["loose"],
            "phases": [{"items": [{"price": scene["price"]}]}]},
        ("POST /v1/setup_intents", "confirm"): {
            "customer": scene["customer"], "confirm": True, "payment_method": scene["card"]},
    }  # fmt: skip
    return special.get((name, param))


def _path(template: str, name: str, scene: dict[str, str]) -> str:
    if "{id}" not in template:
        return template
    parts = template.split("/")
    resource = parts[parts.index("{id}") - 1]
    path = template.replace("{id}", scene[_PATH_OVERRIDE.get(name, _PATH_OBJECT[resource])])
    for placeholder, kind in _PLACEHOLDER_OBJECT.items():
        path = path.replace(placeholder, scene[kind])
    return path


# Names `raw_request` keeps for itself; a parameter so named goes out as a plain form.
_RAW_REQUEST_OWN = frozenset({"usage", "base"})


def _send(client: stripe.StripeClient, sandbox: Sandbox, method: str, path: str,
          params: dict[str, Any]) -> None:  # fmt: skip
    if not _RAW_REQUEST_OWN & params.keys():
        client.raw_request(method.lower(), path, **params)
        return
    flat = [(k, v) for k, v in params.items() if not isinstance(v, (dict, list))]
    assert len(flat) == len(params), "only flat values are sent by form here"
    answer = requests.request(
        method, sandbox.url + path, data={k: str(v).lower() if isinstance(v, bool) else v
                                          for k, v in flat},
        headers={"Authorization": f"Bearer {sandbox.secret_key}"}, timeout=10,
    )  # fmt: skip
    if answer.status_code != 200:
        error = answer.json()["error"]
        raise stripe.InvalidRequestError(
            error["message"], error.get("param"), json_body={"error": error}
        )


def _judge(error: stripe.StripeError, param: str, read: frozenset[str]) -> str:
    """An error's verdict. One naming the parameter counts as acted on only when the
    handler read it (`read`, from the request log): the type check that runs before any
    handler would otherwise pass for a parameter the handler then drops."""
    named = getattr(error, "param", None) or ""
    message = error.user_message or ""
    if "does not implement" in message and param.startswith(f"{named}["):
        return "refused"  # refused with the object that holds it
    if named == param or named.startswith(f"{param}["):
        if "does not implement" in message:
            return "refused"
        return "acted" if param in read else "unjudged"
    if param.startswith(f"{named}[") and named in read:
        # Refused as a whole, as Stripe refuses it (a schedule made from a subscription
        # takes no `phases`): the handler answered for the object that holds it.
        return "acted"
    if param == "expand" and "cannot be expanded" in message:
        return "acted"  # the shared expansion, after the handler, refused the sample path
    return "unjudged"


def _served_routes() -> list[Any]:
    return [r for r in all_routes() if r.params is not None and r.template.startswith("/v1/")]


def _object_type(hint: Any) -> tuple[Any, bool] | None:
    """The TypedDict a parameter holds, and whether it is a list of them; None for others."""
    tp, _ = _strip_required(hint)
    for member in _members(tp):
        if _is_typeddict(member):
            return member, False
        if typing.get_origin(member) in (list, typing.List):  # noqa: UP006
            inner = typing.get_args(member)[0]
            found = _object_type(inner)
            if found is not None and not found[1]:
                return found[0], True
    return None


def _nested_pairs(route: Any) -> list[tuple[str, str, str, Any]]:
    """(top-level parameter, nested key, the name Stripe gives it, the key's type) for each
    key of each object-valued parameter of `route`: one level down."""
    pairs = []
    for param, hint in _hints(route.params).items():
        found = _object_type(hint)
        if found is None:
            continue
        cls, is_list = found
        for key, key_hint in _hints(cls).items():
            name = f"{param}[0][{key}]" if is_list else f"{param}[{key}]"
            pairs.append((param, key, name, key_hint))
    return pairs


def _nested_value(param_hint: Any, key: str, key_hint: Any, base: Any) -> Any:
    """The parameter's value with `key` in it: its required keys sampled, or taken from the
    value the route's base request gives it (a phase's items with a real price)."""
    found = _object_type(param_hint)
    assert found is not None
    cls, is_list = found
    hints = _hints(cls)
    value = {k: _sample(h, 1) for k, h in hints.items() if _strip_required(h)[1]}
    if isinstance(base, list) and base:
        base = base[0]
    if isinstance(base, dict):
        value.update(base)
    value[key] = _sample(key_hint, 1)
    return [value] if is_list else value


def _nested_base(name: str, param: str, scene: dict[str, str]) -> dict[str, Any]:
    """The request a nested parameter of `param` is sent in."""
    phase = {"items": [{"price": scene["price"]}]}
    bases: dict[tuple[str, str], dict[str, Any]] = {
        # An update's phases are anchored at the current phase's start (the scene's time).
        ("POST /v1/subscription_schedules/{id}", "phases"): {
            "phases": [{**phase, "start_date": 1767225600}]},
    }  # fmt: skip
    return bases.get((name, param)) or _special(name, param, scene) or _base(name, scene)


def _carries_nothing(value: Any) -> bool:
    """Whether stripe-python's encoding of `value` sends nothing: only empty objects."""
    if isinstance(value, dict):
        return all(_carries_nothing(v) for v in value.values())
    if isinstance(value, list):
        return all(_carries_nothing(v) for v in value)
    return False


def _sent(logged_params: dict[str, Any], name: str) -> bool:
    """Whether the nested `name` (`a[0][b]`) is among the parameters the sandbox received."""
    parts = name.replace("]", "").split("[")
    value: Any = logged_params
    for part in parts:
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return False
    return True


def _attempt(
    client: stripe.StripeClient,
    sandbox: Sandbox,
    route: Any,
    name: str,
    params: dict[str, Any],
    path: str,
    empty: bool,
) -> tuple[str, str | None]:
    """Send one request and judge `name` (a parameter, or a nested one) in it."""
    try:
        _send(client, sandbox, route.method, path, params)
        logged = sandbox.requests[-1]  # this request: the scene's came first
        assert logged.route == route.name
        if not _sent(logged.params, name):
            # stripe-python sends nothing for an empty object (`affirm={}`): no client this
            # walk can use makes the sandbox see it.
            assert empty, f"{route.name} {name} was not sent"
            return "empty", None
        if name in logged.read:
            return "acted", None
        return "dropped", f"{route.name} {name}: accepted and never read"
    except stripe.StripeError as error:
        logged = sandbox.requests[-1]
        read = logged.read if logged.route == route.name else frozenset()
        verdict = _judge(error, name, read)
        return (
            verdict,
            None if verdict != "unjudged" else f"{route.name} {name}: {error.user_message}",
        )


def walk(stripe_sandbox: Sandbox) -> tuple[Counter[str], list[str]]:
    """Each (route, parameter) pair's verdict, counted, and what could not be judged."""
    client = stripe_sandbox.client(max_network_retries=0)
    counts: Counter[str] = Counter()
    unjudged: list[str] = []
    for route in _served_routes():
        for param, hint in _hints(route.params).items():
            stripe_sandbox.reset(state=True)
            scene = _scene(client)
            params = _special(route.name, param, scene) or {
                **_base(route.name, scene),
                param: _sample(hint),
            }
            path = _path(route.template, route.name, scene)
            empty = _sample(hint) == {}
            verdict, why = _attempt(client, stripe_sandbox, route, param, params, path, empty)
            counts[verdict] += 1
            if why:
                unjudged.append(why)
    return counts, unjudged


def walk_nested(stripe_sandbox: Sandbox) -> tuple[Counter[str], list[str]]:
    """The same verdicts for each key one level inside an object-valued parameter
    (`restrictions[minimum_amount]`, `items[0][price]`), sent with its required siblings."""
    client = stripe_sandbox.client(max_network_retries=0)
    counts: Counter[str] = Counter()
    unjudged: list[str] = []
    for route in _served_routes():
        hints = _hints(route.params)
        for param, key, name, key_hint in _nested_pairs(route):
            stripe_sandbox.reset(state=True)
            scene = _scene(client)
            base = _nested_base(route.name, param, scene)
            value = _nested_value(hints[param], key, key_hint, base.get(param))
            params = {**base, param: value}
            path = _path(route.template, route.name, scene)
            empty = _carries_nothing(_sample(key_hint, 1))
            verdict, why = _attempt(client, stripe_sandbox, route, name, params, path, empty)
            counts[verdict] += 1
            if why:
                unjudged.append(why)
    return counts, unjudged
