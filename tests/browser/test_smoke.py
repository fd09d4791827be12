import pytest

pytestmark = pytest.mark.browser


def test_the_hub_shows_the_vendors_name_in_chromium(live_server, page, vendor):
    page.goto(f"{live_server.url}/northwind/updateinfo/")
    assert page.locator(".brand__name").inner_text() == "Northwind Courses"
    assert page.get_by_label("Email").is_visible()
