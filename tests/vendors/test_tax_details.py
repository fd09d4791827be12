"""The seller's tax details in the vendor settings: the VAT ID and tax number
are checked (format and check digits, python-stdnum) and saved in their
normal form; the admin says what is wrong next to the field."""

import pytest
from django.core.exceptions import ValidationError

from tests.vendors.test_admin import change_data
from vendors.tax_ids import tax_id_clean, vat_id_clean

CHANGE = "/admin/vendors/vendor/{pk}/change/"


def field_errors(response, name: str) -> list[str]:
    return list(response.context["adminform"].form.errors.get(name, []))


def test_the_admin_saves_the_tax_details_in_their_normal_form(staff_client, vendor):
    response = staff_client.post(
        CHANGE.format(pk=vendor.pk),
        change_data(
            vendor,
            country="DE",
            legal_name="Northwind Kurse GmbH",
            registered_address="Hafenstraße 1\r\n20259 Hamburg",
            vat_id="de 136 695 976",
            tax_number="93815/08152",
            tax_note="Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.",
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    vendor.refresh_from_db()
    assert vendor.vat_id == "DE136695976"
    assert vendor.tax_number == "93815/08152"
    assert vendor.legal_name == "Northwind Kurse GmbH"


def test_the_admin_says_what_is_wrong_next_to_the_vat_id(staff_client, vendor):
    response = staff_client.post(
        CHANGE.format(pk=vendor.pk), change_data(vendor, country="DE", vat_id="DE136695977")
    )
    assert response.status_code == 200
    assert field_errors(response, "vat_id") == [
        "This number does not add up (its check digit is wrong): please check it for a typo."
    ]
    # Next to the field: in the VAT ID's row of the form, before its input.
    page = response.text
    row = page.index("field-vat_id")
    assert "check digit is wrong" in page[row : page.index('name="vat_id"', row)]
    vendor.refresh_from_db()
    assert vendor.vat_id == ""


def test_the_admin_refuses_a_german_tax_number_in_the_wrong_format(staff_client, vendor):
    response = staff_client.post(
        CHANGE.format(pk=vendor.pk), change_data(vendor, country="DE", tax_number="12-34")
    )
    assert response.status_code == 200
    assert field_errors(response, "tax_number")
    assert field_errors(response, "vat_id") == []


def test_the_admin_says_it_in_the_staff_members_language(staff_client, vendor):
    response = staff_client.post(
        CHANGE.format(pk=vendor.pk),
        change_data(vendor, country="DE", vat_id="DE1234"),
        headers={"accept-language": "de"},
    )
    assert field_errors(response, "vat_id") == ["Diese Nummer hat zu wenige oder zu viele Zeichen."]


@pytest.mark.parametrize(
    ("country", "typed", "kind", "written"),
    [
        ("DE", "DE 136 695 976", "eu_vat", "DE136695976"),
        ("AT", "U13585627", "eu_vat", "ATU13585627"),  # the prefix added
        ("GR", "094259216", "eu_vat", "EL094259216"),  # Greece writes EL
        ("GB", "980 7806 84", "gb_vat", "GB980780684"),
        ("CH", "CHE100155212", "ch_uid", "CHE-100.155.212"),
        ("NO", "NO 995 525 828 MVA", "no_vat", "995525828MVA"),
        ("AU", "83 914 571 673", "au_abn", "83914571673"),
        ("US", "042103594", "us_ein", "04-2103594"),
    ],
)
def test_each_country_gets_its_kind_in_the_form_stripe_writes(country, typed, kind, written):
    found, number = tax_id_clean(country=country, value=typed)
    assert (found.stripe_type, number) == (kind, written)


def test_a_country_without_a_kind_is_refused():
    with pytest.raises(ValidationError) as refused:
        tax_id_clean(country="BR", value="12345")
    assert refused.value.code == "tax_id_country"


def test_a_sellers_vat_id_may_be_another_member_states():
    assert vat_id_clean(country="DE", value="ATU13585627") == "ATU13585627"
