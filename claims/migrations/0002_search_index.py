"""The full-text index behind the fact-checking lookup (lookup.search), kept by triggers.

One row per published claim, its *document*: the claim's text, the exact text
of every passage cited for it, and the names around it (its citations'
authors, its sources' titles and outlets). Database triggers rebuild a claim's
row whenever anything it is made of changes — a claim inserted, its text or
status updated, a claim deleted; a citation inserted, updated or deleted; an
author renamed; a source's title or outlet changed; a passage's text changed —
so every write path (API, admin, corpus load, bulk writes, `QuerySet.update`,
raw SQL) keeps it right. Draft and retracted claims have no row: the lookup
only ever finds published claims. Existing claims are indexed when the
migration runs.

- SQLite: an FTS5 table `claims_search(claim, passages, names)` whose rowid is
  the claim id, tokenized with `porter unicode61 remove_diacritics 2`. Passages
  are joined with U+001E (record separator) so that `highlight()` output can be
  split back into passages.
- PostgreSQL: `claims_search(claim_id, claim, passages, names)`, three stored
  tsvectors, each with a GIN index, so that "which claims have this word in
  their text (or passages, or names)" is answered from an index alone. The
  text search configuration `claims_search_english` is `english` with
  `unaccent` first, to fold diacritics as FTS5's `remove_diacritics` does, and
  punctuation is turned into spaces before parsing so that both databases split
  words alike ("U.S." → "u s", "S-400" → "s 400").

SQLite caveat: Django rebuilds a table on SQLite for many schema changes
(create a copy, drop, rename), and SQLite refuses the rename while a trigger
mentions the dropped table. A later migration that alters one of the tables
above on SQLite must drop these triggers first and create them again after:
`drop_triggers`, `create_triggers` and `rebuild_index` below are meant to be
reused for that (`importlib.import_module("claims.migrations.0002_search_index")`).
"""

from django.db import migrations

# --- SQLite -----------------------------------------------------------------

SQLITE_DOCUMENT = """
    SELECT c.id, c."text",
        coalesce((
            SELECT group_concat(p."exact", char(30))
            FROM claims_citation AS ci JOIN sources_passage AS p ON p.id = ci.passage_id
            WHERE ci.claim_id = c.id
        ), ''),
        coalesce((
            SELECT group_concat(name, char(30)) FROM (
                SELECT a.name AS name
                FROM claims_citation AS ci JOIN sources_author AS a ON a.id = ci.author_id
                WHERE ci.claim_id = c.id
                UNION
                SELECT s.title
                FROM claims_citation AS ci
                JOIN sources_passage AS p ON p.id = ci.passage_id
                JOIN sources_source AS s ON s.id = p.source_id
                WHERE ci.claim_id = c.id
                UNION
                SELECT s.outlet
                FROM claims_citation AS ci
                JOIN sources_passage AS p ON p.id = ci.passage_id
                JOIN sources_source AS s ON s.id = p.source_id
                WHERE ci.claim_id = c.id
            ) WHERE name <> ''
        ), '')
    FROM claims_claim AS c
    WHERE c.status = 'published'
"""


def sqlite_refresh(claim_ids: str) -> str:
    """The statements that rebuild the rows of the claims `claim_ids` (an SQL list or query)."""
    return f"""
        DELETE FROM claims_search WHERE rowid IN ({claim_ids});
        INSERT INTO claims_search (rowid, claim, passages, names)
        {SQLITE_DOCUMENT} AND c.id IN ({claim_ids});
    """


SQLITE_CLAIMS_OF_SOURCE = """
    SELECT ci.claim_id FROM claims_citation AS ci
    JOIN sources_passage AS p ON p.id = ci.passage_id WHERE p.source_id = NEW.id
"""

SQLITE_TRIGGERS = {
    "claims_claim_search_insert": f"""
        AFTER INSERT ON claims_claim FOR EACH ROW
        BEGIN {sqlite_refresh("NEW.id")} END
    """,
    "claims_claim_search_update": f"""
        AFTER UPDATE OF "text", status ON claims_claim FOR EACH ROW
        WHEN NEW."text" IS NOT OLD."text" OR NEW.status IS NOT OLD.status
        BEGIN {sqlite_refresh("OLD.id, NEW.id")} END
    """,
    "claims_claim_search_delete": """
        AFTER DELETE ON claims_claim FOR EACH ROW
        BEGIN DELETE FROM claims_search WHERE rowid = OLD.id; END
    """,
    "claims_citation_search_insert": f"""
        AFTER INSERT ON claims_citation FOR EACH ROW
        BEGIN {sqlite_refresh("NEW.claim_id")} END
    """,
    "claims_citation_search_update": f"""
        AFTER UPDATE OF claim_id, passage_id, author_id ON claims_citation FOR EACH ROW
        WHEN NEW.claim_id IS NOT OLD.claim_id
            OR NEW.passage_id IS NOT OLD.passage_id
            OR NEW.author_id IS NOT OLD.author_id
        BEGIN {sqlite_refresh("OLD.claim_id, NEW.claim_id")} END
    """,
    "claims_citation_search_delete": f"""
        AFTER DELETE ON claims_citation FOR EACH ROW
        BEGIN {sqlite_refresh("OLD.claim_id")} END
    """,
    "sources_author_search_update": f"""
        AFTER UPDATE OF name ON sources_author FOR EACH ROW
        WHEN NEW.name IS NOT OLD.name
        BEGIN {sqlite_refresh("SELECT claim_id FROM claims_citation WHERE author_id = NEW.id")} END
    """,
    "sources_source_search_update": f"""
        AFTER UPDATE OF title, outlet ON sources_source FOR EACH ROW
        WHEN NEW.title IS NOT OLD.title OR NEW.outlet IS NOT OLD.outlet
        BEGIN {sqlite_refresh(SQLITE_CLAIMS_OF_SOURCE)} END
    """,
    "sources_passage_search_update": f"""
        AFTER UPDATE OF "exact" ON sources_passage FOR EACH ROW
        WHEN NEW."exact" IS NOT OLD."exact"
        BEGIN {sqlite_refresh("SELECT claim_id FROM claims_citation WHERE passage_id = NEW.id")} END
    """,
}

SQLITE_CREATE = [
    """
    CREATE VIRTUAL TABLE claims_search USING fts5(
        claim, passages, names,
        tokenize = 'porter unicode61 remove_diacritics 2'
    )
    """,
]
SQLITE_BACKFILL = [
    f"INSERT INTO claims_search (rowid, claim, passages, names) {SQLITE_DOCUMENT}",
]
SQLITE_CREATE_TRIGGERS = [f"CREATE TRIGGER {name} {body}" for name, body in SQLITE_TRIGGERS.items()]
SQLITE_DROP_TRIGGERS = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]
SQLITE_DROP = ["DROP TABLE IF EXISTS claims_search"]

# --- PostgreSQL -------------------------------------------------------------

POSTGRES_CREATE = [
    # Trusted extension (PostgreSQL 13+): the database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION claims_search_english (COPY = english)",
    """
    ALTER TEXT SEARCH CONFIGURATION claims_search_english
        ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem
    """,
    """
    CREATE TABLE claims_search (
        claim_id bigint PRIMARY KEY,
        claim tsvector NOT NULL,
        passages tsvector NOT NULL,
        names tsvector NOT NULL
    )
    """,
    "CREATE INDEX claims_search_claim ON claims_search USING gin (claim)",
    "CREATE INDEX claims_search_passages ON claims_search USING gin (passages)",
    "CREATE INDEX claims_search_names ON claims_search USING gin (names)",
    """
    CREATE FUNCTION claims_search_vector(body text) RETURNS tsvector
    LANGUAGE sql STABLE AS $$
        SELECT to_tsvector(
            'claims_search_english'::regconfig,
            regexp_replace(body, '[^[:alnum:]]+', ' ', 'g')
        )
    $$
    """,
    """
    CREATE FUNCTION claims_search_refresh(ids bigint[]) RETURNS void
    LANGUAGE sql AS $$
        DELETE FROM claims_search WHERE claim_id = ANY(ids);
        INSERT INTO claims_search (claim_id, claim, passages, names)
        SELECT c.id,
            claims_search_vector(c."text"),
            claims_search_vector(coalesce(passages.body, '')),
            claims_search_vector(coalesce(names.body, ''))
        FROM claims_claim AS c
        LEFT JOIN LATERAL (
            SELECT string_agg(p."exact", ' ' ORDER BY ci.id) AS body
            FROM claims_citation AS ci JOIN sources_passage AS p ON p.id = ci.passage_id
            WHERE ci.claim_id = c.id
        ) AS passages ON true
        LEFT JOIN LATERAL (
            SELECT string_agg(DISTINCT n.name, ' ') AS body FROM (
                SELECT a.name
                FROM claims_citation AS ci JOIN sources_author AS a ON a.id = ci.author_id
                WHERE ci.claim_id = c.id
                UNION
                SELECT s.title
                FROM claims_citation AS ci
                JOIN sources_passage AS p ON p.id = ci.passage_id
                JOIN sources_source AS s ON s.id = p.source_id
                WHERE ci.claim_id = c.id
                UNION
                SELECT s.outlet
                FROM claims_citation AS ci
                JOIN sources_passage AS p ON p.id = ci.passage_id
                JOIN sources_source AS s ON s.id = p.source_id
                WHERE ci.claim_id = c.id
            ) AS n (name)
            WHERE n.name <> ''
        ) AS names ON true
        WHERE c.id = ANY(ids) AND c.status = 'published';
    $$
    """,
    # Statement-level triggers with transition tables: a bulk insert or a
    # QuerySet.update() rebuilds each claim it touches once, not once per row.
    """
    CREATE FUNCTION claims_search_claim_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM claims_search_refresh(ARRAY(SELECT id FROM new_rows));
        ELSIF TG_OP = 'UPDATE' THEN
            PERFORM claims_search_refresh(ARRAY(
                SELECT n.id FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id
                WHERE (n."text", n.status) IS DISTINCT FROM (o."text", o.status)
            ));
        ELSIF TG_OP = 'DELETE' THEN
            DELETE FROM claims_search WHERE claim_id IN (SELECT id FROM old_rows);
        ELSE
            TRUNCATE claims_search;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION claims_search_citation_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM claims_search_refresh(ARRAY(SELECT DISTINCT claim_id FROM new_rows));
        ELSIF TG_OP = 'UPDATE' THEN
            PERFORM claims_search_refresh(ARRAY(
                SELECT unnest(ARRAY[o.claim_id, n.claim_id])
                FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
                WHERE (o.claim_id, o.passage_id, o.author_id)
                    IS DISTINCT FROM (n.claim_id, n.passage_id, n.author_id)
            ));
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM claims_search_refresh(ARRAY(SELECT DISTINCT claim_id FROM old_rows));
        ELSE
            PERFORM claims_search_refresh(ARRAY(SELECT id FROM claims_claim));
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION claims_search_author_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM claims_search_refresh(ARRAY(
            SELECT DISTINCT ci.claim_id
            FROM new_rows AS n
            JOIN old_rows AS o ON o.id = n.id
            JOIN claims_citation AS ci ON ci.author_id = n.id
            WHERE n.name IS DISTINCT FROM o.name
        ));
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION claims_search_source_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM claims_search_refresh(ARRAY(
            SELECT DISTINCT ci.claim_id
            FROM new_rows AS n
            JOIN old_rows AS o ON o.id = n.id
            JOIN sources_passage AS p ON p.source_id = n.id
            JOIN claims_citation AS ci ON ci.passage_id = p.id
            WHERE (n.title, n.outlet) IS DISTINCT FROM (o.title, o.outlet)
        ));
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION claims_search_passage_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM claims_search_refresh(ARRAY(
            SELECT DISTINCT ci.claim_id
            FROM new_rows AS n
            JOIN old_rows AS o ON o.id = n.id
            JOIN claims_citation AS ci ON ci.passage_id = n.id
            WHERE n."exact" IS DISTINCT FROM o."exact"
        ));
        RETURN NULL;
    END $$
    """,
]

POSTGRES_TRIGGERS = {
    ("claims_claim_search_insert", "claims_claim"): (
        "AFTER INSERT ON claims_claim REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION claims_search_claim_changed()"
    ),
    ("claims_claim_search_update", "claims_claim"): (
        "AFTER UPDATE ON claims_claim REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION claims_search_claim_changed()"
    ),
    ("claims_claim_search_delete", "claims_claim"): (
        "AFTER DELETE ON claims_claim REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION claims_search_claim_changed()"
    ),
    # Django's test flush truncates tables, which fires no row trigger.
    ("claims_claim_search_truncate", "claims_claim"): (
        "AFTER TRUNCATE ON claims_claim "
        "FOR EACH STATEMENT EXECUTE FUNCTION claims_search_claim_changed()"
    ),
    ("claims_citation_search_insert", "claims_citation"): (
        "AFTER INSERT ON claims_citation REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION claims_search_citation_changed()"
    ),
    ("claims_citation_search_update", "claims_citation"): (
        "AFTER UPDATE ON claims_citation REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION claims_search_citation_changed()"
    ),
    ("claims_citation_search_delete", "claims_citation"): (
        "AFTER DELETE ON claims_citation REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION claims_search_citation_changed()"
    ),
    ("claims_citation_search_truncate", "claims_citation"): (
        "AFTER TRUNCATE ON claims_citation "
        "FOR EACH STATEMENT EXECUTE FUNCTION claims_search_citation_changed()"
    ),
    ("sources_author_search_update", "sources_author"): (
        "AFTER UPDATE ON sources_author REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION claims_search_author_changed()"
    ),
    ("sources_source_search_update", "sources_source"): (
        "AFTER UPDATE ON sources_source REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION claims_search_source_changed()"
    ),
    ("sources_passage_search_update", "sources_passage"): (
        "AFTER UPDATE ON sources_passage REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION claims_search_passage_changed()"
    ),
}

POSTGRES_BACKFILL = ["SELECT claims_search_refresh(ARRAY(SELECT id FROM claims_claim))"]
POSTGRES_CREATE_TRIGGERS = [
    f"CREATE TRIGGER {name} {body}" for (name, _), body in POSTGRES_TRIGGERS.items()
]
POSTGRES_DROP_TRIGGERS = [
    f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in POSTGRES_TRIGGERS
]
POSTGRES_DROP = [
    "DROP FUNCTION IF EXISTS claims_search_passage_changed()",
    "DROP FUNCTION IF EXISTS claims_search_source_changed()",
    "DROP FUNCTION IF EXISTS claims_search_author_changed()",
    "DROP FUNCTION IF EXISTS claims_search_citation_changed()",
    "DROP FUNCTION IF EXISTS claims_search_claim_changed()",
    "DROP FUNCTION IF EXISTS claims_search_refresh(bigint[])",
    "DROP FUNCTION IF EXISTS claims_search_vector(text)",
    "DROP TABLE IF EXISTS claims_search",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS claims_search_english",
]


def run(statements_by_vendor):
    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return operation


create_index = run(
    {"sqlite": SQLITE_CREATE + SQLITE_BACKFILL, "postgresql": POSTGRES_CREATE + POSTGRES_BACKFILL}
)
drop_index = run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP})
create_triggers = run({"sqlite": SQLITE_CREATE_TRIGGERS, "postgresql": POSTGRES_CREATE_TRIGGERS})
drop_triggers = run({"sqlite": SQLITE_DROP_TRIGGERS, "postgresql": POSTGRES_DROP_TRIGGERS})


def rebuild_index(apps, schema_editor):
    """Re-index every claim: after `create_triggers` in a migration that had to drop them."""
    run(
        {
            "sqlite": ["DELETE FROM claims_search", *SQLITE_BACKFILL],
            "postgresql": POSTGRES_BACKFILL,
        }
    )(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0001_initial"),
        ("sources", "0002_passage_text_triggers"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
