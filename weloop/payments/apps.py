from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "weloop.payments"
    label = "payments"
    verbose_name = "Payments"
