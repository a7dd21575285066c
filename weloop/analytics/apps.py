from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "weloop.analytics"
    label = "analytics"
    verbose_name = "Analytics and store attribution"
