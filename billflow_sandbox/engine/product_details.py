"""What a product says of itself beyond its name and prices: images, URL, statement
descriptor, shipping facts and marketing features, checked as Stripe checks them."""

from __future__ import annotations

from typing import Any

from ..errors import invalid

JSON = dict[str, Any]

__all__ = ["product_details"]

MAX_IMAGES = 8
MAX_FEATURES = 15
_DESCRIPTOR_FORBIDDEN = set("<>\\'\"*")


def product_details(params: JSON, *, creating: bool) -> JSON:
    """The product fields `params` set, ready to store (an empty string unsets a field on
    update). `type` is set only when the product is created, as on Stripe."""
    details: JSON = {}
    if "images" in params:
        images = params["images"] or []
        if len(images) > MAX_IMAGES:
            raise invalid(f"A product can have at most {MAX_IMAGES} images.", param="images")
        for index, url in enumerate(images):
            if not url.startswith(("https://", "http://")):
                raise invalid(f"Invalid URL: {url}", param=f"images[{index}]")
        details["images"] = list(images)
    if "url" in params:
        url = params["url"] or None
        if url is not None and not url.startswith(("https://", "http://")):
            raise invalid(f"Invalid URL: {url}", param="url")
        details["url"] = url
    if "statement_descriptor" in params:
        details["statement_descriptor"] = _descriptor(params["statement_descriptor"])
    if "shippable" in params:
        details["shippable"] = params["shippable"] if params["shippable"] != "" else None
    if "tax_code" in params:
        details["tax_code"] = params["tax_code"] or None
    if "package_dimensions" in params:
        details["package_dimensions"] = _dimensions(params["package_dimensions"])
    if "marketing_features" in params:
        features = params["marketing_features"] or []
        if len(features) > MAX_FEATURES:
            raise invalid(
                f"A product can have at most {MAX_FEATURES} marketing features.",
                param="marketing_features",
            )
        details["marketing_features"] = [{"name": feature["name"]} for feature in features]
    if creating and "type" in params:
        details["type"] = params["type"]
    return details


def _descriptor(value: str) -> str | None:
    if value == "":
        return None
    if len(value) > 22 or _DESCRIPTOR_FORBIDDEN & set(value) or not value.strip():
        raise invalid(
            "The statement descriptor must be at most 22 characters, with none of < > \\ ' \" *.",
            param="statement_descriptor",
        )
    return value


def _dimensions(value: JSON | str) -> JSON | None:
    if value == "":
        return None
    assert isinstance(value, dict)
    dimensions: JSON = {}
    for side in ("height", "length", "weight", "width"):
        if side not in value:
            raise invalid(
                f"Missing required param: package_dimensions[{side}].",
                param=f"package_dimensions[{side}]",
                code="parameter_missing",
            )
        dimensions[side] = float(value[side])
    return dimensions
