"""No forged log lines (issue 21, point 8): a line break or another control
character in a URL or a header is escaped in gunicorn's access log and in
our own logs, so every request is one line and nothing in it can pass for
another entry."""

import io
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hub import gunicorn_conf
from hub.log_filters import EscapeControlCharacters, escape_control_characters

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def console():
    """What the configured console handler writes, for the length of a test."""
    handler = next(
        h
        for h in logging.getLogger("django").handlers
        if any(isinstance(f, EscapeControlCharacters) for f in h.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_it_escapes_control_characters():
    assert escape_control_characters("a\nb\r\x1b[31m\x00\x7f\x85\u2028\\") == (
        "a\\x0ab\\x0d\\x1b[31m\\x00\\x7f\\x85\\u2028\\"
    )
    assert escape_control_characters('say "hi"') == 'say "hi"'
    # The access log's fields are quoted: quotes and backslashes too.
    assert escape_control_characters('"hi"\\', access_log=True) == "\\x22hi\\x22\\x5c"
    assert escape_control_characters("Grüße, 日本") == "Grüße, 日本"


def test_a_line_break_in_a_url_writes_one_line_in_our_log(client, vendor, console):
    # Django writes a 404's path with backslash escapes itself (which the
    # filter leaves as they are); the next test is the filter's own.
    response = client.get("/northwind/updateinfo/x%0a2026-01-01 ERROR hub forged%0d")
    assert response.status_code == 404
    written = console.getvalue()
    lines = [line for line in written.splitlines() if line]
    assert len(lines) == 1, written
    assert not any(line.startswith("2026-01-01 ERROR") for line in lines)


def test_our_own_messages_and_their_arguments_are_escaped(console):
    logging.getLogger("hub.anything").warning("refused %s", "evil\nWARNING forged\x1b[2J")
    assert console.getvalue().count("\n") == 1
    assert "refused evil\\x0aWARNING forged\\x1b[2J" in console.getvalue()


def test_a_traceback_keeps_its_own_lines(console):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("hub.anything").exception("failed\nforged")
    written = console.getvalue()
    assert "failed\\x0aforged" in written
    assert "Traceback (most recent call last):" in written.splitlines()[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def gunicorn(tmp_path):
    """The real gunicorn with our configuration, on loopback, logging
    requests to a file: (port, access log path)."""
    port = _free_port()
    log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESS_LOG": str(log),
        "PDF_WARM_UP": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:hub.gunicorn_conf", "hub.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if b" 200 " in _raw_request(port, b"GET /healthz HTTP/1.0\r\n\r\n")[:20]:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start", pytrace=False)
            time.sleep(0.2)
        yield port, log
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_gunicorns_access_log_writes_one_line_per_request(gunicorn):
    port, log = gunicorn
    forged = '127.0.0.1 [01/Jan/2026:00:00:00 +0000] "GET /admin/ HTTP/1.1" 200'
    path = "/x%0a" + forged.replace(" ", "%20").replace('"', "%22") + "%0d%1b[2J"
    _raw_request(
        port,
        f'GET {path} HTTP/1.0\r\nUser-Agent: agent" 200 \\x0a\r\n\r\n'.encode(),
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines()
        if len(lines) >= 2:
            break
        time.sleep(0.1)
    assert len(lines) == 2, lines  # /healthz, then this one: no forged line
    line = lines[1]
    assert line.startswith("127.0.0.1 ") and '"GET /x\\x0a127.0.0.1' in line
    assert "\\x0d\\x1b[2J HTTP/1.0" in line
    assert line.endswith('"agent\\x22 200 \\x5cx0a"')


def test_the_access_log_hook_masks_then_escapes():
    class Response:
        status, sent, headers = "404 Not Found", 0, []

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/x",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/demo/updateinfo/access/" + "A" * 43 + "/\n",
        "HTTP_USER_AGENT": "a\tb",
    }
    logger = gunicorn_conf.TokenMaskingLogger.__new__(gunicorn_conf.TokenMaskingLogger)
    from datetime import timedelta

    atoms = logger.atoms(Response(), [], environ, timedelta(milliseconds=3))
    assert atoms["U"] == "/demo/updateinfo/access/[redacted]/\\x0a"
    assert atoms["a"] == "a\\x09b"
