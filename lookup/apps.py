from django.apps import AppConfig


class LookupConfig(AppConfig):
    """The fact-checking lookup: its index, ranking, views and evaluation.

    The claims app does not know how it is searched: the index is kept by
    database triggers, and this app reads it.
    """

    name = "lookup"
    verbose_name = "Lookup"
    # Run by `manage.py verify`.
    integrity_checks = [
        ("search index", "lookup.search.index_findings"),
        ("semantic index", "lookup.index.embedding_findings"),
    ]
