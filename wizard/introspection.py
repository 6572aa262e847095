"""What the wizard asks of a CRM: its tables (one listing call, cached for the
wizard's life) and descriptions of the chosen tables (batched by the connector)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from django.core.cache import cache

from connectors.models import ExternalAccount
from connectors.types import TableDescription, TableInfo

from .models import DataSchema

LISTING_TTL = 3600


def _cache_key(account: ExternalAccount, token: str) -> str:
    return f"crmsync:wizard:tables:{account.pk}:{token}"


def list_tables(account: ExternalAccount, token: str | None = None) -> list[TableInfo]:
    """The CRM's tables; with a wizard `token`, listed once and reused."""
    if token:
        cached = cache.get(_cache_key(account, token))
        if cached is not None:
            return [TableInfo(**row) for row in cached]
    with account.connector() as connector:
        tables = sorted(connector.list_tables(), key=lambda t: t.name.lower())
    if token:
        cache.set(_cache_key(account, token), [asdict(t) for t in tables], LISTING_TTL)
    return tables


def generated_tables(account: ExternalAccount) -> dict[str, DataSchema]:
    return {s.crm_name: s for s in DataSchema.objects.filter(account=account)}


def describe(account: ExternalAccount, names: Sequence[str]) -> dict[str, TableDescription]:
    with account.connector() as connector:
        return connector.describe_tables(list(names))
