"""Routes of the claims app beyond the API router, included under /api/v1/."""

from django.urls import path

from claims.export_views import ClaimExportView
from claims.views import ChangeFeedView

urlpatterns = [
    path("changes/", ChangeFeedView.as_view(), name="change-feed"),
    path("export/claims.ndjson", ClaimExportView.as_view(), name="claim-export"),
]
