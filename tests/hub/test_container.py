"""The Dockerfile's build steps, run here as plain commands (there is no
container daemon): collectstatic without DEBUG writes the manifest, and
gunicorn with the image's configuration serves the hub with DEBUG off and
never logs a query string or an access token (issue 12, point 9)."""

import contextlib
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.conftest import database_url
from tests.support.subprocesses import clean_env

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "T0kenT0kenT0kenT0kenT0kenT0kenT0kenT0ken123"


def dockerfile_collectstatic() -> tuple[dict[str, str], list[str]]:
    """The environment and command of the Dockerfile's collectstatic step."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    line = next(
        line for line in text.splitlines() if line.startswith("RUN ") and "collectstatic" in line
    )
    words = shlex.split(line.removeprefix("RUN "))
    env = dict(word.split("=", 1) for word in words if re.match(r"^[A-Z_]+=", word))
    command = [word for word in words if not re.match(r"^[A-Z_]+=", word)]
    return env, command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.services
def test_gunicorn_serves_the_hub_with_debug_off_and_masks_tokens(
    tmp_path, transactional_db, redis_url, vendor
):
    build_env, command = dockerfile_collectstatic()
    assert build_env.get("DEBUG") == "0"
    assert command[:2] == ["python", "manage.py"]
    static = tmp_path / "static"
    built = subprocess.run(
        [sys.executable, *command[1:]],
        cwd=ROOT,
        env=clean_env(**build_env, STATIC_ROOT=str(static)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    assert (static / "staticfiles.json").exists()
    port = free_port()
    log = tmp_path / "access.log"
    env = clean_env(
        DEBUG="0",
        SECRET_KEY=Fernet.generate_key().decode() * 2,
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}",
        EMAIL_URL="smtp://127.0.0.1:1",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL=database_url(),
        DATABASE_POOL="false",
        REDIS_URL=redis_url,
        STATIC_ROOT=str(static),
        SECURE_SSL_REDIRECT="false",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
        GUNICORN_ACCESS_LOG=str(log),
    )
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1)
    args = [a.strip(' "') for a in cmd.strip("[]").split(",")]
    assert args[0] == "gunicorn"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), *args[1:]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("gunicorn did not start: " + server.stderr.read().decode()[-2000:])
                time.sleep(0.2)
        page = urllib.request.urlopen(base + vendor.hub_path, timeout=10)
        html = page.read().decode()
        assert page.status == 200
        assert re.search(r"/static/hub\.[0-9a-f]{12}\.css", html)  # from the manifest
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(
                f"{base}{vendor.hub_path}access/{TOKEN}/?email=secret%40example.com", timeout=10
            )
        time.sleep(0.5)
        written = log.read_text()
        assert vendor.hub_path in written
        assert TOKEN not in written
        assert "secret" not in written
        assert "/updateinfo/access/[redacted]" in written
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_every_app_of_ours_is_packaged_and_copied_into_the_image(settings):
    # `pip install .` (the image) installs only the packages pyproject's
    # find rule includes, and the Dockerfile copies each before it: an app
    # missing from either is absent in production while the editable
    # install of `make test` finds it (the rights app was, for a while).
    import tomllib

    from setuptools import find_packages

    tops = {app.split(".")[0] for app in settings.INSTALLED_APPS}
    ours = sorted(top for top in tops if (ROOT / top).is_dir())
    assert "rights" in ours
    found = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    packaged = set(find_packages(where=str(ROOT), include=found["find"]["include"]))
    copied = set(re.findall(r"^COPY (\w+) \1$", (ROOT / "Dockerfile").read_text(), re.M))
    assert [app for app in ours if app not in packaged] == []
    assert [app for app in ours if app not in copied] == []
