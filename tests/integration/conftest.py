import pytest

from tests.conftest import local_server


@pytest.fixture
def private_localstripe():
    """A localstripe of this test's own: its webhook registrations (which
    outlive a reset) reach no other test's server."""
    yield from local_server(
        ["tests.support.localstripe_server"], ready_path="/js.stripe.com/v3/", what="localstripe"
    )
