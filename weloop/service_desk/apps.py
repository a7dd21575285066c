from django.apps import AppConfig


class ServiceDeskConfig(AppConfig):
    name = "weloop.service_desk"
    label = "service_desk"
    default_auto_field = "django.db.models.BigAutoField"
