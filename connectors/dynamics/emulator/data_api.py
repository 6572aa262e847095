"""The Dataverse Web API under /api/data/v9.x: bearer-token check, service
protection, then routing to WhoAmI, metadata, entity sets (query, retrieve,
create, upsert, delete) and $batch."""

from __future__ import annotations

import json
import re

from werkzeug.wrappers import Request, Response

from . import credentials as demo
from .batch import BatchRunner
from .errors import DataverseError, bad_request
from .protocol import json_response, parse_key, parse_prefer
from .query import QueryContext, query_collection
from .rendering import context_url, parse_select, render_row
from .writes import WriteContext, create, delete, find, upsert

API_PREFIX = re.compile(r"^/api/data/v(?P<version>9\.[0-2])(?:/(?P<rest>.*))?$")
_SEGMENT = re.compile(r"^(?P<set>[A-Za-z_]\w*)(?:\((?P<key>.*)\))?$")
METADATA_ROOTS = ("EntityDefinitions", "GlobalOptionSetDefinitions")


class DataApi:
    def __init__(self, emulator):
        self.emulator = emulator

    # --- the authenticated entry point ----------------------------------------
    def handle(self, request: Request) -> Response:
        org_url = request.host_url.rstrip("/")
        claims = self._claims(request, org_url)
        if claims is None:
            return self._unauthorized(org_url)
        try:
            limit_headers = self.emulator.limits.admit(claims.get("oid", "") + claims.get("appid", ""))
            response = self.dispatch(request)
        except DataverseError as error:
            response = error.response()
            limit_headers = {}
        response.headers.update(limit_headers)
        return response

    def _claims(self, request: Request, org_url: str) -> dict | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return self.emulator.identity.validate(token.strip(), org_url)

    @staticmethod
    def _unauthorized(org_url: str) -> Response:
        challenge = (f"Bearer authorization_uri={org_url}/{demo.TENANT_ID}/oauth2/authorize, "
                     f"resource_id={org_url}/")
        return Response(status=401, headers={"WWW-Authenticate": challenge})

    # --- routing (also used for the requests inside a $batch) -----------------
    def dispatch(self, request: Request) -> Response:
        match = API_PREFIX.match(request.path)
        if not match:
            raise DataverseError(404, "0x80060888", f"No HTTP resource was found that matches the request URI '{request.url}'.")
        base = request.host_url.rstrip("/") + f"/api/data/v{match.group('version')}"
        segments = [segment for segment in (match.group("rest") or "").split("/") if segment]
        if not segments:
            return self._service_document(base)
        if segments[0] == "$batch" and request.method == "POST":
            return BatchRunner(self.dispatch, self.emulator.store, request.host_url, _environ_base(request)).run(request)
        if segments[0] == "WhoAmI" or segments[0] == "WhoAmI()":
            return self._who_am_i(base)
        if segments[0].split("(")[0] in METADATA_ROOTS:
            return self.emulator.metadata.handle(base, segments, request.args.to_dict())
        return self._entity_set(request, base, segments)

    def _service_document(self, base: str) -> Response:
        sets = [{"name": entity.set_name, "kind": "EntitySet", "url": entity.set_name}
                for entity in self.emulator.entities.values()]
        return json_response({"@odata.context": f"{base}/$metadata", "value": sets})

    @staticmethod
    def _who_am_i(base: str) -> Response:
        return json_response({"@odata.context": f"{base}/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
                              "BusinessUnitId": "d3650000-0000-4000-8000-0000000b0001",
                              "UserId": demo.USER_OBJECT_ID, "OrganizationId": "d3650000-0000-4000-8000-00000000a001"})

    def _entity_set(self, request: Request, base: str, segments: list[str]) -> Response:
        match = _SEGMENT.match(segments[0])
        entity = self._entity_for_set(match.group("set") if match else segments[0])
        if len(segments) > 1:
            raise bad_request(f"The path segment '{segments[1]}' is not supported by the emulator.")
        key = parse_key(match.group("key")) if match.group("key") is not None else None
        prefer = parse_prefer(request.headers.get("Prefer", ""))
        args = request.args.to_dict()
        if request.method == "GET":
            return self._get(request, base, entity, key, args, prefer)
        context = WriteContext(self.emulator.store, base, entity, args, prefer, dict(request.headers))
        return self._write(request, context, key)

    def _entity_for_set(self, set_name: str):
        for entity in self.emulator.entities.values():
            if entity.set_name == set_name:
                return entity
        raise DataverseError(404, "0x80060888", f"Resource not found for the segment '{set_name}'.")

    def _get(self, request: Request, base: str, entity, key, args: dict, prefer) -> Response:
        if key is None:
            asked = "odata.maxpagesize" in request.headers.get("Prefer", "")
            context = QueryContext(self.emulator.store, base, entity, args, prefer, asked,
                                   self.emulator.oldest_delta_version)
            return query_collection(context)
        row = find(self.emulator.store, entity, key)
        selected = parse_select(entity, args.get("$select"))
        body = render_row(entity, row, selected, prefer.annotations, self.emulator.store.display_name)
        return json_response({"@odata.context": context_url(base, entity, args.get("$select"), "/$entity"), **body})

    def _write(self, request: Request, context: WriteContext, key) -> Response:
        if request.method == "DELETE" and key is not None:
            return delete(context, key)
        body = _json_body(request)
        if request.method == "POST" and key is None:
            return create(context, body)
        if request.method == "PATCH" and key is not None:
            return upsert(context, key, body)
        raise DataverseError(405, "0x80060888", f"The HTTP method '{request.method}' is not allowed here.")


def _json_body(request: Request) -> dict:
    try:
        return json.loads(request.get_data() or b"{}")
    except ValueError:
        raise bad_request("The request body is not valid JSON.", code="0x80048d19") from None


def _environ_base(request: Request) -> dict:
    return {"REMOTE_ADDR": request.remote_addr or "127.0.0.1", "wsgi.url_scheme": request.scheme}
