"""Request plumbing for /api/ paths."""

from django.middleware.gzip import GZipMiddleware
from django.urls import is_valid_path

from api.conditional import GZIP_SUFFIX


class OptionalTrailingSlashMiddleware:
    """Serve an /api/ path given without its trailing slash as if it had it, for any method.

    Django's APPEND_SLASH would answer with a redirect, which clients do not follow for
    a POST (and which Django refuses to issue for a POST in DEBUG): the request is routed
    in place instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/") and not path.endswith("/"):
            urlconf = getattr(request, "urlconf", None)
            if not is_valid_path(path, urlconf) and is_valid_path(f"{path}/", urlconf):
                request.path_info = f"{path}/"
                request.path = f"{request.path}/"
        return self.get_response(request)


class ApiGZipMiddleware(GZipMiddleware):
    """Compress /api/ responses (JSON, JSON-LD, NDJSON streams) for clients that accept gzip.

    Only /api/ paths: the admin's pages carry CSRF tokens beside reflected input,
    which compression would expose to BREACH; API responses carry no such secret
    (tokens travel in request headers). Static files come compressed from WhiteNoise.

    Django would weaken a compressed response's ETag, which If-Match could then never
    match: it stays strong instead, with GZIP_SUFFIX naming the coding (api.conditional
    reads both).
    """

    def process_response(self, request, response):
        if not request.path.startswith("/api/"):
            return response
        etag = response.get("ETag", "")
        response = super().process_response(request, response)
        if etag.startswith('"') and response.get("Content-Encoding") == "gzip":
            response["ETag"] = f'{etag[:-1]}{GZIP_SUFFIX}"'
        return response
