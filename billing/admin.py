"""The vendors' view of their billing data. Records that are evidence
(invoices, audit events, webhooks) are read-only; processors own orders,
subscriptions and payments, so the admin shows them without editing."""

from functools import partial

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from vendors.admin import VendorScopedAdmin
from vendors.models import Vendor

from .models import (
    AuditEvent,
    CreditNote,
    Invoice,
    Order,
    Payment,
    Refund,
    StripeImport,
    Subscription,
    WebhookEvent,
)


class ReadOnlyScopedAdmin(VendorScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyScopedAdmin):
    list_display = ["number", "customer", "product", "amount", "currency", "status", "created_at"]
    list_filter = ["status", "processor"]
    search_fields = ["number", "customer__email", "product"]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyScopedAdmin):
    list_display = ["product", "customer", "status", "amount", "currency", "next_payment_at"]
    list_filter = ["status", "processor"]
    search_fields = ["customer__email", "product", "processor_id"]
    list_select_related = ["customer"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", "customer", "amount", "currency", "status", "processor"]
    list_filter = ["status", "processor"]
    search_fields = ["customer__email", "order__number", "processor_ref"]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyScopedAdmin):
    list_display = ["number", "customer", "total", "currency", "issued_at"]
    search_fields = ["number", "customer__email"]
    list_select_related = ["customer"]
    exclude = ["pdf"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", "action", "actor", "customer", "user", "ip"]
    list_filter = ["action", "actor"]
    search_fields = ["customer__email", "action"]
    list_select_related = ["customer", "user"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyScopedAdmin):
    """Every delivery that passed verification, with how its processing went:
    a failed one shows its error here, and staff may process it again."""

    list_display = [
        "received_at", "processor", "event_type", "event_id", "outcome", "attempts", "error_short",
    ]  # fmt: skip
    list_filter = ["processor", "outcome", "livemode"]
    search_fields = ["event_id", "event_type"]
    exclude = ["headers"]
    actions = ["process_again"]

    @admin.display(description=_("error"))
    def error_short(self, obj):
        return obj.error[:120]

    @admin.action(description=_("Process again"), permissions=["view"])
    def process_again(self, request, queryset):
        from .tasks import webhook_event_process_task

        events = list(
            queryset.exclude(outcome=WebhookEvent.Outcome.PROCESSED).values_list("pk", flat=True)
        )
        WebhookEvent.objects.filter(pk__in=events).update(outcome=WebhookEvent.Outcome.PENDING)
        for pk in events:
            transaction.on_commit(partial(webhook_event_process_task.delay, pk))
        self.message_user(request, _("%(count)d events queued.") % {"count": len(events)})


@admin.register(Refund)
class RefundAdmin(ReadOnlyScopedAdmin):
    list_display = ["refunded_at", "payment", "amount", "currency", "reason", "processor_ref"]
    search_fields = ["processor_ref", "payment__customer__email"]
    list_select_related = ["payment"]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyScopedAdmin):
    list_display = ["number", "customer", "total", "currency", "issued_at", "invoice"]
    search_fields = ["number", "customer__email"]
    list_select_related = ["customer", "invoice"]
    exclude = ["pdf"]


@admin.register(StripeImport)
class StripeImportAdmin(ReadOnlyScopedAdmin):
    """Imports from Stripe and their progress (stage, objects so far, counts)."""

    list_display = ["created_at", "vendor", "status", "stage", "processed", "finished_at"]
    list_filter = ["status"]
    readonly_fields = ["vendor", "status", "since", "stage", "processed", "counts", "error"]


@admin.action(description=_("Import from Stripe (in the background)"))
def stripe_import_from_admin(modeladmin, request, queryset):
    """Start an import per selected vendor; its progress shows under Stripe imports."""
    from .stripe_import import stripe_import_start
    from .tasks import stripe_import_task

    started = 0
    for vendor in queryset:
        if not vendor.stripe_secret_key:
            continue
        run = stripe_import_start(vendor=vendor)
        transaction.on_commit(partial(stripe_import_task.delay, run.pk))
        started += 1
    level = messages.SUCCESS if started else messages.WARNING
    modeladmin.message_user(
        request, _("%(count)d Stripe imports started.") % {"count": started}, level
    )


# The vendors app knows nothing of billing (dependencies point one way), so
# billing adds its action to the vendor's admin page here.
_vendor_admin = admin.site._registry.get(Vendor)
if _vendor_admin is not None:
    _vendor_admin.actions = [*(_vendor_admin.actions or []), stripe_import_from_admin]
