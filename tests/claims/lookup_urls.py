"""The project's URLs plus the lookup's, for tests/claims/test_lookup.py.

Throwaway: once config/urls.py includes claims.search_urls, this module and the
`urls` marker that points at it can go.
"""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("api/v1/", include("claims.search_urls")), *project_urlpatterns]
