"""A lookup hit on a duplicate leads to its canonical claim."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from claims.models import ClaimRelation, ClaimStatus
from lookup.hybrid import HybridMatch


@dataclass
class Hit:
    """A claim the lookup returns: its score, its own match if any, the duplicates it came by.

    `best` is the best-scored match it was found by: its own, or a duplicate's.
    """

    claim: int
    score: float
    best: HybridMatch
    match: HybridMatch | None = None
    via: list[int] = field(default_factory=list)


def canonical_hits(matches: Sequence[HybridMatch]) -> list[Hit]:
    """Replace each match on a duplicate by its canonical claim (if published), best first.

    A canonical claim found several ways is listed once, with the best score;
    `via` names the duplicates it was found through.
    """
    canonical = ClaimRelation.objects.filter(object__status=ClaimStatus.PUBLISHED).canonical_of(
        [match.claim for match in matches]
    )
    hits: dict[int, Hit] = {}
    for match in matches:
        target = canonical.get(match.claim, match.claim)
        hit = hits.setdefault(target, Hit(claim=target, score=match.score, best=match))
        if match.score > hit.score:
            hit.score, hit.best = match.score, match
        if target == match.claim:
            hit.match = match
        else:
            hit.via.append(match.claim)
    return sorted(hits.values(), key=lambda hit: -hit.score)
