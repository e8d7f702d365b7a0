"""The semantic index: a vector per published claim's text and per passage it cites."""

from django.db import models

from claims.models import Citation, Claim


class Embedding(models.Model):
    """The vector of a claim's text (no citation) or of one of its cited passages.

    Derived data, kept by lookup/index.py from the change feed: `text_sha256` is
    the hash of the text embedded, so an edit makes the row stale; `model` is
    the encoder's id, so a change of model does too.
    """

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="embeddings")
    citation = models.ForeignKey(
        Citation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="embeddings",
        help_text="The citation whose passage is embedded; empty for the claim's own text.",
    )
    model = models.CharField(max_length=200)
    text_sha256 = models.CharField(max_length=64)
    vector = models.BinaryField(help_text="float32, little-endian, unit length.")
    embedded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["claim", "citation"]
        indexes = [
            # A passage cited by several claims is encoded once: its vector is found by hash.
            models.Index(fields=["model", "text_sha256"], name="embedding_model_text_idx"),
            # A process reloading its vectors reads every row's claim and text hash, not
            # the vectors: this index alone answers it (a covering index).
            models.Index(
                fields=["model", "claim", "text_sha256"], name="embedding_model_claim_text_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "model"],
                condition=models.Q(citation__isnull=True),
                name="embedding_unique_claim_text",
            ),
            models.UniqueConstraint(
                fields=["citation", "model"],
                condition=models.Q(citation__isnull=False),
                name="embedding_unique_citation",
            ),
        ]

    def __str__(self) -> str:
        what = f"citation {self.citation_id}" if self.citation_id else "text"
        return f"claim {self.claim_id} {what} ({self.model})"


class IndexState(models.Model):
    """How far the semantic index has followed the change feed, for one model.

    `seq` is the last change (claims.Change.seq) whose effect is embedded;
    `generation` changes (at random) with every write to the index, so a process
    knows when to reload its in-memory vectors.
    """

    model = models.CharField(max_length=200, unique=True)
    seq = models.BigIntegerField(default=0)
    generation = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["model"]

    def __str__(self) -> str:
        return f"{self.model} at change {self.seq}"
