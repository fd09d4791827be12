"""The vendors' view of their billing data. Records that are evidence
(invoices, audit events, webhooks) are read-only; processors own orders,
subscriptions and payments, so the admin shows them without editing."""

from functools import partial

from django.contrib import admin, messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from vendors.admin import OWNER_ONLY, VendorAdmin, VendorScopedAdmin
from vendors.models import Vendor

from .audit import audit_record
from .documents.invoices import invoice_pdf_ensure, invoice_pdf_filename
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
from .processors.connections import EVENTS, connection_test, webhook_url


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
    list_filter = ["status", "processor", "withdrawal_waived"]
    search_fields = ["number", "customer__email", "product"]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"
    actions = ["record_withdrawal_waived"]

    @admin.action(description=_("Record that the customer waived the withdrawal right"))
    def record_withdrawal_waived(self, request: HttpRequest, queryset):
        # `queryset` is limited to the staff user's vendors. The waiver is
        # evidence the vendor holds (the checkout's consent): each one is audited.
        orders = list(queryset.filter(withdrawal_waived=False).select_related("vendor", "customer"))
        with transaction.atomic():
            for order in orders:
                Order.objects.filter(pk=order.pk).update(withdrawal_waived=True)
                audit_record(
                    vendor=order.vendor,
                    action="order.withdrawal_waived",
                    actor=AuditEvent.Actor.STAFF,
                    user=request.user,
                    customer=order.customer,
                    request=request,
                    details={"order": order.number},
                )
        self.message_user(
            request,
            ngettext(
                "%(count)d order marked as waived.",
                "%(count)d orders marked as waived.",
                len(orders),
            )
            % {"count": len(orders)},
        )


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
    list_display = ["number", "customer", "total", "currency", "issued_at", "pdf_link"]
    search_fields = ["number", "customer__email"]
    list_select_related = ["customer"]
    exclude = ["pdf"]

    @admin.display(description="PDF")
    def pdf_link(self, obj):
        url = reverse("admin:billing_invoice_pdf", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="billing_invoice_pdf",
            )
        ]
        return urls + super().get_urls()

    def pdf_view(self, request: HttpRequest, object_id: str) -> FileResponse:
        """The invoice's stored PDF (rendered first if it never was), for the
        staff of its vendor; anyone else gets a 404."""
        invoice = self.get_object(request, object_id)
        if invoice is None or not self.has_view_permission(request, invoice):
            raise Http404
        invoice = invoice_pdf_ensure(invoice=invoice)
        response = FileResponse(
            invoice.pdf.open("rb"),
            as_attachment=True,
            filename=invoice_pdf_filename(invoice),
            content_type="application/pdf",
        )
        response["Cache-Control"] = "private, no-store"
        return response


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", "action", "actor", "customer", "user", "ip"]
    list_filter = ["action", "actor"]
    search_fields = ["customer__email", "action"]
    list_select_related = ["customer", "user"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyScopedAdmin):
    # Processor plumbing, next to the connections: owners only.
    roles = OWNER_ONLY
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
        self.message_user(
            request,
            ngettext("%(count)d event queued.", "%(count)d events queued.", len(events))
            % {"count": len(events)},
        )


# The vendor's settings page gains its processor connections here, where
# billing lives: the webhook addresses to paste into Stripe and PayPal, the
# events to enable, and Test connection (vendors never imports billing).
admin.site.unregister(Vendor)


def _with_webhook_info(fieldsets):
    extra = {"Stripe": "stripe_webhook", "PayPal": "paypal_webhook"}
    result = []
    for title, options in fieldsets:
        fields = list(options["fields"])
        if str(title) in extra:
            fields.append(extra[str(title)])
        result.append((title, {**options, "fields": fields}))
    return result


@admin.register(Vendor)
class VendorConnectionsAdmin(VendorAdmin):
    change_form_template = "billing/admin/vendor_change_form.html"
    fieldsets = _with_webhook_info(VendorAdmin.fieldsets)
    readonly_fields = [*VendorAdmin.readonly_fields, "stripe_webhook", "paypal_webhook"]

    def _webhook(self, obj, processor: str) -> str:
        if obj is None or not obj.pk:
            return "-"
        return render_to_string(
            "billing/admin/_webhook_endpoint.html",
            {
                "processor": processor,
                "url": webhook_url(vendor=obj, processor=processor),
                "events": EVENTS[processor],
            },
        )

    @admin.display(description=_("Webhook endpoint"))
    def stripe_webhook(self, obj):
        return self._webhook(obj, "stripe")

    @admin.display(description=_("Webhook endpoint"))
    def paypal_webhook(self, obj):
        return self._webhook(obj, "paypal")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "test_connection_buttons": [
                ("stripe", _("Test Stripe connection")),
                ("paypal", _("Test PayPal connection")),
            ],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/test-connection/<str:processor>/",
                self.admin_site.admin_view(require_POST(self.test_connection_view)),
                name="vendors_vendor_test_connection",
            )
        ]
        return urls + super().get_urls()

    def test_connection_view(self, request: HttpRequest, object_id: str, processor: str):
        # Owners only: get_object goes through the owners' queryset, so a
        # support person or another vendor's staff get a 404 here.
        vendor = self.get_object(request, object_id)
        if (
            vendor is None
            or processor not in EVENTS
            or not self.has_change_permission(request, vendor)
        ):
            raise Http404
        result = connection_test(vendor=vendor, processor=processor)
        name = "Stripe" if processor == "stripe" else "PayPal"
        if result.ok:
            self.message_user(
                request, _("%(name)s connection works.") % {"name": name}, messages.SUCCESS
            )
        else:
            self.message_user(
                request,
                _("%(name)s connection needs attention.") % {"name": name},
                messages.WARNING,
            )
        for ok, message in result.checks:
            self.message_user(request, message, messages.SUCCESS if ok else messages.ERROR)
        return HttpResponseRedirect(reverse("admin:vendors_vendor_change", args=[vendor.pk]))


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

    # Processor plumbing, beside the connections: owners only.
    roles = OWNER_ONLY

    list_display = ["created_at", "vendor", "status", "stage", "processed", "finished_at"]
    list_filter = ["status"]
    readonly_fields = ["vendor", "status", "since", "stage", "processed", "counts", "error"]


@admin.action(description=_("Import from Stripe (in the background)"), permissions=["change"])
def stripe_import_from_admin(modeladmin, request, queryset):
    """Start an import per selected vendor; its progress shows under Stripe imports."""
    from .processors.stripe_import import ImportRefused, stripe_import_start
    from .tasks import stripe_import_task

    started = 0
    for vendor in queryset:
        try:
            run = stripe_import_start(vendor=vendor)
        except ImportRefused as refused:
            # For the operator, and no queued row that would never run.
            modeladmin.message_user(request, str(refused), messages.ERROR)
            continue
        transaction.on_commit(partial(stripe_import_task.delay, run.pk))
        started += 1
    level = messages.SUCCESS if started else messages.WARNING
    modeladmin.message_user(
        request,
        ngettext("%(count)d Stripe import started.", "%(count)d Stripe imports started.", started)
        % {"count": started},
        level,
    )


# The vendors app knows nothing of billing (dependencies point one way), so
# billing adds its action to the vendor's admin page here.
_vendor_admin = admin.site._registry.get(Vendor)
if _vendor_admin is not None:
    _vendor_admin.actions = [*(_vendor_admin.actions or []), stripe_import_from_admin]
