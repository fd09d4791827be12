"""A declaration whose work was never queued (the broker was down when it was
stored) is processed, confirmed and notified by the periodic sweep, once."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from rights.cancellations import declaration_token_hash
from rights.models import CancellationDeclaration, WithdrawalDeclaration
from rights.tasks import declarations_sweep_task


def stored_while_the_broker_was_down(model, vendor, minutes_ago=10, **fields):
    values = {
        "vendor": vendor,
        "created_at": timezone.now() - timedelta(minutes=minutes_ago),
        "name": "Alice Adams",
        "email": "alice@example.com",
        "order_number": "ORD-1",
        "token_hash": declaration_token_hash(f"{model.__name__}{minutes_ago}"),
        **fields,
    }
    if model is CancellationDeclaration:
        values |= {"kind": "ordinary", "when": "asap"}
    return model.objects.create(**values)


def test_the_sweep_does_what_was_left_undone_once(vendor, django_capture_on_commit_callbacks):
    cancellation = stored_while_the_broker_was_down(CancellationDeclaration, vendor)
    withdrawal = stored_while_the_broker_was_down(WithdrawalDeclaration, vendor)
    just_now = stored_while_the_broker_was_down(CancellationDeclaration, vendor, minutes_ago=1)
    with django_capture_on_commit_callbacks(execute=True):
        declarations_sweep_task()
    for declaration in (cancellation, withdrawal, just_now):
        declaration.refresh_from_db()
    assert cancellation.status == "open" and cancellation.confirmation_sent_at
    assert withdrawal.status == "open" and withdrawal.confirmation_sent_at
    assert just_now.status == "received"  # its own tasks may still be on their way
    assert sorted(m.to[0] for m in mail.outbox) == [
        "alice@example.com",
        "alice@example.com",
        "help@nw.example",
        "help@nw.example",
    ]
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        declarations_sweep_task()
    assert len(mail.outbox) == sent
