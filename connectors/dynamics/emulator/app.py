"""The emulator as one WSGI application: Entra ID endpoints and the Dataverse Web
API on the same host (tenant in the path), the control interface, call counting
and fault injection from the emulator kit. `DataverseEmulator` is also the Python
control API for in-process tests."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from werkzeug.wrappers import Request, Response

from connectors.emulator_kit.instrumentation import Fault, Instrumentation
from connectors.emulator_kit.server import EmulatorServer

from . import control
from .data_api import API_PREFIX, DataApi
from .errors import DataverseError
from .identity import AadError, Identity
from .limits import ServiceProtection
from .metadata import EntityDef
from .metadata_api import MetadataApi
from .schema import GLOBAL_OPTION_SETS, demo_entities
from .seed import seed_demo, seed_rows
from .store import Store
from .writes import WriteContext, decode_body, find
from .protocol import Preferences

_OPENID = re.compile(r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$")
_TOKEN = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")
_KEYS = re.compile(r"^/(?P<tenant>[^/]+)/discovery/v2\.0/keys$")
_REALM = re.compile(r"^/common/userrealm/(?P<username>[^/]+)$")
_DATA_ROUTE = re.compile(r"^/api/data/v[\d.]+/(?P<segment>[^/(?]+)")


class DataverseEmulator:
    """State and behaviour of one emulated Dataverse environment and its tenant."""

    def __init__(self) -> None:
        self.entities = demo_entities()
        self.identity = Identity()
        self.instrumentation = Instrumentation()
        self.limits = ServiceProtection()
        self.metadata = MetadataApi(self.entities, GLOBAL_OPTION_SETS)
        self.data_api = DataApi(self)
        self.store = Store(self.entities)
        self.oldest_delta_version = 0
        self.wsgi = self.instrumentation.wrap(self._application)

    def __call__(self, environ, start_response):
        """Count every call (those answered by an injected fault too), then serve it."""
        request = Request(environ)
        if not request.path.startswith("/_emulator/"):
            self.instrumentation.count(route_name(request))
        return self.wsgi(environ, start_response)

    # --- serving --------------------------------------------------------------
    def serve(self, tls_dir: Path, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
        return EmulatorServer(self, host=host, port=port, tls_dir=tls_dir)

    def _application(self, environ, start_response):
        request = Request(environ)
        response = self._route(request)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/_emulator/"):
            return control.handle(self, request)
        if API_PREFIX.match(path):
            return self.data_api.handle(request)
        try:
            return self._identity(request)
        except AadError as error:
            return Response(json.dumps(error.body(request.host_url.rstrip("/"))), status=error.status,
                            content_type="application/json; charset=utf-8")

    def _identity(self, request: Request) -> Response:
        host, path = request.host_url.rstrip("/"), request.path
        if path == "/common/discovery/instance":
            return _json(self.identity.instance_discovery(host, request.args.get("authorization_endpoint", "")))
        if _REALM.match(path):
            return _json(self.identity.user_realm(_REALM.match(path).group("username")))
        if _OPENID.match(path):
            return _json(self.identity.openid_configuration(host, _OPENID.match(path).group("tenant")))
        if _KEYS.match(path):
            return _json(self.identity.keys())
        if _TOKEN.match(path) and request.method == "POST":
            return _json(self.identity.token(host, host, _TOKEN.match(path).group("tenant"), request.form.to_dict()))
        return Response(json.dumps({"error": "not_found"}), status=404, content_type="application/json")

    # --- the control API (also served under /_emulator/) ----------------------
    def reset(self) -> None:
        # In place: the metadata API and the store share this dict.
        self.entities.clear()
        self.entities.update(demo_entities())
        self.store = Store(self.entities)
        self.instrumentation.clear_faults()
        self.instrumentation.reset_counts()
        self.limits.configure(6000, 300)
        self.identity.token_lifetime = 3599
        self.oldest_delta_version = 0

    # --- metadata, as a maker publishes a customization ----------------------------
    def add_entity(self, definition: EntityDef) -> None:
        """Publish a new table: EntityDefinitions lists it, its metadata, queries and
        writes work at once. reset() returns to the demo environment without it."""
        if definition.name in self.entities:
            raise ValueError(f"the environment already has an entity named {definition.name}")
        self.entities[definition.name] = definition
        self.store.create_table(definition)

    def set_attributes(self, entity: str, attributes) -> None:
        """Republish an entity with these attributes (columns added, removed, or
        changed, e.g. a longer MaxLength): its metadata shows them at once and rows
        keep the values of the attributes that remain. reset() undoes it."""
        definition = dataclasses.replace(self.entities[entity], attributes=tuple(attributes))
        self.entities[entity] = definition
        self.store.recreate_table(definition)

    def seed_demo(self) -> dict[str, int]:
        return seed_demo(self.store)

    def seed_rows(self, entity: str, count: int) -> int:
        return seed_rows(self.store, entity, count)

    def create_record(self, entity: str, values: dict) -> str:
        """Create a row as a CRM user would (values in Web API JSON form)."""
        context = self._write_context(entity)
        row = self.store.insert(context.entity, decode_body(context, values, creating=True))
        return row[context.entity.primary_id]

    def update_record(self, entity: str, record_id: str, values: dict) -> None:
        context = self._write_context(entity)
        find(self.store, context.entity, record_id)
        self.store.update(context.entity, record_id, decode_body(context, values, creating=False))

    def set_without_stamp(self, entity: str, record_id: str, values: dict) -> None:
        """Change stored values (as the store keeps them) without a new modifiedon."""
        definition = self.entities[entity]
        find(self.store, definition, record_id)
        self.store.set_quietly(definition, record_id, values)

    def delete_record(self, entity: str, record_id: str) -> None:
        definition = self.entities[entity]
        find(self.store, definition, record_id)
        self.store.delete(definition, record_id)

    def record(self, entity: str, record_id: str) -> dict | None:
        return self.store.get(self.entities[entity], record_id)

    def _write_context(self, entity: str) -> WriteContext:
        return WriteContext(self.store, "", self.entities[entity], {}, Preferences(), {})

    def inject(self, fault: Fault) -> None:
        self.instrumentation.inject(fault)

    def calls(self, route: str | None = None) -> int:
        return self.instrumentation.calls(route)

    def set_service_protection(self, budget: int, window_seconds: float = 300) -> None:
        self.limits.configure(budget, window_seconds)

    def set_token_lifetime(self, seconds: int) -> None:
        self.identity.token_lifetime = seconds

    def revoke_tokens(self) -> None:
        self.identity.revoke_all()

    def expire_delta_tokens(self) -> None:
        """Delta tokens issued so far become too old (as after ExpireChangeTrackingInDays)."""
        self.oldest_delta_version = self.store.version + 1


def route_name(request: Request) -> str:
    """The name calls are counted under, e.g. 'token' or 'GET contacts'."""
    path = request.path
    match = _DATA_ROUTE.match(path)
    if match:
        segment = match.group("segment")
        return "batch" if segment == "$batch" else f"{request.method} {segment}"
    for name, pattern in (("token", _TOKEN), ("openid-configuration", _OPENID), ("keys", _KEYS), ("userrealm", _REALM)):
        if pattern.match(path):
            return name
    return "instance-discovery" if path == "/common/discovery/instance" else f"{request.method} {path}"


def _json(body: dict) -> Response:
    return Response(json.dumps(body), status=200, content_type="application/json; charset=utf-8")


__all__ = ["DataverseEmulator", "DataverseError", "Fault"]
