"""Field provenance as runs write rows: what an export adds to a row's record of
who set each field (see wizard.provenance for the shape)."""

from __future__ import annotations

from wizard import provenance

from .context import ActivityContext


def exported_provenance(ctx: ActivityContext, row, payload: dict, now) -> dict:
    """The row's provenance with the fields just sent marked exported by this run."""
    columns = getattr(ctx, "provenance_columns", None)
    if columns is None:  # once per activity
        columns = ctx.provenance_columns = {f.crm_name: f.column_name for f in ctx.schema.fields.all()}
    sent = [columns[name] for name in payload if name in columns and columns[name] not in ("crm_id", "crm_modstamp")]
    return provenance.stamped(row.sync_provenance, sent, provenance.event(provenance.EXPORTED, now, ctx.run.pk), key="x")
