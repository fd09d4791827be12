from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from .triggers import ensure_after_migrate

        # The payment count's triggers after every migrate: a migration that
        # rebuilds billing_payment on SQLite drops them (billing/triggers.py).
        post_migrate.connect(ensure_after_migrate, sender=self, dispatch_uid="billing-triggers")
