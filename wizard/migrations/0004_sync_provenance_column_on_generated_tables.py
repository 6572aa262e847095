"""Tables generated before field provenance get its column (`sync_provenance`, a
JSON object per row, see wizard.provenance); their rows start without history."""

from django.db import migrations, models


def add_provenance_columns(apps, schema_editor):
    connection = schema_editor.connection
    tables = set(connection.introspection.table_names())
    column_type = models.JSONField(null=True).db_type(connection)
    quote = connection.ops.quote_name
    DataSchema = apps.get_model("wizard", "DataSchema")
    with connection.cursor() as cursor:
        for table in DataSchema.objects.values_list("table_name", flat=True):
            if table not in tables:
                continue
            columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
            if "sync_provenance" not in columns:
                schema_editor.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {quote('sync_provenance')} {column_type} NULL")


class Migration(migrations.Migration):
    dependencies = [("wizard", "0003_gin_indexes_on_multi_select_columns")]

    operations = [migrations.RunPython(add_provenance_columns, migrations.RunPython.noop)]
