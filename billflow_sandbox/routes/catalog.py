"""Products and prices: the catalog a portal offers."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from stripe import params as sp

from .. import shapes
from ..context import Context
from ..engine.listing import created_filter, merge_metadata, page, search
from ..engine.product_details import product_details
from ..errors import invalid
from ..routing import Routes

JSON = dict[str, Any]
ROUTES = Routes()


def _changes(before: JSON, after: JSON) -> JSON:
    return {k: v for k, v in before.items() if after.get(k) != v}


# -- products ------------------------------------------------------------------------------
@ROUTES.route("GET", "/v1/products/search", sp.ProductSearchParams)
def search_products(ctx: Context, params: JSON) -> JSON:
    return search(
        ctx.state.all("product"),
        params["query"],
        "/v1/products/search",
        params,
        {"name": "name", "active": "active", "description": "description"},
    )


@ROUTES.route("POST", "/v1/products", sp.ProductCreateParams)
def create_product(ctx: Context, params: JSON) -> JSON:
    state = ctx.state
    product_id = params.get("id") or state.new_id("product")
    if state.find("product", product_id):
        raise invalid("Product already exists.", param="id", code="resource_already_exists")
    price_data = params.get("default_price_data")
    # The price is checked before the product is written: a refused price refuses it all.
    checked = _check_price(ctx, price_data) if price_data else None
    product = shapes.product(
        id=product_id,
        created=ctx.now(),
        name=params["name"],
        active=params.get("active", True),
        description=params.get("description") or None,
        metadata=merge_metadata({}, params.get("metadata", {})),
        unit_label=params.get("unit_label") or None,
    )
    product.update(product_details(params, creating=True))
    state.put(product)
    ctx.emit("product.created", product)
    if checked is not None:
        price = _write_price(ctx, checked, product_id)
        before = copy.deepcopy(product)
        product["default_price"] = price["id"]
        ctx.emit("product.updated", product, _changes(before, product))
    return product


@ROUTES.route("GET", "/v1/products/{id}", sp.ProductRetrieveParams)
def retrieve_product(ctx: Context, params: JSON) -> JSON:
    return ctx.state.get("product", ctx.args["id"])


@ROUTES.route("POST", "/v1/products/{id}", sp.ProductUpdateParams)
def update_product(ctx: Context, params: JSON) -> JSON:
    product = ctx.state.get("product", ctx.args["id"])
    if params.get("default_price"):
        price = ctx.state.get("price", params["default_price"], param="default_price")
        if price["product"] != product["id"]:
            raise invalid("The default price must belong to this product.", param="default_price")
    metadata = (
        merge_metadata(product["metadata"], params["metadata"]) if "metadata" in params else None
    )
    before = copy.deepcopy(product)
    for field in ("name", "active", "description", "unit_label", "default_price"):
        if field in params:
            product[field] = params[field] if params[field] != "" else None
    product.update(product_details(params, creating=False))
    if metadata is not None:
        product["metadata"] = metadata
    product["updated"] = ctx.now()
    changed = _changes(before, product)
    changed.pop("updated", None)
    if changed:
        ctx.emit("product.updated", product, changed)
    return product


@ROUTES.route("DELETE", "/v1/products/{id}", sp.ProductDeleteParams)
def delete_product(ctx: Context, params: JSON) -> JSON:
    product = ctx.state.get("product", ctx.args["id"])
    if any(p["product"] == product["id"] for p in ctx.state.all("price")):
        raise invalid(
            "This product cannot be deleted because it has one or more user-created prices."
        )
    ctx.state.delete("product", product["id"])
    ctx.emit("product.deleted", product)
    return shapes.deleted(object="product", id=product["id"])


@ROUTES.route("GET", "/v1/products", sp.ProductListParams)
def list_products(ctx: Context, params: JSON) -> JSON:
    keep = created_filter(params)
    ids, active = params.get("ids"), params.get("active")
    shippable, kind, url = params.get("shippable"), params.get("type"), params.get("url")
    found = [
        p
        for p in ctx.state.all("product")
        if (active is None or p["active"] == active)
        and (ids is None or p["id"] in ids)
        and (shippable is None or p["shippable"] == shippable)
        and (kind is None or p["type"] == kind)
        and (url is None or p["url"] == url)
        and keep(p)
    ]
    return page(found, params, "/v1/products")


# -- prices --------------------------------------------------------------------------------
@ROUTES.route("GET", "/v1/prices/search", sp.PriceSearchParams)
def search_prices(ctx: Context, params: JSON) -> JSON:
    return search(
        ctx.state.all("price"),
        params["query"],
        "/v1/prices/search",
        params,
        {
            "active": "active",
            "currency": "currency",
            "lookup_key": "lookup_key",
            "product": "product",
            "type": "type",
        },
    )


@ROUTES.route("POST", "/v1/prices", sp.PriceCreateParams)
def create_price(ctx: Context, params: JSON) -> JSON:
    product_id = params.get("product")
    if product_id is None and "product_data" not in params:
        raise invalid("Missing required param: product.", param="product", code="parameter_missing")
    if product_id is not None:
        ctx.state.get("product", product_id, param="product")
    checked = _check_price(ctx, params)
    # Everything is checked: only now may the request write (a product from product_data).
    if product_id is None:
        product_id = create_product(ctx, params["product_data"])["id"]
    return _write_price(ctx, checked, product_id)


@dataclass
class _CheckedPrice:
    """What `_check_price` found acceptable, for `_write_price` to store."""

    currency: str
    unit_amount: int
    recurring: JSON | None
    lookup_key: str | None
    holder: JSON | None  # the price whose lookup key moves to this one
    metadata: JSON
    active: bool
    nickname: str | None
    tax_behavior: str


def _check_price(ctx: Context, params: JSON) -> _CheckedPrice:
    """Check a price's own parameters (not its product) without writing anything."""
    unit_amount = params.get("unit_amount")
    if unit_amount is None and "unit_amount_decimal" in params:
        unit_amount = _whole_minor_units(params["unit_amount_decimal"])
    if unit_amount is None:
        raise invalid(
            "Missing required param: unit_amount.", param="unit_amount", code="parameter_missing"
        )
    if unit_amount < 0:
        raise invalid(
            "This value must be greater than or equal to 0.",
            param="unit_amount" if "unit_amount" in params else "unit_amount_decimal",
        )
    recurring = params.get("recurring")
    if recurring is not None:
        count = recurring.get("interval_count", 1)
        limit = {"day": 1095, "week": 156, "month": 36, "year": 3}[recurring["interval"]]
        if not 1 <= count <= limit:
            raise invalid(
                f"The maximum billing frequency is 3 years (interval_count {count}).",
                param="recurring[interval_count]",
            )
        recurring = {
            "interval": recurring["interval"],
            "interval_count": count,
            "trial_period_days": recurring.get("trial_period_days"),
        }
    lookup_key = params.get("lookup_key") or None
    holder = None
    if lookup_key:
        holder = next((p for p in ctx.state.all("price") if p["lookup_key"] == lookup_key), None)
        if holder is not None and not params.get("transfer_lookup_key"):
            raise invalid(
                f"A price (`{holder['id']}`) already uses that lookup key.", param="lookup_key"
            )
    metadata = merge_metadata({}, params.get("metadata", {}))
    return _CheckedPrice(
        currency=params["currency"].lower(),
        unit_amount=unit_amount,
        recurring=recurring,
        lookup_key=lookup_key,
        holder=holder,
        metadata=metadata,
        active=params.get("active", True),
        nickname=params.get("nickname") or None,
        tax_behavior=params.get("tax_behavior", "unspecified"),
    )


def _whole_minor_units(value: str) -> int:
    """`unit_amount_decimal` as an integer amount. Stripe keeps fractions of a minor unit
    and rounds each invoice; the sandbox bills whole minor units, so it refuses them."""
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise invalid(
            f"Invalid unit_amount_decimal: {value}. The sandbox bills whole minor units, so "
            "this must be a whole number of them (e.g. 1500 for 15.00 USD); use unit_amount.",
            param="unit_amount_decimal",
        )
    return int(amount)


def _write_price(ctx: Context, checked: _CheckedPrice, product_id: str) -> JSON:
    holder = checked.holder
    if holder is not None:
        before = copy.deepcopy(holder)
        holder["lookup_key"] = None
        ctx.emit("price.updated", holder, _changes(before, holder))
    price = shapes.price(
        id=ctx.state.new_id("price"),
        created=ctx.now(),
        product=product_id,
        currency=checked.currency,
        unit_amount=checked.unit_amount,
        recurring=checked.recurring,
        active=checked.active,
        lookup_key=checked.lookup_key,
        nickname=checked.nickname,
        metadata=checked.metadata,
        tax_behavior=checked.tax_behavior,
    )
    ctx.state.put(price)
    ctx.emit("price.created", price)
    return price


@ROUTES.route("GET", "/v1/prices/{id}", sp.PriceRetrieveParams)
def retrieve_price(ctx: Context, params: JSON) -> JSON:
    return ctx.state.get("price", ctx.args["id"])


@ROUTES.route("POST", "/v1/prices/{id}", sp.PriceUpdateParams)
def update_price(ctx: Context, params: JSON) -> JSON:
    price = ctx.state.get("price", ctx.args["id"])
    metadata = (
        merge_metadata(price["metadata"], params["metadata"]) if "metadata" in params else None
    )
    lookup_key = params.get("lookup_key")
    holder = None
    if lookup_key:
        holder = next(
            (
                p
                for p in ctx.state.all("price")
                if p["lookup_key"] == lookup_key and p["id"] != price["id"]
            ),
            None,
        )
        if holder is not None and not params.get("transfer_lookup_key"):
            raise invalid(
                f"A price (`{holder['id']}`) already uses that lookup key.", param="lookup_key"
            )
    behavior = params.get("tax_behavior")
    if behavior is not None and price["tax_behavior"] not in ("unspecified", behavior):
        # Stripe lets a price's tax behaviour be set once, never changed.
        raise invalid(
            f"This price's tax_behavior is {price['tax_behavior']} and cannot be changed.",
            param="tax_behavior",
        )
    before = copy.deepcopy(price)
    if behavior is not None:
        price["tax_behavior"] = behavior
    if holder is not None:
        holder_before = copy.deepcopy(holder)
        holder["lookup_key"] = None
        ctx.emit("price.updated", holder, _changes(holder_before, holder))
    for field in ("active", "nickname", "lookup_key"):
        if field in params:
            price[field] = params[field] if params[field] != "" else None
    if metadata is not None:
        price["metadata"] = metadata
    changed = _changes(before, price)
    if changed:
        ctx.emit("price.updated", price, changed)
    return price


@ROUTES.route("GET", "/v1/prices", sp.PriceListParams)
def list_prices(ctx: Context, params: JSON) -> JSON:
    keep = created_filter(params)
    lookup_keys = params.get("lookup_keys")
    interval = (params.get("recurring") or {}).get("interval")
    active, product, kind = params.get("active"), params.get("product"), params.get("type")
    currency = params.get("currency")
    found = [
        p
        for p in ctx.state.all("price")
        if (active is None or p["active"] == active)
        and (product is None or p["product"] == product)
        and (currency is None or p["currency"] == currency.lower())
        and (kind is None or p["type"] == kind)
        and (lookup_keys is None or p["lookup_key"] in lookup_keys)
        and (interval is None or (p["recurring"] or {}).get("interval") == interval)
        and keep(p)
    ]
    return page(found, params, "/v1/prices")
