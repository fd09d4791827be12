"""The tenant: a vendor (seller) account with its branding, hub settings and
processor connections, and the staff users who may run it."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator, URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .fields import EncryptedTextField

# Words that can never be an account slug: they are, or may become, top-level
# paths of the site, or would read as if the hub itself were speaking.
RESERVED_SLUGS = frozenset(
    {
        "admin",
        "api",
        "static",
        "media",
        "webhooks",
        "healthz",
        "readyz",
        "_dev",
        "dev",
        "www",
        "app",
        "hub",
        "help",
        "support",
        "status",
        "login",
        "logout",
        "signin",
        "signup",
        "account",
        "accounts",
        "billing",
        "updateinfo",
        "customer",
        "customers",
        "vendor",
        "vendors",
        "stripe",
        "paypal",
        "security",
        "robots.txt",
        "favicon.ico",
    }
)

slug_format_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$",
    _(
        "Use 3 to 40 lowercase letters, digits and hyphens, "
        "starting and ending with a letter or digit."
    ),
    code="invalid_slug",
)


def validate_slug_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(_("“%(slug)s” is reserved."), code="reserved", params={"slug": value})


brand_color_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB."), code="invalid_color"
)
https_url_validator = URLValidator(schemes=["https"], message=_("Enter an https:// address."))


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone."), code="invalid_timezone")


def validate_language_list(value) -> None:
    known = {code for code, _name in settings.LANGUAGES}
    if not isinstance(value, list) or any(code not in known for code in value):
        raise ValidationError(_("Choose languages from the list."), code="invalid_languages")


currency_validator = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO currency code."))


# Where the law requires the cancellation button (§ 312k BGB).
MANDATORY_CANCEL_PAGE = frozenset({"DE"})

# The EU's 27 member states and the other EEA states (Iceland, Liechtenstein,
# Norway), where the Consumer Rights Directive's withdrawal right applies.
EU_EEA_COUNTRIES = frozenset(
    {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "IE", "IT", "LV"}
    | {"LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"}
)


class Vendor(models.Model):
    class CancelMode(models.TextChoices):
        IMMEDIATELY = "immediately", _("Immediately")
        PERIOD_END = "period_end", _("At the end of the paid period")

    class DocumentLanguage(models.TextChoices):
        VENDOR = "vendor", _("Your language")
        CUSTOMER = "customer", _("The customer’s language")

    class ReceiptStyle(models.TextChoices):
        DETAILED = "detailed", _("Detailed, with a link to the hub")
        BASIC = "basic", _("Basic")

    slug = models.CharField(
        _("account"),
        max_length=40,
        unique=True,
        validators=[slug_format_validator, validate_slug_not_reserved],
        help_text=_("Your hub lives at /<account>/updateinfo/."),
    )
    name = models.CharField(_("display name"), max_length=120)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    brand_color = models.CharField(
        _("brand colour"), max_length=7, default="#1f5fbf", validators=[brand_color_validator]
    )
    support_email = models.EmailField(_("support email"), blank=True)
    address = models.TextField(_("address"), blank=True)
    # ISO 3166-1 alpha-2. Decides the paper of the vendor's PDFs: US Letter in
    # the US and Canada, where A4 is not the paper in the printer, A4 elsewhere.
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        help_text=_(
            "Where your business is. Invoices from the US and Canada are US Letter, others A4."
        ),
    )
    # The seller's tax details, printed on every invoice and credit note
    # issued after they are set (§ 14 UStG, Art. 226 EU VAT Directive ask
    # for the full name and address and the VAT ID or tax number).
    legal_name = models.CharField(
        _("legal name"),
        max_length=200,
        blank=True,
        help_text=_("The registered name, e.g. “Acme GmbH”, if it differs from the display name."),
    )
    registered_address = models.TextField(
        _("registered address"),
        blank=True,
        help_text=_("The address the business is registered at, if it differs from the one above."),
    )
    vat_id = models.CharField(
        _("VAT ID"), max_length=30, blank=True, help_text=_("With its country prefix: DE123456789.")
    )
    tax_number = models.CharField(_("tax number"), max_length=30, blank=True)
    tax_note = models.TextField(
        _("tax note"),
        blank=True,
        max_length=500,
        help_text=_(
            "Printed on every invoice, e.g. “Gemäß § 19 UStG wird keine Umsatzsteuer "
            "berechnet.” for a small business."
        ),
    )
    website_url = models.URLField(_("website"), blank=True, validators=[https_url_validator])
    facebook_url = models.URLField("Facebook", blank=True, validators=[https_url_validator])
    instagram_url = models.URLField("Instagram", blank=True, validators=[https_url_validator])
    x_url = models.URLField("X", blank=True, validators=[https_url_validator])
    linkedin_url = models.URLField("LinkedIn", blank=True, validators=[https_url_validator])
    youtube_url = models.URLField("YouTube", blank=True, validators=[https_url_validator])
    timezone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_timezone]
    )
    default_currency = models.CharField(
        _("default currency"), max_length=3, default="USD", validators=[currency_validator]
    )
    locale = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    # Codes from LANGUAGES; empty means the vendor's own language and English
    # (vendors.formatting.offered_languages), so that a language added to
    # LANGUAGES later is offered by no vendor until it opts in.
    languages = models.JSONField(
        _("languages offered to customers"),
        default=list,
        blank=True,
        validators=[validate_language_list],
        help_text=_(
            "Your customers can switch the hub and their emails between these."
            " None ticked: your own language and English."
        ),
    )
    document_language = models.CharField(
        _("invoices and credit notes in"),
        max_length=10,
        choices=DocumentLanguage.choices,
        default=DocumentLanguage.VENDOR,
    )
    invoice_prefix = models.CharField(
        _("invoice prefix"),
        max_length=12,
        blank=True,
        validators=[RegexValidator(r"^[A-Z0-9-]*$", _("Use capital letters, digits and hyphens."))],
        help_text=_("Printed before invoice numbers; defaults to the account in capitals."),
    )

    # Hub settings.
    self_cancel = models.BooleanField(
        _("customers may cancel in the hub"),
        default=False,
        help_text=_("“Click to cancel”: customers cancel subscriptions themselves."),
    )
    cancel_mode = models.CharField(
        _("cancellation takes effect"),
        max_length=20,
        choices=CancelMode.choices,
        default=CancelMode.PERIOD_END,
    )
    email_button = models.BooleanField(_("emails carry a button to the hub"), default=True)
    receipt_style = models.CharField(
        _("receipt style"), max_length=20, choices=ReceiptStyle.choices, default="detailed"
    )
    send_receipts = models.BooleanField(_("send receipts"), default=True)
    # Off by default: a PDF is rendered only when someone needs it (the first
    # download), so a renewal day does not render one per payment. A vendor
    # that wants it in the receipt pays for the render before the receipt
    # goes out (billing.documents.receipts).
    receipt_attach_pdf = models.BooleanField(
        _("attach the invoice PDF to receipts"),
        default=False,
        help_text=_("Receipts then wait until the PDF is rendered, usually a second."),
    )
    # § 312k BGB: the public cancellation page, on by default (the strict
    # side). A vendor in Germany cannot turn it off (VendorForm says why).
    cancellation_page = models.BooleanField(
        _("public cancellation page"),
        default=True,
        help_text=_(
            "“Cancel contracts here” on every hub page and email: customers cancel without "
            "signing in. German law (§ 312k BGB) requires it of vendors in Germany."
        ),
    )
    # Reminders before a charge (California ARL, New York GBL 527-a, card
    # networks): each on by default, the strict side.
    remind_trial_end = models.BooleanField(
        _("remind 7 days before a free trial converts to paid"), default=True
    )
    remind_annual_renewal = models.BooleanField(
        _("remind 30 days before an annual renewal"), default=True
    )
    remind_card_expiry = models.BooleanField(
        _("remind 30 days before a card expires ahead of the next payment"), default=True
    )
    remind_price_increase = models.BooleanField(
        _("remind at least 7 days before a price increase applies"), default=True
    )
    # EU Art. 11a CRD: the "withdraw from contract here" function. Empty means
    # the default for the vendor's country: 14 days in the EU/EEA, else off.
    withdrawal_days = models.PositiveSmallIntegerField(
        _("withdrawal period in days"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(365)],
        help_text=_(
            "Customers can withdraw from a purchase for this many days on the public "
            "withdrawal page. Leave empty for the default: 14 in the EU and EEA, 0 (off) "
            "elsewhere."
        ),
    )

    # Processor connections; secrets are encrypted at rest.
    stripe_secret_key = EncryptedTextField(_("Stripe secret key"), blank=True)
    stripe_publishable_key = models.CharField(
        _("Stripe publishable key"), max_length=200, blank=True
    )
    stripe_webhook_secret = EncryptedTextField(_("Stripe webhook secret"), blank=True)
    stripe_webhook_secret_previous = EncryptedTextField(
        _("previous Stripe webhook secret"),
        blank=True,
        help_text=_("Still accepted while you roll the webhook secret at Stripe."),
    )
    paypal_environment = models.CharField(
        _("PayPal environment"),
        max_length=10,
        choices=[("sandbox", _("Sandbox (test)")), ("live", _("Live"))],
        default="sandbox",
    )
    paypal_client_id = models.CharField(_("PayPal client id"), max_length=200, blank=True)
    paypal_client_secret = EncryptedTextField(_("PayPal client secret"), blank=True)
    paypal_webhook_id = models.CharField(_("PayPal webhook id"), max_length=100, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("vendor")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.invoice_prefix:
            self.invoice_prefix = self.slug.upper()[:12]
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """The VAT ID and tax number in their normal form, or a message next
        to the field that is wrong (vendors.tax_ids)."""
        from .tax_ids import tax_number_clean, vat_id_clean

        errors = {}
        if self.vat_id.strip():
            try:
                self.vat_id = vat_id_clean(country=self.country, value=self.vat_id)
            except ValidationError as error:
                errors["vat_id"] = error
        else:
            self.vat_id = ""
        if self.tax_number.strip():
            try:
                self.tax_number = tax_number_clean(country=self.country, value=self.tax_number)
            except ValidationError as error:
                errors["tax_number"] = error
        if errors:
            raise ValidationError(errors)

    @property
    def cancellation_page_on(self) -> bool:
        """Is the public cancellation page offered? Always in Germany."""
        return self.cancellation_page or (self.country or "").upper() in MANDATORY_CANCEL_PAGE

    @property
    def withdrawal_period_days(self) -> int:
        """The withdrawal period customers get: the vendor's setting, else
        the strict default for its country (EU/EEA 14 days, elsewhere none)."""
        if self.withdrawal_days is not None:
            return self.withdrawal_days
        return 14 if (self.country or "").upper() in EU_EEA_COUNTRIES else 0

    @property
    def hub_path(self) -> str:
        return f"/{self.slug}/updateinfo/"

    @property
    def hub_url(self) -> str:
        return settings.SITE_URL + self.hub_path

    @property
    def brand_text_color(self) -> str:
        """The colour of text set on the brand colour (buttons)."""
        from .branding import readable_text_color

        return readable_text_color(self.brand_color)

    @property
    def brand_ink_color(self) -> str:
        """The brand colour as text on the hub's light backgrounds (4.5:1)."""
        from .branding import brand_ink_color

        return brand_ink_color(self.brand_color)

    @property
    def brand_line_color(self) -> str:
        """The brand colour for the header's border and the current tab (3:1)."""
        from .branding import brand_line_color

        return brand_line_color(self.brand_color)

    @property
    def brand_hover_color(self) -> str:
        """The brand colour under the pointer, behind --brand-text (4.5:1)."""
        from .branding import brand_hover_color

        return brand_hover_color(self.brand_color)

    @property
    def social_links(self) -> list[tuple[str, str]]:
        """(label, url) for each social link that is set, in display order."""
        fields = ["website_url", "facebook_url", "instagram_url", "x_url", "linkedin_url"]
        fields.append("youtube_url")
        links = []
        for name in fields:
            field = self._meta.get_field(name)
            if isinstance(field, models.Field) and getattr(self, name):
                links.append((str(field.verbose_name), getattr(self, name)))
        return links


class VendorMembership(models.Model):
    """A staff user who may run a vendor's account in the admin.

    The role decides what they may do there: an owner runs everything of
    the vendor; support staff help customers (customers, history, audit,
    Send Profile Link) but never see processor keys, hub settings or API
    keys. New memberships are support: the lesser role is the safe default.
    """

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        SUPPORT = "support", _("Support")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="vendor_memberships",
    )
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.SUPPORT)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("vendor membership")
        verbose_name_plural = _("vendor memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "vendor"], name="membership_unique_user_vendor")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.vendor} ({self.get_role_display()})"


# At most this many unrevoked API keys per vendor: enough to roll a key and
# keep one per site, few enough that a forgotten one is noticed.
API_KEYS_PER_VENDOR = 5


class ApiKey(models.Model):
    """A vendor's key for the JSON API.

    The key is shown once, when it is created, and only its SHA-256 is kept:
    it is 256 bits from `secrets`, so a plain hash is enough (nothing to
    guess) and a leaked database gives no working key. The short public
    prefix, which is part of the key, finds the row without scanning hashes;
    the hash is then compared in constant time.
    """

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("Where the key is used."))
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ScheduledRetry(models.Model):
    """A task's retry that waits in the database rather than in the broker.

    Redis hands an unacknowledged message out again after the transport's
    visibility timeout, and a retry waiting on its countdown is exactly such a
    message: a countdown longer than the timeout ran twice, at the same moment.
    A retry due later than the broker can safely hold is kept here instead
    and re-enqueued by the periodic `scheduled_retries_enqueue_task`
    (vendors.retries).
    """

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("args"), default=list)
    kwargs = models.JSONField(_("kwargs"), default=dict)
    # The retry number the re-enqueued message carries (request.retries), so
    # max_retries and the backoff keep counting across the database stay.
    retries = models.PositiveIntegerField(_("retries"), default=0)
    run_at = models.DateTimeField(_("run at"), db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Why it is retried: what an operator reads in the admin or a query.
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["run_at"]

    def __str__(self) -> str:
        return f"{self.task} #{self.retries} at {self.run_at.isoformat()}"
