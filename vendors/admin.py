"""The vendors' admin. Staff see and change only the vendors they are members
of, and only those vendors' rows; superusers see everything."""

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Vendor, VendorMembership


def vendors_for(request: HttpRequest) -> QuerySet[Vendor]:
    user = request.user
    if user.is_superuser:
        return Vendor.objects.all()
    if not user.is_authenticated:
        return Vendor.objects.none()
    return Vendor.objects.filter(memberships__user=user)


class VendorScopedAdmin(admin.ModelAdmin):
    """Base for every admin of tenant data (models with a `vendor` field).

    The queryset, the vendor choices on forms and the object lookups all go
    through the vendors the staff user belongs to, so another vendor's row
    is a 404 in the admin as everywhere else.
    """

    vendor_field = "vendor"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.vendor_field}__in": vendors_for(request)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == self.vendor_field:
            kwargs["queryset"] = vendors_for(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (
            obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()
        )


SECRET_FIELDS = (
    "stripe_secret_key",
    "stripe_webhook_secret",
    "stripe_webhook_secret_previous",
    "paypal_client_secret",
)


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    # Social links must be https (the model says so); a bare domain typed in
    # the form is completed as https:// rather than http://.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "slug", "hub_link", "self_cancel"]
    search_fields = ["name", "slug"]
    readonly_fields = ["hub_link"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "hub_link"]}),
        (
            _("Branding and contact"),
            {
                "fields": [
                    "logo",
                    "brand_color",
                    "support_email",
                    "address",
                    "website_url",
                    "facebook_url",
                    "instagram_url",
                    "x_url",
                    "linkedin_url",
                    "youtube_url",
                ]
            },
        ),
        (
            _("Locale"),
            {"fields": ["timezone", "default_currency", "locale", "invoice_prefix"]},
        ),
        (
            _("Hub settings"),
            {
                "fields": [
                    "self_cancel",
                    "cancel_mode",
                    "email_button",
                    "receipt_style",
                    "send_receipts",
                ]
            },
        ),
        (
            _("Stripe"),
            {
                "fields": [
                    "stripe_publishable_key",
                    "stripe_secret_key",
                    "stripe_webhook_secret",
                    "stripe_webhook_secret_previous",
                ]
            },
        ),
        (
            _("PayPal"),
            {"fields": ["paypal_client_id", "paypal_client_secret", "paypal_webhook_id"]},
        ),
    ]

    def get_queryset(self, request):
        return vendors_for(request)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (
            obj is None or vendors_for(request).filter(pk=obj.pk).exists()
        )

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description=_("Hub URL"))
    def hub_link(self, obj):
        if not obj.pk:
            return "-"
        return format_html('<a href="{0}" target="_blank" rel="noopener">{0}</a>', obj.hub_url)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # Secrets are write-only: the form never echoes a stored secret back.
        for name in SECRET_FIELDS:
            if name in form.base_fields:
                form.base_fields[name].widget = forms.PasswordInput(render_value=False)
                form.base_fields[name].required = False
                form.base_fields[name].help_text = _("Leave empty to keep the stored value.")
        return form

    def save_model(self, request, obj, form, change):
        if change:
            for name in SECRET_FIELDS:
                if not form.cleaned_data.get(name):
                    setattr(obj, name, form.initial.get(name, ""))
        super().save_model(request, obj, form, change)


@admin.register(VendorMembership)
class VendorMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "vendor", "created_at"]

    # Who runs which vendor is the operator's decision, not a vendor's.
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
