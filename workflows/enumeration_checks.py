"""Multi-select values checked against their local enumerations as rows move:
an import keeps the CRM's values but reports each unknown one by name (a reject
entry and a warning, so the run ends partial); an export does not send a row
holding an unknown value, and says which."""

from __future__ import annotations

from wizard.multi_select import UNKNOWN_VALUE, EnumerationCheck

from .context import ActivityContext, Counts
from .rejects import reject_local

CODE_HINT = UNKNOWN_VALUE
__all__ = ["EnumerationCheck", "report_unknown_values", "rows_with_known_values"]


def report_unknown_values(ctx: ActivityContext, check: EnumerationCheck, crm_id: str, values: dict, record: dict) -> None:
    if not check.allowed:
        return
    message = check.message(values)
    if message:
        reject_local(ctx, crm_id, UNKNOWN_VALUE, f"{message} (stored as the CRM sent it; add the value to the "
                     "enumeration or correct the record)", record)
        if not getattr(ctx, "warned_unknown_values", False):  # once per activity; each record is in the rejects
            ctx.warn(f"multi-select values missing from their enumeration were imported as sent and listed in the "
                     f"rejects ({CODE_HINT}), the first: {crm_id}: {message}")
            ctx.warned_unknown_values = True


def rows_with_known_values(ctx: ActivityContext, rows: list) -> list:
    check = EnumerationCheck.for_schema(ctx.schema.pk)
    if not check.allowed:
        return rows
    kept = []
    for row in rows:
        message = check.message({column: getattr(row, column) for column in check.allowed})
        if not message:
            kept.append(row)
            continue
        reject_local(ctx, row.crm_id, UNKNOWN_VALUE, f"{message}: not sent to the CRM", {}, local_key=row.pk)
        ctx.add(Counts(read=1, rejected=1))
    return kept
