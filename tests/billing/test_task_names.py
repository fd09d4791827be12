"""A task's name is a stored reference: queued messages, ScheduledRetry rows,
CELERY_TASK_ROUTES and the beat schedule all hold it. Moving a task's code
(billing's modules moved into processors/ and documents/) must not change it,
or a worker drops what was queued under the old name."""

import ast
from pathlib import Path

from django.conf import settings

import billing.tasks
from hub.celery import app

TASKS_MODULE = Path(billing.tasks.__file__)

# The names in queues and ScheduledRetry rows today. New tasks may be added;
# these may never go.
STORED_NAMES = {
    "billing.tasks.card_updated_notify_task",
    "billing.tasks.credit_note_pdf_render_task",
    "billing.tasks.customer_email_changed_notify_task",
    "billing.tasks.customer_sync_task",
    "billing.tasks.invoice_pdf_render_task",
    "billing.tasks.payment_failed_notify_task",
    "billing.tasks.payment_receipt_task",
    "billing.tasks.stripe_import_task",
    "billing.tasks.subscription_canceled_notify_task",
    "billing.tasks.subscription_kept_notify_task",
    "billing.tasks.subscriptions_finalize_task",
    "billing.tasks.webhook_bodies_purge_task",
    "billing.tasks.webhook_event_process_task",
    "billing.tasks.webhook_events_sweep_task",
}


def explicit_names(path: Path) -> dict[str, str | None]:
    """For each function decorated with @shared_task in `path`, the `name=`
    it passes (None when it lets Celery derive one from the module)."""
    found: dict[str, str | None] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call else decorator
            if isinstance(target, ast.Name) and target.id == "shared_task":
                names = [k.value for k in (call.keywords if call else []) if k.arg == "name"]
                found[node.name] = (
                    names[0].value if names and isinstance(names[0], ast.Constant) else None
                )
    return found


def test_every_stored_task_name_still_has_its_task():
    assert STORED_NAMES - set(app.tasks) == set()


def test_every_routed_or_scheduled_task_exists():
    # Every app's tasks registered, as a worker's autodiscovery does (alone,
    # this test saw only the modules imported above: rights' were missing).
    app.loader.import_default_modules()
    routed = set(settings.CELERY_TASK_ROUTES)
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert (routed | scheduled) - set(app.tasks) == set()


def test_billing_tasks_are_named_explicitly_so_a_move_keeps_the_name():
    names = explicit_names(TASKS_MODULE)
    assert len(names) >= len(STORED_NAMES)
    assert {fn: name for fn, name in names.items() if name != f"billing.tasks.{fn}"} == {}


def test_the_name_check_sees_a_task_without_a_name(tmp_path):
    module = tmp_path / "tasks.py"
    module.write_text(
        "@shared_task(name='billing.tasks.a_task', acks_late=True)\n"
        "def a_task(): ...\n"
        "@shared_task(acks_late=True)\n"
        "def b_task(): ...\n"
        "@shared_task\n"
        "def c_task(): ...\n",
        encoding="utf-8",
    )
    assert explicit_names(module) == {
        "a_task": "billing.tasks.a_task",
        "b_task": None,
        "c_task": None,
    }
