"""The conflict policy of two-way workflows, as a pure function: given that a row
changed on both sides since the last sync, which side's values are kept."""

from __future__ import annotations

import datetime as dt

CRM, LOCAL = "crm", "local"


def winner(policy: str, crm_modstamp: dt.datetime | None, local_modstamp: dt.datetime | None) -> str:
    if policy == "local_wins":
        return LOCAL
    if policy == "newest_wins":
        if crm_modstamp is None or local_modstamp is None:
            return CRM if local_modstamp is None else LOCAL
        return LOCAL if local_modstamp > crm_modstamp else CRM
    return CRM


def changed_locally(row) -> bool:
    """Changed since it was last synced, by any writer (the trigger stamps it)."""
    if row.local_modstamp is None:
        return False
    return row.last_synced_at is None or row.local_modstamp > row.last_synced_at
