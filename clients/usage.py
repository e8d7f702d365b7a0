"""Read Claimbase through the Python client generated from its schema.

Lists claims, reads one, and reads one page of the change feed; prints what it
found as JSON. `make clients` type-checks this file against the generated client
with mypy; the tests run it against a live server.

    python clients/usage.py http://127.0.0.1:8000 TOKEN
"""

import json
import sys

from claimbase_client import AuthenticatedClient
from claimbase_client.api.changes import changes_list
from claimbase_client.api.claims import claims_list, claims_retrieve
from claimbase_client.models import ChangePage, Claim, PaginatedClaimList


def tour(base_url: str, token: str) -> dict[str, object]:
    """List claims, read the first one listed, and read the first page of the change feed."""
    # Reads need no token, and the schema says so (`security: [tokenAuth, {}]`), but the
    # generator asks for an AuthenticatedClient wherever a token is accepted.
    client = AuthenticatedClient(
        base_url=base_url, token=token, prefix="Token", raise_on_unexpected_status=True
    )
    with client:
        page = claims_list.sync(client=client, page_size=5)
        if not isinstance(page, PaginatedClaimList):
            raise SystemExit(f"listing claims failed: {page}")
        first = page.results[0]
        claim = claims_retrieve.sync(first.id, client=client)
        if not isinstance(claim, Claim):
            raise SystemExit(f"reading claim {first.id} failed: {claim}")
        feed = changes_list.sync(client=client, limit=10)
        if not isinstance(feed, ChangePage):
            raise SystemExit(f"reading the change feed failed: {feed}")
        return {
            "listed": [str(listed.id) for listed in page.results],
            "more": page.next_ is not None,
            "claim": {
                "id": str(claim.id),
                "text": claim.text,
                "status": claim.status.value,
                "verdict": claim.verdict.verdict.value,
                "citations": len(claim.citations),
                "stances": sorted({citation.stance.value for citation in claim.citations}),
            },
            "changes": [
                [change.kind.value, change.id, change.change.value] for change in feed.results
            ],
            "cursor": feed.cursor,
        }


if __name__ == "__main__":
    print(json.dumps(tour(base_url=sys.argv[1], token=sys.argv[2]), indent=2))
