"""Import from the CRM: read pages (incrementally from the watermark, or all, or
exactly the records held by a local population), upsert them by CRM id, and
commit each page together with the watermark it reaches."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from wizard import provenance

from connectors.types import ColumnRecords, ReadRequest

from .. import bulk_sql, tombstones, watermarks
from ..prefetch import prefetched
from ..conditions import parse_conditions, to_q
from ..conflicts import LOCAL, changed_locally, winner
from ..context import ActivityContext, Counts
from ..models import ActivityRun, TombstoneReason, TombstoneSide
from . import parts
from .new_rows import insert_new
from ..mapping import Mapper
from ..rejects import reject_local
from ..enumeration_checks import EnumerationCheck, report_unknown_values


# A CRM stamp this close to our last sync may hide a change made in the same grain.
CRM_STAMP_GRAIN = timedelta(seconds=2)
SYNC_COLUMNS = {"is_deleted", "deleted_at", "crm_modstamp", "last_synced_at", "local_modstamp"}
PROVENANCE = provenance.COLUMN


def run(ctx: ActivityContext) -> None:
    options = ctx.options
    mapper = Mapper.build(ctx.schema, ctx.model, options["fields"], options["conversions"])
    ids = _population_ids(ctx) if options["population"] is not None else None
    if options.get("ids") is not None:
        ids = tuple(options["ids"])
    if ids == ():
        ctx.log("the upstream population is empty: nothing to re-read")
        return
    bookmark = watermarks.load(ctx.watermark()) if options["incremental"] and ids is None else watermarks.Bookmark()
    since = bookmark.since
    request = ReadRequest(
        table=ctx.schema.crm_name,
        fields=tuple(mapper.crm_names),
        conditions=tuple(parse_conditions(ctx.schema, options["filter"])),
        since=since,
        ids=ids,
        cursor=bookmark.token,
    )
    ctx.log(f"import {ctx.schema.crm_name}: " + (f"changes since {since}" if since else "all records")
            + (f", {len(ids)} ids from the local population" if ids else ""))
    if ids is None and options["parallel"] > 1 and not ctx.dry_run:
        split = _split(ctx, request)
        if split:
            return split
    watching = ids is None and options["left_filter"] == "flag" and bool(request.conditions)
    seen: set[str] | None = set() if watching else None
    _read_pages(ctx, mapper, request, bookmark if ids is None else None, seen)
    if watching:
        _flag_left_filter(ctx, request, seen)
    return None


def _flag_left_filter(ctx: ActivityContext, request: ReadRequest, seen: set[str]) -> None:
    """Rows whose record changed since the same watermark but no longer matches the
    filter (an id-only read without it): flagged with the reason "left the filter",
    which is not "deleted in the CRM"."""
    id_field = ctx.schema.id_field
    unfiltered = ReadRequest(table=request.table, fields=(id_field,), since=request.since)
    changed = {r[id_field] for page in ctx.connector.read(unfiltered) for r in page.records}
    gone = sorted(changed - seen)
    with ctx.page():
        rows = list(ctx.model.objects.filter(crm_id__in=gone, is_deleted=False)) if gone else []
        now = timezone.now()
        ctx.model.objects.filter(pk__in=[r.pk for r in rows]).update(
            is_deleted=True, deleted_at=now, last_synced_at=now, local_modstamp=now)
        tombstones.record(ctx, rows, TombstoneSide.CRM, TombstoneReason.LEFT_FILTER)
        ctx.add(Counts(deleted=len(rows)))
    if rows:
        ctx.log(f"{len(rows)} row(s) left the filter (their records still exist in the CRM): flagged")


def _split(ctx: ActivityContext, request: ReadRequest) -> list[parts.Part] | None:
    """Stamp ranges for parallel parts, recorded on the activity run; None to read
    in one go (no stamps, or too few to split)."""
    if not ctx.schema.modstamp_field:
        return None
    bounds = ctx.connector.stamp_bounds(request)
    if bounds is None or bounds[0] >= bounds[1]:
        return None
    planned = parts.plan(bounds[0], bounds[1], ctx.options["parallel"])
    if len(planned) < 2:
        return None
    ActivityRun.objects.filter(pk=ctx.activity_run.pk).update(parts_total=len(planned), parts_until=bounds[1])
    ctx.log(f"split into {len(planned)} parts by {ctx.schema.modstamp_field}, read in parallel")
    return planned


def run_part(ctx: ActivityContext, part: parts.Part) -> None:
    """One range of a split import; no watermark here (the last part sets it)."""
    mapper = Mapper.build(ctx.schema, ctx.model, ctx.options["fields"], ctx.options["conversions"])
    request = ReadRequest(table=ctx.schema.crm_name, fields=tuple(mapper.crm_names),
                          conditions=tuple(parse_conditions(ctx.schema, ctx.options["filter"])))
    _read_pages(ctx, mapper, parts.part_request(request, part, ctx.schema.modstamp_field), None)


def _read_pages(ctx: ActivityContext, mapper: Mapper, request: ReadRequest, bookmark, seen=None) -> None:
    # The next page is fetched while this one is written; its rows and watermark
    # are still committed together, page by page, in order. A run whose API budget
    # allows less than twice its forecast reads on demand instead: there a page
    # fetched ahead could be a call past the budget.
    pages = ctx.priced(ctx.connector.read(request))
    for page in (pages if _budget_is_tight(ctx.run) else prefetched(pages)):
        ctx.check_cancelled()
        if seen is not None:
            seen.update(r.get(ctx.schema.id_field) for r in page.records)
        with ctx.page():
            counts = apply_page(ctx, mapper, page.records)
            ctx.flush_conflicts()
            if bookmark is not None and (page.watermark or page.bookmark):
                bookmark = bookmark.advanced(page.watermark, page.bookmark)
                ctx.save_watermark(watermarks.dump(bookmark))
            ctx.add(counts)


def _population_ids(ctx: ActivityContext) -> tuple[str, ...]:
    query = to_q(ctx.schema, parse_conditions(ctx.schema, ctx.options["population"], "population"))
    rows = ctx.model.objects.filter(query, crm_id__isnull=False).values_list("crm_id", flat=True)
    return tuple(rows.order_by("crm_id"))


def apply_page(ctx: ActivityContext, mapper: Mapper, records: list[dict]) -> Counts:
    """Upsert one page by CRM id; unchanged rows are counted, not rewritten."""
    counts = Counts(read=len(records))
    now = timezone.now()
    by_id, existing, taken = _insert_new(ctx, mapper, records, now)
    if taken is not None:
        counts.inserted, counts.rejected = taken
    creates, updates, update_columns, revived = [], [], set(), []
    enumerations = EnumerationCheck.for_schema(ctx.schema.pk)
    tracing = getattr(settings, "CRMSYNC_FIELD_PROVENANCE", True)
    happened = provenance.event(provenance.CRM, now, ctx.run.pk)
    every_column = provenance.traced_columns(ctx.schema) if tracing else None
    for crm_id, record in by_id.items():
        values = ctx.directions.importable(mapper.to_local(record))
        problem = mapper.check(values)
        if problem:
            counts.rejected += 1
            reject_local(ctx, crm_id, "LOCAL_VALUE_REJECTED", problem, record)
            continue
        report_unknown_values(ctx, enumerations, crm_id, values, record)
        row = existing.get(crm_id)
        if row is None:
            creates.append({**values, "is_deleted": False, "last_synced_at": now, "local_modstamp": now,
                            **({PROVENANCE: provenance.fresh(values, happened, every_column)} if tracing else {})})
            continue
        was_deleted = row.is_deleted
        before = {column: getattr(row, column) for column in values} if tracing else None
        outcome = _merge(ctx, mapper, row, values, now)
        if was_deleted and not row.is_deleted:
            revived.append(crm_id)
        if tracing and outcome in ("updated", "conflict", "restamped"):
            changed = [column for column, value in before.items() if getattr(row, column) != value]
            row.sync_provenance = provenance.stamped(row.sync_provenance, changed, happened)
        counts.unchanged += outcome in ("unchanged", "restamped")
        counts.updated += outcome in ("updated", "conflict", "owned")
        counts.conflicts += outcome in ("conflict", "kept")
        if outcome in ("updated", "conflict", "restamped"):
            updates.append(row)
            update_columns |= set(values) | SYNC_COLUMNS | ({PROVENANCE} if tracing else set())
    counts.inserted += len(creates)
    for group in _same_keys(creates):
        bulk_sql.insert(ctx.model, group)
    columns = sorted(update_columns)
    bulk_sql.update(ctx.model, [{c: getattr(row, c) for c in ["id", *columns]} for row in updates], columns)
    tombstones.revived(ctx.schema, revived)
    return counts


def _insert_new(ctx: ActivityContext, mapper: Mapper, records, now) -> tuple[dict, dict, tuple | None]:
    """The records with no local row inserted column-wise where they allow it:
    (the records left to take one by one, by CRM id; the local rows of the page by
    CRM id; (inserted, rejected), or None when nothing was inserted here)."""
    id_field = ctx.schema.id_field
    columns = records.columns if isinstance(records, ColumnRecords) else None
    ids = columns.get(id_field) if columns is not None else None
    if ids is None or None in ids or "" in ids or len(set(ids)) != len(ids):
        by_id = {r[id_field]: r for r in records if r.get(id_field)}
        existing = _existing_rows(ctx, list(by_id))
        new_ids = [crm_id for crm_id in by_id if crm_id not in existing]
        fresh = [by_id[crm_id] for crm_id in new_ids]
        taken = insert_new(ctx, mapper, new_ids, mapper.crm_columns(fresh), fresh.__getitem__, now) if fresh else (0, 0)
        return (by_id if taken is None else {i: by_id[i] for i in existing}), existing, taken
    existing = _existing_rows(ctx, ids)
    fresh = [i for i, crm_id in enumerate(ids) if crm_id not in existing] if existing else range(len(ids))
    texts = records.texts
    if len(fresh) < len(ids):
        columns = {name: [values[i] for i in fresh] for name, values in columns.items()}
        texts = {name: [values[i] for i in fresh] for name, values in texts.items()}
    taken = (insert_new(ctx, mapper, columns[id_field], columns, lambda i: records[fresh[i]], now, texts)
             if fresh else (0, 0))
    if taken is None:
        return {r[id_field]: r for r in records}, existing, None
    return {crm_id: records[i] for i, crm_id in enumerate(ids) if crm_id in existing}, existing, taken


def _existing_rows(ctx: ActivityContext, crm_ids: list[str]) -> dict:
    """The local rows of these CRM ids, by id; the ids are looked up first, so a page
    of new records costs one query returning nothing."""
    found = bulk_sql.present(ctx.model, "crm_id", crm_ids)
    return {row.crm_id: row for row in ctx.model.objects.filter(crm_id__in=found)} if found else {}


def _same_keys(rows: list[dict]) -> list[list[dict]]:
    """Rows grouped by their set of columns (records may lack unread fields)."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())


def _merge(ctx: ActivityContext, mapper: Mapper, row, values: dict, now) -> str:
    """Apply a CRM record to an existing row: unchanged, restamped, updated,
    conflict, kept or owned. Only fields we could have written count as a change:
    the CRM's own stamps and formulas move when our export lands, and that is no
    echo. Fields the CRM owns (crm_to_local, prefer the CRM) are applied without
    asking the conflict policy; only two-way fields changed on both sides conflict."""
    changed = [c for c, v in values.items() if c != "crm_modstamp" and getattr(row, c) != v]
    if not changed and not row.is_deleted:
        if values.get("crm_modstamp", row.crm_modstamp) == row.crm_modstamp:
            return "unchanged"
        _mark_synced(row, values, now)
        return "restamped"
    writable_changed = set(changed) & mapper.writable_columns
    if not row.is_deleted and not writable_changed:
        _apply(row, values, now)
        return "restamped"
    if changed_locally(row) and _crm_unchanged(row, values):
        # Re-read at the watermark (it is inclusive) with the CRM's stamp as last
        # synced: only the local side moved, and the next export sends it.
        return "unchanged"
    if changed_locally(row):
        owned = {c: values[c] for c in changed if ctx.directions.crm_owned(c)}
        if not writable_changed - set(owned):
            # Only fields the CRM owns changed (or none, and the row was flagged
            # deleted here): those are applied, the local change stands.
            _apply_keeping_local_change(ctx, row, owned)
            return "owned" if owned else "unchanged"
        side = winner(ctx.conflict_policy, values.get("crm_modstamp"), row.local_modstamp)
        ctx.conflict(row.crm_id, side)
        if side == LOCAL:
            _apply_keeping_local_change(ctx, row, owned)
            return "kept"
        _apply(row, values, now)
        return "conflict"
    _apply(row, values, now)
    return "updated"


def _budget_is_tight(run) -> bool:
    return run.budget_allowed is not None and run.budget_allowed < 2 * (run.forecast_calls or 0)


def _crm_unchanged(row, values: dict) -> bool:
    """The CRM's stamp is the one we last synced: with sub-second precision that proves
    no change; a whole-second stamp (Dataverse) proves it only when our sync came
    CRM_STAMP_GRAIN after it, since a change in the same second could share it — there
    the conflict policy decides."""
    stamp = values.get("crm_modstamp")
    if stamp is None or stamp != row.crm_modstamp or row.last_synced_at is None:
        return False
    if stamp.microsecond:
        return True  # a sub-second stamp (Salesforce) moves with any change
    return row.last_synced_at - stamp >= CRM_STAMP_GRAIN


def _apply_keeping_local_change(ctx: ActivityContext, row, owned: dict) -> None:
    """The CRM's values of the fields it owns, written without the sync stamps: the
    trigger stamps the row, so its local change still goes out with the next export."""
    if owned:
        ctx.model.objects.filter(pk=row.pk).update(**owned)


def _apply(row, values: dict, now) -> None:
    for column, value in values.items():
        setattr(row, column, value)
    row.is_deleted, row.deleted_at = False, None
    _mark_synced(row, values, now)


def _mark_synced(row, values: dict, now) -> None:
    # Setting both stamps explicitly tells the trigger this is the sync engine
    # writing, so the row is not taken for a local change (no echo).
    row.crm_modstamp = values.get("crm_modstamp", row.crm_modstamp)
    row.last_synced_at = now
    row.local_modstamp = now
