"""Database triggers for the two invariants a CHECK constraint cannot express.

- A passage's `exact` equals its source's text at its offsets, on every insert
  and update, whatever path writes it (ORM, bulk writes, raw SQL).
- A source's text cannot change once a passage points into it.
"""

from django.db import migrations

PASSAGE_MESSAGE = "passage exact differs from its source text at its offsets"
SOURCE_MESSAGE = "source text is immutable once passages point into it"

SQLITE_PASSAGE_CONDITION = """
    NEW."end" <= NEW."start"
    OR NEW."exact" IS NOT (
        SELECT substr("text", NEW."start" + 1, NEW."end" - NEW."start")
        FROM sources_source WHERE id = NEW.source_id
    )
"""

SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER sources_passage_exact_insert BEFORE INSERT ON sources_passage
    FOR EACH ROW WHEN {SQLITE_PASSAGE_CONDITION}
    BEGIN SELECT RAISE(ABORT, '{PASSAGE_MESSAGE}'); END
    """,
    f"""
    CREATE TRIGGER sources_passage_exact_update BEFORE UPDATE ON sources_passage
    FOR EACH ROW WHEN {SQLITE_PASSAGE_CONDITION}
    BEGIN SELECT RAISE(ABORT, '{PASSAGE_MESSAGE}'); END
    """,
    f"""
    CREATE TRIGGER sources_source_text_immutable BEFORE UPDATE OF "text" ON sources_source
    FOR EACH ROW WHEN NEW."text" IS NOT OLD."text"
        AND EXISTS (SELECT 1 FROM sources_passage WHERE source_id = OLD.id)
    BEGIN SELECT RAISE(ABORT, '{SOURCE_MESSAGE}'); END
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS sources_passage_exact_insert",
    "DROP TRIGGER IF EXISTS sources_passage_exact_update",
    "DROP TRIGGER IF EXISTS sources_source_text_immutable",
]

POSTGRES_FORWARD = [
    f"""
    CREATE FUNCTION sources_passage_check_exact() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW."end" <= NEW."start" OR NEW."exact" IS DISTINCT FROM (
            SELECT substr("text", NEW."start" + 1, NEW."end" - NEW."start")
            FROM sources_source WHERE id = NEW.source_id
        ) THEN
            RAISE EXCEPTION '{PASSAGE_MESSAGE}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER sources_passage_exact BEFORE INSERT OR UPDATE ON sources_passage
    FOR EACH ROW EXECUTE FUNCTION sources_passage_check_exact()
    """,
    f"""
    CREATE FUNCTION sources_source_check_text() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW."text" IS DISTINCT FROM OLD."text"
           AND EXISTS (SELECT 1 FROM sources_passage WHERE source_id = OLD.id) THEN
            RAISE EXCEPTION '{SOURCE_MESSAGE}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER sources_source_text_immutable BEFORE UPDATE OF "text" ON sources_source
    FOR EACH ROW EXECUTE FUNCTION sources_source_check_text()
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS sources_passage_exact ON sources_passage",
    "DROP FUNCTION IF EXISTS sources_passage_check_exact()",
    "DROP TRIGGER IF EXISTS sources_source_text_immutable ON sources_source",
    "DROP FUNCTION IF EXISTS sources_source_check_text()",
]


def run(statements_by_vendor):
    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("sources", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
