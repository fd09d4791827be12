"""Generated hostile input to every hub URL and form, on PostgreSQL: never a
5xx (issue 12, point 6). Hypothesis draws a few thousand inputs in all,
bounded so the file runs in well under a minute."""

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import sign_in
from tests.support.urls import hub_routes, routes

# Text that is hard on the stack: control characters (NUL first), surrogate-
# free unicode, percent signs, slashes, dots, quotes and very long runs.
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x1F), min_size=1, max_size=8),
    st.sampled_from(["\x00", "..", "%00", "%2e%2e", "'\";--", "\\", "//", "a" * 600, "0", "-1"]),
    st.builds(lambda a, b: a + "\x00" + b, st.text(max_size=10), st.text(max_size=10)),
)
FIELDS = [
    "email",
    "code",
    "next",
    "name",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "state",
    "country",
    "sort",
    "page",
    "reason",
    "language",
    "lang",
]
FORMS = st.dictionaries(st.sampled_from(FIELDS), HOSTILE, max_size=6)
BOUNDED = settings(
    max_examples=350,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
ROUTES = [r for r in routes() if not r.name.startswith("admin:")]


def _url(route, values) -> str:
    params = {name: quote(values.get(name, "x"), safe="") or "x" for name in route.parameters}
    params["account"] = "northwind"
    return route.path(**params)


@pytest.fixture
def fuzz_client(postgres, client, alice, settings):
    settings.HUB_ACCESS_RATE_PER_IP = (1_000_000, 600)
    settings.HUB_ACCESS_RATE_PER_EMAIL = (1_000_000, 600)
    settings.HUB_CODE_RATE_PER_IP = (1_000_000, 600)
    sign_in(client, alice)
    return client


@BOUNDED
@given(
    route=st.sampled_from(ROUTES),
    values=st.dictionaries(st.sampled_from(["number", "token", "name", "mail_id"]), HOSTILE),
    query=FORMS,
)
def test_it_never_answers_5xx_to_a_generated_get(fuzz_client, route, values, query):
    response = fuzz_client.get(_url(route, values), query)
    assert response.status_code < 500, (route.route, values, query)


@BOUNDED
@given(
    route=st.sampled_from(hub_routes()),
    values=st.dictionaries(st.just("token"), HOSTILE),
    data=FORMS,
)
def test_it_never_answers_5xx_to_a_generated_form(fuzz_client, alice, route, values, data):
    response = fuzz_client.post(_url(route, values), data)
    assert response.status_code < 500, (route.route, values, data)
    if route.name == "hub:signout":
        sign_in(fuzz_client, alice)
