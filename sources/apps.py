from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "sources"
    verbose_name = "Sources"
    # Run by `manage.py verify`.
    integrity_checks = [
        ("source texts (sha256)", "sources.integrity.source_text_findings"),
        ("passages (exact, prefix, suffix)", "sources.integrity.passage_findings"),
    ]
