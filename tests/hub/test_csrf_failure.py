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


def test_its_title_names_the_vendor_like_the_404(vendor):
    # WCAG 2.4.2: a tab among others says whose page failed (issue 28 point 5).
    response = Client(enforce_csrf_checks=True).post(
        "/northwind/updateinfo/access/", {"email": "alice@example.com"}
    )
    assert "<title>Please try again · Northwind Courses</title>" in response.content.decode()
