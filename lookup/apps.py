from django.apps import AppConfig
from django.db.models.signals import post_delete


def index_changed(sender, **kwargs) -> None:
    """A vector deleted (with its claim or citation, by cascade): processes reload theirs."""
    from lookup.index import mark_changed

    mark_changed()


class LookupConfig(AppConfig):
    """The fact-checking lookup: its index, ranking, views and evaluation.

    The claims app does not know how it is searched: the word index is kept by
    database triggers, the semantic index follows the change feed, and this app
    reads them.
    """

    name = "lookup"
    verbose_name = "Lookup"
    # Run by `manage.py verify`.
    integrity_checks = [
        ("search index", "lookup.search.index_findings"),
        ("semantic index", "lookup.index.embedding_findings"),
    ]

    def ready(self) -> None:
        post_delete.connect(
            index_changed, sender="lookup.Embedding", dispatch_uid="lookup.index_changed"
        )
