"""The audit trail: one function records every event worth keeping."""

from django.http import HttpRequest

from .models import AuditEvent


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR only: a deployment behind a proxy sets it correctly (gunicorn
    --forwarded-allow-ips); trusting X-Forwarded-For here would let anyone
    write any address into the record."""
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    vendor,
    action: str,
    actor: str,
    customer=None,
    user=None,
    subscription=None,
    request: HttpRequest | None = None,
    details: dict | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        vendor=vendor,
        customer=customer,
        actor=actor,
        user=user,
        subscription=subscription,
        action=action,
        ip=client_ip(request) if request else None,
        user_agent=(request.headers.get("User-Agent", "")[:300] if request else ""),
        details=details or {},
    )
