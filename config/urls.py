"""Root URLs: the admin, API v1 (one router), its documentation, and the health checks."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from api.health import healthz, readyz
from claims.views import UUID_PATTERN, CitationViewSet, ClaimRelationViewSet, ClaimViewSet
from sources.views import AuthorViewSet, PassageViewSet, SourceViewSet

router = DefaultRouter(trailing_slash="/?")
router.register("claims", ClaimViewSet, basename="claim")
router.register(
    rf"claims/(?P<id>{UUID_PATTERN})/relations", ClaimRelationViewSet, basename="claim-relation"
)
router.register("citations", CitationViewSet, basename="citation")
router.register("sources", SourceViewSet, basename="source")
router.register("passages", PassageViewSet, basename="passage")
router.register("authors", AuthorViewSet, basename="author")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("lookup.urls")),
    path("api/v1/", include("claims.urls")),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="docs/redoc.html"),
        name="redoc",
    ),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]
