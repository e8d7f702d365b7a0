"""Curation of authors, sources and passages. Writes go through sources.services."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from sources.anchoring import AnchorError, anchor
from sources.models import Author, Passage, Source, SourceAuthor
from sources.services import (
    author_create,
    author_delete,
    author_update,
    passage_delete,
    passage_for_quote,
    source_create,
    source_delete,
    source_set_authors,
    source_update,
)

CONTEXT = 160


def highlighted(passage: Passage, context: int = CONTEXT) -> str:
    """The passage marked in its surrounding text."""
    text = passage.source.text
    before = text[max(0, passage.start - context) : passage.start]
    after = text[passage.end : passage.end + context]
    return format_html(
        '<div class="passage-context" style="white-space: pre-wrap; max-width: 60em">'
        "…{}<mark>{}</mark>{}…</div>",
        before,
        passage.exact,
        after,
    )


def adopt(obj, saved) -> None:
    """Make the admin's unsaved `obj` the row a service saved, so the admin carries on with it."""
    obj.pk = saved.pk
    obj.refresh_from_db()


def anchor_or_error(source: Source, quote: str, field: str = "quote"):
    """Anchor a quote for a form, turning a refusal into an error on `field` that says why."""
    try:
        return anchor(source.text, quote)
    except AnchorError as error:
        message = str(error)
        if error.candidates:
            contexts = "; ".join(
                f"at {start}: “…{source.text[start : start + 60]}…”" for start in error.candidates
            )
            message = f"{message} Candidates: {contexts}"
        raise ValidationError({field: message}) from error


URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


def changes_since(record, version: int) -> str:
    """Who changed `record` after `version`, and which fields: for a conflict message."""
    later = list(
        record.history.filter(version__gt=version)
        .select_related("history_user")
        .order_by("history_date")
    )
    people = sorted(
        {
            entry.history_user.get_username() if entry.history_user else "the corpus loader"
            for entry in later
        }
    ) or ["someone"]
    base = record.history.filter(version=version).order_by("-history_date").first()
    fields: list[str] = []
    if base is not None and later:
        delta = later[-1].diff_against(
            base, excluded_fields={"version", "updated_at", "fingerprint", "sha256"}
        )
        fields = [change.field for change in delta.changes]
    what = f"changed {', '.join(fields)}" if fields else "changed it (or its citations)"
    return f"{' and '.join(people)} {what} (version {version} → {record.version})"


class VersionedForm(forms.ModelForm):
    """A form that refuses to save over a change made since it was opened.

    It carries the version it was opened at; on save, the row is locked and a
    newer version refuses the whole save, naming who changed what.
    """

    read_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            # The current version, even where the form shows an older state (a revert).
            model = type(self.instance)
            self.initial["read_version"] = (
                model._default_manager.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )

    def clean(self):
        cleaned = super().clean()
        read = cleaned.get("read_version")
        if self.instance.pk and read is not None:
            current = (
                type(self.instance)._default_manager.select_for_update().get(pk=self.instance.pk)
            )
            if current.version != read:
                raise ValidationError(
                    "Since you opened this page, "
                    + changes_since(current, read)
                    + ". Nothing was saved: reload the page to see that change, then apply "
                    "yours again."
                )
        return cleaned

    def expected(self) -> set[int] | None:
        """The version this form was opened at, for the services' check."""
        read = self.cleaned_data.get("read_version")
        return None if read is None else {read}


class ServiceDeletes:
    """Deletes in the admin go through the app's delete service, one record at a time."""

    delete_service = None  # e.g. author_delete, called as service(<model_name>=obj, user=…)

    def delete_model(self, request, obj):
        type(self).delete_service(**{obj._meta.model_name: obj, "user": request.user})

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class AuthorForm(VersionedForm):
    url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Author
        fields = ["slug", "name", "kind", "affiliation", "description", "url"]


@admin.register(Author)
class AuthorAdmin(ServiceDeletes, SimpleHistoryAdmin):
    form = AuthorForm
    delete_service = author_delete
    formfield_overrides = URL_FIELDS
    list_display = ["name", "slug", "kind", "affiliation", "citation_count"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "affiliation", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(citation_count=Count("citations"))

    @admin.display(description="citations", ordering="citation_count")
    def citation_count(self, author):
        return author.citation_count

    def save_model(self, request, obj, form, change):
        fields = {
            name: form.cleaned_data[name] for name in form.changed_data if name != "read_version"
        }
        if change:
            saved = author_update(author=obj, expected=form.expected(), user=request.user, **fields)
        else:
            saved = author_create(user=request.user, **fields)
        adopt(obj, saved)


class SourceAuthorInline(admin.TabularInline):
    model = SourceAuthor
    extra = 0
    autocomplete_fields = ["author"]
    ordering = ["position"]
    verbose_name = "author (in byline order)"


class SourceForm(VersionedForm):
    url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Source
        fields = [
            "slug",
            "title",
            "url",
            "outlet",
            "published_on",
            "published_precision",
            "language",
            "kind",
            "text",
            "note",
        ]


@admin.register(Source)
class SourceAdmin(ServiceDeletes, SimpleHistoryAdmin):
    form = SourceForm
    delete_service = source_delete
    formfield_overrides = URL_FIELDS
    list_display = ["__str__", "outlet", "published_on", "kind", "passage_count"]
    list_filter = ["kind", "language", "published_precision"]
    search_fields = ["title", "slug", "outlet", "text"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [SourceAuthorInline]
    exclude = ["authors"]
    readonly_fields = ["sha256", "passages_and_claims"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(passage_count=Count("passages"))

    @admin.display(description="passages", ordering="passage_count")
    def passage_count(self, source):
        return source.passage_count

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.passages.exists():
            fields.append("text")  # a changed document is a new source
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else self.prepopulated_fields

    @admin.display(description="Passages and the claims that cite them")
    def passages_and_claims(self, source):
        passages = source.passages.prefetch_related("citations__claim")
        rows = []
        for passage in passages:
            claims = format_html_join(
                "",
                '<li>{} <a href="{}">{}</a></li>',
                (
                    (
                        citation.stance,
                        reverse("admin:claims_claim_change", args=[citation.claim_id]),
                        citation.claim.text,
                    )
                    for citation in passage.citations.all()
                ),
            )
            rows.append(
                format_html(
                    '<li><a href="{}">{}–{}</a> “{}”<ul>{}</ul></li>',
                    reverse("admin:sources_passage_change", args=[passage.pk]),
                    passage.start,
                    passage.end,
                    passage.exact,
                    claims,
                )
            )
        return format_html("<ul>{}</ul>", format_html_join("", "{}", ((row,) for row in rows)))

    def save_model(self, request, obj, form, change):
        data = {name: value for name, value in form.cleaned_data.items() if name != "read_version"}
        if change:
            fields = {name: data[name] for name in form.changed_data if name in data}
            saved = source_update(source=obj, expected=form.expected(), user=request.user, **fields)
        else:
            saved = source_create(user=request.user, **data)
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        # Bylines come from the inline, written in order through the service.
        for formset in formsets:
            if formset.model is SourceAuthor:
                rows = [
                    f.cleaned_data
                    for f in formset.forms
                    if f.cleaned_data and not f.cleaned_data.get("DELETE")
                ]
                rows.sort(key=lambda row: row.get("position") or 0)
                source_set_authors(
                    source=form.instance, authors=[row["author"] for row in rows], user=request.user
                )


class PassageQuoteForm(forms.ModelForm):
    """A passage is made by pasting a quote: the offsets are found, never typed."""

    quote = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        strip=False,
        help_text="Paste the quote; quotes, dashes, whitespace and case may differ.",
    )

    class Meta:
        model = Passage
        fields = ["source"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") and cleaned.get("quote"):
            anchor_or_error(cleaned["source"], cleaned["quote"])
        return cleaned


@admin.register(Passage)
class PassageAdmin(ServiceDeletes, SimpleHistoryAdmin):
    delete_service = passage_delete
    list_display = ["__str__", "source", "start", "end", "citation_count"]
    list_filter = ["source"]
    search_fields = ["exact"]
    list_select_related = ["source"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(citation_count=Count("citations"))

    @admin.display(description="citations", ordering="citation_count")
    def citation_count(self, passage):
        return passage.citation_count

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PassageQuoteForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["source", "quote"]
        return ["source", "start", "end", "in_context", "prefix", "suffix"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["source", "start", "end", "in_context", "prefix", "suffix"]

    @admin.display(description="Passage in its text")
    def in_context(self, passage):
        return highlighted(passage)

    def save_model(self, request, obj, form, change):
        if not change:
            adopt(
                obj,
                passage_for_quote(
                    source=form.cleaned_data["source"], quote=form.cleaned_data["quote"]
                ),
            )
