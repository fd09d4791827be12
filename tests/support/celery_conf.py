"""Change the Celery app's configuration for a test, whatever the Celery
version. The app reads Django's settings under the CELERY_ namespace; celery
5.6 then keeps both `CELERY_TASK_ALWAYS_EAGER` and `task_always_eager` and
answers with the first, so `app.conf.task_always_eager = False` alone changes
nothing there (5.7 answers with the second). Setting both works on each."""

from typing import Any


def celery_conf_set(app, **values: Any) -> None:
    for key, value in values.items():
        app.conf[key] = value
        app.conf[f"CELERY_{key.upper()}"] = value
