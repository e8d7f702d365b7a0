"""Schema operations that leave SQLite tables in place.

Django adds a NOT NULL column on SQLite by rebuilding the table (copy, drop,
rename), which the triggers of sources/0002 and claims/0002 refuse, and which
costs a full copy of large tables. SQLite can add such a column in place with
`ALTER TABLE … ADD COLUMN … DEFAULT`, as PostgreSQL can: these operations do
that, and behave as Django's own on every other database.
"""

from django.db import migrations


class AddColumnInPlace(migrations.AddField):
    """AddField that, on SQLite, runs `ALTER TABLE ADD COLUMN` with the default kept."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        column = field.clone()  # SQLite adds no UNIQUE column: the index comes after
        column.set_attributes_from_name(field.name)
        column.model, column._unique = model, False
        definition, params = schema_editor.column_sql(model, column, include_default=True)
        quote = schema_editor.quote_name
        schema_editor.execute(
            f"ALTER TABLE {quote(model._meta.db_table)} ADD COLUMN {quote(field.column)} "
            f"{definition}",
            params,
        )
        if field.db_index and not field.unique:
            schema_editor.deferred_sql.extend(schema_editor._field_indexes_sql(model, field))
        if field.unique:
            schema_editor.execute(schema_editor._create_unique_sql(model, [field]))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        quote = schema_editor.quote_name
        table = model._meta.db_table
        with schema_editor.connection.cursor() as cursor:
            constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
        for name, constraint in constraints.items():
            if constraint["columns"] == [field.column] and constraint.get("index"):
                schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")
        schema_editor.execute(f"ALTER TABLE {quote(table)} DROP COLUMN {quote(field.column)}")
