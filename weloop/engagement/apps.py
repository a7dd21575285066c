from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "weloop.engagement"
    label = "engagement"
    verbose_name = "Events and surveys"
    default_auto_field = "django.db.models.BigAutoField"
