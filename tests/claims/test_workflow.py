"""One workflow for a claim's status, one write path, and a history that misses nothing."""

import re

import pytest
from django.urls import reverse

from claims.models import Claim
from claims.services import claim_retract, claim_update
from sources.services import source_update

pytestmark = pytest.mark.django_db

SKRIPAL = "japan-did-not-expel-russian-diplomats-after-skripal"


def skripal() -> Claim:
    return Claim.objects.get(slug=SKRIPAL)


def url(claim: Claim, action: str = "detail") -> str:
    return reverse(f"claim-{action}", kwargs={"id": claim.uuid})


def test_a_patch_without_status_keeps_the_status(curator_api, corpus):
    response = curator_api.patch(url(skripal()), {"text": "Japan expelled nobody."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "published"


def test_a_published_claim_does_not_go_back_to_draft(curator_api, corpus):
    response = curator_api.patch(url(skripal()), {"status": "draft"}, format="json")
    assert response.status_code == 400
    assert "retract it" in response.json()["errors"]["status"][0]
    assert skripal().status == "published"


def test_a_retracted_claim_is_not_unretracted_by_a_patch(curator_api, corpus):
    claim_retract(claim=skripal(), reason="Misread the source.")
    for status in ("draft", "published"):
        response = curator_api.patch(url(skripal()), {"status": status}, format="json")
        assert response.status_code == 400
        assert "reinstate" in response.json()["errors"]["status"][0]
    assert skripal().status == "retracted"


def test_reinstating_needs_a_reason_and_records_who_and_why(curator_api, curator, corpus):
    claim_retract(claim=skripal(), reason="Misread the source.")
    refused = curator_api.post(url(skripal(), "reinstate"), {"reason": ""}, format="json")
    assert refused.status_code == 400
    response = curator_api.post(
        url(skripal(), "reinstate"), {"reason": "The source says it after all."}, format="json"
    )
    assert response.status_code == 200
    claim = skripal()
    assert (claim.status, claim.retraction_reason, claim.reviewed_by) == (
        "published",
        "",
        curator,
    )
    latest = claim.history.latest()
    assert latest.history_user == curator
    assert latest.history_change_reason == "reinstate: The source says it after all."


def test_reinstating_a_claim_that_is_not_retracted_is_refused(curator_api, corpus):
    response = curator_api.post(url(skripal(), "reinstate"), {"reason": "Why not."}, format="json")
    assert response.status_code == 400


def test_a_topics_only_change_appears_in_the_history(curator_api, curator, corpus):
    response = curator_api.patch(url(skripal()), {"topics": ["g7", "skripal"]}, format="json")
    assert response.status_code == 200
    history = curator_api.get(url(skripal(), "history")).json()["results"]
    newest = history[0]
    assert (newest["object"], newest["type"], newest["user"]) == ("claim", "changed", "curator")
    (change,) = [c for c in newest["changes"] if c["field"] == "topics"]
    assert change["new"] == ["g7", "skripal"]
    assert "g7" not in change["old"]


def test_a_change_without_effect_writes_nothing(curator_api, corpus):
    claim = skripal()
    response = curator_api.patch(url(claim), {"text": claim.text}, format="json")
    assert response.status_code == 200
    assert skripal().version == claim.version
    assert skripal().history.count() == claim.history.count()


def test_writes_through_the_api_are_credited_in_the_history(curator_api, curator, corpus):
    claim = skripal()
    curator_api.patch(url(claim), {"language": "en-GB"}, format="json")
    assert skripal().history.latest().history_user == curator


def test_retracting_in_the_admin_form_records_the_reviewer(curator_client, corpus):
    claim = skripal()
    page = curator_client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    form = admin_form(page.content.decode(), claim)
    form.update(status="retracted", retraction_reason="Misread the source.")
    response = curator_client.post(reverse("admin:claims_claim_change", args=[claim.pk]), form)
    assert response.status_code == 302
    claim = skripal()
    assert (claim.status, claim.reviewed_by) == ("retracted", curator_client.user)


def test_an_admin_form_refuses_a_status_the_workflow_forbids(curator_client, corpus):
    claim = skripal()
    page = curator_client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    form = admin_form(page.content.decode(), claim)
    form.update(status="draft")
    response = curator_client.post(reverse("admin:claims_claim_change", args=[claim.pk]), form)
    assert response.status_code == 200
    assert "cannot become draft" in response.content.decode()
    assert skripal().status == "published"


def admin_form(page: str, claim: Claim) -> dict:
    """The claim's admin form as the page holds it (with its version), citations untouched."""
    (read_version,) = re.findall(r'name="read_version" value="(\d+)"', page)
    return {
        "read_version": read_version,
        "text": claim.text,
        "slug": claim.slug,
        "language": claim.language,
        "status": claim.status,
        "retraction_reason": claim.retraction_reason,
        "period_start": claim.period_start or "",
        "period_end": claim.period_end or "",
        "topics": [t.pk for t in claim.topics.all()],
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
    }


def test_saving_an_admin_form_opened_before_someone_elses_save_overwrites_nothing(
    curator_client, corpus, django_user_model
):
    claim = skripal()
    page = curator_client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    form = admin_form(page.content.decode(), claim)
    dora = django_user_model.objects.create(username="dora")
    claim_update(claim=claim, text="Japan expelled no Russian envoys.", edited_by=dora)
    form["period_end"] = "2018-04-30"
    response = curator_client.post(reverse("admin:claims_claim_change", args=[claim.pk]), form)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Since you opened this page, dora changed text" in content
    stored = skripal()
    assert stored.text == "Japan expelled no Russian envoys."
    assert stored.period_end.isoformat() != "2018-04-30"


def test_a_source_admin_form_opened_before_a_change_refuses_to_save(curator_client, corpus):
    from sources.models import Source

    source = Source.objects.get(slug="new-cold-war-forces-japan-to-choose-sides")
    change = reverse("admin:sources_source_change", args=[source.pk])
    page = curator_client.get(change).content.decode()
    (read_version,) = re.findall(r'name="read_version" value="(\d+)"', page)
    source_update(source=source, title="Retitled by the loader")
    response = curator_client.post(
        change,
        {
            "read_version": read_version,
            "slug": source.slug,
            "title": "Retitled by a curator",
            "url": "",
            "outlet": source.outlet,
            "published_on": source.published_on,
            "published_precision": source.published_precision,
            "language": source.language,
            "kind": source.kind,
            "note": source.note,
            "author_links-TOTAL_FORMS": "0",
            "author_links-INITIAL_FORMS": "0",
            "author_links-MIN_NUM_FORMS": "0",
            "author_links-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert "Since you opened this page" in response.content.decode()
    assert Source.objects.get(pk=source.pk).title == "Retitled by the loader"


def test_deleting_a_claim_in_the_admin_goes_through_the_service(staff_client, corpus):
    claim = skripal()
    response = staff_client.post(
        reverse("admin:claims_claim_delete", args=[claim.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Claim.objects.filter(pk=claim.pk).exists()
    deleted = claim.history.latest()
    assert (deleted.history_type, deleted.history_user.username) == ("-", "staff")
