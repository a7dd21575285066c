"""Leave room on each page of the pools table (PostgreSQL only).

A flash sale updates one pool row hundreds of times a second. With free space on its page every
new row version stays on the same page (a HOT update: no index writes), which keeps the hot row
fast and its dead versions cheap to prune.
"""

from django.db import migrations


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE inventory_capacitypool SET (fillfactor = 50)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE inventory_capacitypool RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
