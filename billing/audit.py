"""The audit trail: one function records every event worth keeping."""

from django.http import HttpRequest

from vendors.clientip import client_ip

from .models import AuditEvent

__all__ = ["audit_record", "client_ip"]


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
