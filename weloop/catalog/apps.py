from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "weloop.catalog"
    label = "catalog"
    verbose_name = "Catalog"
