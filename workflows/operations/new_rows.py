"""The records of an import page that have no local row yet, taken column by
column: mapped, checked (a refused record is rejected with the same reason as row
by row) and inserted by one COPY, with a few list operations per field instead of
dicts and calls per value. A first full import is almost only such records."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from wizard import provenance

from .. import bulk_sql
from ..column_values import ColumnValues
from ..context import ActivityContext
from ..enumeration_checks import EnumerationCheck, report_unknown_values
from ..mapping import Mapper
from ..rejects import reject_local


def insert_new(ctx: ActivityContext, mapper: Mapper, ids: list[str], crm_columns: dict[str, list] | None,
               record: Callable[[int], dict], now, crm_texts: dict[str, list] | None = None) -> tuple[int, int] | None:
    """(inserted, rejected) for records with no local row, given by CRM field
    (`record(i)` is the i-th as a dict; `crm_texts` as ColumnRecords.texts); None,
    having done nothing, when they must be taken one by one (a record lacks a field
    the others have, or a "prefer the CRM unless blank" field is blank in some)."""
    columns = mapper.local_columns(crm_columns) if crm_columns is not None else None
    columns = ctx.directions.importable_columns(columns) if columns is not None else None
    if columns is None:
        return None
    texts = mapper.local_texts(crm_texts or {})
    columns = {column: ColumnValues(values, texts.get(column)) for column, values in columns.items()}
    refused = mapper.column_problems(columns)
    for i, problem in refused.items():
        reject_local(ctx, ids[i], "LOCAL_VALUE_REJECTED", problem, record(i))
    _report_unknown_values(ctx, mapper.enumeration_check, ids, record, columns, refused)
    if refused:
        kept = [i for i in range(len(ids)) if i not in refused]
        columns = {column: [column_values.values[i] for i in kept] for column, column_values in columns.items()}
    sync = {"is_deleted": False, "last_synced_at": now, "local_modstamp": now}
    if getattr(settings, "CRMSYNC_FIELD_PROVENANCE", True):
        # The same document for every row: its columns are the same.
        happened = provenance.event(provenance.CRM, now, ctx.run.pk)
        sync[provenance.COLUMN] = provenance.fresh(columns, happened, mapper.traced_columns)
    bulk_sql.insert_columns(ctx.model, columns, sync)
    return len(ids) - len(refused), len(refused)


def _report_unknown_values(ctx: ActivityContext, check: EnumerationCheck, ids: list[str], record: Callable[[int], dict],
                           columns: dict[str, ColumnValues], refused: dict[int, str]) -> None:
    if not check.allowed or _all_known(check, columns):
        return
    for i, crm_id in enumerate(ids):
        if i not in refused:
            report_unknown_values(ctx, check, crm_id, {column: values.values[i] for column, values in columns.items()},
                                  record(i))


def _all_known(check: EnumerationCheck, columns: dict[str, ColumnValues]) -> bool:
    for column, (_, _, known) in check.allowed.items():
        values = columns[column].values if column in columns else ()
        if not {str(item) for items in values for item in items or ()} <= known:
            return False
    return True
