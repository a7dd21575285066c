"""PostgreSQL only: a generated ``location point`` (x = longitude, y = latitude) with a GiST index.

The index is on (merchant_id, location) so that ``WHERE merchant_id = … ORDER BY location <-> p``
is one KNN index scan per merchant; the btree_gist extension (a trusted contrib extension shipped
with PostgreSQL) lets GiST index the integer merchant_id. Without btree_gist the index is on the
point alone. Other databases use the ``cell`` grid index and get nothing here.
Then every existing visitable store is indexed.
"""

from django.db import migrations


def add_point_column(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE discovery_storelocation ADD COLUMN location point"
            " GENERATED ALWAYS AS (point(longitude, latitude)) STORED"
        )
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'btree_gist'")
        has_btree_gist = cursor.fetchone() is not None
        if not has_btree_gist:
            cursor.execute("SAVEPOINT weloop_btree_gist")
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
                cursor.execute("RELEASE SAVEPOINT weloop_btree_gist")
                has_btree_gist = True
            except Exception:
                cursor.execute("ROLLBACK TO SAVEPOINT weloop_btree_gist")
        columns = "merchant_id, location" if has_btree_gist else "location"
        cursor.execute(f"CREATE INDEX discovery_loc_point ON discovery_storelocation USING gist ({columns})")


def drop_point_column(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS discovery_loc_point")
        cursor.execute("ALTER TABLE discovery_storelocation DROP COLUMN IF EXISTS location")


def index_existing_stores(apps, schema_editor):
    from weloop.discovery.calculations import cell_of

    Store = apps.get_model("stores", "Store")
    StoreLocation = apps.get_model("discovery", "StoreLocation")
    rows = []
    for pk, merchant_id, lat, lng in Store.objects.exclude(status="closed").values_list(
        "pk", "merchant_id", "latitude", "longitude"
    ):
        rows.append(
            StoreLocation(
                store_id=pk,
                merchant_id=merchant_id,
                latitude=float(lat),
                longitude=float(lng),
                cell=cell_of(float(lat), float(lng)),
            )
        )
    StoreLocation.objects.bulk_create(rows, batch_size=5000)


class Migration(migrations.Migration):
    dependencies = [
        ("discovery", "0001_initial"),
        ("stores", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_point_column, drop_point_column),
        migrations.RunPython(index_existing_stores, migrations.RunPython.noop),
    ]
