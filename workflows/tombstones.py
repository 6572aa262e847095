"""Tombstones: every row deleted on either side, or gone out of a workflow's
filter, is recorded with when, which side, why and by which run (with its values
when the local row is removed), and can be restored."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from wizard.live_models import model_for

from .models import Tombstone, TombstoneReason, TombstoneSide


class NotRestorable(Exception):
    pass


def snapshot(row) -> dict:
    values = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if f.attname != "id"}
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def record(ctx, rows, side: str, reason: str, when: dict | None = None, removed: bool = False) -> None:
    """One tombstone per row, in the caller's transaction."""
    now = timezone.now()
    Tombstone.objects.bulk_create([
        Tombstone(schema=ctx.schema, row_id=row.pk, crm_id=row.crm_id or "", side=side, reason=reason, run=ctx.run,
                  deleted_at=(when or {}).get(row.crm_id) or now, removed=removed,
                  values=snapshot(row) if removed else {})
        for row in rows])


def revived(schema, crm_ids) -> None:
    """Rows the CRM sends again (a record back in the filter, undeleted): their open
    tombstones are closed."""
    if crm_ids:
        Tombstone.objects.filter(schema=schema, crm_id__in=list(crm_ids), restored_at__isnull=True).update(
            restored_at=timezone.now())


@transaction.atomic
def restore(tombstone: Tombstone, user=None) -> Tombstone:
    """Bring the row back. A row out of the filter is simply live again; a row whose
    CRM record was deleted comes back without its CRM id, so that the next export
    creates the record in the CRM again."""
    tombstone = Tombstone.objects.select_for_update().get(pk=tombstone.pk)
    if tombstone.restored_at is not None:
        raise NotRestorable(f"already restored on {tombstone.restored_at:%Y-%m-%d %H:%M:%S}")
    model = model_for(tombstone.schema)
    gone_from_crm = tombstone.reason != TombstoneReason.LEFT_FILTER
    if tombstone.removed:
        values = {**tombstone.values, "is_deleted": False, "deleted_at": None}
        if gone_from_crm:
            values.update(crm_id=None, last_synced_at=None)
        model.objects.create(**values)
    else:
        row = model.objects.filter(pk=tombstone.row_id).first()
        if row is None:
            raise NotRestorable("the local row no longer exists")
        changes = {"is_deleted": False, "deleted_at": None}
        if gone_from_crm:
            changes.update(crm_id=None, last_synced_at=None)
        else:
            now = timezone.now()
            changes.update(last_synced_at=now, local_modstamp=now)
        model.objects.filter(pk=row.pk).update(**changes)
    tombstone.restored_at, tombstone.restored_by = timezone.now(), user if getattr(user, "pk", None) else None
    tombstone.save(update_fields=["restored_at", "restored_by"])
    return tombstone


__all__ = ["NotRestorable", "TombstoneReason", "TombstoneSide", "record", "restore", "revived"]
