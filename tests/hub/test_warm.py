"""gunicorn's master loads what a first request would before it forks
(issue 20, reloads drop nothing): after a `kill -HUP` the new workers were
forked cold and answered nothing for 3-4 s while each imported the views.
Run in a fresh interpreter: the suite's own process has long loaded all of it."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import django
django.setup()
from django.core.wsgi import get_wsgi_application
get_wsgi_application()  # what preload_app does in the master
before = "hub.urls" in sys.modules

class Server:
    class cfg:
        preload_app = True

import gc
import hub.gunicorn_conf as conf
conf.when_ready(Server())

from django.db import connections
from django.db.backends.postgresql.base import DatabaseWrapper
from django.template import engines
from django.urls import get_resolver
from django.utils.translation import trans_real

loader = engines["django"].engine.template_loaders[0]
print(json.dumps({
    "urls_before": before,
    "urls": "hub.urls" in sys.modules and get_resolver()._populated,
    "views": "hub.views" in sys.modules and "magiclinks.views" in sys.modules,
    "templates": len(getattr(loader, "get_template_cache", {})),
    "catalogs": sorted(trans_real._translations),
    "db_connections": [a for a in connections if connections[a].connection is not None],
    "db_pools": list(getattr(DatabaseWrapper, "_connection_pools", {})),
    "frozen": gc.get_freeze_count(),
    "tracked": len(gc.get_objects()),
}))
"""


def test_the_master_is_warm_before_it_forks_and_holds_no_connection():
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "hub.settings",
        "HUB_PROCESS": "web",
        "PDF_WARM_UP": "0",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["urls_before"] is False  # the probe starts cold
    assert found["urls"] is True
    assert found["views"] is True
    assert found["templates"] > 50
    assert {"de", "fr", "es"} <= set(found["catalogs"])
    # Nothing a forked worker would share: no connection, no pool.
    assert found["db_connections"] == []
    assert found["db_pools"] == []
    # What the master loaded is out of the collector's reach: a worker's
    # full collection no longer walks it (a 25-60 ms pause per collection).
    assert found["frozen"] > 50_000
    assert found["tracked"] < found["frozen"] / 10
