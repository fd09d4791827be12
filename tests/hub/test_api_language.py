"""POST /api/v1/hub-links takes the language of the vendor's page: the hub
opens in it (when the vendor offers it), below the customer's own choice."""

import json

import pytest

from tests.magiclinks.fixtures import rate_limits_clear
from vendors.api_keys import api_key_create

HUB_LINKS = "/api/v1/hub-links"


@pytest.fixture(autouse=True)
def _rate_limits_isolated():
    rate_limits_clear()
    yield
    rate_limits_clear()


@pytest.fixture
def key(vendor):
    vendor.locale = "de"
    vendor.languages = ["de", "en", "fr"]
    vendor.save()
    return api_key_create(vendor=vendor, name="Website")[1]


def hub_link(client, key, **body):
    return client.post(
        HUB_LINKS,
        json.dumps({"email": "alice@example.com", **body}),
        content_type="application/json",
        headers={"authorization": f"Bearer {key}"},
    )


def test_the_link_carries_the_pages_language(client, key, alice):
    response = hub_link(client, key, language="fr")
    assert response.status_code == 201
    url = response.json()["url"]
    assert url.endswith("?lang=fr")
    page = client.get(url.split("testserver", 1)[1], headers={"accept-language": "en"})
    assert page["Content-Language"] == "fr"


def test_a_language_the_vendor_does_not_offer_gives_the_vendors(client, key, alice):
    assert hub_link(client, key, language="es").json()["url"].endswith("?lang=de")


def test_without_a_language_the_link_carries_none(client, key, alice):
    assert "lang=" not in hub_link(client, key).json()["url"]


def test_a_language_we_do_not_have_is_a_422_saying_which_we_have(client, key, alice):
    response = hub_link(client, key, language="tlh")
    assert response.status_code == 422
    assert "en, " in json.dumps(response.json())
