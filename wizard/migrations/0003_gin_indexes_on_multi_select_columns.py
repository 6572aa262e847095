"""Tables generated before multi-select columns got their GIN index: add it
(PostgreSQL only; the columns were already varchar[] there, JSON elsewhere, so no
data moves)."""

from django.db import migrations


def add_gin_indexes(apps, schema_editor):
    from wizard.multi_select import index_sql

    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    tables = set(connection.introspection.table_names())
    SchemaField = apps.get_model("wizard", "SchemaField")
    for field in SchemaField.objects.filter(type="multi_enum").select_related("schema"):
        if field.schema.table_name in tables:
            schema_editor.execute(index_sql(field.schema.table_name, field.column_name))


class Migration(migrations.Migration):
    dependencies = [("wizard", "0002_enumerations")]

    operations = [migrations.RunPython(add_gin_indexes, migrations.RunPython.noop)]
