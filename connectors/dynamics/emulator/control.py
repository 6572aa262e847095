"""The control interface under /_emulator/ (loopback clients only): seed the demo
environment or N rows, create/change/delete rows as a CRM user would, inject
faults, read and reset call counts, set the service-protection budget and the
token lifetime, revoke tokens and expire delta tokens. Each endpoint calls the
same method of the emulator object that in-process tests call directly."""

from __future__ import annotations

import json
import re

from werkzeug.wrappers import Request, Response

from connectors.emulator_kit.instrumentation import Fault

from . import credentials as demo
from .errors import DataverseError

LOOPBACK = ("127.0.0.1", "::1", "localhost")
_ROUTES = []


def route(method: str, pattern: str):
    def register(handler):
        _ROUTES.append((method, re.compile(f"^/_emulator/{pattern}$"), handler))
        return handler
    return register


def handle(emulator, request: Request) -> Response:
    if request.remote_addr not in LOOPBACK:
        return _json({"error": "the control interface only answers loopback clients"}, 403)
    for method, pattern, handler in _ROUTES:
        match = pattern.match(request.path)
        if match and request.method == method:
            try:
                return _json(handler(emulator, _body(request), **match.groupdict()))
            except DataverseError as error:
                return _json(error.body(), error.status)
            except (KeyError, TypeError, ValueError) as error:
                return _json({"error": f"bad control request: {error}"}, 400)
    return _json({"error": f"no control endpoint {request.method} {request.path}"}, 404)


def _body(request: Request) -> dict:
    return json.loads(request.get_data() or b"{}")


def _json(body, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


@route("POST", "reset")
def reset(emulator, body):
    emulator.reset()
    return {"reset": True}


@route("POST", "seed/demo")
def seed_demo(emulator, body):
    return emulator.seed_demo()


@route("POST", r"seed/(?P<entity>\w+)")
def seed_rows(emulator, body, entity):
    return {"inserted": emulator.seed_rows(entity, int(body.get("count", 1000)))}


@route("POST", r"records/(?P<entity>\w+)")
def create_record(emulator, body, entity):
    return {"id": emulator.create_record(entity, body)}


@route("PATCH", r"records/(?P<entity>\w+)/(?P<record_id>[0-9a-fA-F-]{36})")
def update_record(emulator, body, entity, record_id):
    emulator.update_record(entity, record_id, body)
    return {"id": record_id}


@route("PATCH", r"records/(?P<entity>\w+)/(?P<record_id>[0-9a-fA-F-]{36})/unstamped")
def set_without_stamp(emulator, body, entity, record_id):
    emulator.set_without_stamp(entity, record_id, body)
    return {"id": record_id}


@route("DELETE", r"records/(?P<entity>\w+)/(?P<record_id>[0-9a-fA-F-]{36})")
def delete_record(emulator, body, entity, record_id):
    emulator.delete_record(entity, record_id)
    return {"deleted": record_id}


@route("POST", "faults")
def inject_fault(emulator, body):
    emulator.inject(Fault(**body))
    return {"queued": body}


@route("DELETE", "faults")
def clear_faults(emulator, body):
    emulator.instrumentation.clear_faults()
    return {"cleared": True}


@route("GET", "calls")
def calls(emulator, body):
    return emulator.instrumentation.snapshot()


@route("DELETE", "calls")
def reset_calls(emulator, body):
    emulator.instrumentation.reset_counts()
    return {"reset": True}


@route("PUT", "limits")
def set_limits(emulator, body):
    emulator.set_service_protection(int(body["budget"]), float(body.get("window_seconds", 300)))
    return body


@route("PUT", "tokens")
def set_token_lifetime(emulator, body):
    emulator.set_token_lifetime(int(body["lifetime"]))
    return body


@route("POST", "tokens/revoke")
def revoke_tokens(emulator, body):
    emulator.revoke_tokens()
    return {"revoked": True}


@route("POST", "delta-tokens/expire")
def expire_delta_tokens(emulator, body):
    emulator.expire_delta_tokens()
    return {"expired": True}


@route("GET", "credentials")
def credentials(emulator, body):
    """The demo tenant's (fake) credentials, so a person can configure crmsync."""
    certificate = emulator.identity.certificate
    return {"tenant_id": demo.TENANT_ID, "client_id": demo.CLIENT_ID, "client_secret": demo.CLIENT_SECRET,
            "username": demo.USERNAME, "password": demo.PASSWORD, "thumbprint": certificate.thumbprint,
            "private_key": certificate.private_key_pem, "certificate": certificate.certificate_pem}
