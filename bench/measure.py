"""In-process measurements for the benchmark: the dataset's customers, their
sessions, SQL queries per page (Django's test client, same database and
settings as the served pages) and the fresh-process probes (bench.probe)."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import dataset

ROOT = Path(__file__).resolve().parent.parent


def dataset_present() -> bool:
    from vendors.models import Vendor

    return Vendor.objects.filter(slug=dataset.SHOP).exists()


def set_language(language: str) -> str:
    """The bench vendor's language for this run, and only that one offered,
    so every page of the run is in it; "off" keeps English (translation is
    switched off by the settings then). The customers choose none, so the
    vendor's language is theirs."""
    from billing.models import Customer
    from vendors.models import Vendor

    code = "en" if language == "off" else language
    vendor = Vendor.objects.get(slug=dataset.SHOP)
    Vendor.objects.filter(pk=vendor.pk).update(locale=code, languages=[code])
    Customer.objects.filter(vendor=vendor).exclude(language="").update(language="")
    return language


def dataset_info(scale_name: str) -> dict:
    """The signed-in customers (by history length), with what their pages need.

    Stored PDFs of the bench vendor are forgotten first, so that every run
    measures first renders and stored downloads the same way.
    """
    from billing.models import Customer, Invoice, Payment
    from vendors.models import Vendor

    vendor = Vendor.objects.get(slug=dataset.SHOP)
    Invoice.objects.filter(vendor=vendor).exclude(pdf="").update(pdf="")
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    info: dict = {"vendor": vendor.slug, "customers": {}}
    for size in dataset.SCALES[scale_name].sizes:
        customer = Customer.objects.get(vendor=vendor, email=dataset.size_email(size))
        newest = Invoice.objects.filter(customer=customer).order_by("-sequence").first()
        info["customers"][str(size)] = {
            "id": customer.pk,
            "payments": Payment.objects.filter(customer=customer).count(),
            "invoice": newest.number if newest else None,
        }
    failing = dataset.SCALES[scale_name].failing
    if failing:
        customer = Customer.objects.get(vendor=vendor, email=dataset.failing_email())
        # Only its subscriptions page is measured: the history pages of a
        # customer this long are measured at the same size already.
        info["customers"][f"{failing}-failing"] = {
            "id": customer.pk,
            "payments": failing,
            "invoice": None,
            "only": "subscriptions",
        }
    info["known_email"] = dataset.size_email(dataset.SCALES[scale_name].sizes[0])
    csv = Customer.objects.filter(vendor=vendor, email=dataset.csv_email()).first()
    if csv is None:  # the largest signed-in history stands in
        largest = max(dataset.SCALES[scale_name].sizes)
        csv = Customer.objects.get(vendor=vendor, email=dataset.size_email(largest))
    info["csv_customer"] = csv.pk
    info["csv_rows"] = Payment.objects.filter(customer=csv).count()
    info["table_rows"] = {
        "payments": _estimate("billing_payment"),
        "customers": _estimate("billing_customer"),
        "vendors": Vendor.objects.count(),
    }
    return info


def _estimate(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        return int(cursor.fetchone()[0])


def session_for(customer_id: int, vendor_id: int) -> str:
    """A stored session in which the customer is signed in, as a redeemed link leaves it."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    now = int(timezone.now().timestamp())
    store["hub_customers"] = {str(vendor_id): {"customer": customer_id, "since": now, "seen": now}}
    store.create()
    return store.session_key


def sessions(info: dict) -> dict[str, str]:
    from vendors.models import Vendor

    vendor_id = Vendor.objects.get(slug=info["vendor"]).pk
    found = {size: session_for(data["id"], vendor_id) for size, data in info["customers"].items()}
    found["csv"] = session_for(info["csv_customer"], vendor_id)
    return found


def _client(session_key: str | None = None) -> Client:
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    if session_key:
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


def _count(client: Client, method: str, path: str, data=None, stream: bool = False) -> int:
    getattr(client, method)(path, data)  # once to warm caches the page may fill
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(path, data)
        if stream:
            for _ in response.streaming_content:
                pass
    if response.status_code >= 400:
        raise SystemExit(f"{path}: HTTP {response.status_code}")
    return len(captured)


def query_counts(page_list: list[dict], sessions: dict[str, str]) -> dict[str, int]:
    counts = {}
    for page in page_list:
        counts[page["name"]] = _count(_client(sessions[page["size"]]), "get", page["path"])
    return counts


def language_served(page: dict, sessions: dict[str, str]) -> str:
    """The `<html lang>` of one measured page: the run's pages are in the
    language it claims (bench.run --language)."""
    html = _client(sessions[page["size"]]).get(page["path"]).content.decode()
    found = re.search(r'<html[^>]* lang="([^"]+)"', html)
    return found.group(1) if found else ""


def extra_query_counts(info: dict, sessions: dict[str, str]) -> dict[str, int]:
    hub = f"/{info['vendor']}/updateinfo/"
    counts = {}
    for label, email in (("known", info["known_email"]), ("unknown", "nobody@bench.example")):
        counts[f"access request ({label})"] = _count(
            _client(), "post", f"{hub}access/", {"email": email}
        )
    for size, data in info["customers"].items():
        if data.get("only"):
            continue
        counts[f"CSV download [{size}]"] = _count(
            _client(sessions[size]), "get", f"{hub}purchases.csv", stream=True
        )
        counts[f"print view [{size}]"] = _count(
            _client(sessions[size]), "get", f"{hub}purchases/print/"
        )
        if data.get("invoice"):
            path = f"{hub}invoices/{data['invoice']}/pdf"
            counts[f"stored PDF [{size}]"] = _count(
                _client(sessions[size]), "get", path, stream=True
            )
    size, (number,) = unrendered_invoices(info, count=1)
    with CaptureQueriesContext(connection) as captured:
        response = _client(sessions[size]).get(f"{hub}invoices/{number}/pdf")
        b"".join(response.streaming_content)
    counts["first PDF render"] = len(captured)
    return counts


def unrendered_invoices(info: dict, *, count: int) -> tuple[str, list[str]]:
    """Invoices of the middle-sized customer whose PDF was never rendered."""
    from billing.models import Invoice

    sizes = [s for s, d in info["customers"].items() if d.get("invoice")]
    size = sizes[len(sizes) // 2]
    numbers = list(
        Invoice.objects.filter(customer_id=info["customers"][size]["id"], pdf="")
        .order_by("sequence")
        .values_list("number", flat=True)[:count]
    )
    return size, numbers


def csrf_pair() -> tuple[str, str]:
    """A CSRF cookie value and a form token that matches it, as a browser
    that loaded the access form holds them."""
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    return secret, _mask_cipher_secret(secret)


def probes(info: dict, *, smoke: bool = False) -> dict:
    """Peak memory and time of a CSV download and of first PDF renders, each
    in a fresh process (ru_maxrss of a long-lived process says nothing)."""
    from billing.models import Invoice

    _, (number, other) = unrendered_invoices(info, count=2)
    found = {}
    runs = {
        "csv": ["csv", str(info["csv_customer"])],
        "pdf_cold": ["pdf", str(Invoice.objects.get(number=number).pk), "--cold"],
        "pdf_warm": ["pdf", str(Invoice.objects.get(number=other).pk)],
    }
    if smoke:  # CI: one PDF process is enough to see it work
        del runs["pdf_cold"]
    for name, args in runs.items():
        out = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.probe", *args],
            cwd=ROOT,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        found[name] = json.loads(out.strip().splitlines()[-1])
    Invoice.objects.filter(number__in=[number, other]).update(pdf="")
    return found


def access_medians(info: dict, *, rounds: int = 100) -> dict:
    """The access request for a known and an unknown email, alternated
    request by request in this process: the same work either way (the
    lookup happens in the task), so the medians should match within noise."""
    hub = f"/{info['vendor']}/updateinfo/"
    client = _client()
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    emails = {"known": info["known_email"], "unknown": "nobody@bench.example"}
    for n in range(rounds * 2 + 4):
        label = ("known", "unknown")[n % 2]
        started = time.perf_counter()
        response = client.post(f"{hub}access/", {"email": emails[label]})
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"access request: HTTP {response.status_code}")
        if n >= 4:  # the first two of each warm up
            times[label].append(elapsed)
    medians = {k: round(sorted(v)[len(v) // 2], 3) for k, v in times.items()}
    return {
        "known_median_ms": medians["known"],
        "unknown_median_ms": medians["unknown"],
        "difference_ms": round(abs(medians["known"] - medians["unknown"]), 3),
        "requests_each": rounds,
    }


def cleanup_queue(redis_url: str) -> None:
    """Drop the access-request tasks the run queued (no worker consumes them)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.delete("bench")
    time.sleep(0)
