import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from claims.curators import CURATOR_PERMISSIONS, CURATORS_GROUP
from claims.models import Citation, Claim
from claims.services import claim_create, claim_update
from sources.models import Source

pytestmark = pytest.mark.django_db

DIPLOMAT = "new-cold-war-forces-japan-to-choose-sides"
QUOTE = "28 states joined the U.K. in expelling Russian diplomats"


def claim_form(source: Source, quote: str, **overrides) -> dict:
    data = {
        "text": "Twenty-eight states expelled Russian diplomats over Skripal.",
        "slug": "twenty-eight-states-expelled-russian-diplomats",
        "language": "en",
        "status": "draft",
        "retraction_reason": "",
        "period_start": "",
        "period_end": "",
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
        "citations-0-source": str(source.pk),
        "citations-0-quote": quote,
        "citations-0-stance": "supports",
        "citations-0-author": "",
        "citations-0-attribution": "author",
        "citations-0-note": "",
    }
    return {**data, **overrides}


def test_curators_group_holds_exactly_the_curator_permissions():
    group = Group.objects.get(name=CURATORS_GROUP)
    granted = {
        (p.content_type.app_label, p.codename)
        for p in group.permissions.select_related("content_type")
    }
    wanted = {(app, code) for app, codes in CURATOR_PERMISSIONS.items() for code in codes}
    assert granted == wanted
    assert ("claims", "delete_claim") not in granted


def test_readers_who_are_not_staff_cannot_reach_the_admin(client):
    client.force_login(User.objects.create_user("reader", password="x"))
    response = client.get(reverse("admin:claims_claim_changelist"))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"verdict": "contested"},
        {"stance": "refutes"},
        {"source": DIPLOMAT},
        {"author": "vladimir-putin"},
        {"status": "published"},
        {"q": "Skripal"},
    ],
)
def test_claim_list_shows_scannable_columns_under_every_filter(curator_client, corpus, params):
    response = curator_client.get(reverse("admin:claims_claim_changelist"), params)
    assert response.status_code == 200
    assert b"column-verdict" in response.content and b"column-citation_count" in response.content


def test_curator_creates_a_claim_by_pasting_a_quote(curator_client, corpus):
    source = Source.objects.get(slug=DIPLOMAT)
    # The corpus says this in other words: the curator has seen the similar claims.
    form = claim_form(source, QUOTE.upper().replace(".", ". "), store_anyway="on")
    response = curator_client.post(reverse("admin:claims_claim_add"), form)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    claim = Claim.objects.get(slug="twenty-eight-states-expelled-russian-diplomats")
    citation = claim.citations.get()
    assert citation.passage.exact == QUOTE
    assert citation.author.slug == "james-d-j-brown"
    assert claim.created_by == curator_client.user


def test_a_quote_that_is_absent_gives_an_inline_error_and_stores_nothing(curator_client, corpus):
    source = Source.objects.get(slug=DIPLOMAT)
    claims = Claim.objects.count()
    response = curator_client.post(
        reverse("admin:claims_claim_add"), claim_form(source, "Japan expelled every diplomat")
    )
    assert response.status_code == 200
    assert "does not occur in the source text" in response.content.decode()
    assert Claim.objects.count() == claims


def test_an_ambiguous_quote_shows_its_candidates(curator_client, corpus):
    source = Source.objects.get(slug="abe-courtship-of-putin-yields-little-for-japan")
    response = curator_client.post(
        reverse("admin:claims_claim_add"), claim_form(source, "yielded little for Japan")
    )
    page = response.content.decode()
    assert "occurs 2 times" in page
    assert "Candidates: at " in page


def test_claim_page_shows_each_cited_passage_highlighted_in_its_text(curator_client, corpus):
    claim = Claim.objects.get(slug="japan-did-not-expel-russian-diplomats-after-skripal")
    response = curator_client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    page = response.content.decode()
    assert "<mark>Within the G7, Japan was the only country not to expel" in page
    assert "for fear of antagonizing Russia." in page  # the surrounding text


def test_source_text_is_read_only_once_passages_exist(curator_client, corpus):
    source = Source.objects.get(slug=DIPLOMAT)
    page = curator_client.get(reverse("admin:sources_source_change", args=[source.pk]))
    content = page.content.decode()
    assert 'name="text"' not in content
    assert "Japan did not expel Russian diplomats after the Skripal poisoning." in content


def test_publish_and_retract_actions_record_the_reviewer(curator_client, corpus):
    seed = Claim.objects.get(slug="japan-did-not-expel-russian-diplomats-after-skripal")
    claim = claim_create(
        text="Japan kept its Russian diplomats in 2018.",
        citations=[{"passage": seed.citations.get().passage, "stance": "supports"}],
    )
    url = reverse("admin:claims_claim_changelist")
    curator_client.post(url, {"action": "publish", "_selected_action": [claim.pk]})
    claim.refresh_from_db()
    assert claim.status == "published"
    assert claim.reviewed_by == curator_client.user and claim.reviewed_at
    curator_client.post(url, {"action": "retract", "_selected_action": [claim.pk], "reason": ""})
    claim.refresh_from_db()
    assert claim.status == "published"  # no reason, no retraction
    curator_client.post(
        url, {"action": "retract", "_selected_action": [claim.pk], "reason": "Misquoted."}
    )
    claim.refresh_from_db()
    assert (claim.status, claim.retraction_reason) == ("retracted", "Misquoted.")


def test_admin_changes_are_recorded_with_who_and_what(curator_client, corpus):
    claim = Claim.objects.get(slug="japan-did-not-expel-russian-diplomats-after-skripal")
    citation = claim.citations.get()
    form = {
        "text": "Japan expelled no Russian diplomats after the Skripal attack.",
        "slug": claim.slug,
        "language": "en",
        "status": "published",
        "retraction_reason": "",
        "period_start": "2018-03-01",
        "period_end": "2018-03-31",
        "topics": [t.pk for t in claim.topics.all()],
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "1",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
        "citations-0-id": str(citation.pk),
        "citations-0-claim": str(claim.pk),
        "citations-0-stance": "neutral",
        "citations-0-author": str(citation.author_id),
        "citations-0-attribution": "author",
        "citations-0-note": "",
        "citations-0-source": "",
        "citations-0-quote": "",
    }
    response = curator_client.post(reverse("admin:claims_claim_change", args=[claim.pk]), form)
    assert response.status_code == 302
    latest = claim.history.latest()
    assert latest.history_user == curator_client.user
    assert latest.text == "Japan expelled no Russian diplomats after the Skripal attack."
    assert Citation.objects.get(pk=citation.pk).stance == "neutral"
    assert citation.history.latest().history_user == curator_client.user

    history = curator_client.get(reverse("claim-history", kwargs={"id": claim.uuid})).json()
    changed = [e for e in history["results"] if e["object"] == "claim" and e["type"] == "changed"]
    assert changed[0]["user"] == "carol"
    assert {
        "field": "text",
        "old": "Japan did not expel Russian diplomats after the Skripal poisoning.",
        "new": latest.text,
    } in changed[0]["changes"]
    cited = [e for e in history["results"] if e["object"] == "citation" and e["type"] == "changed"]
    assert {"field": "stance", "old": "supports", "new": "neutral"} in cited[0]["changes"]


def test_a_change_can_be_reverted_from_the_admin_history(curator_client, corpus):
    claim = Claim.objects.get(slug="japan-did-not-expel-russian-diplomats-after-skripal")
    original = claim.history.latest()
    claim_update(claim=claim, text="A mistaken edit.")
    url = reverse("admin:claims_claim_simple_history", args=[claim.pk, original.history_id])
    assert curator_client.get(url).status_code == 200
    form = {
        "text": original.text,
        "slug": original.slug,
        "language": "en",
        "status": original.status,
        "retraction_reason": "",
        "period_start": original.period_start,
        "period_end": original.period_end,
        "topics": [t.pk for t in claim.topics.all()],
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
    }
    assert curator_client.post(url, form).status_code == 302
    claim.refresh_from_db()
    assert claim.text == original.text
