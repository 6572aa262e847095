"""Export to the CRM: local rows that changed since they were last synced (by any
writer), all rows, or rows matching a filter; created, updated or upserted in
batches; CRM ids stored back; refusals kept as rejects with the CRM's message.

Creates are journalled before they are sent: if a run dies after the CRM created
records but before their ids were stored, the next run does not send them again
(which would create duplicates) but reports them for review. Upserts by an
external id need no journal: sending them twice is harmless."""

from __future__ import annotations

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from connectors.base import chunked
from connectors.errors import ApiLimitReached, AuthenticationFailed, ConnectorError, InvalidRequest
from connectors.types import ReadRequest, RecordResult, WriteMode
from wizard.live_models import model_for

from ..conditions import parse_conditions, to_q
from ..context import ActivityContext, Counts
from ..directions import blank
from ..mapping import Mapper
from ..models import ExportJournal
from ..enumeration_checks import rows_with_known_values
from ..provenance_hooks import exported_provenance
from ..rejects import reject_crm, reject_local

CHUNK = 1000
UNCERTAIN = "CRMSYNC_UNCERTAIN_CREATE"


def run(ctx: ActivityContext) -> None:
    options = ctx.options
    mapper = Mapper.build(ctx.schema, ctx.model, options["fields"])
    _review_interrupted_creates(ctx)
    rows = _rows(ctx)
    ctx.set_total(rows.count())
    ctx.log(f"export {ctx.schema.crm_name}: {options['rows']} rows, mode {options['mode']}"
            + (f" by {options['key']}" if options["key"] else ""))
    last_pk = 0
    while True:
        ctx.check_cancelled()
        chunk = list(rows.filter(pk__gt=last_pk).order_by("pk")[:CHUNK])
        if not chunk:
            break
        last_pk = chunk[-1].pk
        _export_chunk(ctx, mapper, chunk)


def _rows(ctx: ActivityContext):
    return rows_to_export(ctx.activity, ctx.options, ctx.model)


def rows_to_export(activity, options: dict, model=None):
    """The local rows an export activity sends (also what its forecast counts)."""
    schema = activity.schema
    rows = (model or model_for(schema)).objects.filter(is_deleted=False)
    if options["rows"] == "changed":
        rows = rows.filter(Q(last_synced_at__isnull=True) | Q(local_modstamp__gt=F("last_synced_at")))
    if options["filter"] and options["rows"] == "filter":
        rows = rows.filter(to_q(schema, parse_conditions(schema, options["filter"])))
    if options["mode"] == "insert":
        rows = rows.filter(crm_id__isnull=True)
    elif options["mode"] == "update":
        rows = rows.filter(crm_id__isnull=False)
    return rows.exclude(pk__in=ExportJournal.objects.filter(activity=activity).values("row_id"))


def _writable(ctx, mapper: Mapper, creating: bool) -> list:
    """Fields the CRM accepts for this mode and the workflow sends (its direction rules)."""
    flag = "createable" if creating else "updateable"
    return [f for f in mapper.fields if not f.is_system_column and not f.read_only and getattr(f, flag)
            and ctx.directions.exported(f.column_name)]


def _export_chunk(ctx: ActivityContext, mapper: Mapper, chunk: list) -> None:
    chunk = rows_with_known_values(ctx, chunk)
    key = ctx.options["key"]
    if key:
        # By the key where the row has one; rows without it that the CRM already
        # knows are updated by their CRM id; the others cannot be matched.
        key_column = ctx.schema.fields.get(crm_name=key).column_name
        keyed = [r for r in chunk if getattr(r, key_column) not in (None, "")]
        keyed_pks = {r.pk for r in keyed}
        by_id = [r for r in chunk if r.pk not in keyed_pks and r.crm_id]
        for row in chunk:
            if row.pk not in keyed_pks and not row.crm_id:
                _reject_missing_key(ctx, row, key)
        _send(ctx, mapper, keyed, WriteMode.UPSERT, key, creating=True)
        _send(ctx, mapper, by_id, WriteMode.UPDATE, None, creating=False)
        return
    _send(ctx, mapper, [r for r in chunk if r.crm_id], WriteMode.UPDATE, None, creating=False)
    _send(ctx, mapper, [r for r in chunk if not r.crm_id], WriteMode.CREATE, None, creating=True)


def _send(ctx, mapper: Mapper, rows: list, mode: WriteMode, key, creating: bool) -> None:
    """One write call at a time, its results stored before the next goes out: a call
    refused mid-way never hides what the calls before it did in the CRM."""
    if not rows:
        return
    fields = _writable(ctx, mapper, creating)
    if mode is WriteMode.UPDATE:
        fields = [f for f in fields if f.updateable]
    for batch in chunked(rows, ctx.connector.write_batch_size or len(rows)):
        _send_batch(ctx, mapper, batch, fields, mode, key)


def _send_batch(ctx, mapper: Mapper, rows: list, fields: list, mode: WriteMode, key) -> None:
    blanks = _blank_in_crm(ctx, rows, fields)
    payloads = [_payload(ctx, mapper, row, fields, mode, blanks) for row in rows]
    stamps = {row.pk: row.local_modstamp for row in rows}
    if mode is WriteMode.CREATE:
        ExportJournal.objects.bulk_create([ExportJournal(activity=ctx.activity, run=ctx.run, row_id=r.pk) for r in rows])
    try:
        results = ctx.write_to_crm(payloads, mode, key, ctx.options["all_or_none"])
    except ConnectorError as exc:
        if _surely_not_processed(exc):
            ExportJournal.objects.filter(activity=ctx.activity, row_id__in=[r.pk for r in rows]).delete()
        raise
    with ctx.page():
        counts = _store_results(ctx, rows, payloads, results, stamps, mode)
        # A create whose answer was lost stays journalled: the next run reports it
        # for review instead of creating it a second time.
        settled = [row.pk for row, result in zip(rows, results) if not result.outcome_unknown]
        ExportJournal.objects.filter(activity=ctx.activity, row_id__in=settled).delete()
        ctx.add(counts)


def _blank_in_crm(ctx, rows: list, fields: list) -> set[tuple[str, str]]:
    """(CRM id, field) pairs blank in the CRM among the fields preferred from the
    CRM unless blank that these rows would fill: one id query per batch of rows."""
    prefer = [f for f in fields if ctx.directions.fills_blank_only(f.column_name)]
    known = [r for r in rows if r.crm_id and any(not blank(getattr(r, f.column_name)) for f in prefer)]
    if not prefer or not known:
        return set()
    id_field = ctx.schema.id_field
    request = ReadRequest(table=ctx.schema.crm_name, fields=(id_field, *(f.crm_name for f in prefer)),
                          ids=tuple(r.crm_id for r in known))
    return {(record[id_field], f.crm_name) for page in ctx.connector.read(request) for record in page.records
            for f in prefer if blank(record.get(f.crm_name))}


def _surely_not_processed(exc: ConnectorError) -> bool:
    """Refused before any record was looked at: auth, quota, throttling, bad request."""
    return isinstance(exc, (AuthenticationFailed, ApiLimitReached, InvalidRequest)) or exc.status in (401, 403, 429)


def _payload(ctx, mapper: Mapper, row, fields, mode: WriteMode, blanks: set) -> dict:
    """A field where the CRM is preferred unless blank goes out only to fill a blank:
    the record is new to the CRM, or the CRM's value was read and is blank."""
    fields = [f for f in fields if not ctx.directions.fills_blank_only(f.column_name)
              or (not blank(getattr(row, f.column_name)) and (not row.crm_id or (row.crm_id, f.crm_name) in blanks))]
    payload = mapper.to_crm(row, fields)
    if mode is not WriteMode.CREATE:
        # A CRM refuses to clear a required field, and a local null there means "never
        # set here" (a row created locally, the CRM filling in its defaults): an update
        # or upsert leaves the CRM's value alone. A create still sends every field.
        for field in fields:
            if not field.nullable and payload.get(field.crm_name) is None:
                del payload[field.crm_name]
    if mode is WriteMode.UPDATE:
        payload[ctx.schema.id_field] = row.crm_id
    return payload


def _store_results(ctx, rows, payloads, results: list[RecordResult], stamps, mode) -> Counts:
    counts = Counts(read=len(rows))
    now = timezone.now()
    exported = []
    for row, payload, result in zip(rows, payloads, results, strict=True):
        if not result.success:
            counts.rejected += 1
            reject_crm(ctx, row, result, payload)
            continue
        created = result.created or mode is WriteMode.CREATE
        counts.inserted += created
        counts.updated += not created
        exported.append((row.pk, result.id or row.crm_id, stamps[row.pk], exported_provenance(ctx, row, payload, now)))
    _mark_all_exported(ctx.model, exported, now)
    return counts


def _mark_all_exported(model, exported: list[tuple], now) -> None:
    """`_mark_exported` for a whole batch: two statements on PostgreSQL."""
    if connection.vendor != "postgresql":
        for pk, crm_id, stamp_read, provenance in exported:
            _mark_exported(model, pk, crm_id, stamp_read, now, provenance)
        return
    from psycopg2.extras import execute_values

    table = connection.ops.quote_name(model._meta.db_table)
    traced = model._meta.get_field("sync_provenance")
    rows = [(pk, crm_id, stamp, now, traced.get_db_prep_save(provenance, connection))
            for pk, crm_id, stamp, provenance in exported]
    with connection.cursor() as cursor:
        synced = execute_values(
            cursor.cursor, f"UPDATE {table} AS t SET crm_id = v.crm_id, last_synced_at = v.now, local_modstamp = v.now, "
                           f"sync_provenance = COALESCE(v.provenance, t.sync_provenance) "
                           f"FROM (VALUES %s) AS v(id, crm_id, stamp, now, provenance) "
                           f"WHERE t.id = v.id AND t.local_modstamp = v.stamp RETURNING t.id",
            rows, template="(%s, %s::varchar, %s::timestamptz, %s::timestamptz, %s::jsonb)",
            page_size=max(1, len(rows)), fetch=True)
        done = {pk for (pk,) in synced}
        changed_again = [(pk, crm_id) for pk, crm_id, _, _ in exported if pk not in done and crm_id]
        if changed_again:
            execute_values(cursor.cursor, f"UPDATE {table} AS t SET crm_id = v.crm_id FROM (VALUES %s) AS v(id, crm_id) "
                                          f"WHERE t.id = v.id AND t.crm_id IS NULL",
                           changed_again, template="(%s, %s::varchar)")


def _mark_exported(model, pk: int, crm_id: str | None, stamp_read, now, provenance=None) -> None:
    """Store the CRM id and mark the row synced, unless it changed again while it
    was being sent: then only the id is stored and it stays 'changed'."""
    traced = {"sync_provenance": provenance} if provenance is not None else {}
    synced = model.objects.filter(pk=pk, local_modstamp=stamp_read).update(
        crm_id=crm_id, last_synced_at=now, local_modstamp=now, **traced)
    if not synced and crm_id:
        model.objects.filter(pk=pk, crm_id__isnull=True).update(crm_id=crm_id)


def _reject_missing_key(ctx, row, key: str) -> None:
    reject_local(ctx, row.crm_id, "CRMSYNC_MISSING_KEY", f"the reconciliation key {key} is empty on this row",
                 {}, local_key=row.pk)
    ctx.add(Counts(read=1, rejected=1))


def _review_interrupted_creates(ctx: ActivityContext) -> None:
    """Rows whose create was sent by a run that then died: never sent twice."""
    pending = list(ExportJournal.objects.filter(activity=ctx.activity).exclude(run=ctx.run))
    for entry in pending:
        reject_local(ctx, "", UNCERTAIN, "a previous run was interrupted after sending this record to the CRM; it "
                     "was not sent again to avoid a duplicate. Check the CRM, then use Retry rejects.", {},
                     local_key=entry.row_id)
    if pending:
        ctx.add(Counts(rejected=len(pending)))
        ctx.warn(f"{len(pending)} record(s) from an interrupted export need review (not re-sent)")
