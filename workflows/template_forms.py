"""The console form of "New workflow from template": a template, an account and
one of its generated schemas (the Contact table by default)."""

from __future__ import annotations

from django import forms

from connectors.models import ExternalAccount
from wizard.models import DataSchema

from . import templates as workflow_templates

CONTACT_TABLES = ("Contact", "contact")


class SchemaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, schema):
        return f"{schema.account.name}: {schema.label} ({schema.crm_name})"


class FromTemplateForm(forms.Form):
    template = forms.ChoiceField(
        label="Template", widget=forms.RadioSelect,
        choices=[(t.key, f"{t.name} — {t.description}") for t in workflow_templates.TEMPLATES])
    account = forms.ModelChoiceField(label="External account", queryset=ExternalAccount.objects.all())
    schema = SchemaChoiceField(label="Table (generated schema)",
                               queryset=DataSchema.objects.select_related("account"),
                               help_text="Generate it with the account's configuration wizard first.")
    name = forms.CharField(label="Name", max_length=200, required=False,
                           help_text="Blank: the template's name with the account and table.")
    schedule = forms.CharField(label="Schedule", max_length=100, required=False,
                               help_text="Cron expression (minute hour day month weekday); blank: manual only.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        account_id = self.data.get("account") or self.initial.get("account")
        if account_id and not self.initial.get("schema"):
            contact = DataSchema.objects.filter(account_id=account_id, crm_name__in=CONTACT_TABLES).first()
            self.initial["schema"] = contact.pk if contact else None

    def clean(self):
        cleaned = super().clean()
        account, schema = cleaned.get("account"), cleaned.get("schema")
        if account and schema and schema.account_id != account.pk:
            self.add_error("schema", f"{schema.crm_name} belongs to {schema.account.name}, not to {account.name}.")
        return cleaned

    def create(self):
        """The workflow, or None with the service's messages added to the form."""
        data = self.cleaned_data
        try:
            return workflow_templates.create_workflow(workflow_templates.get(data["template"]), data["schema"],
                                                      data["name"], data["schedule"])
        except workflow_templates.TemplateError as exc:
            for name, messages in exc.errors.items():
                self.add_error(name if name in self.fields else None, messages)
            return None
