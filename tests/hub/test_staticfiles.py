"""The production static files storage keeps each URL it has looked up
(hub.staticfiles): `{% static %}` asks for three or four on every page."""

import pytest

from hub.staticfiles import HubStaticFilesStorage


def _storage(tmp_path) -> HubStaticFilesStorage:
    storage = HubStaticFilesStorage(location=str(tmp_path), base_url="/static/")
    storage.hashed_files = {"hub.css": "hub.0123abcd.css"}
    return storage


def test_a_url_is_looked_up_once_per_process(tmp_path):
    storage = _storage(tmp_path)
    assert storage.url("hub.css") == "/static/hub.0123abcd.css"
    # The manifest does not change while a process runs; were it asked again,
    # this would be the answer.
    storage.hashed_files = {"hub.css": "hub.99999999.css"}
    assert storage.url("hub.css") == "/static/hub.0123abcd.css"
    assert storage.url("hub.css", force=True) == "/static/hub.99999999.css"


def test_a_missing_name_is_refused_every_time(tmp_path):
    storage = _storage(tmp_path)
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("nowhere.css")


def test_collectstatic_starts_from_an_empty_memory(tmp_path):
    storage = _storage(tmp_path)
    assert storage.url("hub.css") == "/static/hub.0123abcd.css"
    # post_process rebuilds the manifest (here: from no files at all).
    list(storage.post_process({}, dry_run=True))
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        storage.url("hub.css")


def test_production_serves_static_files_through_it(tmp_path):
    from tests.hub.test_settings import production_env
    from tests.support.subprocesses import run_python

    code = "import hub.settings as s; print(s.STORAGES['staticfiles']['BACKEND'])"
    production = run_python(code, env=production_env(tmp_path))
    assert production.returncode == 0, production.stderr
    assert production.stdout.strip() == "hub.staticfiles.HubStaticFilesStorage"
    # With DEBUG on, Django's plain storage (no manifest to look URLs up in).
    demo = run_python(code, env=production_env(tmp_path, DEBUG="1"))
    assert demo.stdout.strip() == "django.contrib.staticfiles.storage.StaticFilesStorage"
