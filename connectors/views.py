"""REST API for external accounts, with "Test connection"."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crmsync.permissions import StaffActionPermission

from . import services
from .models import ExternalAccount
from .serializers import ConnectionTestSerializer, ExternalAccountSerializer


class ExternalAccountViewSet(viewsets.ModelViewSet):
    queryset = ExternalAccount.objects.all()
    serializer_class = ExternalAccountSerializer

    @extend_schema(request=None, responses=ConnectionTestSerializer)
    @action(detail=True, methods=["post"], permission_classes=[StaffActionPermission])
    def test(self, request, pk=None):
        """Connect to the CRM with the stored credentials and say how it went."""
        result = services.test_connection(self.get_object())
        return Response({"ok": result.ok, "detail": result.detail})
