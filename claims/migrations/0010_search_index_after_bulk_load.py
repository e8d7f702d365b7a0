"""PostgreSQL: a bulk load may index its claims once at its end, not at every statement.

The lookup's word index (0002) is rebuilt by statement triggers: a bulk load
that inserts claims and then their citations indexes each claim twice, a
batch at a time. While the transaction-local setting `claims.search_after_load`
is `on`, the insert triggers of claims and citations leave the index alone,
and the loader indexes what it wrote in one call to `claims_search_refresh()`
before it commits (claims.interchange.search_index_after_load). Other
transactions never see the setting, so their writes are indexed as before.
Updates and deletes are indexed as before in every case.

SQLite's triggers run per row and are dropped and re-created inside the
loader's transaction instead: nothing to change there.
"""

import importlib

from django.db import migrations

SETTING = "claims.search_after_load"
GUARD = f"""
        IF TG_OP = 'INSERT' AND current_setting('{SETTING}', true) = 'on' THEN
            RETURN NULL;
        END IF;"""
FUNCTIONS = ["claims_search_claim_changed", "claims_search_citation_changed"]


def original_functions() -> dict[str, str]:
    """The trigger functions as 0002 created them, by name."""
    search_index = importlib.import_module("claims.migrations.0002_search_index")
    return {
        name: next(
            statement
            for statement in search_index.POSTGRES_CREATE
            if f"CREATE FUNCTION {name}()" in statement
        )
        for name in FUNCTIONS
    }


def guarded(statement: str) -> str:
    head, body = statement.split("BEGIN", 1)
    return f"{head}BEGIN{GUARD}{body}".replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")


def add_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in original_functions().values():
            schema_editor.execute(guarded(statement), params=None)


def remove_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in original_functions().values():
            replace = statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
            schema_editor.execute(replace, params=None)


class Migration(migrations.Migration):
    dependencies = [("claims", "0009_list_indexes")]

    operations = [migrations.RunPython(add_guard, remove_guard)]
