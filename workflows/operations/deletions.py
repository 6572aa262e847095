"""Import objects deleted in the CRM (flag or remove the local rows, watermark in
the same transaction), and delete objects in the CRM (local rows flagged for
deletion, or matching a filter), with a result per record."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from connectors.base import chunked

from .. import bulk_sql, watermarks
from ..conditions import parse_conditions, to_q
from ..context import ActivityContext, Counts
from ..rejects import reject_crm

DELETE_CHUNK = 1000
ALREADY_GONE = {"ENTITY_IS_DELETED", "NOT_FOUND", "0x80040217"}


def import_deleted(ctx: ActivityContext) -> None:
    if ctx.options.get("ids") is not None:
        from ..audit_repairs import flag_confirmed_deletions

        return flag_confirmed_deletions(ctx, _apply_deletions)
    since = watermarks.load_deletions(ctx.watermark())
    ctx.log(f"deletions in {ctx.schema.crm_name} " + (f"since {since}" if since else "(first run)"))
    for page in ctx.connector.read_deleted(ctx.schema.crm_name, since):
        ctx.check_cancelled()
        if not page.complete:
            ctx.warn(page.detail or "the CRM could not list every deletion for this period")
        with transaction.atomic():
            counts = _apply_deletions(ctx, [r.id for r in page.records], {r.id: r.deleted_at for r in page.records})
            if page.watermark:
                ctx.save_watermark(watermarks.dump_deletions(page.watermark))
            ctx.add(counts)


def _apply_deletions(ctx: ActivityContext, ids: list[str], when: dict) -> Counts:
    counts = Counts(read=len(ids))
    rows = ctx.model.objects.filter(crm_id__in=ids)
    if ctx.options["action"] == "remove":
        counts.deleted = rows.delete()[0]
        return counts
    now = timezone.now()
    flagged = [{"id": pk, "is_deleted": True, "deleted_at": when.get(crm_id) or now, "last_synced_at": now,
                "local_modstamp": now} for pk, crm_id in rows.filter(is_deleted=False).values_list("pk", "crm_id")]
    bulk_sql.update(ctx.model, flagged, ["is_deleted", "deleted_at", "last_synced_at", "local_modstamp"])
    counts.deleted = len(flagged)
    counts.unchanged = counts.read - counts.deleted
    return counts


def delete_in_crm(ctx: ActivityContext) -> None:
    rows = ctx.model.objects.filter(crm_id__isnull=False)
    if ctx.options["rows"] == "flagged":
        # Flagged locally and not yet propagated (deleted_at is set once done).
        rows = rows.filter(is_deleted=True, deleted_at__isnull=True)
    else:
        rows = rows.filter(to_q(ctx.schema, parse_conditions(ctx.schema, ctx.options["filter"])))
    ctx.set_total(rows.count())
    # One CRM call at a time, its results stored before the next goes out.
    for chunk in chunked(rows.order_by("pk").iterator(), ctx.connector.write_batch_size or DELETE_CHUNK):
        ctx.check_cancelled()
        results = ctx.connector.delete(ctx.schema.crm_name, [row.crm_id for row in chunk])
        with transaction.atomic():
            ctx.add(_store_deletes(ctx, chunk, results))


def _store_deletes(ctx: ActivityContext, rows, results) -> Counts:
    counts = Counts(read=len(rows))
    now = timezone.now()
    for row, result in zip(rows, results, strict=True):
        gone = result.success or any(e.code in ALREADY_GONE for e in result.errors)
        if not gone:
            counts.rejected += 1
            reject_crm(ctx, row, result, {ctx.schema.id_field: row.crm_id})
            continue
        counts.deleted += 1
        ctx.model.objects.filter(pk=row.pk).update(is_deleted=True, deleted_at=now, last_synced_at=now,
                                                   local_modstamp=now)
    return counts
