"""The customer's language in the hub: their choice (stored when signed in),
else the followed link's, else the browser's, else the vendor's; always one
the vendor offers. The footer's menu switches it without JavaScript and
comes back to the same page; URLs carry no language prefix."""

import re

import pytest
from django.test import Client

from billing.models import Customer
from tests.conftest import sign_in
from tests.factories import CustomerFactory, PaymentFactory
from vendors.languages import CHOICE_COOKIE, LINK_COOKIE

HUB = "/northwind/updateinfo/"
ACME = "/acme/updateinfo/"


@pytest.fixture
def vendor(vendor):
    """Northwind, German, offering German, English and French."""
    vendor.locale = "de"
    vendor.country = "DE"
    vendor.languages = ["de", "en", "fr"]
    vendor.save()
    return vendor


def lang(response) -> str:
    return re.search(r'<html lang="([^"]+)" dir="(ltr|rtl)">', response.text).group(1)


def menu_options(response) -> list[str]:
    menu = response.text.split('class="language-menu"', 1)[1].split("</form>", 1)[0]
    return re.findall(r'<option value="([^"]+)"', menu)


def test_the_vendors_language_speaks_when_nothing_else_decides(client, vendor):
    response = client.get(HUB)
    assert lang(response) == "de"
    assert response["Content-Language"] == "de"


def test_the_browsers_language_comes_next(client, vendor):
    response = client.get(HUB, headers={"accept-language": "es;q=1, fr-CA;q=0.8, en;q=0.5"})
    assert lang(response) == "fr"  # Spanish is not offered; fr-CA reads French
    assert response["Content-Language"] == "fr"
    assert "Accept-Language" in response["Vary"] and "Cookie" in response["Vary"]


def test_a_language_the_vendor_does_not_offer_is_never_used(client, vendor):
    assert lang(client.get(HUB, headers={"accept-language": "es"})) == "de"
    assert lang(client.get(f"{HUB}?lang=es")) == "de"


def test_the_links_language_beats_the_browsers_and_lasts_the_browser_session(client, vendor):
    first = client.get(f"{HUB}?lang=fr", headers={"accept-language": "en"})
    assert lang(first) == "fr"
    cookie = first.cookies[LINK_COOKIE]
    assert cookie.value == "fr" and cookie["path"] == HUB and not cookie["max-age"]
    # The next page, without the parameter, still speaks the link's language.
    assert lang(client.get(HUB, headers={"accept-language": "en"})) == "fr"


def test_the_menu_is_in_the_footer_of_the_sign_in_page(client, vendor):
    response = client.get(HUB)
    footer = response.text.split('<footer class="site-footer">', 1)[1]
    assert 'action="/northwind/updateinfo/language/"' in footer
    assert 'name="csrfmiddlewaretoken"' in footer
    assert menu_options(response) == ["en", "de", "fr"]
    assert '<option value="de" lang="de" selected>Deutsch</option>' in footer
    assert f'name="next" value="{HUB}"' in footer


def test_a_vendor_with_one_language_shows_no_menu(client, vendor):
    vendor.locale, vendor.languages = "en", ["en"]
    vendor.save()
    assert 'class="language-menu"' not in client.get(HUB).text


def test_choosing_signed_out_keeps_the_page_and_remembers_the_choice(client, vendor):
    response = client.post(f"{HUB}language/", {"language": "fr", "next": f"{HUB}access/code/?x=1"})
    assert response.status_code == 302
    assert response["Location"] == f"{HUB}access/code/?x=1"
    cookie = response.cookies[CHOICE_COOKIE]
    assert cookie.value == "fr" and cookie["path"] == HUB and cookie["httponly"]
    # The choice beats the link's language and the browser's.
    assert lang(client.get(f"{HUB}?lang=en", headers={"accept-language": "en"})) == "fr"


def test_signed_in_the_choice_is_stored_on_the_customer(client, vendor, alice):
    sign_in(client, alice)
    PaymentFactory(order__customer=alice)
    response = client.post(f"{HUB}language/", {"language": "fr", "next": f"{HUB}purchases/"})
    assert response["Location"] == f"{HUB}purchases/"
    alice.refresh_from_db()
    assert alice.language == "fr"
    page = client.get(f"{HUB}purchases/")
    assert lang(page) == "fr"
    assert '<option value="fr" lang="fr" selected>' in page.text


def test_the_stored_choice_follows_the_customer_to_another_browser(vendor, alice):
    alice.language = "en"
    alice.save()
    browser = Client()
    sign_in(browser, alice)
    response = browser.get(HUB, headers={"accept-language": "fr"})
    assert lang(response) == "en"
    assert response["Content-Language"] == "en"


def test_a_stored_language_the_vendor_no_longer_offers_is_passed_over(vendor, alice):
    alice.language = "es"
    alice.save()
    browser = Client()
    sign_in(browser, alice)
    assert lang(browser.get(HUB, headers={"accept-language": "fr"})) == "fr"


def test_a_language_not_offered_changes_nothing(client, vendor, alice):
    sign_in(client, alice)
    response = client.post(f"{HUB}language/", {"language": "es", "next": f"{HUB}contact/"})
    assert response["Location"] == f"{HUB}contact/"
    assert CHOICE_COOKIE not in response.cookies
    alice.refresh_from_db()
    assert alice.language == ""


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/acme/updateinfo/",
        f"{HUB}../../acme/updateinfo/",
        "/admin/",
        "",
    ],
)
def test_the_way_back_never_leaves_this_hub(client, vendor, target):
    response = client.post(f"{HUB}language/", {"language": "en", "next": target})
    assert response["Location"] == HUB


def test_it_refuses_a_post_without_the_csrf_token(vendor, alice):
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, alice)
    response = browser.post(f"{HUB}language/", {"language": "fr", "next": HUB})
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.language == ""


def test_a_get_changes_nothing(client, vendor):
    response = client.get(f"{HUB}language/?language=fr&next={HUB}")
    assert response.status_code == 405
    assert CHOICE_COOKIE not in response.cookies


def test_a_choice_at_another_vendor_stays_there(client, vendor, alice, other_vendor, acme_alice):
    """Alice signed in at Northwind chooses French at Acme's hub: Northwind's
    Alice is untouched, and nobody is signed in at Acme to store it on."""
    other_vendor.languages = ["de", "en", "fr"]
    other_vendor.save()
    sign_in(client, alice)
    response = client.post(f"{ACME}language/", {"language": "fr", "next": f"{HUB}purchases/"})
    assert response["Location"] == ACME  # a path into Northwind is not Acme's to send to
    assert response.cookies[CHOICE_COOKIE]["path"] == ACME
    assert Customer.objects.get(pk=alice.pk).language == ""
    assert Customer.objects.get(pk=acme_alice.pk).language == ""
    # Northwind is still in its own language for her (a browser does not
    # send Acme's cookie there: its path is Acme's hub; Django's test client
    # ignores cookie paths, so it is dropped here by hand).
    del client.cookies[CHOICE_COOKIE]
    assert lang(client.get(HUB)) == "de"


def test_it_stores_only_the_signed_in_customer(client, vendor, alice, bob):
    sign_in(client, alice)
    client.post(f"{HUB}language/", {"language": "en", "next": HUB})
    assert Customer.objects.get(pk=alice.pk).language == "en"
    assert Customer.objects.get(pk=bob.pk).language == ""


def test_an_unknown_account_is_a_404(client, db):
    assert client.post("/nobody-here/updateinfo/language/", {"language": "en"}).status_code == 404


def test_pages_keep_a_constant_number_of_queries_with_a_stored_language(
    client, vendor, alice, django_assert_max_num_queries
):
    alice.language = "fr"
    alice.save()
    sign_in(client, alice)
    PaymentFactory.create_batch(3, order__customer=alice)
    client.get(f"{HUB}purchases/")  # warm the vendor cache
    with django_assert_max_num_queries(10) as few:
        client.get(f"{HUB}purchases/")
    PaymentFactory.create_batch(10, order__customer=alice)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert lang(client.get(f"{HUB}purchases/")) == "fr"


def test_the_404_page_speaks_the_visitors_language(client, vendor):
    response = client.get(f"{HUB}no-such-page/", headers={"accept-language": "fr"})
    assert response.status_code == 404
    assert lang(response) == "fr"


def test_amounts_and_dates_follow_the_page_language(client, vendor, alice):
    from datetime import UTC, datetime
    from decimal import Decimal

    PaymentFactory(
        order__customer=alice,
        amount=Decimal("1234.56"),
        currency="EUR",
        created_at=datetime(2026, 12, 7, 12, tzinfo=UTC),
    )
    sign_in(client, alice)
    german = client.get(f"{HUB}purchases/").text
    assert "1.234,56\xa0€" in german
    client.post(f"{HUB}language/", {"language": "fr", "next": HUB})
    french = client.get(f"{HUB}purchases/").text
    assert "1\u202f234,56\xa0€" in french


def test_another_customer_of_the_vendor_keeps_their_own_language(vendor, alice):
    carol = CustomerFactory(vendor=vendor, email="carol@example.com", language="fr")
    browser = Client()
    sign_in(browser, carol)
    assert lang(browser.get(HUB)) == "fr"
    other = Client()
    sign_in(other, alice)
    assert lang(other.get(HUB)) == "de"


def test_the_menu_posts_from_a_no_referrer_page_like_the_access_forms(vendor):
    """The sign-in pages send Referrer-Policy: no-referrer, so Chromium posts
    their forms with `Origin: null`: accepted only with Sec-Fetch-Site:
    same-origin, and the token is checked all the same."""
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(HUB)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    data = {"language": "fr", "next": HUB, "csrfmiddlewaretoken": token}
    same_site = {"origin": "null", "sec-fetch-site": "same-origin"}
    assert browser.post(f"{HUB}language/", data, headers=same_site).status_code == 302
    cross = {"origin": "null", "sec-fetch-site": "cross-site"}
    assert browser.post(f"{HUB}language/", data, headers=cross).status_code == 403
    foreign = {"origin": "https://evil.example"}
    assert browser.post(f"{HUB}language/", data, headers=foreign).status_code == 403


def test_the_error_pages_stay_without_the_menu(rf, vendor):
    from hub.views import server_error

    request = rf.get(HUB)
    request.vendor = vendor
    page = server_error(request).content.decode()
    assert '<html lang="' in page and 'class="language-menu"' not in page


def test_dir_follows_the_language(client, vendor, settings):
    """No language of ours is right-to-left yet; one added to LANGUAGES
    (Arabic here) turns the page's direction, and its emails'."""
    from django.core import mail

    from vendors.mail import mail_send

    settings.LANGUAGES = [*settings.LANGUAGES, ("ar", "العربية")]
    vendor.languages = ["de", "ar"]
    vendor.save()
    page = client.get(HUB, headers={"accept-language": "ar"}).text
    assert '<html lang="ar" dir="rtl">' in page
    assert '<html lang="de" dir="ltr">' in client.get(HUB).text
    mail_send(vendor=vendor, to="x@example.com", template="email_changed", language="ar")
    assert '<html lang="ar" dir="rtl">' in mail.outbox[0].alternatives[0][0]
