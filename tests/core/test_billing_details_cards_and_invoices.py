"""What goes on the invoices (name, email, address, phone, tax IDs), several saved cards and
paying an open invoice, through the portal as the page asks for them, against the sandbox."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import requests
import stripe
from past_due import bill_on_a_failing_card
from refusal import assert_refused

from billflow_core import user_hash
from billflow_core.errors import BadInput, Conflict, Forbidden, NotFound
from billflow_core.portal import Portal, Visitor
from billflow_core.settings import PortalSettings
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

SECRET = "billing-details-secret-0123456789"
_keys = itertools.count()

ADDRESS = {
    "line1": "1 Rue de Rivoli",
    "line2": "",
    "city": "Paris",
    "state": "",
    "postal_code": "75001",
    "country": "FR",
}


def _portal(sandbox: Sandbox, **options: Any) -> Portal:
    return Portal(
        PortalSettings(**options),
        secret_key=SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
    )


def _visitor(portal: Portal, identity: str = DEMO_EMAIL) -> Visitor:
    return portal.visitor(identity, user_hash(SECRET, identity))


def _act(portal: Portal, visitor: Visitor, action: str, payload: dict[str, Any]) -> Any:
    return portal.act(visitor, action, payload, idempotency_key=f"intent-{next(_keys):06d}")


# -- billing details ------------------------------------------------------------------------
def test_the_details_go_to_stripe_and_come_back_with_the_page(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox, billing_details=True)
    visitor = _visitor(portal)
    payload = {
        "name": "Ada  Lovelace ",
        "phone": "+33 1 23 45 67 89",
        **ADDRESS,
        "email": DEMO_EMAIL,
    }

    done = _act(portal, visitor, "update_billing_details", payload)

    stored = stripe_client.v1.customers.retrieve(demo["customer"])
    assert (stored.name, stored.phone, stored.email) == (
        "Ada Lovelace",
        "+33 1 23 45 67 89",
        DEMO_EMAIL,
    )
    assert stored.address is not None
    assert (
        stored.address.line1,
        stored.address.city,
        stored.address.postal_code,
        stored.address.country,
    ) == ("1 Rue de Rivoli", "Paris", "75001", "FR")
    assert done.state.details is not None and done.state.details.city == "Paris"
    assert portal.state(visitor).details == done.state.details

    cleared = _act(
        portal, visitor, "update_billing_details", {"phone": "", **{name: "" for name in ADDRESS}}
    )
    assert cleared.state.details is not None
    assert (cleared.state.details.phone, cleared.state.details.has_address) == ("", False)
    assert cleared.state.details.name == "Ada Lovelace"  # left out: kept


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"country": "XX"}, "country_invalid"),
        ({"country": ""}, "country_required"),
        ({"postal_code": ""}, "postal_code_required"),
        ({"country": "US", "state": "CA", "postal_code": "7500"}, "postal_code_invalid"),
        ({"country": "US", "state": "Cal", "postal_code": "94107"}, "state_invalid"),
        ({"country": "CA", "state": "", "postal_code": "K1A 0B1"}, "state_required"),
        ({"city": ""}, "address_incomplete"),
        ({"phone": "call me"}, "phone_invalid"),
        ({"name": "x" * 300}, "too_long"),
    ],
)
def test_an_address_not_in_its_countrys_shape_is_refused_and_nothing_written(
    stripe_sandbox: Sandbox, demo: dict[str, Any], change: dict[str, str], code: str
) -> None:
    portal = _portal(stripe_sandbox, billing_details=True)
    visitor = _visitor(portal)
    assert_refused(
        stripe_sandbox,
        BadInput,
        code,
        lambda: _act(portal, visitor, "update_billing_details", {**ADDRESS, **change}),
    )


def test_a_hong_kong_address_needs_no_postal_code(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox, billing_details=True)
    address = {**ADDRESS, "country": "HK", "postal_code": "", "city": "Central"}
    done = _act(portal, _visitor(portal), "update_billing_details", address)
    assert done.state.details is not None and done.state.details.country == "HK"


def test_the_email_a_customer_is_known_by_is_the_sites_to_change(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox, billing_details=True)
    visitor = _visitor(portal)
    assert_refused(
        stripe_sandbox,
        BadInput,
        "email_is_identity",
        lambda: _act(portal, visitor, "update_billing_details", {"email": "new@example.com"}),
    )
    # Known by their customer id, the email is only where invoices go.
    by_id = _portal(stripe_sandbox, billing_details=True, identify_by="customer_id")
    _act(
        by_id,
        _visitor(by_id, demo["customer"]),
        "update_billing_details",
        {"email": "billing@example.com"},
    )
    assert stripe_client.v1.customers.retrieve(demo["customer"]).email == "billing@example.com"


def test_a_site_may_let_customers_known_by_email_change_it(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox, billing_details=True, change_billing_email=True)
    _act(portal, _visitor(portal), "update_billing_details", {"email": "moved@example.com"})
    assert stripe_client.v1.customers.retrieve(demo["customer"]).email == "moved@example.com"


def test_each_new_part_is_refused_when_its_option_is_off(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    portal = _portal(
        stripe_sandbox, payment_methods=False, pay_invoices=False, update_payment_method=False
    )
    visitor = _visitor(portal)
    asked = [
        ("update_billing_details", {"name": "Ada"}),
        ("add_tax_id", {"type": "eu_vat", "value": "DE123456789"}),
        ("remove_tax_id", {"tax_id": "txi_123"}),
        ("add_payment_method", {"payment_method": "pm_123"}),
        ("set_default_payment_method", {"payment_method": "pm_123"}),
        ("remove_payment_method", {"payment_method": "pm_123"}),
        ("pay_invoice", {"invoice": "in_123"}),
        ("setup_payment_method", {}),
    ]
    for action, payload in asked:
        assert_refused(
            stripe_sandbox,
            Forbidden,
            "feature_disabled",
            lambda a=action, p=payload: _act(portal, visitor, a, p),
        )
    for read in (portal.cards, portal.tax_ids):
        assert_refused(stripe_sandbox, Forbidden, "feature_disabled", lambda r=read: r(visitor))


# -- tax IDs --------------------------------------------------------------------------------
def test_tax_ids_are_added_checked_by_stripe_listed_and_removed(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox, tax_ids=True)
    visitor = _visitor(portal)

    _act(portal, visitor, "add_tax_id", {"type": "eu_vat", "value": " DE123456789 "})
    (listed,) = portal.tax_ids(visitor)
    assert (listed.type, listed.value, listed.country) == ("eu_vat", "DE123456789", "DE")
    assert listed.verification == "pending"
    assert_refused(  # the same number again, as another hand writes it
        stripe_sandbox,
        Conflict,
        "tax_id_exists",
        lambda: _act(portal, visitor, "add_tax_id", {"type": "eu_vat", "value": "de 123.456.789"}),
    )
    assert [t.id for t in portal.tax_ids(visitor)] == [listed.id]

    assert_refused(
        stripe_sandbox,
        BadInput,
        "tax_id_invalid",
        lambda: _act(portal, visitor, "add_tax_id", {"type": "eu_vat", "value": "DE12"}),
    )
    assert_refused(
        stripe_sandbox,
        BadInput,
        "tax_id_type_invalid",
        lambda: _act(portal, visitor, "add_tax_id", {"type": "xx_vat", "value": "1234"}),
    )

    other = stripe_client.v1.customers.create({"email": "mallory@example.com"})
    theirs = stripe_client.v1.customers.tax_ids.create(
        other.id, {"type": "gb_vat", "value": "GB123456789"}
    )
    for tax_id in (theirs.id, "txi_missing", "sub_123"):
        assert_refused(
            stripe_sandbox,
            NotFound,
            "tax_id_not_found",
            lambda t=tax_id: _act(portal, visitor, "remove_tax_id", {"tax_id": t}),
        )

    _act(portal, visitor, "remove_tax_id", {"tax_id": listed.id})
    assert portal.tax_ids(visitor) == []


# -- several cards --------------------------------------------------------------------------
def _confirmed_card(
    portal: Portal, visitor: Visitor, client: stripe.StripeClient, test_card: str
) -> str:
    """A card saved as the page saves one: a setup intent, confirmed as Stripe.js does."""
    setup = _act(portal, visitor, "setup_payment_method", {})
    assert setup.confirmation is not None and setup.confirmation.kind == "setup"
    intent = setup.confirmation.client_secret.partition("_secret_")[0]
    confirmed = client.v1.setup_intents.confirm(intent, {"payment_method": test_card})
    assert isinstance(confirmed.payment_method, str)
    return confirmed.payment_method


def test_a_second_card_waits_in_the_list_until_it_is_made_the_default(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox)
    visitor = _visitor(portal)
    (first,) = portal.cards(visitor)
    assert first.is_default and not first.expired

    second = _confirmed_card(portal, visitor, stripe_client, "pm_card_mastercard")
    _act(portal, visitor, "add_payment_method", {"payment_method": second})
    # The list says what removing would be refused: the default, while things renew.
    assert [(c.id, c.is_default, c.removable) for c in portal.cards(visitor)] == [
        (first.id, True, False),
        (second, False, True),
    ]

    made = _act(portal, visitor, "set_default_payment_method", {"payment_method": second})
    assert made.state.card is not None and made.state.card.brand == "mastercard"
    stored = stripe_client.v1.customers.retrieve(demo["customer"])
    assert stored.invoice_settings.default_payment_method == second

    # The old default is no one's now: it may go; the new one, while things renew, may not.
    assert_refused(
        stripe_sandbox,
        Conflict,
        "payment_method_is_default",
        lambda: _act(portal, visitor, "remove_payment_method", {"payment_method": second}),
    )
    _act(portal, visitor, "remove_payment_method", {"payment_method": first.id})
    assert [(c.id, c.removable) for c in portal.cards(visitor)] == [(second, False)]
    assert_refused(
        stripe_sandbox,
        Conflict,
        "payment_method_needed",
        lambda: _act(portal, visitor, "remove_payment_method", {"payment_method": second}),
    )


@pytest.mark.parametrize("named", ["the new copy", "the card in use"])
def test_a_card_saved_twice_is_kept_once_the_copy_in_use_staying(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any], named: str
) -> None:
    """Whichever copy the page names, the one nothing is charged to is detached."""
    portal = _portal(stripe_sandbox)
    visitor = _visitor(portal)
    (first,) = portal.cards(visitor)
    test_card = "pm_card_visa" if first.brand == "visa" else "pm_card_mastercard"
    copy = _confirmed_card(portal, visitor, stripe_client, test_card)
    assert copy != first.id  # Stripe made a second payment method of the same card

    done = _act(portal, visitor, "add_payment_method",
                {"payment_method": copy if named == "the new copy" else first.id})  # fmt: skip

    assert [(c.id, c.is_default) for c in portal.cards(visitor)] == [(first.id, True)]
    assert stripe_client.v1.payment_methods.retrieve(copy).customer is None
    assert done.state.card is not None and done.state.card.last4 == first.last4


def test_a_card_a_subscription_is_charged_to_stays(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox)
    visitor = _visitor(portal)
    own = stripe_client.v1.payment_methods.attach("pm_card_amex", {"customer": demo["customer"]})
    stripe_client.v1.subscriptions.update(
        demo["subscriptions"][0], {"default_payment_method": own.id}
    )
    assert_refused(
        stripe_sandbox,
        Conflict,
        "payment_method_in_use",
        lambda: _act(portal, visitor, "remove_payment_method", {"payment_method": own.id}),
    )


def test_someone_elses_card_is_unknown_to_every_card_action(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox)
    visitor = _visitor(portal)
    other = stripe_client.v1.customers.create({"email": "mallory@example.com"})
    theirs = stripe_client.v1.payment_methods.attach("pm_card_visa", {"customer": other.id})
    loose = stripe_client.v1.payment_methods.create({"type": "card", "card": {"token": "tok_visa"}})
    for action in ("add_payment_method", "set_default_payment_method", "remove_payment_method"):
        for card in (theirs.id, loose.id, "pm_missing", "card_123"):
            assert_refused(
                stripe_sandbox,
                NotFound,
                "payment_method_not_found",
                lambda a=action, c=card: _act(portal, visitor, a, {"payment_method": c}),
            )


# -- paying what is owed --------------------------------------------------------------------
def _past_due(client: stripe.StripeClient, demo: dict[str, Any]) -> tuple[str, str]:
    """The seats subscription, its renewal failed: past due, its invoice open."""
    seats = demo["subscriptions"][1]
    return seats, bill_on_a_failing_card(client, demo["customer"], seats)


def test_an_open_invoice_paid_now_makes_its_subscription_active_again(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    seats, invoice = _past_due(stripe_client, demo)
    portal = _portal(stripe_sandbox)
    visitor = _visitor(portal)

    # The failing card: the page is handed the invoice's payment to confirm with a new card.
    held = _act(portal, visitor, "pay_invoice", {"invoice": invoice})
    assert held.confirmation is not None and held.confirmation.kind == "payment"
    assert held.response["status"] == "open"
    secret = held.confirmation.client_secret
    headers = {"Authorization": f"Bearer {stripe_sandbox.publishable_key}"}
    intent = secret.partition("_secret_")[0]
    confirmed = requests.post(
        f"{stripe_sandbox.url}/v1/payment_intents/{intent}/confirm",
        data={"client_secret": secret, "payment_method": "pm_card_visa"},
        headers=headers,
        timeout=5,
    )
    assert confirmed.json()["status"] == "succeeded", confirmed.text
    assert stripe_client.v1.invoices.retrieve(invoice).status == "paid"
    view = next(v for v in portal.state(visitor).subscriptions if v.id == seats)
    assert view.status == "active"

    # Asked again by another intent (another tab, a late click): paid, and nothing is
    # charged or announced twice.
    assert_refused(
        stripe_sandbox,
        Conflict,
        "invoice_paid",
        lambda: _act(portal, visitor, "pay_invoice", {"invoice": invoice}),
    )


def test_an_invoice_paid_with_a_working_card_needs_nothing_more_from_the_page(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    seats, invoice = _past_due(stripe_client, demo)
    card = stripe_client.v1.payment_methods.attach("pm_card_visa", {"customer": demo["customer"]})
    stripe_client.v1.customers.update(
        demo["customer"], {"invoice_settings": {"default_payment_method": card.id}}
    )
    portal = _portal(stripe_sandbox)
    visitor = _visitor(portal)

    paid = _act(portal, visitor, "pay_invoice", {"invoice": invoice})

    assert paid.confirmation is None and paid.response["status"] == "paid"
    assert next(v for v in paid.state.subscriptions if v.id == seats).status == "active"


def test_someone_elses_invoice_is_unknown(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    _, invoice = _past_due(stripe_client, demo)
    other = _portal(stripe_sandbox)
    stripe_client.v1.customers.create({"email": "mallory@example.com"})
    mallory = _visitor(other, "mallory@example.com")
    for asked in (invoice, "in_missing", "sub_123"):
        assert_refused(
            stripe_sandbox,
            NotFound,
            "invoice_not_found",
            lambda i=asked: _act(other, mallory, "pay_invoice", {"invoice": i}),
        )
    # The owner's own invoice, once staff voided it, has nothing to pay.
    stripe_client.v1.invoices.void_invoice(invoice)
    owner = _visitor(other)
    assert_refused(
        stripe_sandbox,
        Conflict,
        "invoice_not_open",
        lambda: _act(other, owner, "pay_invoice", {"invoice": invoice}),
    )


# -- what belongs to the account, not to one subscription -----------------------------------
def test_an_email_another_customer_has_is_refused_even_where_emails_may_change(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    """Taking a victim's email would make the victim's portal open this customer's (or lock
    both out): refused, whatever its case."""
    stripe_client.v1.customers.create({"email": "victim@example.com"})
    portal = _portal(stripe_sandbox, billing_details=True, change_billing_email=True)
    visitor = _visitor(portal)
    for taken in ("victim@example.com", "Victim@Example.com"):
        assert_refused(stripe_sandbox, BadInput, "email_unavailable",
                       lambda e=taken: _act(portal, visitor, "update_billing_details",
                                            {"email": e}))  # fmt: skip


def test_a_page_limited_to_one_subscription_leaves_the_account_alone(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox, billing_details=True, tax_ids=True)
    team = demo["subscriptions"][0]
    limited = portal.visitor(DEMO_EMAIL, user_hash(SECRET, DEMO_EMAIL), subscription=team)
    asked = [
        ("update_billing_details", {"name": "Mallory"}),
        ("add_tax_id", {"type": "eu_vat", "value": "DE123456789"}),
        ("remove_tax_id", {"tax_id": "txi_123"}),
        ("add_payment_method", {"payment_method": "pm_123"}),
        ("set_default_payment_method", {"payment_method": "pm_123"}),
        ("remove_payment_method", {"payment_method": "pm_123"}),
    ]
    for action, payload in asked:
        assert_refused(stripe_sandbox, Forbidden, "subscription_page",
                       lambda a=action, p=payload: _act(portal, limited, a, p))  # fmt: skip
    for read in (portal.cards, portal.tax_ids):
        assert_refused(stripe_sandbox, Forbidden, "subscription_page",
                       lambda r=read: r(limited))  # fmt: skip
    state = portal.state(limited)
    assert state.limited and state.details is None  # nor sent with the page


def test_without_several_cards_only_a_card_just_set_up_becomes_the_default(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    """With `payment_methods` off, "update card" must not be a way to pick an older saved
    card: the page names the setup intent that confirmed the new one."""
    portal = _portal(stripe_sandbox, payment_methods=False)
    visitor = _visitor(portal)
    older = stripe_client.v1.payment_methods.attach("pm_card_amex", {"customer": demo["customer"]})
    other = stripe_client.v1.customers.create({"email": "mallory@example.com"})
    theirs = stripe_client.v1.setup_intents.create(
        {"customer": other.id, "payment_method": "pm_card_visa", "confirm": True}
    )
    for payload in (
        {"payment_method": older.id},
        {"payment_method": older.id, "setup_intent": theirs.id},
        {"payment_method": older.id, "setup_intent": "seti_missing"},
    ):
        assert_refused(
            stripe_sandbox,
            BadInput,
            "payment_method_invalid",
            lambda p=payload: _act(portal, visitor, "update_payment_method", p),
        )
    setup = _act(portal, visitor, "setup_payment_method", {})
    assert setup.confirmation is not None
    intent = setup.confirmation.client_secret.partition("_secret_")[0]
    card = stripe_client.v1.setup_intents.confirm(intent, {"payment_method": "pm_card_mastercard"})
    assert isinstance(card.payment_method, str)
    assert_refused(stripe_sandbox, BadInput, "payment_method_invalid",
                   lambda: _act(portal, visitor, "update_payment_method",
                                {"payment_method": older.id, "setup_intent": intent}))  # fmt: skip
    done = _act(portal, visitor, "update_payment_method",
                {"payment_method": card.payment_method, "setup_intent": intent})  # fmt: skip
    assert done.state.card is not None and done.state.card.brand == "mastercard"


def test_with_invoice_payments_off_an_open_invoice_links_to_no_page_that_takes_payment(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    """Stripe's hosted invoice page takes an open invoice's payment: with `pay_invoices`
    off the portal does not link to it (its PDF stays), nor to paid ones' any less."""
    _, invoice = _past_due(stripe_client, demo)
    portal = _portal(stripe_sandbox, pay_invoices=False)
    page = portal.invoices(_visitor(portal))
    owed = next(view for view in page.invoices if view.id == invoice)
    assert owed.status == "open" and owed.hosted_invoice_url is None
    assert owed.invoice_pdf
    assert all(view.hosted_invoice_url for view in page.invoices if view.status == "paid")
    shown = _portal(stripe_sandbox).invoices(_visitor(portal))
    assert next(v for v in shown.invoices if v.id == invoice).hosted_invoice_url
