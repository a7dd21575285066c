from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "weloop.storefront"
    label = "storefront"
