"""The stored claims that say what a new statement says, reported before a duplicate is stored.

How claims are compared is not this app's business: CLAIMBASE_SIMILAR_CLAIMS
names the function that finds them (the lookup's), by dotted path.
"""

from collections.abc import Collection

from django.conf import settings
from django.utils.module_loading import import_string

from claims.models import Claim

SIMILAR_LIMIT = 5


def similar_claims(
    text: str, *, exclude: Collection[int] = (), limit: int = SIMILAR_LIMIT
) -> list[dict]:
    """The published claims that say what `text` says, best first: [{"claim", "score"}].

    Each claim carries its verdict; `exclude` names claims (pks) to leave out.
    """
    if not settings.CLAIMBASE_SIMILAR_CLAIMS or not text.strip():
        return []
    found = import_string(settings.CLAIMBASE_SIMILAR_CLAIMS)(text, exclude=exclude, limit=limit)
    claims = Claim.objects.published().with_verdict().in_bulk([pk for pk, _ in found])
    return [{"claim": claims[pk], "score": round(score, 4)} for pk, score in found if pk in claims]
