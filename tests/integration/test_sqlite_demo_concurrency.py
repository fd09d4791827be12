"""The embedded demo's SQLite under the demo's own concurrency (issue 21,
point 2): the development server's threads, tasks run in them, and
localstripe delivering a burst of webhooks while a customer cancels.

Everything runs as `make demo` runs it, in processes of its own: a private
localstripe, a migrated and seeded SQLite file, `runserver`. Before WAL, a
busy timeout and IMMEDIATE transactions, the burst printed `database is
locked` tracebacks and left events unprocessed.
"""

import re
import threading
import time

import pytest

from tests.support.demo_site import demo_site, paid_renewals

pytestmark = pytest.mark.services

# Renewals localstripe issues and pays at once: each is a burst of events
# (invoice, payment intent, charge) the hub records and sends receipts for.
RENEWALS = 6


OUTCOMES = """
import json
from billing.models import Subscription, WebhookEvent
sub = Subscription.objects.get(vendor__slug="demo", customer__email="alex@example.com")
print(json.dumps({"outcomes": list(WebhookEvent.objects.values_list("outcome", flat=True)),
                  "ending": sub.cancel_at_period_end,
                  "paid": sub.payments.filter(status="paid").count()}))
"""


def test_webhooks_fired_during_a_cancellation_are_all_processed_without_a_lock(
    tmp_path, private_localstripe
):
    with demo_site(tmp_path, private_localstripe) as site:
        alex = site.alex
        browser = site.browser()
        cancel_url = f"{site.url}/demo/updateinfo/subscriptions/{alex['subscription']}/cancel/"
        page = browser.get(cancel_url, timeout=10).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

        # localstripe sends each renewal's events about a second after it
        # is paid, all at once: the cancellation lands in the middle.
        paid_renewals(private_localstripe, alex, RENEWALS)
        answers: list[int] = []

        def cancel() -> None:
            response = browser.post(
                cancel_url,
                data={"csrfmiddlewaretoken": token, "reason": ""},
                headers={"Referer": cancel_url},
                allow_redirects=False,
                timeout=60,
            )
            answers.append(response.status_code)

        time.sleep(0.8)
        canceller = threading.Thread(target=cancel)
        canceller.start()
        canceller.join(90)
        assert answers == [302]

        # Every delivery answered is processed (none pending or failed).
        deadline = time.monotonic() + 60
        while True:
            state = site.shell(OUTCOMES)
            outcomes = state["outcomes"]
            settled = outcomes and all(o in ("processed", "ignored") for o in outcomes)
            if settled and state["paid"] >= 60 + RENEWALS:
                break
            assert time.monotonic() < deadline, state
            time.sleep(1)
        assert state["ending"] is True
    output = site.log.read_text()
    assert "database is locked" not in output, output[-5000:]
    assert "Traceback" not in output, output[-5000:]
