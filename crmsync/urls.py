"""URL configuration: the console (admin), the REST API and its documentation."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAdminUser

from .api import router

# The API's description names every endpoint and field: staff only, like the API.
staff_only = [IsAdminUser]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=staff_only), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script for the CSP to allow.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=staff_only), name="api-docs"),
    path("api/", include(router.urls)),
]
