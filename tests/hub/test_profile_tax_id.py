"""Update my info: a business customer's company and tax ID. The tax ID is
checked (python-stdnum) as the kind the customer's country issues; an
invalid one is refused next to the field in the customer's language and
never sent to Stripe. A valid one is pushed to the Stripe customer (this
run's localstripe) before it is saved; Stripe's refusal changes nothing."""

import pytest
import requests

from billing.models import AuditEvent
from billing.processors.adapters import stripe_adapter_for
from tests.conftest import sign_in
from tests.factories import CustomerFactory
from tests.support.localstripe_requests import stripe_writes

PROFILE = "/northwind/updateinfo/profile/"
HOME = "/northwind/updateinfo/"
AUTH = ("sk_test_northwind", "")


def form_data(**changes):
    data = {
        "name": "Alice Adams",
        "email": "alice@example.com",
        "address_line1": "",
        "address_line2": "",
        "city": "",
        "postal_code": "",
        "state": "",
        "country": "DE",
        "company": "Adams Trading GmbH",
        "tax_id": "",
    }
    return {**data, **changes}


@pytest.fixture
def alice(stripe_vendor):
    """Alice, a Stripe customer of Northwind (at this run's localstripe)."""
    adapter = stripe_adapter_for(vendor=stripe_vendor)
    at_stripe = adapter.customer_create(
        email="alice@example.com", name="Alice Adams", idempotency_key=f"alice-{stripe_vendor.pk}"
    )
    return CustomerFactory(
        vendor=stripe_vendor,
        email="alice@example.com",
        name="Alice Adams",
        country="DE",
        stripe_customer_id=at_stripe.id,
    )


@pytest.fixture
def alice_client(client, alice):
    sign_in(client, alice)
    return client


def tax_ids_at_stripe(base, customer) -> list[tuple[str, str]]:
    listed = requests.get(
        f"{base}/v1/customers/{customer.stripe_customer_id}/tax_ids", auth=AUTH, timeout=5
    )
    listed.raise_for_status()
    return [(t["type"], t["value"]) for t in listed.json()["data"]]


def test_a_valid_vat_id_is_pushed_to_stripe_then_saved(alice_client, alice, stripe_api):
    stripe_writes(stripe_api, clear=True)
    response = alice_client.post(PROFILE, form_data(tax_id="de 136 695 976"))
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.company, alice.tax_id, alice.tax_id_type) == (
        "Adams Trading GmbH",
        "DE136695976",
        "eu_vat",
    )
    assert alice.stripe_tax_id.startswith("txi_")
    assert alice.tax_id_verification == "verified"
    writes = stripe_writes(stripe_api)
    assert [(w["method"], w["path"]) for w in writes] == [
        ("POST", f"/v1/customers/{alice.stripe_customer_id}/tax_ids")
    ]
    assert writes[0]["idempotency_key"].startswith("hub-tax-id-")
    assert tax_ids_at_stripe(stripe_api, alice) == [("eu_vat", "DE136695976")]
    event = AuditEvent.objects.get(action="profile.updated")
    assert {"company", "tax_id"} <= set(event.details["fields"])


def test_a_new_tax_id_replaces_the_old_one_at_stripe(alice_client, alice, stripe_api):
    alice_client.post(PROFILE, form_data(tax_id="DE136695976"))
    alice.refresh_from_db()
    old = alice.stripe_tax_id
    stripe_writes(stripe_api, clear=True)
    alice_client.post(PROFILE, form_data(country="GB", tax_id="GB 980 7806 84"))
    alice.refresh_from_db()
    assert (alice.tax_id, alice.tax_id_type) == ("GB980780684", "gb_vat")
    assert [(w["method"], w["path"]) for w in stripe_writes(stripe_api)] == [
        ("POST", f"/v1/customers/{alice.stripe_customer_id}/tax_ids"),
        ("DELETE", f"/v1/customers/{alice.stripe_customer_id}/tax_ids/{old}"),
    ]
    assert tax_ids_at_stripe(stripe_api, alice) == [("gb_vat", "GB980780684")]


def test_clearing_the_tax_id_removes_it_at_stripe(alice_client, alice, stripe_api):
    alice_client.post(PROFILE, form_data(tax_id="DE136695976"))
    alice_client.post(PROFILE, form_data(tax_id=""))
    alice.refresh_from_db()
    assert (alice.tax_id, alice.tax_id_type, alice.stripe_tax_id) == ("", "", "")
    assert tax_ids_at_stripe(stripe_api, alice) == []


def test_an_invalid_vat_id_is_refused_in_german_and_nothing_is_sent(
    client, alice, stripe_vendor, stripe_api
):
    stripe_vendor.languages = ["en", "de"]
    stripe_vendor.save()
    alice.language = "de"
    alice.save()
    sign_in(client, alice)
    stripe_writes(stripe_api, clear=True)
    response = client.post(PROFILE, form_data(tax_id="DE136695977"))
    assert response.status_code == 200
    page = response.text
    error = page[page.index('id="id_tax_id_error"') :]
    assert error.startswith(
        'id="id_tax_id_error">Diese Nummer geht nicht auf (ihre Prüfziffer stimmt nicht)'
    )
    assert 'aria-invalid="true"' in page[page.index('name="tax_id"') - 200 :]
    assert stripe_writes(stripe_api) == []
    alice.refresh_from_db()
    assert (alice.company, alice.tax_id) == ("", "")


def test_a_tax_id_needs_a_country_to_know_its_kind(alice_client, alice, stripe_api):
    stripe_writes(stripe_api, clear=True)
    response = alice_client.post(PROFILE, form_data(country="", tax_id="DE136695976"))
    assert "Choose your country first" in response.text
    assert stripe_writes(stripe_api) == []


def test_stripes_refusal_shows_next_to_the_field_and_changes_nothing(
    alice_client, alice, stripe_api
):
    # The Stripe customer was deleted in Stripe's dashboard: Stripe answers 404.
    requests.delete(
        f"{stripe_api}/v1/customers/{alice.stripe_customer_id}", auth=AUTH, timeout=5
    ).raise_for_status()
    response = alice_client.post(PROFILE, form_data(name="Alice B. Adams", tax_id="DE136695976"))
    assert response.status_code == 200
    page = response.text
    assert page.index("The payment processor did not accept this tax ID") > page.index(
        'name="tax_id"'
    )
    alice.refresh_from_db()
    assert (alice.name, alice.company, alice.tax_id, alice.stripe_tax_id) == (
        "Alice Adams",
        "",
        "",
        "",
    )
    assert not AuditEvent.objects.filter(action="profile.updated").exists()


def test_the_dialog_keeps_the_refusal_open_on_the_field(alice_client, alice, stripe_api):
    requests.delete(
        f"{stripe_api}/v1/customers/{alice.stripe_customer_id}", auth=AUTH, timeout=5
    ).raise_for_status()
    response = alice_client.post(PROFILE + "?part=dialog", form_data(tax_id="DE136695976"))
    assert response.status_code == 400
    assert "did not accept this tax ID" in response.text


def test_stripes_verification_status_is_shown(alice_client, alice, stripe_api):
    # Stripe's test value: a tax ID with 222222222 stays pending.
    alice_client.post(PROFILE, form_data(country="PL", tax_id="PL2222222222"))
    alice.refresh_from_db()
    assert alice.tax_id_verification == "pending"
    page = alice_client.get(PROFILE).text
    assert "The payment processor is still verifying this tax ID." in page


def test_a_paypal_customers_tax_id_is_kept_in_the_hub_only(client, vendor, stripe_api):
    payer = CustomerFactory(vendor=vendor, email="pat@example.com", paypal_payer_id="PAYER1")
    sign_in(client, payer)
    stripe_writes(stripe_api, clear=True)
    response = client.post(
        PROFILE, form_data(email="pat@example.com", country="CH", tax_id="CHE100155212")
    )
    assert response.status_code == 302
    payer.refresh_from_db()
    assert (payer.tax_id, payer.tax_id_type, payer.stripe_tax_id) == (
        "CHE-100.155.212",
        "ch_uid",
        "",
    )
    assert stripe_writes(stripe_api) == []


def test_the_dashboard_and_later_invoices_show_company_and_tax_id(alice_client, alice, stripe_api):
    from tests.factories import PaymentFactory

    alice_client.post(PROFILE, form_data(tax_id="DE136695976"))
    page = alice_client.get(HOME).text
    assert "Adams Trading GmbH" in page and "DE136695976" in page
    alice.refresh_from_db()
    invoice = PaymentFactory(order__customer=alice).invoice
    assert invoice.buyer["company"] == "Adams Trading GmbH"
    assert (invoice.buyer["tax_id"], invoice.buyer["tax_id_type"]) == ("DE136695976", "eu_vat")


def test_the_profile_page_makes_as_many_queries_with_a_tax_id(
    alice_client, alice, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20) as without:
        alice_client.get(PROFILE)
    alice.company, alice.tax_id, alice.tax_id_type = "Adams", "DE136695976", "eu_vat"
    alice.tax_id_verification = "verified"
    alice.save()
    with django_assert_max_num_queries(20) as with_tax_id:
        page = alice_client.get(PROFILE).text
    assert "Verified by the payment processor." in page
    assert len(with_tax_id) == len(without)
