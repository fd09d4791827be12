"""The vendor API (`/api/v1/`), built with django-ninja: typed request and
response schemas, the OpenAPI document at /api/v1/openapi.json, interactive
docs at /api/v1/docs in DEBUG only.

Callers are vendors' servers, authenticated by a vendor API key sent as
`Authorization: Bearer <key>`; every lookup goes through that key's vendor,
so one vendor's key never reaches another vendor's customers. Every error is
JSON: `{"error": <code>, "message": <what to do>}`.
"""

import logging
import math
import re
from datetime import datetime

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Field, NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import ConfigDict, field_validator, model_validator

from billing.models import Customer, normalize_email
from magiclinks.ratelimit import rate_limit_hit, rate_limit_wait
from magiclinks.services import ProfileLinkCooldown, api_link_create, api_profile_link_queue
from vendors.api_keys import api_key_authenticate
from vendors.clientip import client_ip, client_ip_key
from vendors.formatting import language_match, language_pick
from vendors.languages import with_language
from vendors.models import ApiKey, Vendor

logger = logging.getLogger(__name__)

# Requests allowed per key per window of seconds (setting HUB_API_RATE_PER_KEY).
API_PER_KEY = ("HUB_API_RATE_PER_KEY", (60, 60))
# Failed authentications per client IP (setting HUB_API_AUTH_FAILURES_PER_IP).
API_AUTH_FAILURES_PER_IP = ("HUB_API_AUTH_FAILURES_PER_IP", (20, 600))
PROCESSOR_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


class RateLimited(HttpError):
    def __init__(self, retry_after: int, message: str = "") -> None:
        super().__init__(429, "rate_limited")
        self.retry_after = retry_after
        self.message = message


class ApiKeyAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> ApiKey | None:
        """Failed authentications (a key presented that is unknown, revoked
        or malformed) are counted per client IP and logged for monitoring;
        past the limit, that IP gets a 429 before any key it sends is looked
        at, so guessing keys (or a leaked list of old ones) is slow and loud.
        A request without an Authorization header is a plain 401, uncounted."""
        ip = client_ip_key(client_ip(request)) or "unknown"
        rule = API_AUTH_FAILURES_PER_IP
        wait = rate_limit_wait(scope="api-auth-failed", identity=ip, rule=rule)
        if wait:
            logger.info("API authentication refused: too many failures from %s", ip)
            raise RateLimited(
                wait,
                ngettext(
                    "Too many failed authentications from your address. "
                    "Try again in %(seconds)d second.",
                    "Too many failed authentications from your address. "
                    "Try again in %(seconds)d seconds.",
                    wait,
                )
                % {"seconds": wait},
            )
        key = super().__call__(request)
        if key is None and request.headers.get("Authorization"):
            rate_limit_hit(scope="api-auth-failed", identity=ip, rule=rule)
            logger.warning("API authentication failed from %s", ip)
        return key

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = api_key_authenticate(raw=token)
        if key is None:
            return None
        verdict = rate_limit_hit(scope="api", identity=str(key.pk), rule=API_PER_KEY)
        if not verdict.allowed:
            raise RateLimited(verdict.retry_after)
        return key


def _debug_only(view):
    """The interactive docs load Swagger UI's script and styles from a CDN:
    a developer's convenience, served in DEBUG only (checked per request).
    django-ninja wraps the OpenAPI document with this too: that one is
    always served, so clients can be generated from production."""

    def wrapper(request: HttpRequest, *args, **kwargs):
        if not settings.DEBUG and not request.path.endswith("/openapi.json"):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


api = NinjaAPI(
    title="Customer Hub vendor API",
    version="1",
    description="Create one-time hub links and email access links for your customers.",
    urls_namespace="api",
    auth=ApiKeyAuth(),
    docs_url="/docs",
    docs_decorator=_debug_only,
    openapi_url="/openapi.json",
)


class ErrorOut(Schema):
    error: str
    message: str


def _clean_email(value: str) -> str:
    try:
        validate_email(value.strip())
    except DjangoValidationError:
        raise ValueError("not a valid email address") from None
    return normalize_email(value)


class HubLinkIn(Schema):
    """Who the link is for: their email, or their id (ours, or the Stripe
    customer id, or the PayPal payer id)."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, max_length=254, examples=["alex@example.com"])
    customer_id: str | None = Field(None, max_length=100, examples=["cus_NffrFeUfNV2Hib"])
    language: str | None = Field(
        None,
        max_length=10,
        examples=["de"],
        description=(
            "The language of your page (en, de, fr, es): the hub opens in it when "
            "you offer it, unless the customer chose another in the hub."
        ),
    )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else _clean_email(value)

    @field_validator("customer_id")
    @classmethod
    def _customer_id(cls, value: str | None) -> str | None:
        if value is not None and not PROCESSOR_ID.match(value):
            raise ValueError("use letters, digits, '_' and '-' only")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is not None and not language_match(value, [c for c, _ in settings.LANGUAGES]):
            raise ValueError("use one of: " + ", ".join(c for c, _ in settings.LANGUAGES))
        return value

    @model_validator(mode="after")
    def _one_of(self) -> "HubLinkIn":
        if (self.email is None) == (self.customer_id is None):
            raise ValueError("send either email or customer_id (one of them)")
        return self


class HubLinkOut(Schema):
    url: str = Field(description="Send the customer's browser here; it works once.")
    expires_at: datetime


class ProfileLinkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254, examples=["alex@example.com"])

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return _clean_email(value)


class ProfileLinkOut(Schema):
    status: str = "queued"
    message: str


def _customer(vendor: Vendor, *, email: str | None, customer_id: str | None) -> Customer | None:
    # Tenant first: only the key's vendor's customers are looked at.
    customers = vendor.customers.all()
    if email is not None:
        return customers.filter(email=email).first()
    assert customer_id is not None
    match = Q(stripe_customer_id=customer_id) | Q(paypal_payer_id=customer_id)
    if customer_id.isdigit():
        match |= Q(pk=int(customer_id))
    return customers.filter(match).order_by("pk").first()


NOT_FOUND = {
    "error": "not_found",
    "message": "No customer of yours matches that email or id.",
}


@api.post(
    "/hub-links",
    response={201: HubLinkOut, 404: ErrorOut, 429: ErrorOut},
    summary="Create a one-time hub link",
    description=(
        "A link that signs the customer straight into their hub, for a "
        "'Manage billing' button on your site. It works once and for 5 minutes: "
        "create it when the member clicks, and redirect their browser to it."
    ),
)
def hub_link_create(request: HttpRequest, payload: HubLinkIn, response: HttpResponse):
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    customer = _customer(key.vendor, email=payload.email, customer_id=payload.customer_id)
    if customer is None:
        return Status(404, NOT_FOUND)
    link, url = api_link_create(customer=customer, api_key_name=key.name)
    if payload.language:
        # The link's language (vendors.languages): below the customer's own choice.
        url = with_language(url, language_pick(key.vendor, payload.language))
    # The URL is a sign-in: no cache on the way (a proxy, the vendor's HTTP
    # client) may keep it.
    response["Cache-Control"] = "no-store"
    return Status(201, {"url": url, "expires_at": link.expires_at})


@api.post(
    "/profile-links",
    response={202: ProfileLinkOut, 404: ErrorOut, 429: ErrorOut},
    summary="Email a customer their access link",
    description=(
        "Emails the customer a one-hour link to their hub, as Send Profile Link "
        "does in the admin. The link is never returned. Within 5 minutes of the "
        "last one (sent here or from the admin), the answer is 429 with Retry-After."
    ),
)
def profile_link_create(request: HttpRequest, payload: ProfileLinkIn):
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    customer = _customer(key.vendor, email=payload.email, customer_id=None)
    if customer is None:
        return Status(404, NOT_FOUND)
    try:
        api_profile_link_queue(customer=customer, api_key_name=key.name)
    except ProfileLinkCooldown as cooldown:
        wait = max(1, math.ceil((cooldown.next_at - timezone.now()).total_seconds()))
        raise RateLimited(
            wait,
            ngettext(
                "An access link went to this customer moments ago. "
                "Try again in %(seconds)d second.",
                "An access link went to this customer moments ago. "
                "Try again in %(seconds)d seconds.",
                wait,
            )
            % {"seconds": wait},
        ) from None
    message = f"An access link is on its way to {customer.email}."
    return Status(202, {"status": "queued", "message": message})


# --- errors: always JSON, always saying what to do ---------------------------


def _error(request: HttpRequest, status: int, error: str, message: str, **extra) -> HttpResponse:
    return api.create_response(
        request, {"error": error, "message": message, **extra}, status=status
    )


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(
        request,
        401,
        "unauthorized",
        "Send a valid API key as 'Authorization: Bearer <key>'. This one is missing, "
        "unknown or revoked; owners create keys in the admin under API keys.",
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = _error(
        request,
        429,
        "rate_limited",
        exc.message
        or f"Too many requests with this API key. Try again in {exc.retry_after} seconds.",
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Django's own answer would be an HTML 400 and a logged traceback.
    return _error(
        request,
        413,
        "too_large",
        _("The body is too large. Send a small JSON object, for example %(example)s.")
        % {"example": '{"email": "alex@example.com"}'},
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        return _error(
            request,
            400,
            "bad_request",
            'The body must be JSON, for example {"email": "alex@example.com"}.',
        )
    return _error(request, exc.status_code, "error", str(exc))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for item in exc.errors:
        loc = [str(part) for part in item.get("loc", ()) if part not in ("body", "payload")]
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        errors.append({"field": ".".join(loc), "message": message})
    first = errors[0] if errors else {"field": "", "message": "invalid"}
    summary = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return _error(request, 422, "invalid", summary, errors=errors)
