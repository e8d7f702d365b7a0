import hashlib
import shutil
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Count, Q

from claims.models import Citation, Claim, Stance, Verdict
from sources.models import Author, Passage, Source
from tests.conftest import SEEDS_DIR

pytestmark = pytest.mark.django_db

CORPUS_DIR = Path(settings.CORPUS_DIR)


def corpus_claims():
    return Claim.objects.filter(corpus_key__isnull=False)


def snapshot() -> dict:
    """Everything a load could change, with the timestamps that show a write."""
    return {
        "claims": sorted(corpus_claims().values_list("uuid", "text", "status", "updated_at")),
        "topics": sorted(corpus_claims().values_list("slug", "topics__slug")),
        "citations": sorted(Citation.objects.values_list("id", "stance", "author", "updated_at")),
        "passages": sorted(Passage.objects.values_list("id", "source", "start", "end")),
        "sources": sorted(Source.objects.values_list("id", "sha256", "updated_at")),
        "authors": sorted(Author.objects.values_list("id", "slug", "name", "description")),
    }


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A copy of the corpus files that a test may edit."""
    for path in CORPUS_DIR.iterdir():
        if path.is_file():
            shutil.copy(path, tmp_path / path.name)
    return tmp_path


def load(*paths: Path) -> str:
    out = StringIO()
    call_command("load_corpus", *map(str, paths), stdout=out)
    return out.getvalue()


def edit_claims(path: Path, edit) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(document["claims"])
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_corpus_has_at_least_100_published_claims_each_cited(corpus):
    claims = corpus_claims().annotate(citation_count=Count("citations"))
    assert claims.count() >= 100
    assert not claims.exclude(status=Claim.Status.PUBLISHED).exists()
    assert not claims.filter(citation_count=0).exists()


def test_every_seed_source_and_section_is_cited(corpus):
    assert Source.objects.count() >= 5
    for source in corpus.values():
        assert Citation.objects.filter(passage__source=source).count() >= 20, source.slug
    rozman = corpus["japan-russia-relations-5"]
    signature = rozman.text.index("Gilbert Rozman")
    assert (
        Citation.objects.filter(passage__source=rozman, passage__start__gt=signature).count() >= 12
    )


def test_at_least_15_claims_are_cited_from_two_or_more_sources(corpus):
    spread = corpus_claims().annotate(sources=Count("citations__passage__source", distinct=True))
    assert spread.filter(sources__gte=2).count() >= 15


def test_at_least_10_claims_have_refuting_evidence_and_5_are_contested(corpus):
    assert corpus_claims().filter(citations__stance=Stance.REFUTES).distinct().count() >= 10
    assert corpus_claims().with_verdict().filter(verdict=Verdict.CONTESTED).count() >= 5


def test_every_passage_equals_its_source_text_at_its_offsets(corpus):
    for passage in Passage.objects.select_related("source"):
        assert passage.exact == passage.source.text[passage.start : passage.end]
        assert passage.exact.strip()
        assert passage.source.text[: passage.start].endswith(passage.prefix)
        assert passage.source.text[passage.end :].startswith(passage.suffix)


def test_every_source_text_is_byte_identical_to_its_seed_file(corpus):
    recorded = dict(
        reversed(line.split()) for line in (CORPUS_DIR / "SHA256SUMS").read_text().splitlines()
    )
    stored = {source.sha256 for source in corpus.values()}
    assert set(recorded.values()) <= stored
    for name, digest in recorded.items():
        assert hashlib.sha256((CORPUS_DIR / name).read_bytes()).hexdigest() == digest
    for source in corpus.values():
        assert hashlib.sha256(source.text.encode("utf-8")).hexdigest() == source.sha256


@pytest.mark.skipif(
    not SEEDS_DIR.is_dir(), reason="the original seed files are not beside this checkout"
)
def test_corpus_texts_are_the_original_seed_files():
    for seed in SEEDS_DIR.glob("*.txt"):
        assert (CORPUS_DIR / seed.name).read_bytes() == seed.read_bytes()


def test_the_skripal_example_is_cited_to_brown_as_supporting(corpus):
    claim = Claim.objects.get(
        text="Japan did not expel Russian diplomats after the Skripal poisoning."
    )
    citation = claim.citations.get(passage__exact__startswith="Within the G7")
    assert citation.passage.exact == (
        "Within the G7, Japan was the only country not to expel Russian diplomats following the "
        "Skripal attack"
    )
    assert citation.author.name == "James D. J. Brown"
    assert citation.stance == Stance.SUPPORTS


def test_putins_denial_is_putins_quote_inside_chellaneys_article(corpus):
    citation = Citation.objects.get(
        passage__exact__contains="We think that we have no territorial problems",
        passage__source__authors__slug="brahma-chellaney",
    )
    assert citation.author.slug == "vladimir-putin"
    assert citation.attribution == "quote"
    assert citation.stance == Stance.REFUTES


def test_commenters_are_the_authors_of_their_comments(corpus):
    source = Source.objects.get(authors__slug="brahma-chellaney")
    comments_start = source.text.index("Comment Commented Dark Chocolate")
    second_comment = source.text.index("Comment Commented j. von Hettlingen")
    in_comments = Citation.objects.filter(passage__source=source, passage__start__gt=comments_start)
    first = in_comments.filter(passage__start__lt=second_comment)
    assert first.count() >= 4
    assert set(first.values_list("author__slug", flat=True)) == {"dark-chocolate"}
    second_authors = set(
        in_comments.filter(passage__start__gt=second_comment, attribution="author").values_list(
            "author__slug", flat=True
        )
    )
    assert second_authors == {"j-von-hettlingen"}
    # A commenter repeating the article's words quotes or reports its author.
    assert set(
        in_comments.filter(author__slug="brahma-chellaney").values_list("attribution", flat=True)
    ) <= {"quote", "reported"}


def test_an_unnamed_byline_leaves_the_writers_citations_without_author(corpus):
    for slug in [
        "great-russo-japanese-detente",
        "searching-for-common-ground-in-russia-japan-relations",
    ]:
        own_words = Citation.objects.filter(passage__source__slug=slug, attribution="author")
        assert own_words.exists()
        assert not own_words.filter(author__isnull=False).exists()


def test_rozman_is_the_author_of_his_section_and_not_of_the_first(corpus):
    source = corpus["japan-russia-relations-5"]
    signature = source.text.index("Gilbert Rozman")
    own_words = Citation.objects.filter(passage__source=source, attribution="author")
    assert set(
        own_words.filter(passage__start__gt=signature).values_list("author__slug", flat=True)
    ) == {"gilbert-rozman"}
    assert not own_words.filter(
        passage__start__lt=signature, author__slug="gilbert-rozman"
    ).exists()


def test_a_second_load_changes_nothing(corpus):
    before = snapshot()
    output = load()
    assert snapshot() == before
    assert "0 claims created, 0 updated" in output and " 0 removed" in output


def test_load_shows_progress_per_source(corpus):
    output = load()
    assert "[1/5]" in output and "[5/5]" in output


def test_editing_a_claims_text_in_its_file_updates_that_claim(corpus, corpus_copy):
    path = corpus_copy / "004_1e5d8e867c144926.yaml"
    claim = Claim.objects.get(corpus_key="japan-did-not-expel-russian-diplomats-after-skripal")
    citations = set(claim.citations.values_list("id", flat=True))

    def reword(claims):
        for entry in claims:
            if entry["id"] == claim.corpus_key:
                entry["text"] = "Japan expelled no Russian diplomats after the Skripal attack."

    edit_claims(path, reword)
    load(path)
    updated = Claim.objects.get(pk=claim.pk)
    assert updated.text == "Japan expelled no Russian diplomats after the Skripal attack."
    assert updated.uuid == claim.uuid
    assert set(updated.citations.values_list("id", flat=True)) == citations


def test_a_citation_removed_from_its_file_is_removed_from_the_database(corpus, corpus_copy):
    path = corpus_copy / "004_1e5d8e867c144926.yaml"
    key = "japan-did-not-expel-russian-diplomats-after-skripal"

    def cite_another_passage_instead(claims):
        for entry in claims:
            if entry["id"] == key:
                entry["citations"] = [{"quote": "Find your Asia-Pacific job", "stance": "neutral"}]

    edit_claims(path, cite_another_passage_instead)
    output = load(path)
    citations = Claim.objects.get(corpus_key=key).citations.filter(
        passage__source__slug=("new-cold-war-forces-japan-to-choose-sides")
    )
    assert [c.passage.exact for c in citations] == ["Find your Asia-Pacific job"]
    assert "0 removed" not in output


def test_a_quote_that_does_not_anchor_aborts_the_load_naming_file_and_claim(corpus, corpus_copy):
    path = corpus_copy / "003_3d6b0faac908aaff.yaml"
    claim_key = None

    def corrupt_a_quote(claims):
        nonlocal claim_key
        for entry in claims:
            if "text" in entry:
                entry["text"] = entry["text"] + " (edited)"
        claims[-1]["citations"][0]["quote"] = "Putin returned the four islands to Japan in 2016"
        claim_key = claims[-1]["id"]

    edit_claims(path, corrupt_a_quote)
    before = snapshot()
    with pytest.raises(CommandError) as refused:
        load(*sorted(corpus_copy.glob("0*.yaml")))
    message = str(refused.value)
    assert "003_3d6b0faac908aaff.yaml" in message
    assert claim_key in message
    assert "does not occur" in message
    assert snapshot() == before


def test_an_ambiguous_quote_is_refused_with_its_candidates(corpus, corpus_copy):
    path = corpus_copy / "003_3d6b0faac908aaff.yaml"

    def ambiguous(claims):
        claims[0]["citations"][0]["quote"] = "yielded little for Japan, and much for Russia"

    edit_claims(path, ambiguous)
    with pytest.raises(CommandError) as refused:
        load(path)
    assert "occurs 2 times" in str(refused.value)


def test_a_changed_text_under_existing_passages_is_refused(corpus, corpus_copy):
    text = corpus_copy / "004_1e5d8e867c144926.txt"
    text.write_text(
        text.read_text(encoding="utf-8").replace("Japan", "Nippon", 1), encoding="utf-8"
    )
    before = snapshot()
    with pytest.raises(CommandError) as refused:
        load(corpus_copy / "004_1e5d8e867c144926.yaml")
    assert "a changed document is a new source" in str(refused.value)
    assert snapshot() == before


def test_a_claim_written_in_two_files_is_refused(corpus, corpus_copy):
    def redefine(claims):
        for entry in claims:
            if (
                entry["id"]
                == "japan-and-russia-have-a-territorial-dispute-over-the-southern-kurils"
            ):
                entry["text"] = "Redefined here."
                entry["topics"] = []
                return
        raise AssertionError("004 cites the shared territorial-dispute claim")

    edit_claims(corpus_copy / "004_1e5d8e867c144926.yaml", redefine)
    with pytest.raises(CommandError) as refused:
        load(*sorted(corpus_copy.glob("0*.yaml")))
    assert "write it in one file only" in str(refused.value)


def test_claims_of_the_corpus_cite_only_passages_with_text(corpus):
    assert not Passage.objects.filter(Q(exact="") | Q(exact__regex=r"^\s+$")).exists()


# --- a reload never reverts curation ------------------------------------------------------

SKRIPAL_KEY = "japan-did-not-expel-russian-diplomats-after-skripal"
DIPLOMAT_FILE = "004_1e5d8e867c144926.yaml"


def test_a_curators_edit_survives_reloads(curator_api, corpus):
    claim = Claim.objects.get(corpus_key=SKRIPAL_KEY)
    corrected = "Japan alone in the G7 expelled no Russian diplomats after the Skripal attack."
    url = f"/api/v1/claims/{claim.uuid}/"
    assert curator_api.patch(url, {"text": corrected}, format="json").status_code == 200
    before = snapshot()
    first, second = load(), load()
    assert Claim.objects.get(pk=claim.pk).text == corrected
    assert snapshot() == before
    assert "0 claims created, 0 updated" in first
    assert "Kept 1 changes curators made" in second


def test_a_citation_a_curator_added_to_a_seed_claim_survives_reloads(curator_api, corpus):
    claim = Claim.objects.get(corpus_key=SKRIPAL_KEY)
    source = Source.objects.get(slug="new-cold-war-forces-japan-to-choose-sides")
    response = curator_api.post(
        "/api/v1/citations/",
        {
            "claim": str(claim.uuid),
            "source": source.pk,
            "quote": "Find your Asia-Pacific job",
            "stance": "neutral",
        },
        format="json",
    )
    assert response.status_code == 201
    load()
    load()
    assert Citation.objects.filter(pk=response.json()["id"]).exists()


def test_a_citation_a_curator_removed_is_not_loaded_again(curator_api, corpus):
    claim = Claim.objects.get(corpus_key=SKRIPAL_KEY)
    citation = claim.citations.get()
    assert curator_api.delete(f"/api/v1/citations/{citation.pk}/").status_code == 204
    output = load()
    assert not claim.citations.exists()
    assert "removed by a curator; not loaded again" in output


def test_a_file_edit_of_a_claim_a_curator_changed_is_reported_not_applied(
    curator_api, corpus, corpus_copy
):
    claim = Claim.objects.get(corpus_key=SKRIPAL_KEY)
    by_curator = "Japan, alone in the G7, kept its Russian diplomats after Skripal."
    curator_api.patch(f"/api/v1/claims/{claim.uuid}/", {"text": by_curator}, format="json")
    by_file = "Japan expelled no Russian diplomats after the Skripal attack."

    def reword(claims):
        for entry in claims:
            if entry["id"] == SKRIPAL_KEY:
                entry["text"] = by_file

    edit_claims(corpus_copy / DIPLOMAT_FILE, reword)
    output = load(corpus_copy / DIPLOMAT_FILE)
    assert Claim.objects.get(pk=claim.pk).text == by_curator
    (line,) = [line for line in output.splitlines() if SKRIPAL_KEY in line]
    assert DIPLOMAT_FILE in line and "'text'" in line
    assert by_file in line and by_curator in line
    # Still reported on the next load, until one side gives way.
    assert by_file in load(corpus_copy / DIPLOMAT_FILE)


def test_a_file_edit_applies_to_the_fields_nobody_changed(curator_api, corpus, corpus_copy):
    claim = Claim.objects.get(corpus_key=SKRIPAL_KEY)
    by_curator = "Japan, alone in the G7, kept its Russian diplomats after Skripal."
    curator_api.patch(f"/api/v1/claims/{claim.uuid}/", {"text": by_curator}, format="json")

    def widen(claims):
        for entry in claims:
            if entry["id"] == SKRIPAL_KEY:
                entry["about"] = "2018-03..2018-04"

    edit_claims(corpus_copy / DIPLOMAT_FILE, widen)
    load(corpus_copy / DIPLOMAT_FILE)
    stored = Claim.objects.get(pk=claim.pk)
    assert stored.text == by_curator
    assert stored.period_end.isoformat() == "2018-04-30"


def test_the_loaders_writes_are_marked_in_the_history(corpus, corpus_copy):
    def reword(claims):
        for entry in claims:
            if entry["id"] == SKRIPAL_KEY:
                entry["text"] = "Japan expelled no Russian diplomats after the Skripal attack."

    edit_claims(corpus_copy / DIPLOMAT_FILE, reword)
    load(corpus_copy / DIPLOMAT_FILE)
    latest = Claim.objects.get(corpus_key=SKRIPAL_KEY).history.latest()
    assert latest.history_change_reason == "corpus load"
