"""Addresses in each country's own order (Google's address data)."""

from billing.addresses import address_lines, address_problems


def test_a_us_address_reads_city_state_zip():
    lines = address_lines(
        line1="12 Harbor Road", city="Portland", state="OR", postal_code="97201", country="US"
    )
    assert lines == ["12 Harbor Road", "Portland, OR 97201", "US"]


def test_a_german_address_puts_the_postal_code_first():
    lines = address_lines(
        line1="Lindenallee 3", city="Hamburg", postal_code="20259", country="DE",
        country_name="Germany",
    )  # fmt: skip
    assert lines == ["Lindenallee 3", "20259 Hamburg", "Germany"]


def test_missing_parts_leave_no_stray_separators():
    assert address_lines(city="Portland", country="US") == ["Portland", "US"]
    assert address_lines(city="Toronto", country="CA", country_name="Canada") == [
        "Toronto",
        "Canada",
    ]


def test_an_empty_address_is_no_problem():
    assert address_problems(
        line1="", line2="", city="", postal_code="", state="", country="US"
    ) == ({}, {})


def test_problems_name_our_fields():
    problems, _ = address_problems(
        line1="", line2="", city="Portland", postal_code="1", state="OR", country="US"
    )
    assert set(problems) == {"address_line1", "postal_code"}


def test_a_japanese_address_keeps_its_city():
    # Japan's format has no city token: the city (ward) opens the street part.
    lines = address_lines(
        line1="千代田1-1",
        city="千代田区",
        postal_code="100-0001",
        state="東京都",
        country="JP",
        country_name="Japan",
    )
    assert lines == ["〒100-0001", "東京都", "千代田区", "千代田1-1", "Japan"]
