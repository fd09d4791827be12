"""The session's time limits to the second (issue 27), with a clock the test
sets: 30 minutes idle and 12 hours in all are the last moments still signed
in, and activity is written down at most every 30 seconds."""

from datetime import timedelta

import pytest
from django.test import Client

from tests.conftest import sign_in
from tests.support.clock import EPOCH

from .fixtures import signed_in

IDLE = timedelta(minutes=30)
MAX_AGE = timedelta(hours=12)


@pytest.fixture
def browser(frozen_clock, alice):
    """Alice signed in at EPOCH exactly."""
    client = Client()
    sign_in(client, alice)
    return client


def at(frozen_clock, client, vendor, moment):
    frozen_clock.set(moment)
    return client.get(vendor.hub_path)


def test_thirty_idle_minutes_are_allowed_and_not_one_second_more(
    browser, vendor, alice, frozen_clock
):
    assert at(frozen_clock, browser, vendor, EPOCH + IDLE).wsgi_request.customer == alice
    frozen_clock.set(EPOCH + IDLE + IDLE + timedelta(seconds=1))
    response = browser.get(vendor.hub_path)
    assert getattr(response.wsgi_request, "customer", None) is None
    assert "signed out after 30 minutes without activity" in response.text


def test_activity_is_recorded_from_thirty_seconds_on(browser, vendor, alice, frozen_clock):
    # A request 29 s after the last one does not move "last seen"...
    assert at(frozen_clock, browser, vendor, EPOCH + timedelta(seconds=29)).wsgi_request.customer
    # ...so the session ends 30 minutes after the sign-in itself.
    frozen_clock.set(EPOCH + IDLE + timedelta(seconds=1))
    assert signed_in(browser, vendor) is None


def test_a_request_thirty_seconds_on_counts_as_activity(browser, vendor, alice, frozen_clock):
    at(frozen_clock, browser, vendor, EPOCH + timedelta(seconds=30))
    frozen_clock.set(EPOCH + timedelta(seconds=30) + IDLE)
    assert signed_in(browser, vendor) == alice


def test_twelve_hours_is_the_last_moment_of_a_busy_session(browser, vendor, alice, frozen_clock):
    moment = EPOCH
    while moment + timedelta(minutes=25) < EPOCH + MAX_AGE:
        moment += timedelta(minutes=25)
        assert at(frozen_clock, browser, vendor, moment).wsgi_request.customer == alice
    assert at(frozen_clock, browser, vendor, EPOCH + MAX_AGE).wsgi_request.customer == alice
    response = at(frozen_clock, browser, vendor, EPOCH + MAX_AGE + timedelta(seconds=1))
    assert getattr(response.wsgi_request, "customer", None) is None
    assert "a session lasts at most 12 hours" in response.text
