from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from .triggers import ensure_after_migrate

        # The payment count's triggers after every migrate: a migration that
        # rebuilds billing_payment on SQLite drops them (billing/triggers.py).
        post_migrate.connect(ensure_after_migrate, sender=self, dispatch_uid="billing-triggers")
