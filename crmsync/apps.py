"""App configs: crmsync's own app, and the admin site arranged like the reference
product's navigation tree."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CrmsyncConfig(AppConfig):
    default = True
    name = "crmsync"
    verbose_name = "crmsync"

    def ready(self):
        from . import audit

        audit.register_models()


class CrmsyncAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "crmsync.admin_site.CrmsyncAdminSite"
