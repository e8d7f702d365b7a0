"""API v1 views for claims."""

from rest_framework import viewsets

from claims.models import Claim
from claims.serializers import ClaimSerializer

UUID_PATTERN = "[0-9a-fA-F-]{36}"


class ClaimViewSet(viewsets.ReadOnlyModelViewSet):
    """Claims, each with every citation that supports, refutes or discusses it.

    A citation carries the exact passage (text and W3C selectors), its source,
    whose words it is and the passage's stance toward the claim. The verdict is
    derived from the citations: `supported`, `refuted`, `contested` (both) or
    `unverified` (none, or only neutral). Lists leave out retracted claims;
    a retracted claim stays readable at its own address.
    """

    serializer_class = ClaimSerializer
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        claims = Claim.objects.with_verdict().with_citations()
        if self.action == "list":
            claims = claims.listed()
        return claims
