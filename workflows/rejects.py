"""Keeping rejected records: the CRM's own code, message and fields, and the
payload that was sent, so a person can fix and retry them."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder

from connectors.types import RecordResult

from .context import ActivityContext
from .models import Reject


def _jsonable(payload) -> dict:
    return _without_nul(json.loads(json.dumps(payload, cls=DjangoJSONEncoder)))


def _without_nul(value):
    """PostgreSQL's jsonb and text cannot hold NUL: it is kept visible as the text \\x00."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        return {_text(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _text(value: str) -> str:
    return value.replace("\x00", "\\x00")


def reject_local(ctx: ActivityContext, crm_id: str, code: str, message: str, payload: dict, local_key="") -> None:
    Reject.objects.create(run=ctx.run, activity_run=ctx.activity_run, local_key=str(local_key), crm_id=crm_id or "",
                          code=code, message=_text(message), payload=_jsonable(payload))


def reject_crm(ctx: ActivityContext, row, result: RecordResult, payload: dict) -> None:
    errors = result.errors or []
    first = errors[0] if errors else None
    Reject.objects.create(
        run=ctx.run,
        activity_run=ctx.activity_run,
        local_key=str(row.pk),
        crm_id=row.crm_id or result.id or "",
        code=first.code if first else "UNKNOWN_ERROR",
        message=_text("; ".join(e.message for e in errors) or "the CRM refused the record without a message"),
        fields=sorted({f for e in errors for f in e.fields}),
        payload=_jsonable(payload),
    )
