from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    name = "weloop.discovery"
    label = "discovery"
    verbose_name = "Nearby stores"
    default_auto_field = "django.db.models.BigAutoField"
