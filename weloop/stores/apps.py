from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "weloop.stores"
    label = "stores"
    verbose_name = "Offline stores"
