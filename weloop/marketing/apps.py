from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "weloop.marketing"
    label = "marketing"
    verbose_name = "Marketing"
    default_auto_field = "django.db.models.BigAutoField"
