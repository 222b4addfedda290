"""The snippet that puts the portal in a page: a container, its settings, the script.

A site without a plugin calls `embed_snippet` in its own template; the plugins ask
`portal_or_sign_in` for their template tags, which decides between the portal and the
site's own sign-in. The settings travel as JSON in a `<script type="application/json">`
inside the container, escaped so no value can close the tag, and never as code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from ..billing.state import identity_kind
from ..errors import SettingsError
from ..portal import Portal
from .api import DEFAULT_PREFIX

__all__ = ["SignInNeeded", "embed_snippet", "portal_or_sign_in", "settings_json"]

# Characters that could end the script element or start markup, written as JSON escapes.
_UNSAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
           ord("\u2028"): "\\u2028", ord("\u2029"): "\\u2029"}  # fmt: skip


def settings_json(settings: dict[str, Any]) -> str:
    """`settings` as JSON safe to put inside a `<script>` element."""
    return json.dumps(settings, ensure_ascii=False, separators=(",", ":")).translate(_UNSAFE)


def embed_snippet(
    portal: Portal,
    identity: str | None,
    *,
    prefix: str = DEFAULT_PREFIX,
    subscription: str | None = None,
    hash: str | None = None,
    script_url: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Markup:
    """The HTML that embeds the portal for the logged-in `identity` (their email, or their
    Stripe customer id, as the site identifies customers). `identity=None` is a visitor the
    site does not know: the portal asks their email and signs them in by link (the site
    must offer `email_sign_in`; `SettingsError` otherwise).

    The snippet carries one page token (`Portal.page_token`): the identity, this page's
    own `overrides` (`PAGE_OVERRIDABLE`: which service's plans, which actions), the
    `subscription` it is limited to, the site and an expiry (`hash_lifetime`), all signed,
    so the server takes them from it and a visitor can drop none of them. `SettingsError`
    for an option a page may not set or a bad value.

    `hash`: the site's own identity hash instead of a token, as a hand-written hosted
    Billflow snippet carries it; such a page gets the site's options (so `overrides` is
    refused with it) and `subscription` then only narrows what it shows. `prefix` is where
    the portal's API is mounted; `script_url` another address for the script (a CDN)."""
    settings: dict[str, Any] = {"api": prefix}
    if identity is None and not portal.settings.email_sign_in:
        raise SettingsError(
            "a snippet for a visitor the site does not know needs email_sign_in on: "
            "pass the logged-in customer's identity, or switch email sign-in on",
            param="identity",
        )
    if identity is not None:
        settings[identity_kind(identity)] = identity  # shown by the script, proves nothing
    if hash is not None:
        if overrides:
            raise SettingsError(
                "a page's own options travel in its page token: leave out hash= to use them",
                param="hash",
            )
        if identity is None:
            raise SettingsError("hash= needs the identity it proves", param="identity")
        settings["hash"] = hash
        if subscription:
            settings["subscription_id"] = subscription
    else:
        settings["page"] = portal.page_token(
            identity, overrides=overrides, subscription=subscription
        )
    # Known before the first answer, so the script heeds them from its first event on.
    if not portal.settings.events:
        settings["events"] = False
    if portal.settings.debug:
        settings["debug"] = True
    script = script_url or f"{prefix}/embed.js"
    return Markup(
        '<link rel="stylesheet" href="{css}" data-billflow-css>'
        '<div id="billflow-embed" data-billflow>'
        '<script type="application/json" data-billflow-settings>{settings}</script>'
        "</div>"
        '<script src="{script}" defer></script>'
    ).format(
        css=f"{script.rsplit('/', 1)[0]}/portal.css",
        settings=Markup(settings_json(settings)),
        script=escape(script),
    )


@dataclass(frozen=True)
class SignInNeeded:
    """No portal for this visitor: the site does not know them and email sign-in is off,
    so the way in is the site's own sign-in (the plugins show a prompt linking to it)."""


def portal_or_sign_in(
    portal: Portal,
    identity: str | None,
    *,
    prefix: str = DEFAULT_PREFIX,
    subscription: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Markup | SignInNeeded:
    """What a page shows the visitor in front of it: for the logged-in `identity` the
    portal's snippet (its page token made here, limited to `subscription`); for a visitor
    the site does not know, the email sign-in snippet where `email_sign_in` is on (never a
    token naming anyone, nor a subscription), else `SignInNeeded`. A page showing a snippet
    with an identity carries that visitor's token: keep it out of shared caches.
    `SettingsError` as `embed_snippet` raises it."""
    if identity is not None:
        return embed_snippet(
            portal, identity, prefix=prefix, subscription=subscription, overrides=overrides
        )
    if portal.settings.email_sign_in:
        return embed_snippet(portal, None, prefix=prefix, overrides=overrides)
    return SignInNeeded()
