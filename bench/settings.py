"""The production settings, as the benchmark runs them.

Everything comes from hub.settings with DEBUG off (the harness sets the
environment production needs). The one change: the access-request rate
limits are lifted, because the load generator sends thousands of requests a
second from one address and would otherwise measure the 429 page.
"""

from hub.settings import *  # noqa: F403

HUB_ACCESS_RATE_PER_IP = (10**9, 60)
HUB_ACCESS_RATE_PER_EMAIL = (10**9, 60)
