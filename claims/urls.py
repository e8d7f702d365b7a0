"""Routes of the claims app beyond the API router, to be included under /api/v1/."""

from django.urls import path

from claims.export_views import ClaimExportView

urlpatterns = [
    path("export/claims.ndjson", ClaimExportView.as_view(), name="claim-export"),
]
