"""Site-wide views: health probes, the hub's 404 page and the demo's mailbox."""

import base64
import email
import email.policy
import mimetypes
import re
import sys
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache

from vendors.formatting import vendor_language
from vendors.selectors import vendor_for_slug

from .outages import is_outage, service_unavailable

# A hub address: /<account>/updateinfo/... (the slug rules allow no more).
HUB_PATH = re.compile(r"^/(?P<account>[a-z0-9-]{1,40})/updateinfo/")


def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up. Touches nothing else, so it stays cheap under load."""
    return HttpResponse("ok", content_type="text/plain")


READYZ_TIMEOUT = 1  # seconds per attempt to reach a service
# For all checks together: they run side by side, so the probe answers
# within 2 s even when the database and Redis both hang. A probe that times
# out at the load balancer says nothing about what is down.
READYZ_DEADLINE = 1.5


def _database_ping() -> None:
    """SELECT 1 on a connection of its own with a one-second connect timeout:
    the pool would wait for a free connection for longer than a probe may."""
    if connection.vendor != "postgresql":
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        finally:
            connection.close()  # this thread's own connection
        return
    import psycopg

    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        connect_timeout=READYZ_TIMEOUT,
    ) as conn:
        conn.execute("SELECT 1")


def _redis_ping() -> None:
    import redis

    redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=READYZ_TIMEOUT, socket_connect_timeout=READYZ_TIMEOUT
    ).ping()


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """The database and, when configured, Redis answer; 503 names what is down."""
    checks = {"database": _database_ping}
    if settings.REDIS_URL:
        checks["redis"] = _redis_ping
    # In threads with one overall deadline: a connect timeout applies per
    # attempt (libpq may make two, SSL then plain), and checks one after
    # the other would add up. A check still running at the deadline is
    # down; its thread ends at its own timeout.
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    try:
        futures = {name: pool.submit(check) for name, check in checks.items()}
        wait(futures.values(), timeout=READYZ_DEADLINE)
    finally:
        pool.shutdown(wait=False)
    states = {
        name: "ok" if future.done() and future.exception() is None else "down"
        for name, future in futures.items()
    }
    down = [name for name, state in states.items() if state != "ok"]
    body: dict = {"status": "down" if down else "ok", "down": down, **states}
    if settings.REDIS_URL and states.get("redis") == "ok":
        # Informational: a web process can serve without a worker, so a
        # queue without one does not fail the probe, but an operator (or a
        # monitor) reads here that mail or webhooks are waiting.
        body["queues_without_worker"] = _queues_without_worker()
    return JsonResponse(body, status=503 if down else 200)


def _queues_without_worker() -> list[str]:
    import redis

    from .celery import WORKER_HEARTBEAT_KEY

    queues = sorted(
        {
            settings.CELERY_TASK_DEFAULT_QUEUE,
            settings.CELERY_PDF_QUEUE,
            settings.CELERY_WEBHOOKS_QUEUE,
        }
    )
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=READYZ_TIMEOUT, socket_connect_timeout=READYZ_TIMEOUT
    )
    try:
        beats = client.mget([WORKER_HEARTBEAT_KEY.format(queue=queue) for queue in queues])
    except redis.RedisError:
        return queues
    return [queue for queue, beat in zip(queues, beats, strict=True) if beat is None]


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 404 in the hub's look, branded when the address names a known
    vendor: also for a mistyped page under a real hub, where no view ran
    and so nothing set `request.vendor` yet."""
    if getattr(request, "vendor", None) is None:
        match = HUB_PATH.match(request.path_info)
        vendor = vendor_for_slug(slug=match["account"]) if match else None
        if vendor is not None:
            request.vendor = vendor  # type: ignore[attr-defined]
            translation.activate(vendor_language(vendor))
    response = render(request, "404.html", status=404)
    response.hub_not_found = True  # type: ignore[attr-defined]  # for HubNotFoundMiddleware
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """A 500 in the hub's look, with the vendor's branding when the request
    got as far as knowing the vendor. Rendered defensively: the error may
    have been the database, so nothing here queries it.

    An outage raised outside a view (a middleware: the vendor lookup, the
    session) arrives here, still being handled: it is the 503 page, as from
    a view."""
    exception = sys.exc_info()[1]
    if is_outage(exception):
        return service_unavailable(request, exception)  # type: ignore[arg-type]
    try:
        return render(request, "500.html", status=500)
    except Exception:  # the page that says sorry must not fail itself
        return HttpResponse(gettext("Something went wrong. Please try again."), status=500)


def landing(request: HttpRequest) -> HttpResponse:
    """`/`: what this site is, for someone who typed its address."""
    example = f"{settings.SITE_URL}/<account>/updateinfo/"
    return render(request, "hub/landing.html", {"example_url": example})


def favicon(request: HttpRequest) -> HttpResponse:
    return redirect(static("favicon.svg"), permanent=True)


def logo(request: HttpRequest, name: str) -> FileResponse:
    """A vendor logo from Django's storage, so hub pages never load an image
    from a third party and a plain deployment needs no separate media server.

    Only the logos/ folder is public: invoice PDFs live in the same storage
    and are served solely through the signed-in customer's invoice view.
    """
    path = PurePosixPath("logos", name)
    if ".." in path.parts or name.startswith("/") or not default_storage.exists(str(path)):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or ""
    if not content_type.startswith("image/") or content_type == "image/svg+xml":
        raise Http404
    response = FileResponse(default_storage.open(str(path), "rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response


def _dev_mail_dir() -> Path:
    if not settings.DEBUG:
        raise Http404
    return Path(settings.DEV_MAIL_DIR)


def _read_message(path: Path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def dev_mail_list(request: HttpRequest) -> HttpResponse:
    """DEBUG only: the emails the demo sent, newest first, so a person trying
    the demo can click their access link."""
    folder = _dev_mail_dir()
    files = sorted(folder.glob("*.eml"), reverse=True)[:100] if folder.exists() else []
    messages = []
    for path in files:
        msg = _read_message(path)
        messages.append(
            {
                "id": path.stem,
                "vendor": _sender_name(msg),
                "to": msg["To"],
                "subject": msg["Subject"],
                "date": msg["Date"],
            }
        )
    return render(request, "hub/dev_mail_list.html", {"mails": messages})


def _sender_name(msg) -> str:
    """The vendor a message speaks for: its From name (mail_send signs every
    email with the vendor's name)."""
    sender = msg["From"]
    addresses = getattr(sender, "addresses", ())
    return (addresses[0].display_name or addresses[0].addr_spec) if addresses else str(sender or "")


def _back_bar(msg) -> str:
    """A line above a previewed message: back to the mailbox, and whose it is."""
    return format_html(
        '<p style="margin:0;padding:8px 12px;background:#f3f4f6;font:14px sans-serif">'
        '<a href="/_dev/mail/">← All mail</a> · {} → {} · {}</p>',
        _sender_name(msg),
        msg["To"] or "",
        msg["Subject"] or "",
    )


def _inline_images(msg, html: str) -> str:
    """The message's own images (the vendor logo travels as `cid:`) as data:
    URLs: a browser cannot resolve cid: and the preview fetches nothing."""
    for part in msg.walk():
        content_id = (part.get("Content-ID") or "").strip("<>")
        if content_id and part.get_content_maintype() == "image":
            data = base64.b64encode(part.get_payload(decode=True)).decode()
            html = html.replace(
                f"cid:{content_id}", f"data:{part.get_content_type()};base64,{data}"
            )
    return html


def dev_mail_detail(request: HttpRequest, mail_id: str) -> HttpResponse:
    folder = _dev_mail_dir()
    path = folder / f"{mail_id}.eml"
    if "/" in mail_id or not path.is_file():
        raise Http404
    msg = _read_message(path)
    html = msg.get_body(preferencelist=("html",))
    text = msg.get_body(preferencelist=("plain",))
    if html is not None and request.GET.get("part") != "text":
        content = _inline_images(msg, html.get_content())
        body_tag = re.search(r"<body[^>]*>", content, re.IGNORECASE)
        at = body_tag.end() if body_tag else 0
        response = HttpResponse(content[:at] + _back_bar(msg) + content[at:])
        # Emails style themselves inline (mail clients allow nothing else);
        # the preview allows that and nothing more: no script, no fetches.
        response["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
            "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
        )
        return response
    body = text.get_content() if text is not None else ""
    header = f"All mail: {settings.SITE_URL.rstrip('/')}/_dev/mail/\nFrom: {_sender_name(msg)}\n\n"
    return HttpResponse(header + body, content_type="text/plain; charset=utf-8")
