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
    ip: str | None = None,
    user_agent: str = "",
) -> AuditEvent:
    # `ip` and `user_agent` stand in for a request when the action is carried
    # out later, in a task, for a declaration that recorded them.
    return AuditEvent.objects.create(
        vendor=vendor,
        customer=customer,
        actor=actor,
        user=user,
        subscription=subscription,
        action=action,
        ip=client_ip(request) if request else ip,
        user_agent=(request.headers.get("User-Agent", "") if request else user_agent)[:300],
        details=details or {},
    )
