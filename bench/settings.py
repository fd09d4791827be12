"""The production settings, as the benchmark runs them.

Everything comes from hub.settings with DEBUG off (the harness sets the
environment production needs). The one change: the access-request rate
limits are lifted, because the load generator sends thousands of requests a
second from one address and would otherwise measure the 429 page; and
`BENCH_I18N=0` switches translation off for the baseline of `--language off`.
"""

import os

from hub.settings import *  # noqa: F403

# `--language off`: the same pages with translation switched off, the
# baseline that issue 23's "page costs grow by at most 10 %" is measured
# against (bench/run.py).
if os.environ.get("BENCH_I18N") == "0":
    USE_I18N = False

HUB_ACCESS_RATE_PER_IP = (10**9, 60)
HUB_ACCESS_RATE_PER_EMAIL = (10**9, 60)
