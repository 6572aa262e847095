"""Writing and deleting through $batch: chunks of at most 1,000 operations, one
change set per chunk only when the caller wants all-or-nothing (otherwise
Prefer: odata.continue-on-error), create (POST), update (PATCH with If-Match: *),
upsert by GUID or alternate key (PATCH), delete (DELETE), and one RecordResult per
record carrying Dataverse's own error code and message."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from typing import Any

from connectors.base import chunked
from connectors.errors import InvalidRequest
from connectors.types import CrmError, RecordResult, WriteMode

from .batch_format import Operation, OperationResult
from .client import DataverseClient
from .entities import EntityInfo
from .odata import guid, key_segment
from .records import write_body

MAX_BATCH = 1000
_ENTITY_ID = re.compile(r"\(([0-9a-fA-F-]{36})\)\s*$")


class Writer:
    def __init__(self, client: DataverseClient, entity: EntityInfo, set_names: dict[str, str]):
        self.client = client
        self.entity = entity
        self.set_names = set_names

    def write(self, records: Sequence[dict], mode: WriteMode, key: str | None, all_or_none: bool) -> list[RecordResult]:
        key_names = self._key_names(key) if mode == WriteMode.UPSERT else ()
        results = []
        for chunk in chunked(records, MAX_BATCH):
            planned = [self._plan(record, mode, key_names) for record in chunk]
            results += self._run(planned, all_or_none, idempotent=mode != WriteMode.CREATE,
                                 created=mode == WriteMode.CREATE)
        return results

    def delete(self, ids: Sequence[str]) -> list[RecordResult]:
        results = []
        for chunk in chunked(ids, MAX_BATCH):
            results += self._run([self._delete_plan(record_id) for record_id in chunk], False, True, False)
        for record_id, result in zip(ids, results):
            result.id = result.id or record_id
        return results

    # --- planning --------------------------------------------------------------
    def _key_names(self, key: str | None) -> tuple[str, ...]:
        if key is None or key == self.entity.primary_id:
            return ()
        names = tuple(name.strip() for name in key.split(","))
        if set(names) not in [set(attributes) for attributes in self.entity.keys.values()]:
            raise InvalidRequest(f"{key!r} is not an alternate key of the Dynamics 365 entity {self.entity.name!r}; "
                                 f"its keys are: {', '.join(','.join(a) for a in self.entity.keys.values()) or 'none'}")
        return names

    def _plan(self, record: dict, mode: WriteMode, key_names: tuple[str, ...]) -> Operation | RecordResult:
        try:
            if mode == WriteMode.CREATE:
                return self._operation("POST", "", write_body(self.entity, record, self.set_names),
                                       keep_id=record.get(self.entity.primary_id))
            address = self._address(record, key_names)
            body = write_body(self.entity, record, self.set_names, skip=key_names)
            if mode == WriteMode.UPDATE:
                return self._operation("PATCH", address, body, headers={"If-Match": "*"})
            return self._operation("PATCH", address + f"?$select={self.entity.primary_id}", body,
                                   headers={"Prefer": "return=representation"})
        except InvalidRequest as exc:
            return RecordResult(False, errors=[CrmError("invalid_record", exc.message)])

    def _address(self, record: dict, key_names: tuple[str, ...]) -> str:
        if key_names:
            missing = [name for name in key_names if record.get(name) in (None, "")]
            if missing:
                raise InvalidRequest(f"the key attribute {missing[0]} has no value")
            segment = key_segment(self.entity.attributes, {name: record[name] for name in key_names})
            return urllib.parse.quote(segment, safe="(),='")
        record_id = record.get(self.entity.primary_id)
        if not record_id:
            raise InvalidRequest(f"the record has no {self.entity.primary_id}")
        return f"({guid(record_id)})"

    def _operation(self, method: str, address: str, body: dict | None, headers: dict | None = None,
                   keep_id: Any = None) -> Operation:
        if keep_id:
            body = {**body, self.entity.primary_id: guid(keep_id)}
        return Operation(method, f"{self.client.api_url}/{self.entity.set_name}{address}", body, headers or {})

    def _delete_plan(self, record_id: str) -> Operation | RecordResult:
        try:
            return self._operation("DELETE", f"({guid(record_id)})", None)
        except InvalidRequest as exc:
            return RecordResult(False, id=record_id, errors=[CrmError("invalid_id", exc.message)])

    # --- running ---------------------------------------------------------------
    def _run(self, planned: list, atomic: bool, idempotent: bool, created: bool) -> list[RecordResult]:
        operations = [item for item in planned if isinstance(item, Operation)]
        if atomic and len(operations) < len(planned):
            return [item if isinstance(item, RecordResult) else _rolled_back("an invalid record") for item in planned]
        answers = self._answers(operations, atomic, idempotent) if operations else []
        results, position = [], 0
        for item in planned:
            if isinstance(item, RecordResult):
                results.append(item)
                continue
            results.append(_result(answers, position, atomic, created))
            position += 1
        return results

    def _answers(self, operations: list[Operation], atomic: bool, idempotent: bool) -> dict[int, OperationResult]:
        answered = self.client.batch(operations, atomic=atomic, idempotent=idempotent)
        by_position = {}
        for order, (content_id, answer) in enumerate(answered):
            position = int(content_id) - 1 if content_id and content_id.isdigit() else order
            by_position[position] = answer
        return by_position


def _result(answers: dict, position: int, atomic: bool, created: bool) -> RecordResult:
    answer = answers.get(position)
    if answer is None:
        if atomic:
            return _rolled_back("another record of the change set")
        return RecordResult(False, errors=[CrmError("not_processed", "Dataverse did not process this operation "
                                                                     "(the batch stopped at an earlier failure)")])
    if answer.status >= 400:
        error = answer.json().get("error") or {}
        return RecordResult(False, errors=[CrmError(error.get("code") or f"HTTP {answer.status}",
                                                    error.get("message") or "no detail given")])
    return RecordResult(True, id=_record_id(answer), created=answer.status == 201 or (created and answer.status == 204))


def _record_id(answer: OperationResult) -> str | None:
    match = _ENTITY_ID.search(answer.headers.get("odata-entityid", ""))
    return match.group(1).lower() if match else None


def _rolled_back(cause: str) -> RecordResult:
    return RecordResult(False, errors=[CrmError("rolled_back", f"Not written: the all-or-nothing change set was "
                                                               f"rolled back because of {cause}.")])

