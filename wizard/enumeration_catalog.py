"""The CRM enumerations used by an account's generated schemas, read through its
connector, and the local enumeration proposed for each on the sync page."""

from __future__ import annotations

import re

from anyascii import anyascii

from connectors.models import ExternalAccount
from connectors.types import Enumeration as CrmEnumeration

from .enumeration_models import Enumeration
from .models import DataSchema, SchemaField

NAME_LENGTH = 100


def used_keys(account: ExternalAccount, schema: DataSchema | None = None) -> dict[str, list[SchemaField]]:
    """CRM enumeration key → the live schema fields using it."""
    fields = SchemaField.objects.filter(schema__account=account, removed_from_crm=False).exclude(enumeration_key="")
    if schema is not None:
        fields = fields.filter(schema=schema)
    keys: dict[str, list[SchemaField]] = {}
    for field in fields.select_related("schema", "enumeration"):
        keys.setdefault(field.enumeration_key, []).append(field)
    return keys


def crm_enumerations(account: ExternalAccount, schema: DataSchema | None = None) -> list[CrmEnumeration]:
    """The CRM's enumerations used by the generated schemas, sorted by key; raises
    the connector's error (with the CRM's message) when the CRM cannot be read."""
    keys = used_keys(account, schema)
    if not keys:
        return []
    tables = sorted({field.schema.crm_name for fields in keys.values() for field in fields})
    with account.connector() as connector:
        found = connector.list_enumerations(tables)
    return sorted((e for e in found if e.key in keys), key=lambda e: e.key)


def proposed_name(account: ExternalAccount, crm: CrmEnumeration) -> str:
    """The enumeration this CRM one was synchronized into before, else one named
    after it (an existing one of that name, or a new one)."""
    linked = SchemaField.objects.filter(schema__account=account, enumeration_key=crm.key, enumeration__isnull=False)
    field = linked.select_related("enumeration").first()
    if field is not None:
        return field.enumeration.name
    previous = Enumeration.objects.filter(account=account, source_key=crm.key).first()
    return previous.name if previous else derived_name(crm)


def derived_name(crm: CrmEnumeration) -> str:
    """"Contact.LeadSource" → "contactLeadSource"; a global set goes by its own name,
    so the fields sharing it share one local enumeration."""
    source = anyascii(crm.global_name or crm.key).replace("__c", "")
    words = [word for word in re.split(r"[^0-9A-Za-z]+", source) if word]
    name = words[0][:1].lower() + words[0][1:] + "".join(w[:1].upper() + w[1:] for w in words[1:]) if words else "enum"
    return (name if name[0].isalpha() else f"e{name}")[:NAME_LENGTH]
