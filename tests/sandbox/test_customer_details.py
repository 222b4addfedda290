"""What a customer's billing details page needs of Stripe: tax IDs (format-checked, verified
in test mode as Stripe verifies them, listed, deleted), the address, shipping, phone,
preferred locales and tax status, and one of the customer's own payment methods."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from billflow_sandbox import Sandbox


@pytest.fixture
def v1(stripe_client: stripe.StripeClient) -> Any:
    return stripe_client.v1


@pytest.fixture
def customer(v1: Any) -> str:
    return str(v1.customers.create({"email": "ada@example.com", "name": "Ada"}).id)


# -- tax IDs -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "value", "country", "status"),
    [
        ("eu_vat", "DE123456789", "DE", "pending"),
        ("eu_vat", "DE000000000", "DE", "verified"),
        ("eu_vat", "DE111111111", "DE", "unverified"),
        ("eu_vat", "EL123456789", "GR", "pending"),
        ("eu_vat", "FRAB123456789", "FR", "pending"),
        ("gb_vat", "GB 123 4567 89", "GB", "pending"),
        ("au_abn", "12345678912", "AU", "pending"),
        ("us_ein", "12-3456789", "US", "unavailable"),
        ("ch_vat", "CHE-123.456.789 MWST", "CH", "unavailable"),
        ("ca_gst_hst", "123456789RT0002", "CA", "unavailable"),
    ],
)
def test_a_tax_id_is_kept_with_its_country_and_verification(
    v1: Any, customer: str, kind: str, value: str, country: str, status: str
) -> None:
    created = v1.customers.tax_ids.create(customer, {"type": kind, "value": value})

    assert created.id.startswith("txi_")
    assert (created.type, created.value, created.country) == (kind, value, country)
    assert created.verification.status == status
    assert created.customer == customer and created.owner.customer == customer
    assert created.owner.type == "customer"
    assert v1.customers.tax_ids.retrieve(customer, created.id).value == value


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("eu_vat", "DE12345678"),  # one digit short
        ("eu_vat", "US123456789"),  # not a member state
        ("eu_vat", "GB123456789"),  # Great Britain left: gb_vat
        ("gb_vat", "GB12345"),
        ("us_ein", "12-345678"),
        ("au_abn", "1234567891"),
        ("ch_vat", "CHE-123.456.78"),
        ("no_vat", "123456789"),  # without MVA
        ("nz_gst", "   "),
    ],
)
def test_a_malformed_tax_id_is_refused_and_nothing_is_kept(
    v1: Any, stripe_sandbox: Sandbox, customer: str, kind: str, value: str
) -> None:
    before = stripe_sandbox.fingerprint()

    with pytest.raises(stripe.InvalidRequestError) as refused:
        v1.customers.tax_ids.create(customer, {"type": kind, "value": value})

    assert refused.value.code == "tax_id_invalid"
    assert refused.value.param == "value"
    assert str(refused.value.user_message) == f"Invalid value for {kind}."
    assert stripe_sandbox.fingerprint() == before


def test_an_unknown_tax_id_type_is_refused_with_the_types_stripe_knows(
    v1: Any, customer: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        v1.customers.tax_ids.create(customer, {"type": "xx_vat", "value": "123"})

    assert refused.value.param == "type"
    assert "eu_vat" in str(refused.value.user_message)


def test_tax_ids_are_listed_deleted_and_sent_as_events(v1: Any, customer: str) -> None:
    first = v1.customers.tax_ids.create(customer, {"type": "eu_vat", "value": "DE123456789"})
    second = v1.customers.tax_ids.create(customer, {"type": "gb_vat", "value": "GB123456789"})
    other = v1.customers.create({"email": "bob@example.com"})
    v1.customers.tax_ids.create(other.id, {"type": "us_ein", "value": "12-3456789"})

    listed = v1.customers.tax_ids.list(customer)
    deleted = v1.customers.tax_ids.delete(customer, first.id)

    assert [t.id for t in listed.data] == [second.id, first.id]
    assert deleted.deleted is True and deleted.id == first.id and deleted.object == "tax_id"
    assert [t.id for t in v1.customers.tax_ids.list(customer).data] == [second.id]
    created = v1.events.list({"type": "customer.tax_id.created"}).data
    [gone] = v1.events.list({"type": "customer.tax_id.deleted"}).data
    assert {e.data.object.id for e in created} >= {first.id, second.id}
    assert gone.data.object.id == first.id


def test_another_customers_tax_id_is_no_such_tax_id(v1: Any, customer: str) -> None:
    other = v1.customers.create({"email": "bob@example.com"})
    theirs = v1.customers.tax_ids.create(other.id, {"type": "eu_vat", "value": "DE123456789"})

    for call in (
        lambda: v1.customers.tax_ids.retrieve(customer, theirs.id),
        lambda: v1.customers.tax_ids.delete(customer, theirs.id),
    ):
        with pytest.raises(stripe.InvalidRequestError) as missing:
            call()
        assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    assert v1.customers.tax_ids.retrieve(other.id, theirs.id).id == theirs.id


def test_tax_ids_given_at_creation_are_kept_and_includable_on_the_customer(v1: Any) -> None:
    created = v1.customers.create(
        {
            "email": "ada@example.com",
            "tax_id_data": [
                {"type": "eu_vat", "value": "NL123456789B01"},
                {"type": "gb_vat", "value": "GB123456789"},
            ],
            "expand": ["tax_ids"],
        }
    )

    assert sorted(t.value for t in created.tax_ids.data) == ["GB123456789", "NL123456789B01"]
    assert "tax_ids" not in v1.customers.retrieve(created.id)
    assert len(v1.customers.tax_ids.list(created.id).data) == 2


def test_a_malformed_tax_id_at_creation_names_its_place_and_creates_no_customer(
    v1: Any, stripe_sandbox: Sandbox
) -> None:
    before = stripe_sandbox.fingerprint()

    with pytest.raises(stripe.InvalidRequestError) as refused:
        v1.customers.create(
            {
                "email": "ada@example.com",
                "tax_id_data": [
                    {"type": "eu_vat", "value": "DE123456789"},
                    {"type": "eu_vat", "value": "DE1"},
                ],
            }
        )

    assert refused.value.code == "tax_id_invalid"
    assert refused.value.param == "tax_id_data[1][value]"
    assert stripe_sandbox.fingerprint() == before


def test_deleting_a_customer_deletes_its_tax_ids(
    v1: Any, stripe_sandbox: Sandbox, customer: str
) -> None:
    v1.customers.tax_ids.create(customer, {"type": "eu_vat", "value": "DE123456789"})
    other = v1.customers.create({"email": "bob@example.com"})
    theirs = v1.customers.tax_ids.create(other.id, {"type": "eu_vat", "value": "DE123456789"})

    v1.customers.delete(customer)

    with pytest.raises(stripe.InvalidRequestError):
        v1.customers.tax_ids.list(customer)
    with stripe_sandbox.state.lock:
        kept = set(stripe_sandbox.state.objects.get("tax_id", {}))
    assert kept == {theirs.id}


# -- address, shipping, locales, tax status ---------------------------------------------------
def test_billing_details_are_set_and_reported_in_the_update_event(v1: Any, customer: str) -> None:
    updated = v1.customers.update(
        customer,
        {
            "address": {"line1": "1 Analytical Row", "city": "London", "postal_code": "N1 9GU"},
            "phone": "+442071234567",
            "shipping": {"name": "Ada L.", "address": {"line1": "2 Engine Lane", "country": "GB"}},
            "preferred_locales": ["en-GB", "fr"],
            "tax_exempt": "reverse",
        },
    )

    assert updated.address.line1 == "1 Analytical Row" and updated.address.country is None
    assert updated.shipping.name == "Ada L." and updated.shipping.address.country == "GB"
    assert updated.shipping.phone is None
    assert updated.phone == "+442071234567"
    assert list(updated.preferred_locales) == ["en-GB", "fr"]
    assert updated.tax_exempt == "reverse"
    [event] = v1.events.list({"type": "customer.updated"}).data
    previous = event.data.previous_attributes
    assert previous.address is None and previous.shipping is None
    assert list(previous.preferred_locales) == [] and previous.tax_exempt == "none"


def test_an_address_is_replaced_whole_and_an_empty_value_clears_it(v1: Any, customer: str) -> None:
    v1.customers.update(customer, {"address": {"line1": "1 Row", "city": "London"}})

    replaced = v1.customers.update(customer, {"address": {"country": "FR"}})
    assert (replaced.address.line1, replaced.address.country) == (None, "FR")

    cleared = v1.customers.update(customer, {"address": "", "shipping": "", "tax_exempt": ""})
    assert cleared.address is None and cleared.shipping is None
    assert cleared.tax_exempt == "none"


def test_shipping_needs_a_name_and_an_address(
    v1: Any, stripe_sandbox: Sandbox, customer: str
) -> None:
    before = stripe_sandbox.fingerprint()

    with pytest.raises(stripe.InvalidRequestError) as refused:
        v1.customers.update(customer, {"shipping": {"address": {"line1": "2 Engine Lane"}}})

    assert refused.value.param == "shipping[name]"
    assert refused.value.code == "parameter_missing"
    assert stripe_sandbox.fingerprint() == before


def test_a_malformed_locale_or_tax_status_is_refused(
    v1: Any, stripe_sandbox: Sandbox, customer: str
) -> None:
    before = stripe_sandbox.fingerprint()

    with pytest.raises(stripe.InvalidRequestError) as bad_locale:
        v1.customers.update(customer, {"preferred_locales": ["en", "english"]})
    with pytest.raises(stripe.InvalidRequestError) as bad_status:
        v1.customers.update(customer, {"tax_exempt": "sometimes"})

    assert bad_locale.value.param == "preferred_locales[1]"
    assert bad_status.value.param == "tax_exempt"
    assert stripe_sandbox.fingerprint() == before


def test_details_given_at_creation_are_kept(v1: Any) -> None:
    created = v1.customers.create(
        {
            "email": "ada@example.com",
            "address": {"line1": "1 Analytical Row", "country": "GB"},
            "shipping": {"name": "Ada", "phone": "+4420", "address": {"city": "London"}},
            "preferred_locales": ["en-GB"],
            "tax_exempt": "exempt",
        }
    )

    fetched = v1.customers.retrieve(created.id)
    assert fetched.address.country == "GB" and fetched.shipping.phone == "+4420"
    assert list(fetched.preferred_locales) == ["en-GB"] and fetched.tax_exempt == "exempt"


# -- one of the customer's payment methods ---------------------------------------------------
def test_a_customers_payment_method_is_retrieved_only_through_its_owner(
    v1: Any, customer: str
) -> None:
    card = v1.payment_methods.attach("pm_card_visa", {"customer": customer})
    other = v1.customers.create({"email": "bob@example.com"})

    found = v1.customers.payment_methods.retrieve(customer, card.id)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        v1.customers.payment_methods.retrieve(other.id, card.id)
    v1.payment_methods.detach(card.id)
    with pytest.raises(stripe.InvalidRequestError) as detached:
        v1.customers.payment_methods.retrieve(customer, card.id)

    assert found.id == card.id and found.card.last4 == "4242"
    assert missing.value.http_status == 404 and missing.value.param == "payment_method"
    assert detached.value.http_status == 404
