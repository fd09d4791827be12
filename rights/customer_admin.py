"""The customer's page in the vendor console, with their consumer-rights
record (cancellations, withdrawals, reminders sent, cancellation events):
the same rows as the customer's own CSV, in the vendor's time zone.

magiclinks owns the customer admin and may not import rights (the apps'
layers), so rights extends it here and registers the extension."""

from django.contrib import admin

from billing.models import Customer
from magiclinks.admin import CustomerAdmin
from vendors.formatting import local_datetime

from .records import customer_record_rows


class CustomerWithRightsAdmin(CustomerAdmin):
    change_form_template = "rights/admin/customer_change_form.html"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            vendor = obj.vendor
            context["rights_record"] = [
                (local_datetime(when, vendor, "medium"), what, reference, details)
                for when, what, reference, details in customer_record_rows(customer=obj)
            ]
            context["rights_record_zone"] = vendor.timezone
        return super().render_change_form(request, context, add, change, form_url, obj)


admin.site.unregister(Customer)
admin.site.register(Customer, CustomerWithRightsAdmin)
