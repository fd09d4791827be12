"""The customers in the vendors' admin: one read-only page with the whole
story (details, purchases, subscriptions, invoices, access links sent, audit
trail), and Send Profile Link.

Staff see only their own vendors' customers (VendorScopedAdmin). Sending
queues an email: the link is created by the task and exists only in the
customer's mailbox, so the admin can never show, log or return it.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import get_language, ngettext, to_locale
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from billing.models import Customer
from billing.selectors import customer_record
from vendors.admin import VendorScopedAdmin
from vendors.formatting import country_name

from .selectors import access_link_history, profile_link_last_sent, profile_link_next_at
from .services import ProfileLinkCooldown, profile_link_queue


@admin.register(Customer)
class CustomerAdmin(VendorScopedAdmin):
    list_display = ["email", "name", "vendor", "created_at"]
    # Processor ids match exactly (pasted from Stripe or PayPal), on an index.
    search_fields = ["email", "name", "=stripe_customer_id", "=paypal_payer_id"]
    ordering = ["email"]
    list_select_related = ["vendor"]

    def get_queryset(self, request):
        # The change page reads the vendor too (its time zone for the record,
        # its language for product names): with the customer, in one query.
        return super().get_queryset(request).select_related("vendor")

    # The tax ID is the customer's to change (Update my info checks it and
    # gives it to Stripe first): support sees it here but cannot edit it.
    readonly_fields = [
        "created_at",
        "updated_at",
        "country_display",
        "language_display",
        "company",
        "tax_id",
        "tax_id_type",
        "tax_id_verification",
    ]
    fieldsets = [
        (None, {"fields": ["vendor", "email", "name", "language_display"]}),
        (
            _("Billing address"),
            {
                "fields": [
                    "address_line1",
                    "address_line2",
                    "city",
                    "postal_code",
                    "state",
                    "country_display",
                ]
            },
        ),
        (
            _("Business details"),
            {"fields": ["company", "tax_id", "tax_id_type", "tax_id_verification"]},
        ),
        (_("Processors"), {"fields": ["stripe_customer_id", "paypal_payer_id"]}),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]
    actions = ["send_profile_link"]
    change_form_template = "magiclinks/admin/customer_change_form.html"

    # Read-only: customers' details come from the processors and from the
    # customers themselves (Update my info), never from staff typing.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    # The name from the list the hub and the vendor settings choose from, in
    # the admin's language: "US" alone makes staff guess.
    @admin.display(description=_("Country"))
    def country_display(self, obj: Customer) -> str:
        if not obj.country:
            return "-"
        name = country_name(obj.country, to_locale(get_language() or "en"))
        return f"{name} ({obj.country})"

    # Staff pressing Send Profile Link see which language the email will be
    # in: the customer's, never the admin's.
    @admin.display(description=_("Language of their emails"))
    def language_display(self, obj: Customer) -> str:
        names = dict(settings.LANGUAGES)
        language = obj.mail_language
        if obj.language == language:
            return _("%(language)s (their choice)") % {"language": names[language]}
        return _("%(language)s (the vendor’s: they chose none it offers)") % {
            "language": names[language]
        }

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(customer_record(customer=obj))
            context["access_links"] = access_link_history(customer=obj)
            last_sent = profile_link_last_sent(customer=obj)
            context["profile_link_last_sent"] = last_sent
            context["profile_link_next_at"] = profile_link_next_at(
                customer=obj, last_sent=last_sent
            )
            context["now"] = timezone.now()
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/send-profile-link/",
                self.admin_site.admin_view(require_POST(self.send_profile_link_view)),
                name="billing_customer_send_profile_link",
            )
        ]
        return urls + super().get_urls()

    def send_profile_link_view(self, request: HttpRequest, object_id: str):
        # get_object goes through the scoped queryset: another vendor's
        # customer does not exist here (404), whatever id is typed.
        customer = self.get_object(request, object_id)
        if customer is None:
            raise Http404
        if not self.has_view_permission(request, customer):
            raise PermissionDenied
        if request.POST.get("confirm") != "yes":
            # The change page's button leads here first: sending emails a
            # customer, so staff confirm it, seeing when one last went out.
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Send Profile Link"),
                "customer": customer,
                "last_sent": (last_sent := profile_link_last_sent(customer=customer)),
                "next_at": profile_link_next_at(customer=customer, last_sent=last_sent),
            }
            return TemplateResponse(
                request, "magiclinks/admin/send_profile_link_confirm.html", context
            )
        try:
            profile_link_queue(request=request, customer=customer)
        except ProfileLinkCooldown as cooldown:
            self.message_user(request, _cooldown_message(customer, cooldown), messages.ERROR)
        else:
            self.message_user(
                request,
                format_lazy(_("Profile link sent to {email}."), email=customer.email),
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:billing_customer_change", args=[customer.pk]))

    @admin.action(description=_("Send Profile Link"))
    def send_profile_link(self, request: HttpRequest, queryset):
        # `queryset` is already limited to the staff user's vendors.
        customers = list(queryset.select_related("vendor"))
        if not customers:
            self.message_user(request, _("No customer was selected."), messages.WARNING)
            return
        sent = []
        for customer in customers:
            try:
                profile_link_queue(request=request, customer=customer)
            except ProfileLinkCooldown as cooldown:
                self.message_user(request, _cooldown_message(customer, cooldown), messages.ERROR)
            else:
                sent.append(customer)
        if not sent:
            return
        customers = sent
        emails = ", ".join(c.email for c in customers[:10])
        more = len(customers) - 10
        self.message_user(
            request,
            ngettext(
                "Profile link sent to %(emails)s.",
                "Profile links sent to %(emails)s.",
                len(customers),
            )
            % {"emails": emails + (f" (+{more})" if more > 0 else "")},
            messages.SUCCESS,
        )


def _cooldown_message(customer: Customer, cooldown: ProfileLinkCooldown) -> str:
    return str(
        format_lazy(
            # The date never ends the sentence: English times end in "p.m.",
            # and a period after it read as a typo ("p.m..").
            _("A profile link was just sent to {email}; from {when} on, another can be sent."),
            email=customer.email,
            when=date_format(timezone.localtime(cooldown.next_at), "DATETIME_FORMAT"),
        )
    )
