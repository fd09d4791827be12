from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = "Customer hub"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the deploy checks
