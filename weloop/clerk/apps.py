from django.apps import AppConfig


class ClerkConfig(AppConfig):
    name = "weloop.clerk"
    label = "clerk"
