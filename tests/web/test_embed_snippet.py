"""The snippet a site puts in its page: the container, the settings the script reads, the
script, and no way for a value to break out of the JSON it travels in."""

from __future__ import annotations

import json
import re
import time

import pytest
from markupsafe import Markup

from billflow_core.errors import SettingsError
from billflow_core.identity.page_tokens import open_page
from billflow_core.mail import SMTPMailer
from billflow_core.portal import Portal
from billflow_core.settings import PortalSettings
from billflow_core.web.embed import SignInNeeded, embed_snippet, portal_or_sign_in
from billflow_sandbox import Sandbox

SECRET = "web-test-secret-0123456789"


def portal(sandbox: Sandbox, **options: object) -> Portal:
    return Portal(
        PortalSettings(**options),  # type: ignore[arg-type]
        secret_key=SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
    )


def settings_in(snippet: str) -> dict[str, object]:
    found = re.search(r"<script type=\"application/json\" data-billflow-settings>(.*?)</script>",
                      snippet, re.S)  # fmt: skip
    assert found, snippet
    settings: dict[str, object] = json.loads(found.group(1))
    return settings


def test_the_snippet_carries_a_page_token_the_portal_accepts_and_no_hash(
    stripe_sandbox: Sandbox,
) -> None:
    site = portal(stripe_sandbox, hash_lifetime=600)
    snippet = embed_snippet(site, "ada@example.com")

    assert isinstance(snippet, Markup)
    assert '<div id="billflow-embed" data-billflow>' in snippet
    assert '<script src="/billflow/embed.js" defer></script>' in snippet
    assert '<link rel="stylesheet" href="/billflow/portal.css" data-billflow-css>' in snippet
    settings = settings_in(snippet)
    assert settings["email"] == "ada@example.com" and settings["api"] == "/billflow"
    assert "hash" not in settings
    grant = open_page(SECRET, settings["page"], scope="", now=int(time.time()))
    assert grant.identity == "ada@example.com" and grant.options == {}
    assert time.time() + 590 < grant.expires_at <= time.time() + 600
    assert site.for_page(settings["page"])[0].identity == "ada@example.com"


def test_customer_ids_subscription_prefix_and_script_address_are_written_as_given(
    stripe_sandbox: Sandbox,
) -> None:
    site = portal(stripe_sandbox, identify_by="customer_id")
    snippet = embed_snippet(
        site,
        "cus_123",
        prefix="/account/billing",
        subscription="sub_456",
        hash="plain-hash",
        script_url="https://cdn.example.com/billflow/embed.js",
    )
    assert settings_in(snippet) == {
        "customer_id": "cus_123",
        "hash": "plain-hash",
        "api": "/account/billing",
        "subscription_id": "sub_456",
    }
    assert 'src="https://cdn.example.com/billflow/embed.js"' in snippet
    assert 'href="https://cdn.example.com/billflow/portal.css"' in snippet


def test_no_value_can_close_the_script_element_or_add_markup(stripe_sandbox: Sandbox) -> None:
    site = portal(stripe_sandbox)
    hostile = 'x"</script><script>alert(1)</script><!--@example.com'
    snippet = embed_snippet(site, hostile, script_url='/e.js"><script>alert(2)</script>')

    assert snippet.count("<script") == 2  # the settings and the script tag, nothing else
    assert "</script><script>alert" not in snippet and "<!--" not in snippet
    assert settings_in(snippet)["email"] == hostile
    assert 'src="/e.js&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"' in snippet


def signing_in_portal(stripe_sandbox: Sandbox) -> Portal:
    """A site whose visitors sign in by email (its mail goes nowhere: none is sent here)."""
    return Portal(
        PortalSettings(
            email_sign_in=True,
            company_name="Acme",
            sign_in_from_address="billing@acme.example",
            sign_in_redirect_url="https://acme.example/billing",
        ),
        secret_key=SECRET,
        stripe_api_key=stripe_sandbox.secret_key,
        stripe_api_base=stripe_sandbox.url,
        mailer=SMTPMailer("127.0.0.1", 1),
    )


def test_a_snippet_for_a_visitor_the_site_does_not_know_signs_them_in_by_email(
    stripe_sandbox: Sandbox,
) -> None:
    site = signing_in_portal(stripe_sandbox)
    settings = settings_in(embed_snippet(site, None, prefix="/billing"))
    assert set(settings) == {"api", "page"}
    assert open_page(SECRET, settings["page"], scope="", now=int(time.time())).identity is None


def test_a_snippet_without_an_identity_is_refused_where_email_sign_in_is_off(
    stripe_sandbox: Sandbox,
) -> None:
    with pytest.raises(SettingsError, match="needs email_sign_in on"):
        embed_snippet(portal(stripe_sandbox), None)


def test_a_page_shows_the_known_visitor_the_portal_and_anyone_else_a_way_to_sign_in(
    stripe_sandbox: Sandbox,
) -> None:
    site = portal(stripe_sandbox)
    known = portal_or_sign_in(
        site,
        "ada@example.com",
        prefix="/billing",
        subscription="sub_1",
        overrides={"cancel": False},
    )
    assert isinstance(known, Markup)
    settings = settings_in(known)
    assert settings["email"] == "ada@example.com" and settings["api"] == "/billing"
    grant = open_page(SECRET, settings["page"], scope="", now=int(time.time()))
    assert grant.identity == "ada@example.com" and grant.options == {"cancel": False}
    assert grant.subscription == "sub_1"
    assert portal_or_sign_in(site, None, subscription="sub_1") == SignInNeeded()

    signing_in = signing_in_portal(stripe_sandbox)
    anonymous = portal_or_sign_in(signing_in, None, subscription="sub_1")
    assert isinstance(anonymous, Markup)
    grant = open_page(SECRET, settings_in(anonymous)["page"], scope="", now=int(time.time()))
    assert grant.identity is None and not grant.subscription  # names nobody, limits nothing
