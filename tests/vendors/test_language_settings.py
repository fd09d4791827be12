"""The vendor's language settings in the admin: the languages offered to
customers (ticked boxes) and the language of invoices and credit notes."""

from django.urls import reverse

from tests.vendors.test_admin import change_data
from vendors.formatting import offered_languages
from vendors.models import Vendor


def post_settings(client, vendor, **overrides):
    return client.post(
        reverse("admin:vendors_vendor_change", args=[vendor.pk]), change_data(vendor, **overrides)
    )


def test_the_owner_ticks_the_languages_offered_and_the_documents_language(staff_client, vendor):
    page = staff_client.get(reverse("admin:vendors_vendor_change", args=[vendor.pk])).text
    assert 'type="checkbox" name="languages" value="fr"' in page
    assert 'name="document_language"' in page
    response = post_settings(
        staff_client, vendor, locale="de", languages=["de", "fr"], document_language="customer"
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    vendor.refresh_from_db()
    assert vendor.languages == ["de", "fr"]
    assert vendor.document_language == Vendor.DocumentLanguage.CUSTOMER
    assert offered_languages(vendor) == ("de", "fr")


def test_none_ticked_offers_the_vendors_language_and_english(staff_client, vendor):
    response = post_settings(staff_client, vendor, locale="de")
    assert response.status_code == 302
    vendor.refresh_from_db()
    assert vendor.languages == []
    assert vendor.document_language == Vendor.DocumentLanguage.VENDOR
    assert offered_languages(vendor) == ("en", "de")


def test_a_language_we_do_not_have_is_refused_next_to_the_field(staff_client, vendor):
    response = post_settings(staff_client, vendor, languages=["de", "tlh"])
    assert response.status_code == 200
    assert "languages" in response.context["adminform"].form.errors
    vendor.refresh_from_db()
    assert vendor.languages == []


def test_another_vendors_settings_stay_out_of_reach(staff_client, vendor, other_vendor):
    response = staff_client.post(
        reverse("admin:vendors_vendor_change", args=[other_vendor.pk]),
        change_data(other_vendor, languages=["fr"]),
    )
    assert response.status_code in (302, 404)
    other_vendor.refresh_from_db()
    assert other_vendor.languages == []
