"""The connectors app: external accounts, and the registry of CRM connectors,
filled by importing each configured connector module once Django is ready."""

from importlib import import_module

from django.apps import AppConfig
from django.conf import settings


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Connectors"

    def ready(self) -> None:
        for module in settings.CRMSYNC_CONNECTORS:
            import_module(module)
