"""The vendors' view of their billing data. Records that are evidence
(invoices, audit events, webhooks) are read-only; processors own orders,
subscriptions and payments, so the admin shows them without editing."""

from django.contrib import admin

from vendors.admin import OWNER_ONLY, VendorScopedAdmin

from .models import AuditEvent, Invoice, Order, Payment, Subscription, WebhookEvent


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
    # Processor plumbing, next to the connections: owners only.
    roles = OWNER_ONLY
    list_display = ["received_at", "processor", "event_type", "event_id", "outcome"]
    list_filter = ["processor", "outcome"]
    search_fields = ["event_id", "event_type"]
    exclude = ["headers"]
