"""The fault lab for the suite: started once for the folder (its own
PostgreSQL, Redis, SMTP sink, gunicorn, worker and beat), SHORT timings."""

import os
import shutil

import pytest

from .lab import SHORT, Lab, postgres_bin


def _missing() -> str:
    try:
        postgres_bin("initdb")
    except RuntimeError:
        return "initdb (PostgreSQL server binaries)"
    if not shutil.which("redis-server"):
        return "redis-server"
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        return "aiosmtpd (pip install -e .[dev])"
    return ""


@pytest.fixture(scope="session")
def lab():
    missing = _missing()
    if missing:
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail(f"the fault lab needs {missing}", pytrace=False)
        pytest.skip(f"the fault lab needs {missing}")
    started = Lab(SHORT)
    try:
        yield started.start()
    finally:
        started.close()
