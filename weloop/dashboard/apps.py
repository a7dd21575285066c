from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "weloop.dashboard"
    label = "dashboard"
