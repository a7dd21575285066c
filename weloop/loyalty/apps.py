from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "weloop.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"
    default_auto_field = "django.db.models.BigAutoField"
