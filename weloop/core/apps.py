from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "weloop.core"
    label = "core"
    verbose_name = "WeLoop core"

    def ready(self) -> None:
        # Register every app's outbox subscribers (``@subscribe`` in <app>/handlers.py).
        autodiscover_modules("handlers")
