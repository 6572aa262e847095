"""The REST API router: every app registers its viewsets here."""

from rest_framework.routers import DefaultRouter

from connectors.views import ExternalAccountViewSet

router = DefaultRouter()
router.register("external-accounts", ExternalAccountViewSet)
