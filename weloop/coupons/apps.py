from django.apps import AppConfig


class CouponsConfig(AppConfig):
    name = "weloop.coupons"
    label = "coupons"
    verbose_name = "Coupons"
    default_auto_field = "django.db.models.BigAutoField"
