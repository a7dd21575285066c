from django.apps import AppConfig


class FlashsalesConfig(AppConfig):
    name = "weloop.flashsales"
    label = "flashsales"
    verbose_name = "Flash sales"
