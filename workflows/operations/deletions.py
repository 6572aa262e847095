"""Import objects deleted in the CRM (flag or remove the local rows, watermark in
the same transaction), and delete objects in the CRM (local rows flagged for
deletion, or matching a filter), with a result per record."""

from __future__ import annotations

from django.utils import timezone

from connectors.base import chunked

from .. import bulk_sql, guardrails, tombstones, watermarks
from ..conditions import parse_conditions, to_q
from ..context import ActivityContext, Counts
from ..models import TombstoneReason, TombstoneSide
from ..rejects import reject_crm

DELETE_CHUNK = 1000
ALREADY_GONE = {"ENTITY_IS_DELETED", "NOT_FOUND", "0x80040217"}


def import_deleted(ctx: ActivityContext) -> None:
    if ctx.options.get("ids") is not None:
        from ..audit_repairs import flag_confirmed_deletions

        return flag_confirmed_deletions(ctx, _apply_deletions)
    since = watermarks.load_deletions(ctx.watermark())
    ctx.log(f"deletions in {ctx.schema.crm_name} " + (f"since {since}" if since else "(first run)"))
    # Deletion pages hold ids only: all are read first, so that the guardrail can
    # count what would be deleted before anything is.
    pages = []
    for page in ctx.connector.read_deleted(ctx.schema.crm_name, since):
        ctx.check_cancelled()
        pages.append(page)
    ids = [r.id for page in pages for r in page.records]
    live = ctx.model.objects.filter(is_deleted=False)
    affected = list(live.filter(crm_id__in=ids).values_list("crm_id", flat=True)) if ids else []
    guardrails.check(ctx, len(affected), live.count(), affected)
    for page in pages:
        if not page.complete:
            ctx.warn(page.detail or "the CRM could not list every deletion for this period")
        with ctx.page():
            counts = _apply_deletions(ctx, [r.id for r in page.records], {r.id: r.deleted_at for r in page.records})
            if page.watermark:
                ctx.save_watermark(watermarks.dump_deletions(page.watermark))
            ctx.add(counts)


def _apply_deletions(ctx: ActivityContext, ids: list[str], when: dict) -> Counts:
    """Rows of records deleted in the CRM: flagged (or removed), each with a tombstone."""
    counts = Counts(read=len(ids))
    rows = list(ctx.model.objects.filter(crm_id__in=ids, is_deleted=False))
    if ctx.options["action"] == "remove":
        tombstones.record(ctx, rows, TombstoneSide.CRM, TombstoneReason.DELETED_IN_CRM, when, removed=True)
        counts.deleted = ctx.model.objects.filter(crm_id__in=ids).delete()[0]
        counts.unchanged = counts.read - counts.deleted
        return counts
    now = timezone.now()
    flagged = [{"id": row.pk, "is_deleted": True, "deleted_at": when.get(row.crm_id) or now, "last_synced_at": now,
                "local_modstamp": now} for row in rows]
    bulk_sql.update(ctx.model, flagged, ["is_deleted", "deleted_at", "last_synced_at", "local_modstamp"])
    counts.deleted = len(flagged)
    tombstones.record(ctx, rows, TombstoneSide.CRM, TombstoneReason.DELETED_IN_CRM, when)
    counts.unchanged = counts.read - counts.deleted
    return counts


def rows_to_delete(model, schema, options: dict):
    """The local rows whose CRM records a delete activity deletes (also what its
    forecast counts)."""
    rows = model.objects.filter(crm_id__isnull=False)
    if options["rows"] == "flagged":
        # Flagged locally and not yet propagated (deleted_at is set once done).
        return rows.filter(is_deleted=True, deleted_at__isnull=True)
    return rows.filter(to_q(schema, parse_conditions(schema, options["filter"])))


def delete_in_crm(ctx: ActivityContext) -> None:
    rows = rows_to_delete(ctx.model, ctx.schema, ctx.options)
    total = rows.count()
    ctx.set_total(total)
    guardrails.check(ctx, total, ctx.model.objects.filter(crm_id__isnull=False).count(),
                     rows.order_by("pk").values_list("crm_id", flat=True)[:guardrails.SAMPLE])
    # One CRM call at a time, its results stored before the next goes out.
    for chunk in chunked(rows.order_by("pk").iterator(), ctx.connector.write_batch_size or DELETE_CHUNK):
        ctx.check_cancelled()
        results = ctx.delete_in_crm([row.crm_id for row in chunk])
        with ctx.page():
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
        tombstones.record(ctx, [row], TombstoneSide.LOCAL, TombstoneReason.DELETED_LOCALLY)
    return counts
