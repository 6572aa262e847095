"""The registry of connector classes by CRM type string. Each connector package
registers its class when `connectors.apps.ConnectorsConfig.ready()` imports it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import AlreadyRegistered, NotRegistered

if TYPE_CHECKING:
    from .base import Connector

_connectors: dict[str, type[Connector]] = {}


def register(connector_class: type[Connector]) -> type[Connector]:
    """Register a connector class under its `crm_type`; usable as a decorator."""
    crm_type = connector_class.crm_type
    if crm_type in _connectors and _connectors[crm_type] is not connector_class:
        raise AlreadyRegistered(f"a connector is already registered for {crm_type!r}")
    _connectors[crm_type] = connector_class
    return connector_class


def unregister(crm_type: str) -> None:
    if crm_type not in _connectors:
        raise NotRegistered(f"no connector registered for {crm_type!r}")
    del _connectors[crm_type]


def get(crm_type: str) -> type[Connector]:
    try:
        return _connectors[crm_type]
    except KeyError:
        raise NotRegistered(f"no connector registered for {crm_type!r}") from None


def all_connectors() -> list[type[Connector]]:
    return sorted(_connectors.values(), key=lambda cls: cls.label)


def choices() -> list[tuple[str, str]]:
    return [(cls.crm_type, cls.label) for cls in all_connectors()]
