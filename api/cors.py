"""Cross-origin requests: reads from any origin, writes only from the origins listed.

django-cors-headers answers for /api/ paths (CORS_URLS_REGEX) and allows the
origins of CLAIMBASE_CORS_ALLOWED_ORIGINS for every method. Reads need no list:
this handler of its `check_request_enabled` signal allows any origin to GET,
HEAD, or ask in a preflight whether it may. No credentials are allowed: a
browser app authenticates with a token header, never the admin's cookie.
"""

from corsheaders.signals import check_request_enabled

READ_METHODS = {"GET", "HEAD"}


def is_read(request) -> bool:
    if request.method in READ_METHODS:
        return True
    asked = request.headers.get("Access-Control-Request-Method", "").upper()
    return request.method == "OPTIONS" and asked in READ_METHODS


def reads_from_any_origin(sender, request, **kwargs) -> bool:
    return request.path_info.startswith("/api/") and is_read(request)


def connect() -> None:
    check_request_enabled.connect(reads_from_any_origin, dispatch_uid="api.cors.reads")
