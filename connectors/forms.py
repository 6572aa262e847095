"""The admin form of an external account: the common fields, plus one group of
fields per registered connector, built from its `settings_spec`."""

from __future__ import annotations

from django import forms

from . import account_settings, registry
from .base import Connector, SettingSpec
from .models import ExternalAccount

KEEP_HELP = "Leave blank to keep the current value."


def form_field_name(crm_type: str, setting: str) -> str:
    return f"{crm_type}__{setting}"


def settings_fieldsets() -> list[tuple[str, dict]]:
    """One admin fieldset per connector, toggled by the chosen CRM type."""
    return [
        (
            f"{cls.label} settings",
            {
                "fields": [form_field_name(cls.crm_type, spec.name) for spec in cls.settings_spec],
                "classes": ["crm-settings", f"crm-settings-{cls.crm_type}"],
            },
        )
        for cls in registry.all_connectors()
    ]


class ExternalAccountForm(forms.ModelForm):
    crm_type = forms.ChoiceField(label="CRM type", choices=())

    class Meta:
        model = ExternalAccount
        fields = (
            "name",
            "internal_name",
            "crm_type",
            "server_url",
            "api_version",
            "enabled",
            "timeout",
            "api_quota_share",
            "daily_api_allocation",
            "ca_certificate",
        )
        widgets = {"server_url": forms.URLInput(attrs={"size": 60, "placeholder": "https://"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["crm_type"].choices = [("", "---------")] + registry.choices()
        for cls in registry.all_connectors():
            for spec in cls.settings_spec:
                self.fields[form_field_name(cls.crm_type, spec.name)] = self._setting_field(cls, spec)

    def _setting_field(self, cls: type[Connector], spec: SettingSpec) -> forms.Field:
        same_type = self.instance.pk and self.instance.crm_type == cls.crm_type
        if spec.secret:
            is_set = bool(same_type and self.instance.secrets.get(spec.name))
            widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            if spec.multiline:
                widget = forms.Textarea(attrs={"rows": 4, "autocomplete": "off"})
            help_text = " ".join(filter(None, [spec.help_text, "(set)" if is_set else "(not set)", KEEP_HELP]))
            return forms.CharField(label=spec.label, required=False, widget=widget, help_text=help_text, strip=False)
        initial = self.instance.settings.get(spec.name, spec.default) if same_type else spec.default
        if spec.choices:
            return forms.ChoiceField(label=spec.label, required=False, choices=spec.choices, initial=initial, help_text=spec.help_text)
        widget = forms.Textarea(attrs={"rows": 3}) if spec.multiline else forms.TextInput(attrs={"size": 50})
        return forms.CharField(label=spec.label, required=False, initial=initial, widget=widget, help_text=spec.help_text)

    def clean(self):
        cleaned = super().clean()
        crm_type = cleaned.get("crm_type")
        if not crm_type:
            return cleaned
        cls = registry.get(crm_type)
        given = {spec.name: cleaned.get(form_field_name(crm_type, spec.name), "") for spec in cls.settings_spec}
        same_type = self.instance.pk and self.instance.crm_type == crm_type
        merged = account_settings.merge(
            cls,
            given,
            self.instance.settings if same_type else {},
            self.instance.secrets if same_type else {},
        )
        for name, messages in merged.errors.items():
            for message in messages:
                self.add_error(form_field_name(crm_type, name), message)
        self._merged = merged
        return cleaned

    def save(self, commit=True):
        account = super().save(commit=False)
        account.settings = self._merged.settings
        account.secrets = self._merged.secrets
        if commit:
            account.save()
        return account
