from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "weloop.tenants"
    label = "tenants"
    verbose_name = "Merchants and staff"
