from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "weloop.inventory"
    label = "inventory"
    verbose_name = "Inventory and capacity"
