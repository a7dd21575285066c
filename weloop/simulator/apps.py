from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "weloop.simulator"
    label = "simulator"
    verbose_name = "WeChat simulator"
