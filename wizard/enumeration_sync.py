"""Synchronizing CRM enumerations into local ones: preview a mapping's plan, apply
it in one transaction (re-planned under a lock, so applying twice changes nothing
the second time), link the schema fields and the controlling enumerations."""

from __future__ import annotations

from django.db import transaction

from connectors.models import ExternalAccount
from connectors.types import Enumeration as CrmEnumeration

from .enumeration_models import Enumeration, EnumerationValue
from .enumeration_plan import SOURCE_ATTRIBUTES, EnumerationPlan, LocalValue, Mapping, plan
from .enumeration_usage import UsageCounter, fields_using
from .models import SchemaField


def preview(account: ExternalAccount, mapping: Mapping, crm: CrmEnumeration) -> EnumerationPlan:
    """What `synchronize` would change, without changing anything."""
    return plan_for(account, mapping, crm, Enumeration.objects.filter(name=mapping.enumeration).first())


def plan_for(account, mapping: Mapping, crm: CrmEnumeration, enumeration: Enumeration | None) -> EnumerationPlan:
    local = [local_value(row) for row in enumeration.values.all()] if enumeration else []
    counter = UsageCounter(fields_using(account.pk, mapping.crm, enumeration.pk if enumeration else None))
    current = current_attributes(enumeration) if enumeration else None
    return plan(crm, mapping, local, current, counter.rows_using, account.pk)


def local_value(row: EnumerationValue) -> LocalValue:
    return LocalValue(row.value, row.label, row.position, row.active, dict(row.labels or {}),
                      tuple(row.valid_for or ()))


def current_attributes(enumeration: Enumeration) -> dict[str, object]:
    return {name: getattr(enumeration, name) for name in SOURCE_ATTRIBUTES}


def synchronize(account: ExternalAccount, mapping: Mapping, crm: CrmEnumeration) -> tuple[EnumerationPlan, int]:
    """Apply one mapping; returns its plan and how many schema fields were linked."""
    with transaction.atomic():
        enumeration = Enumeration.objects.select_for_update().filter(name=mapping.enumeration).first()
        result = plan_for(account, mapping, crm, enumeration)
        enumeration = save_enumeration(enumeration, mapping, crm, result)
        write_values(enumeration, result)
        linked = link_fields(account, mapping.crm, enumeration)
    return result, linked


def save_enumeration(enumeration, mapping: Mapping, crm: CrmEnumeration, result: EnumerationPlan) -> Enumeration:
    if enumeration is None:
        enumeration = Enumeration(name=mapping.enumeration, label=(crm.label or crm.key)[:255])
    for name, value in result.attributes.items():
        setattr(enumeration, name, value)
    if enumeration.source_key == crm.key:
        enumeration.replace_on_sync = mapping.replace
    enumeration.full_clean(exclude=["controlling_enumeration"], validate_unique=False)
    enumeration.save()
    return enumeration


def write_values(enumeration: Enumeration, result: EnumerationPlan) -> None:
    rows = {row.value: row for row in enumeration.values.all()}
    for change in result.changes:
        row = rows.get(change.value)
        if change.after is None:
            row.delete()
            continue
        row = row or EnumerationValue(enumeration=enumeration, value=change.value)
        after = change.after
        row.label, row.position, row.active = after.label[:255], after.position, after.active
        row.labels, row.valid_for = dict(after.labels), list(after.valid_for)
        row.save()


def link_fields(account: ExternalAccount, crm_key: str, enumeration: Enumeration) -> int:
    """Link the account's schema fields of this CRM enumeration to the local one."""
    fields = SchemaField.objects.filter(schema__account=account, enumeration_key=crm_key)
    return fields.exclude(enumeration=enumeration).update(enumeration=enumeration)


def link_controllers(account: ExternalAccount, names: list[str]) -> None:
    """Dependent picklists point at the local enumeration of their controlling field."""
    for enumeration in Enumeration.objects.filter(name__in=names).exclude(controlling_field=""):
        controller = controller_of(account, enumeration)
        if controller is not None and enumeration.controlling_enumeration_id != controller.pk:
            enumeration.controlling_enumeration = controller
            enumeration.save(update_fields=["controlling_enumeration", "updated_at"])


def controller_of(account: ExternalAccount, enumeration: Enumeration) -> Enumeration | None:
    table = enumeration.source_key.rpartition(".")[0]
    key = f"{table}.{enumeration.controlling_field}"
    field = SchemaField.objects.filter(schema__account=account, enumeration_key=key, enumeration__isnull=False).first()
    if field is not None:
        return field.enumeration
    return Enumeration.objects.filter(account=account, source_key=key).first()
