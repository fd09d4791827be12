from django.test import Client


def test_a_form_without_its_token_gets_a_plain_page_in_the_hubs_look(vendor):
    response = Client(enforce_csrf_checks=True).post(
        "/northwind/updateinfo/access/", {"email": "alice@example.com"}
    )
    assert response.status_code == 403
    text = response.content.decode()
    assert "Please try again" in text
    assert "nothing was saved" in text
    assert "hub.css" in text
    assert "CSRF verification failed" not in text
