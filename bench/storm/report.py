"""The storm's report: figures, the nothing-lost-nothing-doubled check, the chart.

The check compares the database and the SMTP sink with what Stripe did
(bench.storm.world): one payment per renewal (paid, or failed for a
declined card), one invoice per paid payment, one receipt or failure notice
per renewal and never two to one customer, every subscription in Stripe's
state, every distinct event stored once and processed. Timings never fail
it; they are figures to compare between runs.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.run import percentile
from bench.storm.world import PERIOD, World, failing

ROOT = Path(__file__).resolve().parent.parent.parent


def expected(world: World) -> dict[str, int]:
    declined = sum(failing(i) for i in range(world.renewals))
    return {"paid": world.renewals - declined, "failed": declined}


def database_facts(world: World) -> dict[str, Any]:
    """The end state, as the hub's tables hold it."""
    from django.db.models import Count, Max, Q

    from billing.models import Invoice, Payment, Subscription, WebhookEvent

    payments = Payment.objects.aggregate(
        total=Count("id"),
        paid=Count("id", filter=Q(status="paid")),
        failed=Count("id", filter=Q(status="failed")),
        references=Count("processor_ref", distinct=True),
        renewals=Count("subscription", distinct=True),
        receipts=Count("id", filter=Q(receipt_sent_at__isnull=False)),
        notices=Count("id", filter=Q(failure_notice_sent_at__isnull=False)),
    )
    renewed_until = datetime.fromtimestamp(world.renewed_at + PERIOD, tz=UTC)
    subscriptions = Subscription.objects.aggregate(
        active=Count("id", filter=Q(status="active")),
        past_due=Count("id", filter=Q(status="past_due")),
        renewed=Count("id", filter=Q(current_period_end=renewed_until)),
    )
    events = WebhookEvent.objects.aggregate(
        received=Count("id"),
        distinct=Count("event_id", distinct=True),
        processed=Count("id", filter=Q(outcome="processed")),
        ignored=Count("id", filter=Q(outcome="ignored")),
        failed=Count("id", filter=Q(outcome="failed")),
        pending=Count("id", filter=Q(outcome__in=["", "retrying"])),
        retried=Count("id", filter=Q(attempts__gt=1)),
        max_attempts=Max("attempts"),
        last_processed_at=Max("processed_at"),
    )
    last = events.pop("last_processed_at")
    events["last_processed_at"] = last.timestamp() if last else None
    invoices = Invoice.objects.aggregate(
        total=Count("id"),
        payments=Count("payment", distinct=True),
        pdfs=Count("id", filter=~Q(pdf="")),
    )
    return {
        "payments": payments,
        "subscriptions": subscriptions,
        "events": events,
        "invoices": invoices,
    }


def _commit() -> str:
    try:
        return subprocess.run(  # noqa: S603
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _windows_p99(timeline: list, start: float, seconds: int = 10) -> list[dict]:
    """The endpoint's p99 per `seconds` window ("throughout", not just overall)."""
    buckets: dict[int, list[float]] = {}
    for at, ms in timeline:
        buckets.setdefault(int((at - start) // seconds), []).append(ms)
    return [
        {"from_s": key * seconds, "requests": len(values), "p99_ms": percentile(values, 0.99)}
        for key, values in sorted(buckets.items())
    ]


def build(*, args, world, delivery, samples, processor, finished, unique_events, workers, facts):
    start = delivery["started"]
    want = expected(world)
    limited = processor["limited"]
    # Stripe limits reads and writes apart; PayPal's one limit (ours: it
    # publishes none) counts every call, the token and verification too.
    on_paypal = args.processor == "paypal"
    limit = args.paypal_rate_limit if on_paypal else args.rate_limit
    counted = "" if on_paypal else "GET "
    reads = sum(v for k, v in processor["endpoints"].items() if k.startswith(counted))
    writes = processor["calls"] - reads
    served_reads = reads - sum(
        v for k, v in processor["limited_endpoints"].items() if k.startswith(counted)
    )
    per_second = {int(k) - int(start): v for k, v in processor["per_second"].items()}
    limited_per_second = {
        int(k) - int(start): v for k, v in processor["limited_per_second"].items()
    }
    last = facts["events"]["last_processed_at"]
    all_processed_s = round(last - start, 1) if finished and last else None
    elapsed = (samples[-1]["at"] - start) if samples else 0
    done_events = facts["events"]["processed"] + facts["events"]["ignored"]
    rate = done_events / elapsed if elapsed else 0
    # Per event processed, times the events of a renewal: the same as reads
    # ÷ renewals once everything is processed, and a fair figure for a run
    # the timeout cut short (a renewal's events arrive together, so the
    # processed ones are a mix of every kind).
    per_event = served_reads / done_events if done_events else 0
    per_renewal = per_event * unique_events / world.renewals
    # The floor: the reads this code needs for the whole storm, at the limit.
    floor = per_renewal * world.renewals / limit if limit else 0
    mail = processor["mail"]
    memory = {}
    for name in samples[0]["rss_kb"] if samples else []:
        series = [s["rss_kb"].get(name, 0) for s in samples]
        memory[name] = {
            "first_mb": round(series[0] / 1024, 1),
            "max_mb": round(max(series) / 1024, 1),
            "last_mb": round(series[-1] / 1024, 1),
        }
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "settings": {
            "processor": args.processor,
            "renewals": world.renewals,
            "latency_ms": args.latency_ms,
            "rate_limit_reads_per_s": limit,
            "in_flight": args.in_flight,
            "delivery_rate_per_s": getattr(args, "delivery_rate", 0.0),
            "duplicates": args.duplicates,
            "shuffled": args.shuffled,
            "timeout_s": args.timeout,
            "label": args.label,
            "smoke": args.smoke,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_at_end": list(os.getloadavg()),
            "note": (
                "shared 2-core machine: the hub, its workers, the fake and the driver;"
                " the workers run at a lower priority (nice, STORM_WORKER_NICE, default 10),"
                " standing for the separate machines production gives web and workers"
            ),
        },
        "workers": workers,
        "expected": {**want, "events": unique_events, "mail": world.renewals},
        "endpoint": {k: v for k, v in delivery.items() if k not in ("timeline", "started")}
        | {"p99_per_10s": _windows_p99(delivery.get("timeline", []), start)},
        "processing": {
            "complete": finished is not None,
            "all_processed_s": all_processed_s,
            "elapsed_s": round(elapsed, 1),
            "events_done": done_events,
            "events_per_s": round(rate, 2),
            # When the time ran out: how long all of them would take at this pace.
            "projected_s": round(unique_events / rate, 1) if rate and not finished else None,
            "everything_done_s": round(finished - start, 1) if finished else None,
        },
        "processor": {
            "calls": processor["calls"],
            "reads": reads,
            "writes": writes,
            "limited_429": limited,
            "limited_share": round(limited / processor["calls"], 4) if processor["calls"] else 0,
            "peak_per_s": max(per_second.values(), default=0),
            "max_in_flight": processor["max_in_flight"],
            "endpoints": processor["endpoints"],
            "limited_endpoints": processor["limited_endpoints"],
            "reads_per_renewal": round(per_renewal, 3),
            "reads_per_event": round(per_event, 3),
            # The floor: the reads this code needed, at the account's limit.
            "floor_s": round(floor, 1),
            "floor_at_2_reads_per_renewal_s": round(2 * world.renewals / limit, 1) if limit else 0,
            "time_over_floor": round(all_processed_s / floor, 2)
            if all_processed_s and floor
            else None,
        },
        "mail": {
            "messages": mail["messages"],
            "kinds": mail["subjects"],
            "connections": mail["connections"],
            "recipients_twice": mail["recipients_twice"],
            "last_s": round(mail["last_at"] - start, 1) if mail["last_at"] else None,
        },
        "pdfs": facts["invoices"]["pdfs"],
        "database": facts,
        "memory": memory,
        "series": {
            "samples": [
                {
                    "t": round(s["at"] - start, 1),
                    "received": s["received"],
                    "pending": s["pending"],
                    "done": s["processed"] + s["ignored"],
                    "queues": s["queues"],
                    "mail": s["mail"],
                    "pdfs": s["pdfs"],
                    "processor_calls": s["processor_calls"],
                    "processor_limited": s["processor_limited"],
                    "rss_kb": s["rss_kb"],
                }
                for s in samples
            ],
            "calls_per_s": per_second,
            "limited_per_s": limited_per_second,
        },
    }


def check(result: dict) -> list[str]:
    """What was lost or done twice, and anything left undone."""
    problems = []
    want = result["expected"]
    db = result["database"]
    events, payments = db["events"], db["payments"]
    if not result["processing"]["complete"]:
        problems.append(
            f"not finished within {result['settings']['timeout_s']:g} s:"
            f" {events['pending']} events pending, {result['mail']['messages']} of"
            f" {want['mail']} emails sent"
        )
    if result["endpoint"].get("gave_up"):
        problems.append(f"{result['endpoint']['gave_up']} deliveries refused five times")
    if events["received"] != want["events"] or events["distinct"] != events["received"]:
        problems.append(
            f"events stored: {events['received']} ({events['distinct']} distinct),"
            f" delivered {want['events']} distinct"
        )
    if events["failed"]:
        problems.append(f"{events['failed']} events failed for good")
    for status in ("paid", "failed"):
        if payments[status] != want[status]:
            problems.append(f"{status} payments: {payments[status]}, expected {want[status]}")
    if payments["references"] != payments["total"] or payments["renewals"] != payments["total"]:
        problems.append(
            f"payments doubled: {payments['total']} rows for {payments['references']} charges"
            f" and {payments['renewals']} subscriptions"
        )
    invoices = db["invoices"]
    if invoices["total"] != payments["paid"] or invoices["payments"] != invoices["total"]:
        problems.append(
            f"invoices: {invoices['total']} for {payments['paid']} paid payments"
            f" ({invoices['payments']} distinct)"
        )
    if payments["receipts"] != want["paid"] or payments["notices"] != want["failed"]:
        problems.append(
            f"receipts marked sent {payments['receipts']} of {want['paid']},"
            f" notices {payments['notices']} of {want['failed']}"
        )
    mail = result["mail"]
    if mail["messages"] != want["mail"]:
        problems.append(f"emails received by the SMTP sink: {mail['messages']} of {want['mail']}")
    if mail["recipients_twice"]:
        problems.append(f"customers who got two emails: {', '.join(mail['recipients_twice'])}")
    subscriptions = db["subscriptions"]
    if (
        subscriptions["active"] != want["paid"]
        or subscriptions["past_due"] != want["failed"]
        or subscriptions["renewed"] != want["paid"] + want["failed"]
    ):
        problems.append(
            f"subscriptions differ from the processor's: {subscriptions['active']} active"
            f" (processor {want['paid']}), {subscriptions['past_due']} past due"
            f" (processor {want['failed']}), {subscriptions['renewed']} in the new period"
        )
    return problems


def summary(result: dict) -> None:
    endpoint, processing, processor = (
        result["endpoint"],
        result["processing"],
        result["processor"],
    )
    print()
    print(
        f"endpoint        p50 {endpoint['p50_ms']} ms, p99 {endpoint['p99_ms']} ms,"
        f" {endpoint['requests']} requests in {endpoint['seconds']} s, {endpoint['statuses']}"
    )
    print(
        f"processing      complete {processing['complete']}, all processed after"
        f" {processing['all_processed_s']} s, {processing['events_per_s']} events/s"
        + (f", projected {processing['projected_s']} s" if processing["projected_s"] else "")
    )
    print(
        f"processor       {processor['calls']} calls ({processor['reads']} reads), peak"
        f" {processor['peak_per_s']}/s, 429s {processor['limited_429']},"
        f" {processor['reads_per_renewal']} reads per renewal, floor {processor['floor_s']} s"
        f" (at 2 reads/renewal {processor['floor_at_2_reads_per_renewal_s']} s)"
    )
    for name, count in processor["endpoints"].items():
        print(f"                  {count:>7}  {name}")
    print(
        f"mail            {result['mail']['messages']} messages {result['mail']['kinds']},"
        f" last after {result['mail']['last_s']} s; PDFs {result['pdfs']}"
    )
    for name, memory in result["memory"].items():
        print(
            f"memory          {name:<16} {memory['first_mb']} -> max {memory['max_mb']}"
            f" -> {memory['last_mb']} MB"
        )


def chart(result: dict, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no chart: install the bench extra, pip install -e '.[bench]')")
        return
    samples = result["series"]["samples"]
    t = [s["t"] for s in samples]
    fig, (backlog, calls, memory) = plt.subplots(3, 1, figsize=(11, 10), sharex=True)
    backlog.plot(t, [s["pending"] for s in samples], label="events waiting", color="#c0392b")
    backlog.plot(t, [s["done"] for s in samples], label="events processed", color="#1f5fbf")
    backlog.plot(t, [s["received"] for s in samples], label="events received", color="#7f8c8d")
    backlog.plot(t, [s["mail"] for s in samples], label="emails sent", color="#27ae60")
    backlog.plot(t, [s["pdfs"] for s in samples], label="PDFs", color="#8e44ad")
    backlog.set_ylabel("count")
    backlog.legend(loc="upper left")
    per_s = result["series"]["calls_per_s"]
    limited = result["series"]["limited_per_s"]
    xs = sorted(int(k) for k in per_s)
    calls.bar(xs, [per_s[k] for k in xs], width=1.0, color="#1f5fbf", label="processor calls/s")
    calls.bar(xs, [limited.get(k, 0) for k in xs], width=1.0, color="#c0392b", label="429s/s")
    rate = result["settings"]["rate_limit_reads_per_s"]
    calls.axhline(rate, color="#2c3e50", linestyle="--", linewidth=1, label=f"limit {rate:g}/s")
    calls.set_ylabel("per second")
    calls.legend(loc="upper left")
    for name in samples[0]["rss_kb"] if samples else []:
        memory.plot(t, [s["rss_kb"].get(name, 0) / 1024 for s in samples], label=name)
    memory.set_ylabel("RSS, MB (with children)")
    memory.set_xlabel("seconds since the first delivery")
    memory.legend(loc="upper left")
    settings = result["settings"]
    fig.suptitle(
        f"Renewal storm: {settings['renewals']} renewals, {settings['latency_ms']:g} ms per call,"
        f" {rate:g} reads/s ({result['date']}, {result['commit']})"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    print(f"wrote {path.relative_to(ROOT)}")
