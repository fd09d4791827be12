"""The vendors' admin. Staff see and change only the vendors they are members
of, and only those vendors' rows; superusers see everything.

What a member may do depends on their role at that vendor, and is enforced
in the admins' querysets and permissions (not by hiding links): an owner
runs everything of their vendor; support staff see customers, their history
and the audit trail and may send profile links, but never the vendor's
settings, processor keys or API keys. A row a staff user may not see is a
404, exactly like a row that does not exist.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.html import escape, format_html
from django.utils.translation import get_language, ngettext, to_locale
from django.utils.translation import gettext_lazy as _

from .api_keys import KEY_MARKER, api_key_create, api_key_revoke, api_keys_active
from .branding import (
    MIN_CONTRAST,
    WHITE,
    brand_ink_color,
    brand_line_color,
    contrast_ratio,
    logo_clean,
    readable_text_color,
)
from .fields import SecretUnavailable, undecryptable_fields
from .formatting import countries
from .models import (
    API_KEYS_PER_VENDOR,
    MANDATORY_CANCEL_PAGE,
    ApiKey,
    Vendor,
    VendorMembership,
)

OWNER = VendorMembership.Role.OWNER
SUPPORT = VendorMembership.Role.SUPPORT
ALL_ROLES: tuple[str, ...] = (OWNER, SUPPORT)
OWNER_ONLY: tuple[str, ...] = (OWNER,)
SECRET_FIELDS = (
    "stripe_secret_key",
    "stripe_webhook_secret",
    "stripe_webhook_secret_previous",
    "paypal_client_secret",
)


def vendors_for(request: HttpRequest, *, roles: tuple[str, ...] = ALL_ROLES) -> QuerySet[Vendor]:
    """The vendors the user of `request` is a member of with one of `roles`."""
    user = request.user
    if user.is_superuser:
        return Vendor.objects.all()
    if not user.is_authenticated:
        return Vendor.objects.none()
    # One filter() call: the user and the role are of the same membership.
    return Vendor.objects.filter(memberships__user=user, memberships__role__in=roles)


def has_membership(request: HttpRequest, *, roles: tuple[str, ...] = ALL_ROLES) -> bool:
    """Is the user a member of some vendor with one of `roles`? Asked by
    every admin on every admin page (the navigation): remembered for the
    length of the request, so it costs one query per role set, not one per
    model admin."""
    if request.user.is_superuser:
        return True
    remembered = request.__dict__.setdefault("_vendor_membership_cache", {})
    if roles not in remembered:
        remembered[roles] = vendors_for(request, roles=roles).exists()
    return remembered[roles]


class NotFoundForOthersMixin:
    """A change page of a row outside the user's scope is a 404. Django's
    admin would redirect to the index with "does not exist", which is a
    different answer from a 404 elsewhere on the site."""

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404


class VendorScopedAdmin(NotFoundForOthersMixin, admin.ModelAdmin):
    """Base for every admin of tenant data (models with a `vendor` field).

    The queryset, the vendor choices on forms and the object lookups all go
    through the vendors the staff user belongs to with one of `roles`, so
    another vendor's row is a 404 in the admin as everywhere else.
    """

    vendor_field = "vendor"
    # The membership roles that may see this admin's rows.
    roles: tuple[str, ...] = ALL_ROLES

    def scoped_vendors(self, request: HttpRequest) -> QuerySet[Vendor]:
        return vendors_for(request, roles=self.roles)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.vendor_field}__in": self.scoped_vendors(request)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == self.vendor_field:
            kwargs["queryset"] = self.scoped_vendors(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return has_membership(request, roles=self.roles)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (
            obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()
        )


# Each social link must point at its own network: a clear error beats a
# customer clicking "Instagram" and landing somewhere else.
SOCIAL_HOSTS = {
    "facebook_url": ("Facebook", ("facebook.com", "fb.com")),
    "instagram_url": ("Instagram", ("instagram.com",)),
    "x_url": ("X", ("x.com", "twitter.com")),
    "linkedin_url": ("LinkedIn", ("linkedin.com",)),
    "youtube_url": ("YouTube", ("youtube.com", "youtu.be")),
}
HTTPS_ONLY_FIELDS = ("website_url", *SOCIAL_HOSTS)


class VendorForm(forms.ModelForm):
    """The settings form checks what it is given: the logo is opened as an
    image and re-encoded, links are full https:// addresses of the right
    site, the colour is #rrggbb."""

    class Meta:
        model = Vendor
        # The admin gives the full list from its fieldsets (and builds the
        # URL fields with its formfield_overrides).
        fields = ["logo", "brand_color"]

    # A list to choose from, named in the admin's language: a typed "USA" or
    # "Deutschland" would decide nothing.
    country = forms.ChoiceField(label=_("Country"), required=False)
    # Ticked boxes rather than the JSON field's text area: a typo in a code
    # would offer nothing.
    languages = forms.MultipleChoiceField(
        label=Vendor._meta.get_field("languages").verbose_name,
        help_text=Vendor._meta.get_field("languages").help_text,
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)  # narrows the type for mypy
        country.choices = [
            ("", "---------"),
            *countries(to_locale(get_language() or "en")),
        ]
        country.help_text = Vendor._meta.get_field("country").help_text
        if "slug" in self.fields:
            # The admin prints help texts as HTML: "<account>" was taken for
            # a tag and the page showed "//updateinfo/".
            self.fields["slug"].help_text = escape(Vendor._meta.get_field("slug").help_text)

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        # Unchanged (the stored file) or cleared: nothing new to check.
        if not logo or not hasattr(logo, "content_type"):
            return logo
        return logo_clean(logo, slug=self.instance.slug or self.data.get("slug", ""))

    def clean_brand_color(self):
        return (self.cleaned_data.get("brand_color") or "").lower()

    def _clean_link(self, name: str) -> str:
        from urllib.parse import urlsplit

        value = (self.data.get(name) or "").strip()
        cleaned = self.cleaned_data.get(name) or ""
        if value.lower().startswith("http://"):
            raise forms.ValidationError(
                _("Use the full address starting with https:// (not http://)."), code="https"
            )
        if not cleaned:
            return cleaned
        if name in SOCIAL_HOSTS:
            label, hosts = SOCIAL_HOSTS[name]
            host = (urlsplit(cleaned).hostname or "").lower()
            if not any(host == h or host.endswith("." + h) for h in hosts):
                raise forms.ValidationError(
                    _("This is not a %(site)s address: it should be on %(hosts)s."),
                    code="wrong_site",
                    params={"site": label, "hosts": " or ".join(hosts)},
                )
        return cleaned

    def clean(self):
        cleaned = super().clean()
        for name in HTTPS_ONLY_FIELDS:
            if name in self.fields and name in cleaned:
                try:
                    cleaned[name] = self._clean_link(name)
                except forms.ValidationError as error:
                    self.add_error(name, error)
        country = (cleaned.get("country") or getattr(self.instance, "country", "") or "").upper()
        if (
            "cancellation_page" in self.fields
            and not cleaned.get("cancellation_page", True)
            and country in MANDATORY_CANCEL_PAGE
        ):
            self.add_error(
                "cancellation_page",
                _(
                    "Vendors in Germany cannot turn the cancellation page off: § 312k BGB "
                    "requires a “Verträge hier kündigen” button that leads straight to it, "
                    "without signing in."
                ),
            )
        return cleaned


@admin.register(Vendor)
class VendorAdmin(NotFoundForOthersMixin, admin.ModelAdmin):
    """A vendor's settings and processor connections: owners only."""

    # Social links must be https (the model says so); a bare domain typed in
    # the form is completed as https:// rather than http://.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    form = VendorForm
    list_display = ["name", "slug", "hub_link", "self_cancel"]
    search_fields = ["name", "slug"]
    readonly_fields = [
        "hub_link",
        "hub_preview",
        "brand_contrast",
        "stripe_secret_key_stored",
        "stripe_webhook_secret_stored",
        "stripe_webhook_secret_previous_stored",
        "paypal_client_secret_stored",
        "secrets_status",
    ]
    fieldsets = [
        (None, {"fields": ["name", "slug", "hub_link", "hub_preview", "secrets_status"]}),
        (
            _("Branding and contact"),
            {
                "fields": [
                    "logo",
                    "brand_color",
                    "brand_contrast",
                    "support_email",
                    "address",
                    "country",
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
            _("Tax details on invoices"),
            {
                "fields": [
                    "legal_name",
                    "registered_address",
                    "vat_id",
                    "tax_number",
                    "tax_note",
                ]
            },
        ),
        (
            _("Locale"),
            {
                "fields": [
                    "timezone",
                    "default_currency",
                    "locale",
                    "languages",
                    "document_language",
                    "invoice_prefix",
                ]
            },
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
                    "receipt_attach_pdf",
                    "cancellation_page",
                    "withdrawal_days",
                    "remind_trial_end",
                    "remind_annual_renewal",
                    "remind_card_expiry",
                    "remind_price_increase",
                ]
            },
        ),
        (
            _("Stripe"),
            {
                "fields": [
                    "stripe_publishable_key",
                    ("stripe_secret_key", "stripe_secret_key_stored"),
                    ("stripe_webhook_secret", "stripe_webhook_secret_stored"),
                    ("stripe_webhook_secret_previous", "stripe_webhook_secret_previous_stored"),
                ]
            },
        ),
        (
            _("PayPal"),
            {
                "fields": [
                    "paypal_environment",
                    "paypal_client_id",
                    ("paypal_client_secret", "paypal_client_secret_stored"),
                    "paypal_webhook_id",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return vendors_for(request, roles=OWNER_ONLY)

    def has_module_permission(self, request):
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return has_membership(request, roles=OWNER_ONLY)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (
            obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()
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

    @admin.display(description=_("Preview"))
    def hub_preview(self, obj):
        if not obj.pk:
            return "-"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener" id="hub-preview">{}</a>',
            obj.hub_url,
            _("Open the hub's sign-in page with your saved branding"),
        )

    @admin.display(description=_("Contrast"))
    def brand_contrast(self, obj):
        if not obj.pk:
            return "-"
        ratio = contrast_ratio(obj.brand_color, WHITE)
        if ratio >= MIN_CONTRAST:
            return _("%(ratio).1f:1 with white text: readable.") % {"ratio": ratio}
        return _(
            "%(ratio).1f:1 with white text, under %(min).1f:1: the hub sets dark text on it, "
            "and uses %(ink)s for links and %(line)s for lines."
        ) % {
            "ratio": ratio,
            "min": MIN_CONTRAST,
            "ink": brand_ink_color(obj.brand_color),
            "line": brand_line_color(obj.brand_color),
        }

    def _stored(self, obj, name: str) -> str:
        # Write-only secrets: only whether one is stored, and its last four
        # characters, so an owner can tell which key is in use.
        try:
            value = getattr(obj, name, "") if obj is not None and obj.pk else ""
        except SecretUnavailable:
            return str(_("Stored, but it cannot be decrypted: enter it again."))
        if not value:
            return str(_("Not set"))
        return str(_("Stored, ending in …%(last4)s")) % {"last4": value[-4:]}

    @admin.display(description=_("stored"))
    def stripe_secret_key_stored(self, obj):
        return self._stored(obj, "stripe_secret_key")

    @admin.display(description=_("stored"))
    def stripe_webhook_secret_stored(self, obj):
        return self._stored(obj, "stripe_webhook_secret")

    @admin.display(description=_("stored"))
    def stripe_webhook_secret_previous_stored(self, obj):
        return self._stored(obj, "stripe_webhook_secret_previous")

    @admin.display(description=_("stored"))
    def paypal_client_secret_stored(self, obj):
        return self._stored(obj, "paypal_client_secret")

    @admin.display(description=_("Stored secrets"))
    def secrets_status(self, obj):
        # A secret no key opens (FIELD_ENCRYPTION_KEYS lost or changed) is said
        # here, by name, so the vendor can enter it again; nothing else breaks.
        broken = undecryptable_fields(obj) if obj and obj.pk else []
        if not broken:
            return _("All stored secrets can be read.")
        names = ", ".join(str(field.verbose_name) for field in broken)
        return format_html(
            '<strong class="errornote">{}</strong>',
            _("Cannot be decrypted with the configured keys: %(names)s. Enter them again.")
            % {"names": names},
        )

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
        ratio = contrast_ratio(obj.brand_color, WHITE)
        if ratio < MIN_CONTRAST:
            dark = readable_text_color(obj.brand_color) != WHITE
            self.message_user(
                request,
                _(
                    "The brand colour %(color)s has a contrast of only %(ratio).1f:1 with white "
                    "text (at least %(min).1f:1 reads well). %(what)s"
                )
                % {
                    "color": obj.brand_color,
                    "ratio": ratio,
                    "min": MIN_CONTRAST,
                    # Every colour is usable (the hub derives readable shades of it);
                    # the vendor is told which, since their links will look darker.
                    "what": _(
                        "The hub shows %(text)s text on it, and the darker shades %(ink)s for "
                        "links and %(line)s for lines, so that every use stays readable."
                    )
                    % {
                        "text": _("dark") if dark else _("white"),
                        "ink": brand_ink_color(obj.brand_color),
                        "line": brand_line_color(obj.brand_color),
                    },
                },
                messages.WARNING,
            )


@admin.register(VendorMembership)
class VendorMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "vendor", "role", "created_at"]
    list_filter = ["role"]

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


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["vendor", "name"]

    def clean(self):
        cleaned = super().clean()
        vendor = cleaned.get("vendor")
        if vendor is not None and api_keys_active(vendor=vendor).count() >= API_KEYS_PER_VENDOR:
            raise forms.ValidationError(
                _("A vendor can have at most %(n)d API keys: revoke one first."),
                code="too_many_keys",
                params={"n": API_KEYS_PER_VENDOR},
            )
        return cleaned


@admin.register(ApiKey)
class ApiKeyAdmin(VendorScopedAdmin):
    """API keys: owners create (the key is shown once), see when each was
    last used, and revoke. Nothing here can show a key again: only its hash
    and public prefix are stored."""

    roles = OWNER_ONLY
    form = ApiKeyForm
    list_display = ["name", "vendor", "masked", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["vendor"]
    readonly_fields = ["masked", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == self.vendor_field and field is not None:
            vendors = list(self.scoped_vendors(request)[:2])
            if len(vendors) == 1:
                # An owner of one vendor has nothing to choose: it is chosen.
                field.empty_label = None
                field.initial = vendors[0].pk
        return field

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["vendor", "name"]
        return [
            "vendor",
            "name",
            "masked",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Revoked, never deleted: the row is the record of who had access.
        return False

    @admin.display(description=_("key"))
    def masked(self, obj):
        return f"{KEY_MARKER}_{obj.prefix}_…"

    def save_model(self, request, obj, form, change):
        key, raw = api_key_create(
            vendor=form.cleaned_data["vendor"], name=form.cleaned_data["name"], user=request.user
        )
        # The admin goes on with `obj` (its log entry, the answer page).
        obj.pk, obj.prefix, obj.created_at = key.pk, key.prefix, key.created_at
        obj.created_by = key.created_by
        obj._raw_key = raw

    def response_add(self, request, obj, post_url_continue=None):
        # Shown in this response only, never put in a message or the session
        # (both outlive the page), and never cached.
        response = TemplateResponse(
            request,
            "vendors/admin/api_key_created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("API key created"),
                "api_key": obj,
                "raw_key": obj._raw_key,
                "api_url": settings.SITE_URL + "/api/v1/hub-links",
            },
        )
        add_never_cache_headers(response)
        return response

    @admin.action(description=_("Revoke selected API keys"))
    def revoke(self, request: HttpRequest, queryset):
        keys = list(queryset.filter(revoked_at__isnull=True))
        for key in keys:
            api_key_revoke(api_key=key)
        self.message_user(
            request,
            ngettext("%(n)d key revoked.", "%(n)d keys revoked.", len(keys)) % {"n": len(keys)},
            messages.SUCCESS,
        )
