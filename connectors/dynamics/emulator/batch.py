"""$batch: multipart/mixed requests with change sets (atomic, like ExecuteTransaction),
at most 1,000 requests, answered in the multipart format Dataverse uses. Without
Prefer: odata.continue-on-error the batch stops at the first failure."""

from __future__ import annotations

import email.parser
import email.policy
import uuid
from http import HTTPStatus
from dataclasses import dataclass, field

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from .errors import DataverseError, bad_request
from .protocol import parse_prefer

MAX_REQUESTS = 1000


@dataclass
class Part:
    method: str
    url: str
    headers: dict
    body: bytes
    content_id: str | None = None


@dataclass
class ChangeSet:
    parts: list[Part] = field(default_factory=list)


def parse_batch(content_type: str, body: bytes) -> list:
    """The batch's items: Parts and ChangeSets, in order."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise bad_request("The $batch request must be multipart/mixed with a boundary.")
    items = []
    for section in message.iter_parts():
        if section.get_content_type() == "multipart/mixed":
            items.append(ChangeSet([_http_part(part) for part in section.iter_parts()]))
        else:
            items.append(_http_part(section))
    return items


def _http_part(section) -> Part:
    raw = section.get_payload(decode=True) or b""
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    lines = head.decode().strip().split("\n")
    method, url, _ = (lines[0].split(" ") + ["", ""])[:3]
    headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    headers = {name.strip(): value.strip() for name, value in headers.items()}
    return Part(method.upper(), url, headers, body.strip(), section.get("Content-ID"))


def count_requests(items: list) -> int:
    return sum(len(item.parts) if isinstance(item, ChangeSet) else 1 for item in items)


class BatchRunner:
    """Runs a parsed batch through `dispatch(Request) -> Response` and renders the answer."""

    def __init__(self, dispatch, store, host_url: str, environ_base: dict):
        self.dispatch = dispatch
        self.store = store
        self.host_url = host_url
        self.environ_base = environ_base

    def run(self, request: Request) -> Response:
        items = parse_batch(request.headers.get("Content-Type", ""), request.get_data())
        if count_requests(items) > MAX_REQUESTS:
            raise bad_request(f"The number of requests in a batch can't exceed {MAX_REQUESTS}.")
        continue_on_error = parse_prefer(request.headers.get("Prefer", "")).continue_on_error
        boundary = f"batchresponse_{uuid.uuid4()}"
        chunks = []
        for item in items:
            text, failed = self._run_changeset(item) if isinstance(item, ChangeSet) else self._run_single(item)
            chunks.append(text)
            if failed and not continue_on_error:
                break
        body = "".join(f"--{boundary}\r\n{chunk}" for chunk in chunks) + f"--{boundary}--\r\n"
        headers = {"OData-Version": "4.0"}
        if continue_on_error:
            headers["Preference-Applied"] = "odata.continue-on-error"
        return Response(body.encode(), status=200, headers=headers, content_type=f"multipart/mixed; boundary={boundary}")

    def _run_single(self, part: Part) -> tuple[str, bool]:
        response = self._execute(part)
        return _http_section(response, part.content_id), response.status_code >= 400

    def _run_changeset(self, changeset: ChangeSet) -> tuple[str, bool]:
        responses = []
        try:
            with self.store.transaction():
                for part in changeset.parts:
                    response = self._execute(part)
                    if response.status_code >= 400:
                        raise _Rollback(part, response)
                    responses.append((part, response))
        except _Rollback as failure:
            return _http_section(failure.response, failure.part.content_id), True
        boundary = f"changesetresponse_{uuid.uuid4()}"
        inner = "".join(f"--{boundary}\r\n{_http_section(response, part.content_id)}" for part, response in responses)
        return f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n{inner}--{boundary}--\r\n", False

    def _execute(self, part: Part) -> Response:
        if part.method not in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            return DataverseError(400, "0x80040203", f"The method {part.method} is not supported in a batch.").response()
        path, _, query = _relative(part.url).partition("?")
        builder = EnvironBuilder(method=part.method, base_url=self.host_url, path=path, query_string=query or None,
                                 headers=part.headers, data=part.body, environ_base=self.environ_base)
        try:
            return self.dispatch(Request(builder.get_environ()))
        except DataverseError as error:
            return error.response()


def _relative(url: str) -> str:
    """A part's URL as a path: absolute, rooted or relative to the service root."""
    if "://" in url:
        return "/" + url.split("://", 1)[1].partition("/")[2]
    return url if url.startswith("/") else "/api/data/v9.2/" + url


class _Rollback(Exception):
    def __init__(self, part: Part, response: Response):
        super().__init__("change set rolled back")
        self.part, self.response = part, response


def _http_section(response: Response, content_id: str | None) -> str:
    head = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    if content_id:
        head += f"Content-ID: {content_id}\r\n"
    status_line = f"HTTP/1.1 {response.status_code} {HTTPStatus(response.status_code).phrase}\r\n"
    headers = "".join(f"{name}: {value}\r\n" for name, value in response.headers.items()
                      if name.lower() not in ("content-length",))
    body = response.get_data(as_text=True)
    return f"{head}\r\n{status_line}{headers}\r\n{body}\r\n"
