"""API v1 routes."""

from rest_framework.routers import DefaultRouter

from claims.views import ClaimViewSet

router = DefaultRouter()
router.register("claims", ClaimViewSet, basename="claim")

urlpatterns = router.urls
