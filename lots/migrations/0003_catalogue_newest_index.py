"""The catalogue's default order (newest listed first) read straight off a partial index.

PostgreSQL only: SQLite cannot put NULLS LAST in an index, and the embedded default is small.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS lot_listed_newest ON lots_lot (listed_at DESC NULLS LAST, id DESC) "
    "WHERE status = 'listed'"
)
DROP = "DROP INDEX IF EXISTS lot_listed_newest"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("lots", "0002_seed_varieties")]

    operations = [migrations.RunPython(forwards, backwards)]
