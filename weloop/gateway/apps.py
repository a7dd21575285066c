from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "weloop.gateway"
    label = "gateway"
    verbose_name = "WeChat callback gateway"
