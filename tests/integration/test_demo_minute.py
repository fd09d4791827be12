"""A minute of the embedded demo under a customer's busiest use (issue 21,
point 2): card changes, cancellations and "Keep my subscription" one after
the other, while localstripe pays renewals and delivers their webhooks, all
against the demo's SQLite file as `make demo` runs it. Nothing may print a
traceback, answer a 5xx or leave a webhook unprocessed.

It runs a full minute, so it is kept out of `make test` (marker `soak`) and
run by `make soak`, which CI runs after the suite.
"""

import os
import re
import time

import pytest
import requests

from tests.support.demo_site import demo_site, paid_renewals

pytestmark = [pytest.mark.services, pytest.mark.soak]

SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
RENEWAL_EVERY = 10.0  # seconds between bursts of renewals, two at a time

STATE = """
import json
from billing.models import Subscription, WebhookEvent
sub = Subscription.objects.get(vendor__slug="demo", customer__email="alex@example.com")
print(json.dumps({"outcomes": list(WebhookEvent.objects.values_list("outcome", flat=True)),
                  "last4": sub.card_last4, "ending": sub.cancel_at_period_end,
                  "paid": sub.payments.filter(status="paid").count()}))
"""

CARDS = ["4242424242424242", "5555555555554444", "4000056655665556"]


def _token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def _post(browser, url: str, data: dict) -> requests.Response:
    return browser.post(url, data=data, headers={"Referer": url}, allow_redirects=False,
                        timeout=60)  # fmt: skip


def change_card(browser, localstripe: str, card_url: str, number: str) -> int:
    """What the card page's script does with the fake Stripe.js on Save card:
    ask the hub for a SetupIntent, confirm it with the card at Stripe, then
    post its id."""
    page = browser.get(card_url, timeout=30)
    assert page.status_code == 200, page.status_code
    setup = browser.post(
        f"{card_url}setup/",
        headers={"Referer": card_url, "X-CSRFToken": _token(page.text)},
        timeout=60,
    )
    assert setup.status_code == 200, setup.status_code
    secret = setup.json()["client_secret"]
    setup_intent = secret.split("_secret_")[0]
    confirmed = requests.post(
        f"{localstripe}/v1/setup_intents/{setup_intent}/confirm",
        json={
            "key": "pk_test_demo",
            "client_secret": secret,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": "12", "exp_year": "34", "cvc": "123"},
                "billing_details": {"address": {"postal_code": "97201"}},
            },
        },
        timeout=30,
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "succeeded", (
        confirmed.text
    )
    return _post(browser, card_url, {"csrfmiddlewaretoken": _token(page.text),
                                     "setup_intent": setup_intent}).status_code  # fmt: skip


def test_a_minute_of_card_changes_and_cancellations_prints_no_traceback(
    tmp_path, private_localstripe
):
    with demo_site(tmp_path, private_localstripe) as site:
        alex = site.alex
        browser = site.browser()
        base = f"{site.url}/demo/updateinfo/subscriptions/{alex['subscription']}"
        answers: dict[str, list[int]] = {"card": [], "cancel": [], "keep": []}
        renewals = 0
        started = time.monotonic()
        next_renewal = started
        turn = 0
        while time.monotonic() - started < SECONDS:
            if time.monotonic() >= next_renewal:
                paid_renewals(private_localstripe, alex, 2)
                renewals += 2
                next_renewal += RENEWAL_EVERY
            number = CARDS[turn % len(CARDS)]
            answers["card"].append(
                change_card(browser, private_localstripe, f"{base}/card/", number)
            )
            token = _token(browser.get(f"{base}/cancel/", timeout=30).text)
            answers["cancel"].append(
                _post(
                    browser, f"{base}/cancel/", {"csrfmiddlewaretoken": token, "reason": ""}
                ).status_code
            )
            answers["keep"].append(
                _post(browser, f"{base}/keep/", {"csrfmiddlewaretoken": token}).status_code
            )
            turn += 1

        # Every delivery answered is processed (none pending or failed).
        deadline = time.monotonic() + 60
        while True:
            state = site.shell(STATE)
            settled = all(o in ("processed", "ignored") for o in state["outcomes"])
            if settled and state["paid"] >= 60 + renewals:
                break
            assert time.monotonic() < deadline, state
            time.sleep(1)
    assert turn >= 5, answers  # it did run a minute of work, not one round
    assert set(answers["card"]) == {302}, answers
    assert set(answers["cancel"]) == {302}, answers
    assert set(answers["keep"]) == {302}, answers
    assert state["ending"] is False  # the last action was "Keep"
    assert state["last4"] == CARDS[(turn - 1) % len(CARDS)][-4:]
    output = site.log.read_text()
    assert "database is locked" not in output, output[-5000:]
    assert "Traceback" not in output, output[-5000:]
    assert '" 50' not in output, output[-5000:]  # runserver's log line of a 5xx
