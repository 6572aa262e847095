"""Errors the emulated Web API answers with, in Dataverse's own shape:
`{"error": {"code": "0x80040217", "message": "..."}}` and the HTTP status it uses."""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

# Dataverse error codes used by the emulator (from Microsoft's Web service error codes list).
OBJECT_DOES_NOT_EXIST = "0x80040217"
INVALID_ARGUMENT = "0x80040203"
DUPLICATE_RECORD = "0x80040237"
VALIDATION_FAILED = "0x80044331"
PICKLIST_OUT_OF_RANGE = "0x8004431A"
UNKNOWN_PROPERTY = "0x80060888"
CONCURRENCY_VERSION_MISMATCH = "0x80060882"
CHANGE_TRACKING_NOT_ENABLED = "0x80072491"
REQUEST_LIMIT_EXCEEDED = "0x80072322"
QUERY_NOT_SUPPORTED = "0x80060888"
EXPIRED_DELTA_TOKEN = "0x80044352"


class DataverseError(Exception):
    """An error answer: HTTP status, Dataverse hexadecimal code and message."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}

    def response(self) -> Response:
        return Response(json.dumps(self.body()), status=self.status, headers=self.headers,
                        content_type="application/json; odata.metadata=minimal")


def not_found(entity: str, record_id: str) -> DataverseError:
    return DataverseError(404, OBJECT_DOES_NOT_EXIST, f"{entity} With Id = {record_id} Does Not Exist")


def key_not_found(entity: str) -> DataverseError:
    return DataverseError(404, OBJECT_DOES_NOT_EXIST,
                          f"A record with the specified key values does not exist in {entity} entity")


def unknown_property(entity: str, name: str) -> DataverseError:
    return DataverseError(400, UNKNOWN_PROPERTY,
                          f"Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.{entity}'.")


def bad_request(message: str, code: str = INVALID_ARGUMENT) -> DataverseError:
    return DataverseError(400, code, message)
