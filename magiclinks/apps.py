from django.apps import AppConfig


class MagiclinksConfig(AppConfig):
    name = "magiclinks"
    verbose_name = "Access links"
