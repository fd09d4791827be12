"""Cancellations in the vendor console: every declaration made on the public
page, and the requests among them that wait for the vendor's decision.

A declaration is evidence: nothing of what the customer sent can be edited
or deleted here. Staff write only the message a rejection sends, and act
through the actions (carry out, done, reject), each through the services.
"""

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing.cancellation import CancelInProgress
from billing.processors.adapters.base import ProcessorError
from vendors.admin import VendorScopedAdmin

from .cancellations import (
    RequestNotOpen,
    request_cancel_subscription,
    request_mark_done,
    request_reject,
)
from .models import CancellationDeclaration, Reminder, WithdrawalDeclaration
from .withdrawals import WithdrawalNotOpen, withdrawal_refund


@admin.register(CancellationDeclaration)
class CancellationDeclarationAdmin(VendorScopedAdmin):
    list_display = [
        "created_at",
        "name",
        "email",
        "order_number",
        "kind",
        "status",
        "subscription",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["name", "email", "order_number"]
    list_select_related = ["subscription"]
    date_hierarchy = "created_at"
    actions = ["cancel_matched_subscription", "mark_done", "reject"]
    fields = [
        "status",
        "created_at",
        "ip",
        "user_agent",
        "kind",
        "reason",
        "name",
        "email",
        "order_number",
        "when",
        "requested_date",
        "customer",
        "subscription",
        "processor_error",
        "rejection_message",
        "handled_at",
        "handled_by",
        "confirmation_sent_at",
        "vendor_notified_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        editable = (
            {"rejection_message"}
            if obj is not None and obj.status == CancellationDeclaration.Status.OPEN
            else set()
        )
        return [name for name in self.fields if name not in editable]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Cancel the matched subscription (processor first)"))
    def cancel_matched_subscription(self, request: HttpRequest, queryset):
        for declaration in queryset.select_related("vendor", "subscription"):
            try:
                subscription = request_cancel_subscription(
                    declaration=declaration, user=request.user
                )
            except RequestNotOpen:
                self.message_user(
                    request,
                    _("%(who)s: this request is not open.") % {"who": declaration.name},
                    messages.WARNING,
                )
            except CancelInProgress:
                self.message_user(
                    request,
                    _("%(who)s: a cancellation of this subscription is under way.")
                    % {"who": declaration.name},
                    messages.WARNING,
                )
            except ProcessorError as refused:
                self.message_user(
                    request,
                    _("%(who)s: not cancelled, the request stays open: %(error)s")
                    % {"who": declaration.name, "error": refused.message},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    _("%(who)s: %(product)s is cancelled.")
                    % {"who": declaration.name, "product": subscription.product_name},
                    messages.SUCCESS,
                )

    @admin.action(description=_("Mark as done"))
    def mark_done(self, request: HttpRequest, queryset):
        done = 0
        for declaration in queryset:
            try:
                request_mark_done(declaration=declaration, user=request.user)
                done += 1
            except RequestNotOpen:
                pass
        self.message_user(
            request,
            ngettext("%(count)d request marked done.", "%(count)d requests marked done.", done)
            % {"count": done},
        )

    @admin.action(description=_("Reject (emails each customer the message written on the request)"))
    def reject(self, request: HttpRequest, queryset):
        for declaration in queryset.select_related("vendor"):
            if not declaration.rejection_message.strip():
                self.message_user(
                    request,
                    _("%(who)s: write the message to the customer on the request first.")
                    % {"who": declaration.name},
                    messages.ERROR,
                )
                continue
            try:
                request_reject(
                    declaration=declaration,
                    user=request.user,
                    message=declaration.rejection_message,
                )
            except RequestNotOpen:
                self.message_user(
                    request,
                    _("%(who)s: this request is not open.") % {"who": declaration.name},
                    messages.WARNING,
                )
            else:
                self.message_user(
                    request,
                    _("%(who)s: rejected; the message was sent.") % {"who": declaration.name},
                    messages.SUCCESS,
                )


WITHDRAWAL_FIELDS = (
    "status",
    "created_at",
    "ip",
    "user_agent",
    "name",
    "email",
    "order_number",
    "order",
    "in_period",
    "processor_error",
    "handled_at",
    "handled_by",
    "confirmation_sent_at",
    "vendor_notified_at",
)


@admin.register(WithdrawalDeclaration)
class WithdrawalDeclarationAdmin(VendorScopedAdmin):
    list_display = ["created_at", "name", "email", "order_number", "in_period", "status", "order"]
    list_filter = ["status", "in_period"]
    search_fields = ["name", "email", "order_number"]
    list_select_related = ["order"]
    date_hierarchy = "created_at"
    actions = ["refund_and_end"]
    readonly_fields = WITHDRAWAL_FIELDS
    fields = WITHDRAWAL_FIELDS

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Refund the order in full and end its subscription now"))
    def refund_and_end(self, request: HttpRequest, queryset):
        for declaration in queryset.select_related("vendor"):
            try:
                order = withdrawal_refund(declaration=declaration, user=request.user)
            except WithdrawalNotOpen:
                self.message_user(
                    request,
                    _("%(who)s: this withdrawal is not open.") % {"who": declaration.name},
                    messages.WARNING,
                )
            except ProcessorError as refused:
                self.message_user(
                    request,
                    _("%(who)s: not refunded, the withdrawal stays open: %(error)s")
                    % {"who": declaration.name, "error": refused.message},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    _("%(who)s: order %(number)s is refunded and ended.")
                    % {"who": declaration.name, "number": order.number},
                    messages.SUCCESS,
                )


@admin.register(Reminder)
class ReminderAdmin(VendorScopedAdmin):
    """What was reminded, when: the record automatic-renewal laws ask for."""

    list_display = [
        "created_at",
        "kind",
        "subscription",
        "event_at",
        "amount",
        "currency",
        "sent_at",
    ]
    list_filter = ["kind"]
    list_select_related = ["subscription"]
    readonly_fields = fields = (
        "kind",
        "subscription",
        "event_at",
        "amount",
        "currency",
        "created_at",
        "sent_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Price changes (and their action on subscriptions) and the customer page's
# rights record, in modules of their own.
from . import customer_admin, price_admin  # noqa: E402, F401
