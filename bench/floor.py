"""The floor: the API's read payloads from raw SQL and orjson, with nothing in between.

    gunicorn --config config/gunicorn.py --bind 127.0.0.1:8001 bench.floor:application

Its own settings (below) and URLconf (this module): no middleware, no installed
app, no DRF, no ORM; the same database (DATABASE_URL, DJANGO_CONN_MAX_AGE) served
by the same gunicorn configuration. It answers the paths the benchmark asks the
app, with the same JSON shapes (fields, nesting, order of citations):

- `claims/<uuid>/`: one claim with its topics, citations and verdict;
- `claims/?page_size=N[&cursor=…][&stance=…&author=<slug>&verdict=…]`: a cursor page,
  newest first, retracted claims left out, DRF's cursor format (position only);
- `claims/lookup/?q=…`: one full-text query on the lookup's index (FTS5 `bm25` on
  SQLite, `ts_rank` on PostgreSQL), the statement's words OR-ed, the best 10 claims
  with their citations. No relevance floor, snippets, synonyms or semantic part: it
  is the cost of one indexed query plus the payload, not the lookup's ranking;
- `export/claims.ndjson`: every listed claim, one per line, read a chunk at a time.

Nothing is validated: it is what the app would cost with no framework at all.
"""

from __future__ import annotations

import base64
import os
import re
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import dj_database_url
import orjson
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "floor"),
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        USE_TZ=True,
        DATABASES={
            "default": dj_database_url.config(
                conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "0"))
            )
        },
    )

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse, StreamingHttpResponse  # noqa: E402
from django.urls import path, re_path  # noqa: E402

CHUNK = 500
LOOKUP_RESULTS = 10
WORD = re.compile(r"\w+")

CLAIM_COLUMNS = (
    'c.id, c.uuid, c.slug, c."text", c.language, c.period_start, c.period_end, c.status, '
    "c.retraction_reason, c.reviewed_at, c.created_at, c.updated_at"
)
CITATIONS = """
    SELECT ci.claim_id, ci.id, ci.stance, ci.attribution, ci.note,
        a.id, a.slug, a.name, a.kind,
        p.id, p."exact", p.prefix, p.suffix, p.start, p."end",
        s.id, s.slug, s.title, s.outlet, s.published_on, s.published_precision, s.url
    FROM claims_citation AS ci
    JOIN sources_passage AS p ON p.id = ci.passage_id
    JOIN sources_source AS s ON s.id = p.source_id
    LEFT JOIN sources_author AS a ON a.id = ci.author_id
    WHERE ci.claim_id IN ({ids})
    ORDER BY s.slug, p.start, ci.id
"""
TOPICS = """
    SELECT ct.claim_id, t.slug FROM claims_claim_topics AS ct
    JOIN claims_topic AS t ON t.id = ct.topic_id
    WHERE ct.claim_id IN ({ids}) ORDER BY t.slug
"""


def moment(value) -> str | None:
    """A date-time as the API writes it (UTC, Z); SQLite gives text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")  # as DRF writes it


def day(value) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


def claim_uuid(value) -> str:
    return str(uuid.UUID(str(value)))


def claims_with_citations(cursor, rows) -> list[dict]:
    """The API's claim objects for `rows` (CLAIM_COLUMNS), in their order."""
    if not rows:
        return []
    ids = ",".join(str(row[0]) for row in rows)
    cited: dict[int, list] = {row[0]: [] for row in rows}
    cursor.execute(CITATIONS.format(ids=ids))
    for row in cursor.fetchall():
        cited[row[0]].append(row)
    topics: dict[int, list] = {row[0]: [] for row in rows}
    cursor.execute(TOPICS.format(ids=ids))
    for claim_id, slug in cursor.fetchall():
        topics[claim_id].append(slug)
    return [claim_object(row, cited[row[0]], topics[row[0]]) for row in rows]


def claim_object(row, citations, topics) -> dict:
    sides = {"supports": set(), "refutes": set(), "neutral": set()}
    counts = {"supports": 0, "refutes": 0, "neutral": 0}
    sources = {"supports": set(), "refutes": set()}
    for citation in citations:
        counts[citation[2]] += 1
        if citation[5] is not None:
            sides[citation[2]].add(citation[5])
        if citation[2] in sources:
            sources[citation[2]].add(citation[15])
    if counts["supports"] and counts["refutes"]:
        verdict = "contested"
    elif counts["supports"]:
        verdict = "supported"
    elif counts["refutes"]:
        verdict = "refuted"
    else:
        verdict = "unverified"
    period = None
    if row[5] is not None or row[6] is not None:
        period = {"start": day(row[5]), "end": day(row[6])}
    return {
        "id": claim_uuid(row[1]),
        "slug": row[2],
        "text": row[3],
        "language": row[4],
        "topics": topics,
        "period": period,
        "status": row[7],
        "retraction_reason": row[8],
        "verdict": {
            "verdict": verdict,
            "supports": counts["supports"],
            "refutes": counts["refutes"],
            "neutral": counts["neutral"],
            "supporting_sources": len(sources["supports"]),
            "refuting_sources": len(sources["refutes"]),
            "supporting_authors": len(sides["supports"]),
            "refuting_authors": len(sides["refutes"]),
        },
        "citations": [
            {
                "id": c[1],
                "stance": c[2],
                "attribution": c[3],
                "note": c[4],
                "author": None
                if c[5] is None
                else {"id": c[5], "slug": c[6], "name": c[7], "kind": c[8]},
                "passage": {
                    "id": c[9],
                    "exact": c[10],
                    "prefix": c[11],
                    "suffix": c[12],
                    "start": c[13],
                    "end": c[14],
                },
                "source": {
                    "id": c[15],
                    "slug": c[16],
                    "title": c[17],
                    "outlet": c[18],
                    "published_on": day(c[19]),
                    "published_precision": c[20],
                    "url": c[21],
                },
            }
            for c in citations
        ],
        "reviewed_at": moment(row[9]),
        "created_at": moment(row[10]),
        "updated_at": moment(row[11]),
    }


def json_response(data, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), status=status, content_type="application/json")


def uuid_value(text: str):
    """A UUID as the database stores it: 32 hex digits on SQLite, the UUID type on PostgreSQL."""
    return text.replace("-", "") if connection.vendor == "sqlite" else text


def detail(request, claim_id: str):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {CLAIM_COLUMNS} FROM claims_claim AS c WHERE c.uuid = %s",
            [uuid_value(claim_id)],
        )
        rows = cursor.fetchall()
        if not rows:
            return json_response({"detail": "Not found."}, status=404)
        return json_response(claims_with_citations(cursor, rows)[0])


def has_citation(condition: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM claims_citation AS ci "
        "LEFT JOIN sources_author AS a ON a.id = ci.author_id "
        f"WHERE ci.claim_id = c.id AND {condition})"
    )


SUPPORTS = has_citation("ci.stance = 'supports'")
REFUTES = has_citation("ci.stance = 'refutes'")
VERDICTS = {
    "contested": f"{SUPPORTS} AND {REFUTES}",
    "supported": f"{SUPPORTS} AND NOT {REFUTES}",
    "refuted": f"NOT {SUPPORTS} AND {REFUTES}",
    "unverified": f"NOT {SUPPORTS} AND NOT {REFUTES}",
}


def claim_list(request):
    query = request.GET
    size = min(int(query.get("page_size", 20)), 100)
    where, params = ["c.status <> 'retracted'"], []
    if "stance" in query:
        where.append(has_citation("ci.stance = %s"))
        params.append(query["stance"])
    if "author" in query:
        where.append(has_citation("a.slug = %s"))
        params.append(query["author"])
    if "verdict" in query:
        where.append(VERDICTS[query["verdict"]])
    if "cursor" in query:
        position = parse_qs(base64.b64decode(query["cursor"]).decode())["p"][0]
        position = datetime.fromisoformat(position)
        if connection.vendor == "sqlite":  # stored as naive UTC text
            position = position.astimezone(UTC).replace(tzinfo=None)
        where.append("c.created_at < %s")
        params.append(position)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {CLAIM_COLUMNS} FROM claims_claim AS c WHERE {' AND '.join(where)} "
            "ORDER BY c.created_at DESC, c.id DESC LIMIT %s",
            [*params, size + 1],
        )
        rows = cursor.fetchall()
        results = claims_with_citations(cursor, rows[:size])
    following = None
    if len(rows) > size:
        last = rows[size - 1][10]
        last = datetime.fromisoformat(last) if isinstance(last, str) else last
        token = base64.b64encode(urlencode({"p": str(last)}).encode()).decode()
        following = request.build_absolute_uri(f"?{urlencode({**query.dict(), 'cursor': token})}")
    return json_response({"next": following, "previous": None, "results": results})


def lookup(request):
    words = WORD.findall(request.GET.get("q", ""))
    if not words:
        return json_response({"results": []})
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT rowid FROM claims_search WHERE claims_search MATCH %s "
                "ORDER BY bm25(claims_search) LIMIT %s",
                [" OR ".join(f'"{word}"' for word in words), LOOKUP_RESULTS],
            )
        else:
            cursor.execute(
                "SELECT claim_id FROM claims_search, "
                "to_tsquery('claims_search_english', %s) AS query "
                "WHERE claim @@ query ORDER BY ts_rank(claim, query) DESC LIMIT %s",
                [" | ".join(words), LOOKUP_RESULTS],
            )
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return json_response({"results": []})
        cursor.execute(
            f"SELECT {CLAIM_COLUMNS} FROM claims_claim AS c "
            f"WHERE c.id IN ({','.join(str(i) for i in ids)})"
        )
        rows = sorted(cursor.fetchall(), key=lambda row: ids.index(row[0]))
        return json_response({"results": claims_with_citations(cursor, rows)})


def export_lines():
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT {CLAIM_COLUMNS} FROM claims_claim AS c "
                "WHERE c.status <> 'retracted' AND c.id > %s ORDER BY c.id LIMIT %s",
                [last, CHUNK],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield b"".join(
                orjson.dumps(claim) + b"\n" for claim in claims_with_citations(cursor, rows)
            )


def export(request):
    return StreamingHttpResponse(export_lines(), content_type="application/x-ndjson")


urlpatterns = [
    path("api/v1/claims/lookup/", lookup),
    re_path(r"^api/v1/claims/(?P<claim_id>[0-9a-fA-F-]{32,36})/?$", detail),
    re_path(r"^api/v1/claims/?$", claim_list),
    path("api/v1/export/claims.ndjson", export),
]

application = get_wsgi_application()
