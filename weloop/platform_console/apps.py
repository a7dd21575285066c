from django.apps import AppConfig


class PlatformConsoleConfig(AppConfig):
    name = "weloop.platform_console"
    label = "platform_console"
