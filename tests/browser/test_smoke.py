from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.browser


def test_the_hub_shows_the_vendors_name_in_chromium(live_server, page, vendor):
    page.goto(f"{live_server.url}/northwind/updateinfo/")
    assert page.locator(".brand__name").inner_text() == "Northwind Courses"
    assert page.get_by_label("Email").is_visible()


def test_the_seeded_demo_hub_opens_in_chromium(live_server, page):
    call_command("seed_demo", force=True, stdout=StringIO())
    response = page.goto(f"{live_server.url}/demo/updateinfo/")
    assert response.status == 200
    assert page.locator(".brand__name").inner_text() == "Northwind Courses"
    assert "Northwind Courses" in page.title() or "Northwind Courses" in page.content()
    assert page.get_by_label("Email").is_visible()
