"""The forms of the configuration wizard's four steps."""

from __future__ import annotations

from django import forms

from connectors import services
from connectors.models import ExternalAccount


class AccountStep(forms.Form):
    """Step 1: the account, checked with a live connection test."""

    confirm = forms.BooleanField(initial=True, widget=forms.HiddenInput)

    def __init__(self, *args, account: ExternalAccount, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def clean(self):
        result = services.test_connection(self.account)
        if not result.ok:
            raise forms.ValidationError(f"Test connection failed: {result.detail}")
        self.connection_detail = result.detail
        return super().clean()


class TablesStep(forms.Form):
    """Step 2: the CRM tables to generate schemas for."""

    tables = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, error_messages={
        "required": "Choose at least one table."})

    def __init__(self, *args, tables, generated, **kwargs):
        super().__init__(*args, **kwargs)
        self.table_rows = tables
        self.generated = generated
        self.fields["tables"].choices = [(t.name, t.label) for t in tables]


class FieldsStep(forms.Form):
    """Step 3: per chosen table, the fields to keep (all by default)."""

    def __init__(self, *args, previews, **kwargs):
        super().__init__(*args, **kwargs)
        self.previews = previews
        for preview in previews:
            self.fields[preview.form_field] = forms.MultipleChoiceField(
                required=False,
                widget=forms.CheckboxSelectMultiple,
                choices=[(row.name, row.name) for row in preview.rows],
                initial=[row.name for row in preview.rows],
                label=preview.description.label,
            )
            preview.checked = set(self[preview.form_field].value() or [])


class SummaryStep(forms.Form):
    """Step 4: what will be generated; "Generate" submits it."""

    confirm = forms.BooleanField(initial=True, widget=forms.HiddenInput)
