from django.apps import AppConfig


class PresalesConfig(AppConfig):
    name = "weloop.presales"
    label = "presales"
    verbose_name = "Pre-sales"
    default_auto_field = "django.db.models.BigAutoField"
