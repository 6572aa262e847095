"""The $batch wire format on the client side: encode operations as
multipart/mixed (one change set when the batch must be atomic) and decode the
multipart answer into one status/headers/body per operation."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Operation:
    method: str
    url: str  # absolute URL of the sub-request
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class OperationResult:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> dict:
        try:
            return json.loads(self.body) if self.body.strip() else {}
        except ValueError:
            return {}


def encode(operations: list[Operation], atomic: bool) -> tuple[str, bytes]:
    """(content type, body) of a $batch request."""
    boundary = f"batch_{uuid.uuid4()}"
    if atomic:
        changeset = f"changeset_{uuid.uuid4()}"
        inner = "".join(f"--{changeset}\r\n{_part(op, index + 1)}" for index, op in enumerate(operations))
        parts = f"--{boundary}\r\nContent-Type: multipart/mixed; boundary={changeset}\r\n\r\n{inner}--{changeset}--\r\n"
    else:
        parts = "".join(f"--{boundary}\r\n{_part(op, index + 1)}" for index, op in enumerate(operations))
    return f"multipart/mixed; boundary={boundary}", (parts + f"--{boundary}--\r\n").encode("utf-8")


def _part(operation: Operation, content_id: int) -> str:
    head = f"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: {content_id}\r\n\r\n"
    headers = dict(operation.headers)
    body = ""
    if operation.body is not None:
        headers["Content-Type"] = "application/json; type=entry"
        body = json.dumps(operation.body, ensure_ascii=False)
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"{head}{operation.method} {operation.url} HTTP/1.1\r\n{lines}\r\n{body}\r\n"


def decode(content_type: str, body: str) -> list[tuple[str | None, OperationResult]]:
    """(Content-ID, result) for each answered operation, in order."""
    results = []
    for headers, payload in _split(body, _boundary(content_type)):
        part_type = headers.get("content-type", "")
        if part_type.startswith("multipart/mixed"):
            results.extend(decode(part_type, payload))
        else:
            results.append((headers.get("content-id"), _http_response(payload)))
    return results


def _boundary(content_type: str) -> str:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "boundary":
            return value.strip('"')
    raise ValueError("multipart answer without a boundary")


def _split(body: str, boundary: str) -> list[tuple[dict[str, str], str]]:
    sections = body.replace("\r\n", "\n").split(f"--{boundary}")
    parts = []
    for section in sections[1:]:
        if section.startswith("--"):
            break
        head, _, payload = section.strip("\n").partition("\n\n")
        parts.append((_headers(head), payload))
    return parts


def _headers(block: str) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in block.split("\n") if ":" in line)
    return {name.strip().lower(): value.strip() for name, value in pairs}


def _http_response(payload: str) -> OperationResult:
    head, _, body = payload.partition("\n\n")
    lines = head.split("\n")
    status = int(lines[0].split(" ")[1])
    return OperationResult(status, _headers("\n".join(lines[1:])), body.strip())
