"""Merging and checking the CRM-specific settings of an external account against
its connector's `settings_spec`; used by both the admin form and the API."""

from __future__ import annotations

from dataclasses import dataclass, field

from .base import Connector, SettingSpec

MAX_SETTING_LENGTH = 20000


@dataclass
class MergedSettings:
    settings: dict[str, str]
    secrets: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def merge(
    connector_class: type[Connector],
    given: dict[str, object],
    current_settings: dict[str, str],
    current_secrets: dict[str, str],
) -> MergedSettings:
    """Apply `given` over the current values. A blank or missing secret keeps the
    stored one; `None` clears it. Unknown names and bad choices are errors."""
    specs = {spec.name: spec for spec in connector_class.settings_spec}
    merged = MergedSettings(_defaults(specs, current_settings), dict(current_secrets))
    for name, value in given.items():
        spec = specs.get(name)
        if spec is None:
            merged.error(name, f"Unknown setting for {connector_class.label}.")
        elif value is not None and not isinstance(value, str):
            merged.error(name, "Must be a string.")
        else:
            _apply(merged, spec, value)
    _check_required(merged, specs.values())
    return merged


def _defaults(specs: dict[str, SettingSpec], current: dict[str, str]) -> dict[str, str]:
    values = {name: spec.default for name, spec in specs.items() if not spec.secret and spec.default}
    values.update({name: value for name, value in current.items() if name in specs})
    return values


def _apply(merged: MergedSettings, spec: SettingSpec, value: str | None) -> None:
    if value is not None and len(value) > MAX_SETTING_LENGTH:
        merged.error(spec.name, f"Longer than {MAX_SETTING_LENGTH} characters.")
    elif spec.secret:
        if value is None:
            merged.secrets.pop(spec.name, None)
        elif value != "":
            merged.secrets[spec.name] = value
    elif spec.choices and value not in {choice for choice, _ in spec.choices} | {"", None}:
        allowed = ", ".join(choice for choice, _ in spec.choices)
        merged.error(spec.name, f"'{value}' is not one of: {allowed}.")
    else:
        merged.settings[spec.name] = value or ""


def _check_required(merged: MergedSettings, specs) -> None:
    for spec in specs:
        if spec.name in merged.errors or not _is_required(spec, merged.settings):
            continue
        store = merged.secrets if spec.secret else merged.settings
        if not store.get(spec.name):
            merged.error(spec.name, "This setting is required.")


def _is_required(spec: SettingSpec, settings: dict[str, str]) -> bool:
    if spec.required:
        return True
    return any(settings.get(other) in values for other, values in spec.required_when.items())
