from django.apps import AppConfig


class TaggingConfig(AppConfig):
    name = "weloop.tagging"
    label = "tagging"
    verbose_name = "Auto-tagging"
    default_auto_field = "django.db.models.BigAutoField"
