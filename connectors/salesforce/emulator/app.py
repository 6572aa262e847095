"""The WSGI application: routes Salesforce's URLs to handlers, checks the bearer
token, counts API usage against the daily allocation and adds Sforce-Limit-Info."""

from __future__ import annotations

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.http import http_date
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import auth, bulk, rest_composite, rest_meta, rest_query, rest_records
from .responses import ApiError

DATA = "/services/data/v<version>"
GET, POST, PATCH, PUT, DELETE = ["GET"], ["POST"], ["PATCH"], ["PUT"], ["DELETE"]

# (path, methods, endpoint name, handler, kind). Kind "open" needs no session,
# "data" needs a bearer token and counts against the daily API allocation.
ROUTES = [
    ("/services/oauth2/token", POST, "oauth_token", None, "open"),
    ("/services/Soap/u/<version>", POST, "soap_login", None, "open"),
    ("/services/data", GET, "versions", rest_meta.versions, "open"),
    (DATA, GET, "resources", rest_meta.resources, "data"),
    (f"{DATA}/limits", GET, "limits", rest_meta.limits, "data"),
    (f"{DATA}/sobjects", GET, "describe_global", rest_meta.sobjects, "data"),
    (f"{DATA}/sobjects/<name>", GET, "sobject_info", rest_meta.sobject_info, "data"),
    (f"{DATA}/sobjects/<name>", POST, "record_create", rest_records.create, "data"),
    (f"{DATA}/sobjects/<name>/describe", GET, "describe", rest_meta.describe, "data"),
    (f"{DATA}/sobjects/<name>/updated", GET, "get_updated", rest_records.updated, "data"),
    (f"{DATA}/sobjects/<name>/deleted", GET, "get_deleted", rest_records.deleted, "data"),
    (f"{DATA}/sobjects/<name>/<record_id>", GET, "record_read", rest_records.read, "data"),
    (f"{DATA}/sobjects/<name>/<record_id>", PATCH, "record_update", rest_records.update, "data"),
    (f"{DATA}/sobjects/<name>/<record_id>", DELETE, "record_delete", rest_records.delete, "data"),
    (f"{DATA}/sobjects/<name>/<field>/<path:value>", GET, "record_read_by_external_id", rest_records.read_by_external_id, "data"),
    (f"{DATA}/sobjects/<name>/<field>/<path:value>", PATCH, "record_upsert", rest_records.upsert, "data"),
    (f"{DATA}/query", GET, "query", rest_query.query, "data"),
    (f"{DATA}/query/<locator>", GET, "query_more", rest_query.query_more, "data"),
    (f"{DATA}/queryAll", GET, "query_all", rest_query.query_all, "data"),
    (f"{DATA}/queryAll/<locator>", GET, "query_all_more", rest_query.query_all_more, "data"),
    (f"{DATA}/composite", POST, "composite", None, "data"),
    (f"{DATA}/composite/sobjects", POST, "collections_create", rest_composite.create, "data"),
    (f"{DATA}/composite/sobjects", PATCH, "collections_update", rest_composite.update, "data"),
    (f"{DATA}/composite/sobjects", DELETE, "collections_delete", rest_composite.delete, "data"),
    (f"{DATA}/composite/sobjects/<name>/<field>", PATCH, "collections_upsert", rest_composite.upsert, "data"),
    (f"{DATA}/jobs/query", POST, "bulk_query_create", bulk.create_query, "data"),
    (f"{DATA}/jobs/query/<job_id>", GET, "bulk_query_info", bulk.query_info, "data"),
    (f"{DATA}/jobs/query/<job_id>", PATCH, "bulk_query_change", bulk.change_query, "data"),
    (f"{DATA}/jobs/query/<job_id>", DELETE, "bulk_query_delete", bulk.delete_job, "data"),
    (f"{DATA}/jobs/query/<job_id>/results", GET, "bulk_query_results", bulk.query_results, "data"),
    (f"{DATA}/jobs/ingest", POST, "bulk_ingest_create", bulk.create_ingest, "data"),
    (f"{DATA}/jobs/ingest/<job_id>", GET, "bulk_ingest_info", bulk.ingest_info, "data"),
    (f"{DATA}/jobs/ingest/<job_id>", PATCH, "bulk_ingest_change", bulk.change_ingest, "data"),
    (f"{DATA}/jobs/ingest/<job_id>", DELETE, "bulk_ingest_delete", bulk.delete_job, "data"),
    (f"{DATA}/jobs/ingest/<job_id>/batches", PUT, "bulk_ingest_upload", bulk.upload, "data"),
    (f"{DATA}/jobs/ingest/<job_id>/<any(successfulResults,failedResults,unprocessedRecords):kind>", GET,
     "bulk_ingest_results", bulk.ingest_results, "data"),
]
INVALID_SESSION = ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")
LIMIT_EXCEEDED = ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")


class SalesforceApp:
    """Dispatches to handlers with `holder.org`, the current OrgState (replaced on
    reset), and serves `control` under /_emulator/."""

    def __init__(self, holder, control_app=None):
        self.holder = holder
        self.control_app = control_app
        self.handlers = {name: (handler, kind) for _, _, name, handler, kind in ROUTES}
        self.handlers["composite"] = (self.composite, "data")
        self.handlers["oauth_token"] = (self.oauth_token, "open")
        self.handlers["soap_login"] = (self.soap_login, "open")
        self.url_map = Map([Rule(path, methods=methods, endpoint=name) for path, methods, name, _, _ in ROUTES])

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_emulator/") and self.control_app is not None:
            return self.control_app(environ, start_response)
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request: Request, subrequest: bool = False) -> Response:
        org = self.holder.org
        try:
            endpoint, args = self.url_map.bind_to_environ(request.environ).match(request.path.rstrip("/") or "/", request.method)
        except NotFound:
            return ApiError(404, "NOT_FOUND", "The requested resource does not exist").response()
        except MethodNotAllowed as error:
            return ApiError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed. Allowed are {','.join(error.valid_methods or [])}").response()
        if not subrequest:
            org.instrumentation.count(endpoint)
        handler, kind = self.handlers[endpoint]
        response = self.guarded(org, request, handler, kind, args, subrequest)
        if kind == "data" and not subrequest:
            response.headers["Sforce-Limit-Info"] = org.limits.header
        response.headers["Date"] = http_date(org.clock.now())  # the org's clock, offset included
        return response

    def guarded(self, org, request, handler, kind, args, subrequest) -> Response:
        try:
            if kind == "data":
                self.check_session(org, request, subrequest)
            return handler(org, request, **args)
        except ApiError as error:
            return error.response()

    def check_session(self, org, request, subrequest: bool) -> None:
        if not org.sessions.valid(auth.bearer_token(request)):
            raise INVALID_SESSION
        if not subrequest and not org.limits.consume():
            raise LIMIT_EXCEEDED

    # --- handlers needing the app itself --------------------------------------------
    def composite(self, org, request, version: str) -> Response:
        return rest_composite.composite(org, request, version, self.dispatch)

    def oauth_token(self, org, request) -> Response:
        return auth.token_endpoint(org.credentials, org.sessions, request, org.store.admin_id)

    def soap_login(self, org, request, version: str) -> Response:
        return auth.soap_login(org.credentials, org.sessions, request, version, org.store.admin_id)
