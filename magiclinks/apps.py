from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MagiclinksConfig(AppConfig):
    name = "magiclinks"
    verbose_name = _("Access links")
