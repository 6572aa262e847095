"""The emulator's control interface over HTTP, for loopback clients only: seed,
act as a CRM user, empty the recycle bin, inject faults, read call counts, set
limits and time. Each route calls the Python API of `SalesforceEmulator`."""

from __future__ import annotations

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .responses import json_body, json_response
from .writes import RecordError

LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


class ControlApp:
    def __init__(self, emulator):
        self.emulator = emulator
        self.url_map = Map([
            Rule("/_emulator/reset", methods=["POST"], endpoint="reset"),
            Rule("/_emulator/seed/demo", methods=["POST"], endpoint="seed_demo"),
            Rule("/_emulator/seed/<name>", methods=["POST"], endpoint="generate"),
            Rule("/_emulator/records/<name>", methods=["POST"], endpoint="create"),
            Rule("/_emulator/records/<name>/<record_id>", methods=["PATCH"], endpoint="update"),
            Rule("/_emulator/records/<name>/<record_id>", methods=["DELETE"], endpoint="delete"),
            Rule("/_emulator/records/<name>/<record_id>/unstamped", methods=["PATCH"], endpoint="set_without_stamp"),
            Rule("/_emulator/recycle-bin/empty", methods=["POST"], endpoint="empty_recycle_bin"),
            Rule("/_emulator/delete-log/<name>/purge", methods=["POST"], endpoint="purge_delete_log"),
            Rule("/_emulator/faults", methods=["POST"], endpoint="inject"),
            Rule("/_emulator/faults", methods=["DELETE"], endpoint="clear_faults"),
            Rule("/_emulator/calls", methods=["GET"], endpoint="calls"),
            Rule("/_emulator/calls", methods=["DELETE"], endpoint="reset_calls"),
            Rule("/_emulator/limits", methods=["GET", "PUT"], endpoint="limits"),
            Rule("/_emulator/clock", methods=["POST"], endpoint="clock"),
            Rule("/_emulator/sessions/expire", methods=["POST"], endpoint="expire_sessions"),
            Rule("/_emulator/settings", methods=["PUT"], endpoint="settings"),
        ])

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.remote_addr not in LOOPBACK:
            return json_response({"error": "the control interface answers loopback clients only"}, 403)(environ, start_response)
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
            response = getattr(self, endpoint)(request, **args)
        except HTTPException as error:
            response = json_response({"error": error.description}, error.code)
        except RecordError as error:
            response = json_response([error.as_rest_error()], 400)
        except (TypeError, ValueError, KeyError) as error:
            response = json_response({"error": str(error)}, 400)
        return response(environ, start_response)

    def body(self, request) -> dict:
        return json_body(request) or {}

    def reset(self, request):
        self.emulator.reset(demo=self.body(request).get("demo", True))
        return json_response({"ok": True})

    def seed_demo(self, request):
        return json_response(self.emulator.seed_demo())

    def generate(self, request, name):
        ids = self.emulator.generate(name, int(self.body(request)["count"]))
        return json_response({"count": len(ids), "first": ids[0] if ids else None, "last": ids[-1] if ids else None})

    def create(self, request, name):
        return json_response({"id": self.emulator.create(name, self.body(request))}, 201)

    def update(self, request, name, record_id):
        self.emulator.update(name, record_id, self.body(request))
        return Response(status=204)

    def set_without_stamp(self, request, name, record_id):
        self.emulator.set_without_stamp(name, record_id, self.body(request))
        return Response(status=204)

    def delete(self, request, name, record_id):
        self.emulator.delete(name, record_id)
        return Response(status=204)

    def empty_recycle_bin(self, request):
        return json_response({"removed": self.emulator.empty_recycle_bin(self.body(request).get("object"))})

    def purge_delete_log(self, request, name):
        self.emulator.purge_delete_log(name)
        return json_response({"ok": True})

    def inject(self, request):
        body = self.body(request)
        self.emulator.inject(body.pop("kind"), body.pop("path", ".*"), **body)
        return json_response({"ok": True}, 201)

    def clear_faults(self, request):
        self.emulator.clear_faults()
        return Response(status=204)

    def calls(self, request):
        return json_response(self.emulator.call_counts())

    def reset_calls(self, request):
        self.emulator.reset_calls()
        return Response(status=204)

    def limits(self, request):
        if request.method == "PUT":
            body = self.body(request)
            self.emulator.set_api_usage(body.get("used"), body.get("daily"))
        used, daily = self.emulator.api_usage
        return json_response({"used": used, "daily": daily})

    def clock(self, request):
        self.emulator.advance_clock(seconds=float(self.body(request).get("advance_seconds", 0)))
        return json_response({"now": self.emulator.org.clock.now().isoformat()})

    def expire_sessions(self, request):
        self.emulator.expire_sessions()
        return Response(status=204)

    def settings(self, request):
        body = self.body(request)
        if "token_lifetime" in body:
            self.emulator.set_token_lifetime(float(body["token_lifetime"]))
        if "bulk_delay" in body:
            self.emulator.set_bulk_delay(float(body["bulk_delay"]))
        return Response(status=204)
