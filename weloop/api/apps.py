from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "weloop.api"
    label = "api"
