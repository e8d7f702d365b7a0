"""Route of the fact-checking lookup, to be included under /api/v1/."""

from django.urls import path

from lookup.views import ClaimLookupView, DocumentCheckView

urlpatterns = [
    path("claims/lookup/", ClaimLookupView.as_view(), name="claim-lookup"),
    path("claims/check-document/", DocumentCheckView.as_view(), name="claim-check-document"),
]
