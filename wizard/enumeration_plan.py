"""What synchronizing one CRM enumeration into a local one would change, computed
from plain values only (no database): values added, relabelled, deactivated,
reactivated, removed, updated (valid-for) and reordered.

Without Replace, CRM values are added and relabelled and local-only values are
kept. With Replace, the local values become exactly the CRM's, in the CRM's order;
a local-only value that rows still store is deactivated rather than removed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from connectors.types import Enumeration as CrmEnumeration
from connectors.types import EnumerationValue as CrmValue

ADDED, RELABELLED, DEACTIVATED, REACTIVATED = "added", "relabelled", "deactivated", "reactivated"
REMOVED, UPDATED, REORDERED = "removed", "updated", "reordered"
KINDS = (ADDED, RELABELLED, DEACTIVATED, REACTIVATED, REMOVED, UPDATED, REORDERED)
# Enumeration attributes that follow the CRM (label and name are the administrator's).
SOURCE_ATTRIBUTES = ("account_id", "source_key", "global_name", "multi_select", "restricted", "controlling_field")


@dataclass(frozen=True)
class Mapping:
    """One line of the sync page: a CRM enumeration into a local one."""

    crm: str
    enumeration: str
    replace: bool = False

    def as_dict(self) -> dict:
        return {"crm": self.crm, "enumeration": self.enumeration, "replace": self.replace}


@dataclass(frozen=True)
class LocalValue:
    """A local value as stored (or as it will be stored)."""

    value: str
    label: str
    position: int = 0
    active: bool = True
    labels: dict[str, str] = field(default_factory=dict)
    valid_for: tuple[str, ...] = ()


@dataclass
class ValueChange:
    value: str
    kinds: tuple[str, ...]
    before: LocalValue | None
    after: LocalValue | None  # None when the value is removed
    rows: int = 0  # rows storing the value, for local-only values under Replace

    @property
    def label(self) -> str:
        return (self.after or self.before).label


@dataclass
class EnumerationPlan:
    mapping: Mapping
    crm_label: str
    create: bool
    changes: list[ValueChange] = field(default_factory=list)
    # Local-only values already inactive that Replace keeps because rows store them.
    kept: list[ValueChange] = field(default_factory=list)
    attributes: dict[str, object] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        return sum(1 for change in self.changes if kind in change.kinds)

    def counts(self) -> dict[str, int]:
        counts = {kind: self.count(kind) for kind in KINDS}
        counts["rows_in_use"] = sum(change.rows for change in self.changes + self.kept)
        return counts

    @property
    def changed(self) -> bool:
        return self.create or bool(self.changes or self.attributes)

    @property
    def in_use(self) -> list[ValueChange]:
        """Local-only values Replace deactivates or keeps because rows store them."""
        return [change for change in self.changes + self.kept if change.rows]


def plan(
    crm: CrmEnumeration,
    mapping: Mapping,
    local: Iterable[LocalValue],
    current: dict[str, object] | None,
    rows_using: Callable[[str], int],
    account_id: int | None = None,
) -> EnumerationPlan:
    """The plan for one mapping; `current` is the local enumeration's attributes
    (None when it does not exist yet), `rows_using(value)` counts rows storing it."""
    local = list(local)
    changes, kept = plan_values(crm, local, mapping.replace, rows_using)
    attributes = planned_attributes(crm, current, account_id)
    return EnumerationPlan(mapping, crm.label, current is None, changes, kept, attributes)


def plan_values(crm: CrmEnumeration, local: list[LocalValue], replace_all: bool, rows_using):
    existing = {value.value: value for value in local}
    next_position = max((value.position for value in local), default=-1) + 1
    changes = []
    for index, value in enumerate(crm.values):
        before = existing.get(value.value)
        if replace_all:
            position = index
        elif before is None:
            position, next_position = next_position, next_position + 1
        else:
            position = before.position
        after = target(value, before, replace_all, position)
        kinds = kinds_of(before, after)
        if kinds:
            changes.append(ValueChange(value.value, kinds, before, after))
    if not replace_all:
        return changes, []
    crm_values = {value.value for value in crm.values}
    local_only = [value for value in local if value.value not in crm_values]
    retired = [retire(value, rows_using(value.value), len(crm.values) + n) for n, value in enumerate(local_only)]
    return changes + [c for c in retired if c.kinds], [c for c in retired if not c.kinds]


def target(value: CrmValue, before: LocalValue | None, replace_all: bool, position: int) -> LocalValue:
    """What a CRM value becomes locally; without Replace, translations the CRM does
    not have are kept."""
    labels = dict(value.labels)
    if before is not None and not replace_all:
        labels = {**before.labels, **labels}
    return LocalValue(value.value, value.label, position, value.active, labels, tuple(value.valid_for))


def kinds_of(before: LocalValue | None, after: LocalValue) -> tuple[str, ...]:
    if before is None:
        return (ADDED,)
    kinds = []
    if (before.label, before.labels) != (after.label, after.labels):
        kinds.append(RELABELLED)
    if before.active != after.active:
        kinds.append(DEACTIVATED if before.active else REACTIVATED)
    if tuple(before.valid_for) != tuple(after.valid_for):
        kinds.append(UPDATED)
    if before.position != after.position:
        kinds.append(REORDERED)
    return tuple(kinds)


def retire(value: LocalValue, rows: int, position: int) -> ValueChange:
    """A local-only value under Replace: removed, or deactivated (and placed after
    the CRM's values) when rows store it."""
    if not rows:
        return ValueChange(value.value, (REMOVED,), value, None)
    after = replace(value, active=False, position=position)
    return ValueChange(value.value, kinds_of(value, after), value, after, rows)


def planned_attributes(crm: CrmEnumeration, current: dict | None, account_id: int | None) -> dict[str, object]:
    """The source attributes to set. An enumeration fed by several CRM enumerations
    takes them from its first source only, so the sources never overwrite each other."""
    wanted = {
        "account_id": account_id, "source_key": crm.key, "global_name": crm.global_name or "",
        "multi_select": crm.multi_select, "restricted": crm.restricted,
        "controlling_field": crm.controlling_field or "",
    }
    if current is None:
        return wanted
    if current.get("source_key") not in ("", None, crm.key):
        return {}
    return {name: value for name, value in wanted.items() if current.get(name) != value}
