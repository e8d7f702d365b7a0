"""Routes of the claims app beside its viewsets, included under /api/v1/."""

from django.urls import path

from claims.views import ChangeFeedView

urlpatterns = [path("changes/", ChangeFeedView.as_view(), name="change-feed")]
