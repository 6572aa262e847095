"""Response helpers: JSON bodies and Salesforce's REST error shape."""

from __future__ import annotations

import json

from werkzeug.wrappers import Response


class ApiError(Exception):
    """An error answered as `[{"message": ..., "errorCode": ...}]`."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields

    def response(self) -> Response:
        body = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:
            body["fields"] = self.fields
        return json_response([body], self.status)


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers,
                    content_type="application/json;charset=UTF-8")


def json_body(request) -> object:
    try:
        return json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        raise ApiError(400, "JSON_PARSER_ERROR", "Unexpected character: was expecting a JSON value") from None
