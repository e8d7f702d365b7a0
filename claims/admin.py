"""Curation of claims and citations. Writes go through claims.services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from claims.filters import cited
from claims.models import Citation, Claim, ClaimRelation, Stance, Topic, Verdict
from claims.serializers import ROLES
from claims.services import (
    SOURCE_AUTHOR,
    check_relation,
    check_transition,
    citation_add,
    citation_delete,
    citation_update,
    claim_create,
    claim_delete,
    claim_publish,
    claim_reinstate,
    claim_retract,
    claim_update,
    relation_add,
    relation_delete,
    same_claim,
)
from claims.similar import similar_claims
from sources.admin import ServiceDeletes, VersionedForm, adopt, anchor_or_error, highlighted
from sources.models import Author, Source
from sources.services import AlreadyExists


class VerdictFilter(admin.SimpleListFilter):
    title = "verdict"
    parameter_name = "verdict"

    def lookups(self, request, model_admin):
        return Verdict.choices

    def queryset(self, request, queryset):
        return queryset.filter(verdict=self.value()) if self.value() else queryset


class StanceFilter(admin.SimpleListFilter):
    title = "has a citation that"
    parameter_name = "stance"

    def lookups(self, request, model_admin):
        return Stance.choices

    def queryset(self, request, queryset):
        return queryset.filter(cited(stance=self.value())) if self.value() else queryset


class CitedSourceFilter(admin.SimpleListFilter):
    title = "cited source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return [(source.slug, str(source)) for source in Source.objects.all()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(cited(passage__source__slug=self.value()))


class CitedAuthorFilter(admin.SimpleListFilter):
    title = "cited author"
    parameter_name = "author"

    def lookups(self, request, model_admin):
        authors = Author.objects.filter(citations__isnull=False).distinct()
        return [(author.slug, author.name) for author in authors]

    def queryset(self, request, queryset):
        return queryset.filter(cited(author__slug=self.value())) if self.value() else queryset


class CitationInlineForm(forms.ModelForm):
    """A new citation is a source and a pasted quote; an existing one shows its passage."""

    source = forms.ModelChoiceField(queryset=Source.objects.all(), required=False)
    quote = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Paste the quote; quotes, dashes, whitespace and case may differ.",
    )

    class Meta:
        model = Citation
        fields = ["source", "quote", "stance", "author", "attribution", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2, "cols": 30})}
        help_texts = {"author": "Empty: the source's first author."}

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk or not self.has_changed():
            return cleaned
        for field in ("source", "quote"):
            if not cleaned.get(field):
                self.add_error(field, "A new citation needs a source and a quote.")
        if cleaned.get("source") and cleaned.get("quote"):
            self.span = anchor_or_error(cleaned["source"], cleaned["quote"])
        return cleaned


class CitationFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        seen = (
            set(
                self.instance.citations.values_list(
                    "passage__source", "passage__start", "passage__end"
                )
            )
            if self.instance.pk
            else set()
        )
        for form in self.forms:
            span = getattr(form, "span", None)
            if span is None or form.cleaned_data.get("DELETE"):
                continue
            key = (form.cleaned_data["source"].pk, span.start, span.end)
            if key in seen:
                form.add_error("quote", "This passage is already cited for this claim.")
            seen.add(key)


class CitationInline(admin.StackedInline):
    model = Citation
    form = CitationInlineForm
    formset = CitationFormSet
    extra = 1
    autocomplete_fields = ["author"]
    readonly_fields = ["in_context"]
    fields = ["in_context", "source", "quote", "stance", "author", "attribution", "note"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("passage__source", "author")

    @admin.display(description="Passage")
    def in_context(self, citation):
        return highlighted(citation.passage) if citation.pk else "—"


class ClaimActionForm(ActionForm):
    reason = forms.CharField(required=False, label="Reason (to retract or reinstate)")


class ClaimForm(VersionedForm):
    """A claim's fields; the status moves only as the workflow allows.

    A new statement that stored published claims already make in other words is
    shown them before it is stored: the curator changes it, or stores it anyway.
    """

    store_anyway = forms.BooleanField(
        required=False,
        label="Store it although similar claims exist",
        help_text="Tick after checking the stored claims listed under the statement.",
    )

    class Meta:
        model = Claim
        fields = [
            "text",
            "slug",
            "language",
            "topics",
            "period_start",
            "period_end",
            "status",
            "retraction_reason",
        ]

    def clean(self):
        cleaned = super().clean()
        current = self.instance.status if self.instance.pk else Claim.Status.DRAFT
        status = cleaned.get("status")
        if status and status != current:
            check_transition(current, status, reason=cleaned.get("retraction_reason") or "")
        text = cleaned.get("text")
        other = same_claim(text) if text else None
        if other is not None and other.pk != self.instance.pk:
            self.add_error(
                "text",
                f"This statement is stored already, as “{other.slug}” ({other.uuid}).",
            )
        elif (
            text
            and not self.instance.pk
            and not cleaned.get("store_anyway")
            and (similar := similar_claims(text))
        ):
            self.add_error("text", similar_warning(similar))
        return cleaned


def similar_warning(similar: list[dict]) -> str:
    listed = "; ".join(
        f"“{found['claim'].text}” ({found['claim'].slug}, score {found['score']:.2f})"
        for found in similar
    )
    return (
        f"Stored claims may say the same: {listed}. Change the statement, or tick “Store it "
        "although similar claims exist” and relate it to one of them as a duplicate."
    )


@admin.register(Claim)
class ClaimAdmin(ServiceDeletes, SimpleHistoryAdmin):
    form = ClaimForm
    delete_service = claim_delete
    list_display = ["text", "verdict", "citation_count", "status", "updated_at"]
    list_filter = [
        "status",
        VerdictFilter,
        StanceFilter,
        CitedSourceFilter,
        CitedAuthorFilter,
        "topics",
        "language",
    ]
    search_fields = ["text", "slug", "citations__passage__exact"]
    date_hierarchy = "updated_at"
    inlines = [CitationInline]
    filter_horizontal = ["topics"]
    readonly_fields = [
        "uuid",
        "created_by",
        "reviewed_by",
        "reviewed_at",
        "created_at",
        "updated_at",
        "relations",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "text",
                    "slug",
                    "language",
                    "topics",
                    ("period_start", "period_end"),
                    "read_version",
                ]
            },
        ),
        ("Review", {"fields": ["status", "retraction_reason", "reviewed_by", "reviewed_at"]}),
        ("Relations to other claims", {"fields": ["relations"]}),
        (
            "Record",
            {"fields": ["uuid", "created_by", "created_at", "updated_at"], "classes": ["collapse"]},
        ),
    ]
    action_form = ClaimActionForm
    actions = ["publish", "retract", "reinstate"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_verdict()
            .annotate(citation_count=Count("citations", distinct=True))
        )

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset, False  # the annotations group by claim: no duplicates

    @admin.display(description="verdict", ordering="verdict")
    def verdict(self, claim):
        return Verdict(claim.verdict).label

    @admin.display(description="citations", ordering="citation_count")
    def citation_count(self, claim):
        return claim.citation_count

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else {"slug": ["text"]}

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return self.fieldsets
        # A new claim: the confirmation that similar claims were seen, and no relations yet.
        (name, options), *rest = self.fieldsets
        return [
            (name, {"fields": [*options["fields"], "store_anyway"]}),
            *(fieldset for fieldset in rest if "relations" not in fieldset[1]["fields"]),
        ]

    @admin.display(description="Relations")
    def relations(self, claim):
        """Both directions, each with a link to remove it, and a link to add one."""
        rows = [
            (relation, ROLES[relation.kind][0], relation.object)
            for relation in ClaimRelation.objects.filter(subject=claim).select_related("object")
        ] + [
            (relation, ROLES[relation.kind][1], relation.subject)
            for relation in ClaimRelation.objects.filter(object=claim).select_related("subject")
        ]
        listed = format_html_join(
            "",
            '<li>This claim <strong>{}</strong> <a href="{}">{}</a> — <a href="{}">remove</a></li>',
            (
                (
                    role.replace("_", " "),
                    reverse("admin:claims_claim_change", args=[other.pk]),
                    other.text,
                    reverse("admin:claims_claimrelation_delete", args=[relation.pk]),
                )
                for relation, role, other in sorted(rows, key=lambda row: row[0].pk)
            ),
        )
        add = reverse("admin:claims_claimrelation_add") + f"?subject={claim.pk}"
        return format_html(
            '<ul class="claim-relations">{}</ul><a class="addlink" href="{}">Relate this claim '
            "to another</a>",
            listed or "None yet.",
            add,
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {
            name: data[name]
            for name in (
                "text",
                "slug",
                "language",
                "period_start",
                "period_end",
                "status",
                "retraction_reason",
            )
        }
        topics = [topic.slug for topic in data["topics"]]
        if change:
            claim = Claim.objects.get(pk=obj.pk)
            saved = claim_update(
                claim=claim,
                topics=topics,
                edited_by=request.user,
                expected=form.expected(),
                **fields,
            )
        else:
            fields.pop("retraction_reason")
            saved = claim_create(topics=topics, created_by=request.user, **fields)
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        # Topics were written by the service; only the citations remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        claim = form.instance
        # The admin's change message reads these, as formset.save() would have set them.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline in formset.forms:
            data = getattr(inline, "cleaned_data", None)
            if not data or not inline.has_changed():
                continue
            if data.get("DELETE"):
                if inline.instance.pk:
                    # The link only: the passage stays.
                    citation_delete(citation=inline.instance, user=request.user)
                    formset.deleted_objects.append(inline.instance)
                continue
            values = {
                "stance": data["stance"],
                "attribution": data["attribution"],
                "note": data["note"],
            }
            if inline.instance.pk:
                current = Citation.objects.get(pk=inline.instance.pk)
                citation = citation_update(
                    citation=current, author=data["author"], user=request.user, **values
                )
                formset.changed_objects.append((citation, inline.changed_data))
            else:
                citation = citation_add(
                    claim=claim,
                    source=data["source"],
                    quote=data["quote"],
                    author=data["author"] or SOURCE_AUTHOR,
                    user=request.user,
                    **values,
                )
                formset.new_objects.append(citation)

    def run_action(self, request, queryset, service, done: str, **arguments) -> None:
        """Apply a workflow service to each selected claim; report those it refuses."""
        moved, refused = 0, []
        for claim in queryset:
            try:
                service(claim=claim, reviewed_by=request.user, **arguments)
                moved += 1
            except ValidationError as error:
                refused.append(f"“{claim}”: {' '.join(error.messages)}")
        if moved:
            self.message_user(request, f"{done} {moved} claims.", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.ERROR)

    def action_reason(self, request) -> str | None:
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, "Give a reason.", messages.ERROR)
        return reason or None

    @admin.action(description="Publish the selected claims", permissions=["change"])
    def publish(self, request, queryset):
        self.run_action(request, queryset, claim_publish, "Published")

    @admin.action(description="Retract the selected claims (give a reason)", permissions=["change"])
    def retract(self, request, queryset):
        if reason := self.action_reason(request):
            self.run_action(request, queryset, claim_retract, "Retracted", reason=reason)

    @admin.action(
        description="Reinstate the selected retracted claims (give a reason)",
        permissions=["change"],
    )
    def reinstate(self, request, queryset):
        if reason := self.action_reason(request):
            self.run_action(request, queryset, claim_reinstate, "Reinstated", reason=reason)


class CitationForm(VersionedForm):
    class Meta:
        model = Citation
        fields = ["stance", "author", "attribution", "note"]


@admin.register(Citation)
class CitationAdmin(ServiceDeletes, SimpleHistoryAdmin):
    form = CitationForm
    delete_service = citation_delete
    list_display = ["claim", "stance", "author", "attribution", "source"]
    list_filter = ["stance", "attribution", "passage__source"]
    list_select_related = ["claim", "author", "passage__source"]
    search_fields = ["claim__text", "passage__exact", "author__name"]
    readonly_fields = ["claim", "in_context"]
    fields = ["claim", "in_context", "stance", "author", "attribution", "note", "read_version"]
    autocomplete_fields = ["author"]

    def has_add_permission(self, request):
        return False  # citations are added on their claim's page, by quote

    @admin.display(description="source")
    def source(self, citation):
        return citation.passage.source

    @admin.display(description="Passage")
    def in_context(self, citation):
        return highlighted(citation.passage)

    def save_model(self, request, obj, form, change):
        current = Citation.objects.get(pk=obj.pk)
        values = {
            name: form.cleaned_data[name] for name in ("stance", "author", "attribution", "note")
        }
        saved = citation_update(
            citation=current, expected=form.expected(), user=request.user, **values
        )
        adopt(obj, saved)


class ClaimRelationForm(forms.ModelForm):
    class Meta:
        model = ClaimRelation
        fields = ["subject", "kind", "object", "note"]
        help_texts = {
            "kind": "The subject duplicates (says what the object says: the object is the "
            "canonical claim), contradicts or refines (says more precisely) the object.",
        }

    def clean(self):
        cleaned = super().clean()
        subject, other, kind = (cleaned.get(name) for name in ("subject", "object", "kind"))
        if subject and other and kind:
            try:
                check_relation(subject=subject, object=other, kind=kind)
            except AlreadyExists as exists:
                raise ValidationError(str(exists)) from None
        return cleaned


@admin.register(ClaimRelation)
class ClaimRelationAdmin(SimpleHistoryAdmin):
    """Relations are added and removed (through the services), never changed in place."""

    form = ClaimRelationForm
    list_display = ["subject", "kind", "object", "created_by", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["subject", "object", "created_by"]
    search_fields = ["subject__text", "object__text", "note"]
    autocomplete_fields = ["subject", "object"]
    readonly_fields = ["created_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = relation_add(
            subject=data["subject"],
            object=data["object"],
            kind=data["kind"],
            note=data["note"],
            user=request.user,
        )
        adopt(obj, saved)

    def delete_model(self, request, obj):
        relation_delete(relation=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for relation in queryset:
            self.delete_model(request, relation)

    def response_post_save_add(self, request, obj):
        # Back to the claim the relation was added from.
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[obj.subject_id]))


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["slug", "name"]
    search_fields = ["slug", "name"]
