"""Load what the first request would load, before gunicorn forks (issue 20).

`get_wsgi_application()` sets Django up and builds the middleware, but the
URLconf (and with it every view module, the admin, the processors' SDKs),
the translation catalogs and the compiled templates are loaded by the first
request each process serves: about two seconds. With `preload_app` the
master calls `app_warm_up()` once, so every worker it forks - at start and
after each `kill -HUP` - answers its first request warm. Measured before:
after a HUP no request was answered for 3-4 s while the new workers each
imported the views (`make chaos`, the reload row).

Nothing here opens a database or Redis connection: a connection (or
Django's connection pool, whose threads do not survive a fork) made in the
master would be shared by every worker.
"""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def app_warm_up() -> None:
    from django.conf import settings
    from django.template import engines
    from django.urls import get_resolver
    from django.utils import translation

    # Every URLconf and the view modules they import.
    get_resolver()._populate()
    # The message catalogs of every language a page can be in.
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Customer hub")
    # Every template, compiled into the engines' cached loaders.
    for engine in engines.all():
        for folder in engine.template_dirs:
            root = Path(folder)
            for path in sorted(root.rglob("*")):
                if path.is_file() and path.suffix in {".html", ".txt", ".xml", ".svg"}:
                    try:
                        engine.get_template(path.relative_to(root).as_posix())
                    except Exception:  # noqa: BLE001 - a fragment that only compiles in context
                        logger.debug("warm-up: %s not compiled", path, exc_info=True)
