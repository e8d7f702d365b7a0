"""Export and import: lossless across databases, checked before anything is written."""

import json
import os
import subprocess
import sys
import threading
import uuid
from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from claims.interchange import Writer, export_lines, import_file
from claims.models import Change, Citation, Claim, CorpusRecord, Topic
from claims.services import (
    claim_create,
    claim_publish,
    claim_retract,
    claim_update,
    curator_create,
)
from sources.models import Author, Passage, Source
from sources.services import author_save, source_create

pytestmark = pytest.mark.django_db

ANONYMOUS_TEXT = (
    "Tokyo and Moscow signed no peace treaty after 1945. «Мирного договора нет», "
    "a commenter wrote — and the talks stalled again in 2019."
)


@pytest.fixture
def records(corpus):
    """The seed corpus, plus records of every kind made through the services."""
    writer, _ = curator_create(username="writer")
    reviewer, _ = curator_create(username="reviewer-Ünal")
    diplomat = corpus["new-cold-war-forces-japan-to-choose-sides"]
    putin = author_save(slug="vladimir-putin-quoted", name="Vladimir Putin", kind="person")
    anonymous = source_create(slug="anonymous-comment", text=ANONYMOUS_TEXT, kind="comment-thread")
    assert anonymous.author_links.count() == 0
    draft = claim_create(
        text="Tokyo and Moscow have signed no peace treaty since 1945.",
        topics=["Peace treaty", "Kuril Islands"],
        period_start=date(1945, 9, 2),
        created_by=writer,
        citations=[
            {
                "source": anonymous,
                "quote": "signed no peace treaty after 1945",
                "stance": "supports",
            }
        ],
    )
    retracted = claim_create(
        text="The peace talks stalled in 2019.",
        status="published",
        created_by=writer,
        citations=[
            {
                "source": anonymous,
                "quote": "the talks stalled again in 2019",
                "stance": "supports",
                "author": None,
                "note": "A commenter's «claim».",
            }
        ],
    )
    claim_retract(
        claim=retracted, reason="A commenter is no source for this.", reviewed_by=reviewer
    )
    quoted = claim_create(
        text="Japan chose a side in the new cold war.",
        topics=["Japan"],
        created_by=writer,
        citations=[
            {
                "source": diplomat,
                "quote": "Within the G7, Japan was the only country not to expel",
                "stance": "refutes",
                "author": putin,
                "attribution": "quote",
            }
        ],
    )
    claim_publish(claim=quoted, reviewed_by=reviewer)
    claim_update(claim=draft, text="Tokyo and Moscow have signed no peace treaty since WWII.")
    return {"draft": draft, "retracted": retracted, "quoted": quoted, "anonymous": anonymous}


def export() -> str:
    out = StringIO()
    call_command("export", "-", stdout=out, stderr=StringIO())
    return out.getvalue()


def import_text(text: str, tmp_path, name: str = "import.ndjson") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("import", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


def empty_database() -> None:
    """Delete everything a file holds (and every user): what an empty database holds."""
    Citation.objects.all().delete()
    Claim.objects.all().delete()
    Topic.objects.all().delete()
    Passage.objects.all().delete()
    Source.objects.all().delete()
    Author.objects.all().delete()
    CorpusRecord.objects.all().delete()
    get_user_model().objects.all().delete()
    assert export().count("\n") == 1  # the header alone


def lines_of(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_export_writes_a_header_then_each_type_in_order_by_natural_key(records):
    lines = lines_of(export())
    assert lines[0] == {"type": "header", "format": "claimbase", "version": 1}
    types = [line["type"] for line in lines[1:]]
    order = ["author", "topic", "source", "passage", "claim", "citation", "corpus_record"]
    assert types == sorted(types, key=order.index)
    assert set(types) == set(order)
    claims = [line["uuid"] for line in lines if line["type"] == "claim"]
    assert claims == sorted(claims)
    sources = [line["slug"] for line in lines if line["type"] == "source"]
    assert sources == sorted(sources)
    assert not any("id" in line for line in lines)  # natural keys only


def test_export_serializes_with_sorted_keys_no_spaces_and_unicode_as_is(records):
    text = export()
    assert "«Мирного договора нет»" in text
    for line in text.splitlines():
        assert line == json.dumps(
            json.loads(line), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )


def test_export_names_users_topics_and_bylines_by_their_natural_keys(records):
    lines = lines_of(export())
    claims = {line["uuid"]: line for line in lines if line["type"] == "claim"}
    draft = claims[str(records["draft"].uuid)]
    assert draft["topics"] == ["kuril-islands", "peace-treaty"]
    assert (draft["created_by"], draft["reviewed_by"], draft["status"]) == ("writer", None, "draft")
    assert draft["version"] == records["draft"].__class__.objects.get(slug=draft["slug"]).version
    retracted = claims[str(records["retracted"].uuid)]
    assert retracted["reviewed_by"] == "reviewer-Ünal"
    assert retracted["retraction_reason"] == "A commenter is no source for this."
    sources = {line["slug"]: line for line in lines if line["type"] == "source"}
    assert sources["anonymous-comment"]["authors"] == []
    assert sources["new-cold-war-forces-japan-to-choose-sides"]["authors"] == ["james-d-j-brown"]
    quoted = next(
        line
        for line in lines
        if line["type"] == "citation" and line["claim"] == str(records["quoted"].uuid)
    )
    assert (quoted["author"], quoted["attribution"], quoted["stance"]) == (
        "vladimir-putin-quoted",
        "quote",
        "refutes",
    )


def test_export_import_into_an_empty_database_export_gives_the_same_bytes(records, tmp_path):
    before = export()
    empty_database()
    import_text(before, tmp_path)
    assert export() == before


def test_an_import_keeps_versions_timestamps_and_users(records, tmp_path):
    claim = Claim.objects.get(pk=records["retracted"].pk)
    before = export()
    empty_database()
    import_text(before, tmp_path)
    imported = Claim.objects.select_related("reviewed_by").get(uuid=claim.uuid)
    assert (imported.version, imported.created_at, imported.updated_at, imported.reviewed_at) == (
        claim.version,
        claim.created_at,
        claim.updated_at,
        claim.reviewed_at,
    )
    assert imported.fingerprint == claim.fingerprint
    claim_update(claim=imported, text="The peace talks stalled again in 2019.")
    assert Claim.objects.get(pk=imported.pk).updated_at > claim.updated_at  # auto_now is back
    reviewer = imported.reviewed_by
    assert reviewer.username == "reviewer-Ünal"
    assert not reviewer.is_active
    assert not reviewer.has_usable_password()


def test_an_imported_claim_is_found_by_the_lookup(records, tmp_path, api):
    before = export()
    empty_database()
    import_text(before, tmp_path)
    response = api.get(reverse("claim-lookup"), {"q": "Japan chose a side in the new cold war"})
    assert response.status_code == 200
    assert response.json()["results"][0]["claim"]["id"] == str(records["quoted"].uuid)


def test_an_import_writes_one_created_change_per_record_it_creates(records, tmp_path):
    text = export()
    empty_database()
    last = Change.objects.order_by("-id").values_list("id", flat=True).first() or 0
    import_text(text, tmp_path)
    created = Change.objects.filter(id__gt=last)
    assert set(created.values_list("operation", flat=True)) == {"created"}
    assert Counter(created.values_list("kind", flat=True)) == {
        "author": Author.objects.count(),
        "source": Source.objects.count(),
        "passage": Passage.objects.count(),
        "claim": Claim.objects.count(),
        "citation": Citation.objects.count(),
    }
    claims = created.filter(kind="claim").values_list("object_id", flat=True)
    assert {uuid.UUID(object_id) for object_id in claims} == set(
        Claim.objects.values_list("uuid", flat=True)
    )


def word_index() -> set[int]:
    """The ids of the claims in the lookup's word index (claims/migrations/0002)."""
    column = "claim_id" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM claims_search")
        return {row[0] for row in cursor.fetchall()}


def test_an_import_indexes_its_published_claims_and_leaves_the_index_triggers_in_place(
    records, tmp_path
):
    text = export()
    empty_database()
    import_text(text, tmp_path)
    assert word_index() == set(Claim.objects.published().values_list("pk", flat=True))
    source = Source.objects.get(slug="anonymous-comment")
    written = claim_create(
        text="A commenter wrote about Moscow in Cyrillic.",
        status="published",
        citations=[{"source": source, "quote": "«Мирного договора нет»", "stance": "supports"}],
    )
    assert written.pk in word_index()


def test_importing_the_same_file_twice_changes_nothing_the_second_time(records, tmp_path):
    text = export()
    empty_database()
    first = import_text(text, tmp_path)
    assert "created" in first
    second = import_text(text, tmp_path)
    assert "created" not in second
    assert "kept" not in second
    assert "claims: 212 unchanged" in second
    assert export() == text


def test_importing_into_the_database_it_came_from_changes_nothing(records, tmp_path):
    text = export()
    versions = dict(Claim.objects.values_list("uuid", "version"))
    with open(tmp_path / "same.ndjson", "w", encoding="utf-8") as file:
        file.write(text)
    with open(tmp_path / "same.ndjson", encoding="utf-8") as file:
        report = import_file(file)
    assert report.created == 0
    assert dict(Claim.objects.values_list("uuid", "version")) == versions
    assert export() == text


def test_an_import_keeps_a_stored_record_that_changed_since_and_reports_it(records, tmp_path):
    text = export()
    claim_update(claim=records["quoted"], text="Japan sided with the West in the new cold war.")
    out = StringIO()
    err = StringIO()
    (tmp_path / "old.ndjson").write_text(text, encoding="utf-8")
    call_command("import", str(tmp_path / "old.ndjson"), stdout=out, stderr=err)
    assert "claims: 211 unchanged, 1 kept" in out.getvalue()
    assert f"claim {records['quoted'].uuid} is stored with other values; kept" in err.getvalue()
    assert Claim.objects.get(pk=records["quoted"].pk).text.startswith("Japan sided with")


def test_a_citation_is_not_added_to_a_stored_claim(records, tmp_path):
    text = export()
    Citation.objects.filter(claim=records["quoted"]).delete()
    report_text = import_text(text, tmp_path)
    assert "citations: 336 unchanged, 1 kept" in report_text
    assert not Citation.objects.filter(claim=records["quoted"]).exists()


def test_import_reads_standard_input(records, tmp_path, monkeypatch):
    text = export()
    empty_database()
    monkeypatch.setattr(sys, "stdin", StringIO(text))
    call_command("import", "-", stdout=StringIO(), stderr=StringIO())
    assert export() == text


def bad_file(text: str) -> tuple[str, dict[int, str]]:
    """The export with five bad lines; what each line number should be reported for."""
    lines = text.splitlines()
    wrong = {}

    def change(predicate, edit, expect: str):
        number, line = next((n, line) for n, line in enumerate(lines, 1) if predicate(line))
        lines[number - 1] = edit(line)
        wrong[number] = expect

    def edited(**changes):
        def edit(line):
            return json.dumps({**json.loads(line), **changes}, ensure_ascii=False)

        return edit

    change(lambda line: '"type":"author"' in line, lambda line: line[:-5], "not JSON")
    change(
        lambda line: '"slug":"anonymous-comment"' in line and '"type":"source"' in line,
        edited(sha256="0" * 64),
        "sha256 is not the SHA-256 of the text",
    )
    change(
        lambda line: '"type":"passage"' in line,
        lambda line: edited(exact=json.loads(line)["exact"][::-1])(line),
        "The passage text differs from the source text",
    )
    change(
        lambda line: '"type":"citation"' in line and '"author":null' in line,
        edited(author="nobody-we-know"),
        "author nobody-we-know is neither in the file nor stored",
    )
    change(
        lambda line: '"type":"claim"' in line,
        edited(topics=["no-such-topic"]),
        "topic no-such-topic is neither in the file nor stored",
    )
    return "\n".join(lines) + "\n", wrong


def test_a_file_with_bad_lines_is_refused_with_each_line_number_and_nothing_written(
    records, tmp_path
):
    text, wrong = bad_file(export())
    empty_database()
    with pytest.raises(CommandError) as refused:
        import_text(text, tmp_path)
    message = str(refused.value)
    # The unreadable author line also leaves the lines naming that author unresolved.
    assert message.startswith("6 bad lines; nothing was imported.")
    for number, expect in wrong.items():
        assert any(
            line.startswith(f"line {number}: ") and expect in line for line in message.splitlines()
        ), (number, expect, message)
    assert export().count("\n") == 1
    assert not get_user_model().objects.exists()


def test_a_bad_file_leaves_a_full_database_as_it_was(records, tmp_path):
    text = export()
    bad, _ = bad_file(text)
    with pytest.raises(CommandError):
        import_text(bad, tmp_path)
    assert export() == text


@pytest.mark.parametrize(
    ("line", "expect"),
    [
        ('{"type":"author"}', "line 1: the first line must be the header"),
        ('{"format":"other","type":"header","version":1}', "this importer reads 'claimbase'"),
        ("[1, 2]", "line 1: not a JSON object"),
        ('{"type":"claim","uuid":"x"}', "uuid must be a UUID"),
    ],
)
def test_a_file_without_a_good_header_or_fields_is_refused(db, tmp_path, line, expect):
    with pytest.raises(CommandError, match="nothing was imported") as refused:
        import_text(line + "\n", tmp_path)
    assert expect in str(refused.value)


def test_a_claim_whose_statement_is_stored_under_another_id_is_refused(records, tmp_path):
    text = export()
    lines = text.splitlines()
    number = next(n for n, line in enumerate(lines) if '"type":"claim"' in line)
    claim = json.loads(lines[number])
    claim["uuid"] = "00000000-0000-4000-8000-000000000000"
    lines[number] = json.dumps(claim)
    with pytest.raises(CommandError) as refused:
        import_text("\n".join(lines) + "\n", tmp_path)
    message = str(refused.value)
    assert f"line {number + 1}: stored claim" in message
    assert f"has slug '{claim['slug']}'" in message
    assert "has the same statement" in message


def test_lines_of_one_type_must_not_follow_a_later_type(records, tmp_path):
    lines = export().splitlines()
    author = next(line for line in lines if '"type":"author"' in line)
    lines.remove(author)
    lines.append(author)
    with pytest.raises(CommandError, match="author after corpus_record"):
        import_text("\n".join(lines) + "\n", tmp_path)


def manage(*args: str, database_url: str, stdin: str | None = None) -> str:
    """Run manage.py in a child process on another database; its standard output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": database_url},
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_file_moves_between_databases_byte_for_byte(records, tmp_path):
    """This database → a new SQLite database (another process) → this database again.

    On the PostgreSQL run this crosses engines both ways: PostgreSQL → SQLite →
    PostgreSQL; on the SQLite run it crosses from one SQLite file to another.
    """
    here = export()
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    manage("migrate", "--noinput", database_url=other)
    manage("import", "-", database_url=other, stdin=here)
    there = manage("export", "-", database_url=other)
    assert there == here
    empty_database()
    import_text(there, tmp_path)
    assert export() == there


def test_the_import_command_exits_non_zero_on_a_bad_file(tmp_path):
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    manage("migrate", "--noinput", database_url=other)
    result = subprocess.run(
        [sys.executable, "manage.py", "import", "-"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": other},
        input='{"format":"claimbase","type":"header","version":1}\n{"type":"topic"}\n',
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "line 2: topic: missing name, slug" in result.stderr


def test_claims_stored_before_fingerprints_round_trip_with_their_empty_fingerprint(
    records, tmp_path
):
    twin = claim_create(text="A twin statement, stored before fingerprints existed, once more.")
    Claim.objects.filter(pk=twin.pk).update(text=records["quoted"].text, fingerprint=None)
    before = export()
    empty_database()
    import_text(before, tmp_path)
    assert export() == before
    assert Claim.objects.filter(text=records["quoted"].text, fingerprint=None).count() == 1


def test_a_fingerprint_that_is_not_the_texts_is_refused(records, tmp_path):
    lines = export().splitlines()
    number = next(n for n, line in enumerate(lines) if '"type":"claim"' in line)
    lines[number] = json.dumps({**json.loads(lines[number]), "fingerprint": "0" * 64})
    with pytest.raises(CommandError, match=f"line {number + 1}: fingerprint is not the SHA-256"):
        import_text("\n".join(lines) + "\n", tmp_path)


def test_a_failure_while_writing_leaves_nothing_half_written(records, tmp_path, monkeypatch):
    text = export()
    empty_database()

    def fail(self, lines):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(Writer, "create_citation", fail)
    with pytest.raises(RuntimeError, match="the disk is full"):
        import_text(text, tmp_path)
    assert export().count("\n") == 1
    assert not get_user_model().objects.exists()
    assert Claim._meta.get_field("created_at").auto_now_add


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite exports read no snapshot")
@pytest.mark.django_db(transaction=True)
def test_an_export_on_postgresql_reads_one_snapshot_while_others_write():
    author = author_save(slug="snapshot-writer", name="Snapshot Writer")
    source = source_create(slug="snapshot", text="Nothing happened on Tuesday.", authors=[author])
    lines = export_lines()
    written = []

    def write():
        try:
            written.append(
                claim_create(
                    text="Nothing happened on Tuesday.",
                    citations=[
                        {"source": source, "quote": "Nothing happened", "stance": "supports"}
                    ],
                )
            )
        finally:
            connection.close()

    try:
        assert '"type":"header"' in next(lines)
        assert '"type":"author"' in next(lines)  # the export's first query has run
        writer = threading.Thread(target=write)
        writer.start()
        writer.join()
        rest = [json.loads(line) for line in lines]
    finally:
        lines.close()
    assert written  # committed before the export read claims, passages and citations
    assert Claim.objects.filter(uuid=written[0].uuid).exists()
    assert str(written[0].uuid) not in {line.get("uuid", line.get("claim")) for line in rest}
    assert not [line for line in rest if line["type"] == "passage" and line["source"] == "snapshot"]
    assert [line["slug"] for line in rest if line["type"] == "source"].count("snapshot") == 1
