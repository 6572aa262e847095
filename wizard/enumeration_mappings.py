"""Reading and checking the mappings of a sync request (API body or console form):
every CRM enumeration known, every local name valid, no Replace conflicts."""

from __future__ import annotations

from collections import Counter

from django.core.exceptions import ValidationError

from .enumeration_models import validate_internal_name
from .enumeration_plan import Mapping


def mapping_errors(mapping: Mapping, known: set[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if mapping.crm not in known:
        errors["crm"] = [f"no CRM enumeration {mapping.crm!r} is used by this account's generated schemas"]
    try:
        validate_internal_name(mapping.enumeration)
        if len(mapping.enumeration) > 100:
            raise ValidationError("At most 100 characters.")
    except ValidationError as exc:
        errors["enumeration"] = list(exc.messages)
    return errors


def conflicts(mappings: list[Mapping]) -> list[str]:
    """Whole-request problems: a CRM enumeration twice, or Replace on a local
    enumeration that several CRM enumerations feed (each would undo the other)."""
    problems = [f"{crm} is mapped more than once" for crm, n in Counter(m.crm for m in mappings).items() if n > 1]
    targets = Counter(m.enumeration for m in mappings)
    for mapping in mappings:
        if mapping.replace and targets[mapping.enumeration] > 1:
            problems.append(f"{mapping.enumeration} receives several CRM enumerations: Replace is not possible")
    return sorted(set(problems))
